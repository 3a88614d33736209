package storage

import (
	"errors"
	"os"
	"sync"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/diskio"
)

// The receiving side of group replication (cluster.md §4.5): the commands
// another storage of the group sends to copy its operations here. Every
// applied operation is written atomically (temp file + rename for whole
// files), answered with the status C answers, logged in our binlog as a
// replica line (lowercase letter, the source's timestamp), and credited to
// the announcing source for SYNC_REPORT. Retries are harmless: an
// operation found already applied is answered EEXIST and changes nothing.

// isSyncStream: the sync commands whose body ends in file content.
func isSyncStream(cmd byte) bool {
	switch cmd {
	case codec.CmdSyncCreateFile, codec.CmdSyncUpdateFile, codec.CmdSyncAppendFile, codec.CmdSyncModifyFile:
		return true
	}
	return false
}

// syncCredits are the newest source timestamps of operations applied here,
// per source storage id (last_sync_src_timestamp in C).
type syncCredits struct {
	mu sync.Mutex
	ts map[string]int64
}

func (c *syncCredits) credit(src string, ts int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ts == nil {
		c.ts = map[string]int64{}
	}
	if ts <= c.ts[src] {
		return false
	}
	c.ts[src] = ts
	return true
}

func (c *syncCredits) get(src string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ts[src]
}

// SyncedFrom is the newest source timestamp of the operations received from
// storage id src (0 if none).
func (s *Server) SyncedFrom(src string) int64 { return s.synced.get(src) }

// applied records a replica operation: the binlog line, then the credit.
// C credits only operations that came after REPORT_SERVER_ID.
func (s *Server) applied(cs *connState, op codec.BinlogOp, logic, src []byte, a, b int64) codec.Errno {
	if errno := s.logOp(cs, op, cs.op.syncTS, logic, src, a, b); errno != codec.OK {
		return errno
	}
	s.stats.lastSyncUpdate.Store(s.now().Unix())
	s.stats.gen.Add(1)
	if cs.syncSrc != "" && s.synced.credit(cs.syncSrc, cs.op.syncTS) {
		s.NoteSyncProgress()
	}
	return codec.OK
}

// handleSyncWhole serves REPORT_SERVER_ID and the sync commands without
// content (delete, truncate, link, rename): the body arrives whole.
func (s *Server) handleSyncWhole(cs *connState, c gnet.Conn, hdr codec.Header, n int) step {
	if hdr.BodyLen > s.maxRequest {
		return s.replyError(c, codec.EINVAL)
	}
	total := codec.HeaderSize + int(hdr.BodyLen)
	if n < total {
		return stepMore
	}
	pkt, _ := c.Peek(total)
	cs.req = append(cs.req[:0], pkt[codec.HeaderSize:]...)
	_, _ = c.Discard(total)
	op := &cs.op
	*op = pendingOp{cmd: hdr.Cmd, nameBuf: op.nameBuf, auxBuf: op.auxBuf, logicBuf: op.logicBuf}
	body := cs.req
	var group, name, name2 []byte
	var ts int32
	switch hdr.Cmd {
	case codec.CmdReportServerID:
		var r codec.ReportServerID
		if err := r.Decode(body); err != nil {
			s.log.Warn("REPORT_SERVER_ID refused", "peer", cs.peer, "err", err)
			return s.replyError(c, errnoOf(err))
		}
		cs.syncSrc = string(r.ID)
		return s.reply(c, codec.OK)
	case codec.CmdSyncDeleteFile:
		var r codec.SyncDeleteRequest
		if err := r.Decode(body); err != nil {
			return s.replyError(c, errnoOf(err))
		}
		ts, group, name = r.Timestamp, r.Group, r.Filename
	case codec.CmdSyncTruncateFile:
		var r codec.SyncTruncateRequest
		if err := r.Decode(body); err != nil {
			return s.replyError(c, errnoOf(err))
		}
		ts, group, name = r.Timestamp, r.Group, r.Filename
		op.offset, op.newSize = r.OldSize, r.NewSize
	case codec.CmdSyncCreateLink:
		var r codec.SyncLinkRequest
		if err := r.Decode(body); err != nil {
			return s.replyError(c, errnoOf(err))
		}
		ts, group, name, name2 = r.Timestamp, r.Group, r.LinkName, r.SrcFilename
	case codec.CmdSyncRenameFile:
		var r codec.SyncRenameRequest
		if err := r.Decode(body); err != nil {
			return s.replyError(c, errnoOf(err))
		}
		ts, group, name, name2 = r.Timestamp, r.Group, r.NewFilename, r.OldFilename
	}
	if !s.ownGroup(group) {
		s.log.Warn("sync for another group", "peer", cs.peer, "cmd", codec.CmdName(hdr.Cmd),
			"group", string(codec.FixedBytes(group)))
		return s.replyError(c, codec.EINVAL)
	}
	op.syncTS = int64(ts)
	if name2 != nil {
		if err := s.parseName(op, name2); err != nil {
			return s.replyError(c, errnoOf(err))
		}
		op.rf2, op.ref2 = op.rf, op.ref
		if err := s.parseName(op, name); err != nil {
			return s.replyError(c, errnoOf(err))
		}
		if op.rf2.StorePath != op.rf.StorePath {
			s.log.Warn("sync link/rename across store paths", "peer", cs.peer, "file", string(name),
				"other", string(name2))
			return s.replyError(c, codec.EINVAL)
		}
	} else if err := s.parseName(op, name); err != nil {
		return s.replyError(c, errnoOf(err))
	}
	return cs.submit(op.path)
}

// syncStreamFixedMax bounds the part before the content of 16/18/25/35.
const syncStreamFixedMax = 8 + 8 + 8 + 4 + codec.GroupNameSize + codec.MaxFilenameLen

// handleSyncStream serves SYNC_CREATE_FILE, SYNC_UPDATE_FILE,
// SYNC_APPEND_FILE and SYNC_MODIFY_FILE like the client uploads: a small
// body is written by a worker from one copy, a large one received by a
// worker straight from the detached socket.
func (s *Server) handleSyncStream(cs *connState, c gnet.Conn, hdr codec.Header, n int) step {
	buffered := n - codec.HeaderSize
	if hdr.BodyLen < 8 {
		return s.replyError(c, codec.EINVAL)
	}
	if buffered < 8 {
		return stepMore
	}
	head, _ := c.Peek(min(n, codec.HeaderSize+syncStreamFixedMax))
	head = head[codec.HeaderSize:]
	nameLen := codec.Int64(head)
	base := int64(8 + 8 + 4 + codec.GroupNameSize)
	if hdr.Cmd == codec.CmdSyncAppendFile || hdr.Cmd == codec.CmdSyncModifyFile {
		base += 8
	}
	if nameLen < 1 || nameLen > codec.MaxFilenameLen || hdr.BodyLen < base+nameLen {
		s.log.Warn("bad sync request", "peer", cs.peer, "cmd", codec.CmdName(hdr.Cmd), "name_len", nameLen)
		return s.replyError(c, codec.EINVAL)
	}
	fixed := int(base + nameLen)
	if buffered < fixed {
		return stepMore
	}
	cs.req = append(cs.req[:0], head[:fixed]...)
	op := &cs.op
	*op = pendingOp{cmd: hdr.Cmd, nameBuf: op.nameBuf, auxBuf: op.auxBuf, logicBuf: op.logicBuf}
	var group, name []byte
	switch hdr.Cmd {
	case codec.CmdSyncCreateFile, codec.CmdSyncUpdateFile:
		var r codec.SyncFileRequest
		if _, err := r.DecodeFixed(cs.req); err != nil {
			return s.replyError(c, errnoOf(err))
		}
		if err := r.CheckBodyLen(hdr.BodyLen, hdr.Status); err != nil {
			s.log.Warn("bad sync request", "peer", cs.peer, "cmd", codec.CmdName(hdr.Cmd), "err", err)
			return s.replyError(c, codec.EINVAL)
		}
		group, name, op.syncTS, op.size, op.noContent = r.Group, r.Filename, int64(r.Timestamp), r.ContentLen(), r.NoContent
		op.newSize = r.FileSize
	default:
		var r codec.SyncAppendRequest
		if _, err := r.DecodeFixed(cs.req); err != nil {
			return s.replyError(c, errnoOf(err))
		}
		if hdr.BodyLen != int64(fixed)+r.Length {
			return s.replyError(c, codec.EINVAL)
		}
		group, name, op.syncTS, op.size, op.offset = r.Group, r.Filename, int64(r.Timestamp), r.Length, r.Offset
	}
	if !s.ownGroup(group) {
		s.log.Warn("sync for another group", "peer", cs.peer, "cmd", codec.CmdName(hdr.Cmd),
			"group", string(codec.FixedBytes(group)))
		return s.replyError(c, codec.EINVAL)
	}
	if err := s.parseName(op, name); err != nil {
		return s.replyError(c, errnoOf(err))
	}
	whole := int64(buffered) >= hdr.BodyLen
	skip := codec.HeaderSize + fixed
	small := hdr.BodyLen <= int64(s.smallBody) || whole
	if small && !whole && !op.noContent {
		return stepMore // this request is decoded again when the rest is in
	}
	// total_sync_in_bytes counts what peers send, applied or not (C's
	// success count is the applied part only), once per request
	s.stats.syncBytes(&s.stats.syncIn, op.size, false)
	if op.noContent {
		_, _ = c.Discard(skip)
		return cs.submit(op.path)
	}
	if small {
		pkt, _ := c.Peek(skip + int(op.size))
		cs.body = s.bodyPool.Get().(*[]byte)
		*cs.body = append((*cs.body)[:0], pkt[skip:]...)
		op.content = *cs.body
		_, _ = c.Discard(skip + int(op.size))
		return cs.submit(op.path)
	}
	return s.detach(cs, c, skip, min(buffered-fixed, int(op.size)))
}

// openSyncWriter decides a content-carrying sync command against the file
// as it is here (worker thread) and opens where the bytes go. The refusals
// are C's answers: EEXIST "already there", ENOENT "send the whole file".
func (s *Server) openSyncWriter(op *pendingOp, wo diskio.WriteOptions) (*diskio.FileWriter, error) {
	disk := op.path.disk
	switch op.cmd {
	case codec.CmdSyncCreateFile, codec.CmdSyncUpdateFile:
		if ref, isTrunk, err := trunkRefOf(op); isTrunk {
			if err != nil {
				return nil, err
			}
			return s.openTrunkSyncWriter(op, &ref, wo)
		}
		if op.cmd == codec.CmdSyncCreateFile {
			if st, err := disk.Lstat(op.ref); err == nil && st.IsRegular() && st.Size == op.size {
				// a retry, or the file came by another way: keep it (C
				// still logs the replica line)
				s.logOp(nil, codec.BinlogReplicaCreate, op.syncTS, op.rf.Logic, nil, 0, 0)
				return nil, codec.EEXIST
			}
		}
		// in the file's own directory, as uploads: see diskio.CreateTempIn
		w := &op.wbuf
		if err := disk.CreateTempIn(w, op.ref, wo); err != nil {
			return nil, err
		}
		w.SetModTime(time.Unix(op.syncTS, 0))
		return w, nil
	case codec.CmdSyncAppendFile:
		st, err := disk.Stat(op.ref)
		switch {
		case err != nil:
			return nil, syncMissing(err)
		case !st.IsRegular():
			return nil, codec.EEXIST
		case st.Size == op.offset:
			return disk.OpenAppend(op.ref, wo)
		case st.Size >= op.offset+op.size:
			return nil, codec.EEXIST // applied before
		}
		return nil, codec.ENOENT
	default: // modify
		st, err := disk.Stat(op.ref)
		switch {
		case err != nil:
			return nil, syncMissing(err)
		case !st.IsRegular():
			return nil, codec.EEXIST
		case st.Size >= op.offset:
			return disk.OpenModify(op.ref, op.offset, wo)
		}
		return nil, codec.ENOENT
	}
}

// syncMissing maps a failed stat: a missing file is ENOENT, anything else
// keeps its errno.
func syncMissing(err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return codec.ENOENT
	}
	return err
}

// sinkRefusedSync: a sync command refused (EEXIST, ENOENT) while its
// large body is still on the way. Closing the connection unread would
// reset the sender's stream before it reads the answer, and it would send
// the same file again for ever; so the body is received into a temp file
// that is dropped, and the answer goes out on a connection that stays.
func (s *Server) sinkRefusedSync(op *pendingOp, refusal error) (*diskio.FileWriter, error) {
	errno := errnoOf(refusal)
	if errno != codec.EEXIST && errno != codec.ENOENT {
		return nil, refusal
	}
	w := &op.wbuf
	if err := op.path.disk.CreateTempIn(w, op.ref, diskio.WriteOptions{}); err != nil {
		return nil, refusal
	}
	op.refused = errno
	return w, nil
}

// commitSync puts a received body in place and logs the replica line.
func (s *Server) commitSync(cs *connState, w *diskio.FileWriter) codec.Errno {
	if r := cs.op.refused; r != codec.OK {
		_ = w.Abort()
		return r
	}
	errno := s.commitSyncBody(cs, w)
	if n := w.Written(); errno == codec.OK && n > 0 {
		s.stats.syncIn[1].Add(n)
	}
	if errno == codec.OK {
		// C's disk thread opened the file and wrote the request packet one
		// network buffer at a time
		s.stats.fileIO(fileWrite, s.stats.chunks(int64(codec.HeaderSize+len(cs.req))+cs.op.size))
	}
	return errno
}

func (s *Server) commitSyncBody(cs *connState, w *diskio.FileWriter) codec.Errno {
	op := &cs.op
	switch op.cmd {
	case codec.CmdSyncCreateFile, codec.CmdSyncUpdateFile:
		if ref, isTrunk, _ := trunkRefOf(op); isTrunk {
			if errno := s.commitTrunkSync(cs, w, &ref); errno != codec.OK {
				return errno
			}
			break
		}
		if err := w.CommitReplace(op.ref); err != nil {
			_ = w.Abort()
			s.logOpError(cs, err)
			return errnoOf(err)
		}
		letter := codec.BinlogReplicaCreate
		if op.cmd == codec.CmdSyncUpdateFile {
			letter = codec.BinlogReplicaUpdate
		}
		if errno := s.applied(cs, letter, op.rf.Logic, nil, 0, 0); errno != codec.OK {
			return errno
		}
	default:
		start, written := op.offset, w.Written()
		if err := w.Finish(); err != nil {
			_ = w.Abort()
			s.logOpError(cs, err)
			return errnoOf(err)
		}
		letter := codec.BinlogReplicaAppend
		if op.cmd == codec.CmdSyncModifyFile {
			letter = codec.BinlogReplicaModify
		}
		if errno := s.applied(cs, letter, op.rf.Logic, nil, start, written); errno != codec.OK {
			return errno
		}
	}
	cs.setReply(codec.OK, 0)
	return codec.OK
}

// doSyncNoContent serves a SYNC_CREATE_FILE with header status EEXIST: the
// sender found a same-size file here and sends none (cluster.md §4.5).
func (s *Server) doSyncNoContent(cs *connState) {
	op := &cs.op
	lstat := op.path.disk.Lstat
	if _, isTrunk, _ := trunkRefOf(op); isTrunk {
		lstat = func(diskio.FileRef) (diskio.FileStat, error) { return s.statFile(op) }
	}
	st, err := lstat(op.ref)
	if err != nil {
		cs.finishError(errnoOf(syncMissing(err)))
		return
	}
	if st.IsRegular() && st.Size == op.newSize {
		s.logOp(cs, codec.BinlogReplicaCreate, op.syncTS, op.rf.Logic, nil, 0, 0)
	}
	cs.finishError(codec.EEXIST)
}

// doSyncWhole applies SYNC_DELETE_FILE, SYNC_TRUNCATE_FILE,
// SYNC_CREATE_LINK and SYNC_RENAME_FILE (worker thread).
func (s *Server) doSyncWhole(cs *connState) {
	op := &cs.op
	disk := op.path.disk
	var errno codec.Errno
	switch op.cmd {
	case codec.CmdSyncDeleteFile:
		if ref, isTrunk, err := trunkRefOf(op); isTrunk {
			if err == nil {
				err = s.eraseTrunkFile(op, &ref)
			}
			if err != nil {
				cs.finishError(errnoOf(syncMissing(err)))
				return
			}
		} else if err := disk.Remove(op.ref); err != nil {
			cs.finishError(errnoOf(syncMissing(err)))
			return
		}
		errno = s.applied(cs, codec.BinlogReplicaDelete, op.rf.Logic, nil, 0, 0)
	case codec.CmdSyncTruncateFile:
		st, err := disk.Stat(op.ref)
		if err != nil {
			cs.finishError(errnoOf(syncMissing(err)))
			return
		}
		if !st.IsRegular() || st.Size != op.offset {
			cs.finishError(codec.EEXIST)
			return
		}
		if err := disk.Truncate(op.ref, op.newSize); err != nil {
			s.logOpError(cs, err)
			cs.finishError(errnoOf(err))
			return
		}
		errno = s.applied(cs, codec.BinlogReplicaTruncate, op.rf.Logic, nil, op.offset, op.newSize)
	case codec.CmdSyncCreateLink:
		if _, err := disk.Lstat(op.ref); err == nil {
			cs.finishError(codec.EEXIST)
			return
		}
		if _, err := disk.Stat(op.ref2); err != nil {
			cs.finishError(errnoOf(syncMissing(err)))
			return
		}
		if err := disk.Symlink(op.ref2, op.ref); err != nil {
			s.logOpError(cs, err)
			cs.finishError(errnoOf(err))
			return
		}
		errno = s.applied(cs, codec.BinlogReplicaLink, op.rf.Logic, op.rf2.Logic, 0, 0)
	case codec.CmdSyncRenameFile:
		if _, err := disk.Lstat(op.ref); err == nil {
			cs.finishError(codec.EEXIST) // renamed before
			return
		}
		if err := disk.Rename(op.ref2, op.ref); err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				s.logOpError(cs, err)
			}
			cs.finishError(errnoOf(syncMissing(err)))
			return
		}
		errno = s.applied(cs, codec.BinlogReplicaRename, op.rf.Logic, op.rf2.Logic, 0, 0)
	}
	if errno != codec.OK {
		cs.finishError(errno)
		return
	}
	cs.setReply(codec.OK, 0) // a rename too: C's echoed body is a bug (§4.5)
	cs.finish(false)
}
