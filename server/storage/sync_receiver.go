package storage

import (
	"errors"

	"github.com/panjf2000/gnet/v2"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/diskio"
	"github.com/gofdfs/gofdfs/server/storage/replica"
)

// The receiving side of group replication (cluster.md §4.5) as the
// command path sees it: framing the sync commands into cs.op, running
// package replica's decisions and disk operations on the store path's
// workers, and logging every applied operation as a replica line credited
// to the announcing source. What knows no connection is in
// server/storage/replica/receive.go.

// isSyncStream: the sync commands whose body ends in file content.
func isSyncStream(cmd byte) bool { return replica.IsStream(cmd) }

// SyncedFrom is the newest source timestamp of the operations received from
// storage id src (0 if none).
func (s *Server) SyncedFrom(src string) int64 { return s.synced.Get(src) }

// applied records a replica operation: the binlog line, then the credit.
// C credits only operations that came after REPORT_SERVER_ID.
func (s *Server) applied(cs *connState, op codec.BinlogOp, logic, src []byte, a, b int64) codec.Errno {
	if errno := s.logOp(cs, op, cs.op.syncTS, logic, src, a, b); errno != codec.OK {
		return errno
	}
	s.stats.SyncApplied(s.now().Unix())
	if cs.syncSrc != "" && s.synced.Credit(cs.syncSrc, cs.op.syncTS) {
		s.NoteSyncProgress()
	}
	return codec.OK
}

// syncForOtherGroup refuses a sync request naming another group.
func (s *Server) syncForOtherGroup(cs *connState, c gnet.Conn, cmd byte, group []byte) step {
	s.log.Warn("sync for another group", "peer", cs.peer, "cmd", codec.CmdName(cmd),
		"group", string(codec.FixedBytes(group)))
	return s.replyError(c, codec.EINVAL)
}

// handleSyncWhole serves REPORT_SERVER_ID and the sync commands without
// content (delete, truncate, link, rename): the body arrives whole.
func (s *Server) handleSyncWhole(cs *connState, c gnet.Conn, hdr codec.Header, n int) step {
	body, st, ok := s.takeWhole(cs, c, hdr, n)
	if !ok {
		return st
	}
	if hdr.Cmd == codec.CmdReportServerID {
		var r codec.ReportServerID
		if err := r.Decode(body); err != nil {
			s.log.Warn("REPORT_SERVER_ID refused", "peer", cs.peer, "err", err)
			return s.replyError(c, errnoOf(err))
		}
		cs.syncSrc = string(r.ID)
		return s.reply(c, codec.OK)
	}
	op := &cs.op
	var r replica.Request
	if err := replica.DecodeWhole(hdr.Cmd, body, &r); err != nil {
		return s.replyError(c, errnoOf(err))
	}
	if !s.ownGroup(r.Group) {
		return s.syncForOtherGroup(cs, c, hdr.Cmd, r.Group)
	}
	op.syncTS, op.offset, op.newSize = r.Timestamp, r.Offset, r.FileSize
	if r.Other != nil {
		if err := s.parseName(op, r.Other); err != nil {
			return s.replyError(c, errnoOf(err))
		}
		op.rf2, op.ref2 = op.rf, op.ref
		if err := s.parseName(op, r.Name); err != nil {
			return s.replyError(c, errnoOf(err))
		}
		if op.rf2.StorePath != op.rf.StorePath {
			s.log.Warn("sync link/rename across store paths", "peer", cs.peer, "file", string(r.Name),
				"other", string(r.Other))
			return s.replyError(c, codec.EINVAL)
		}
	} else if err := s.parseName(op, r.Name); err != nil {
		return s.replyError(c, errnoOf(err))
	}
	return cs.submit(op.path)
}

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
	head, _ := c.Peek(min(n, codec.HeaderSize+replica.StreamFixedMax))
	head = head[codec.HeaderSize:]
	fixed, err := replica.StreamFixedLen(hdr.Cmd, hdr.BodyLen, head)
	if err != nil {
		s.log.Warn("bad sync request", "peer", cs.peer, "cmd", codec.CmdName(hdr.Cmd), "err", err)
		return s.replyError(c, codec.EINVAL)
	}
	if buffered < fixed {
		return stepMore
	}
	cs.req = append(cs.req[:0], head[:fixed]...)
	op := &cs.op
	*op = pendingOp{cmd: hdr.Cmd, nameBuf: op.nameBuf, auxBuf: op.auxBuf, logicBuf: op.logicBuf}
	var r replica.Request
	if err := replica.DecodeStream(hdr, cs.req, &r); err != nil {
		s.log.Warn("bad sync request", "peer", cs.peer, "cmd", codec.CmdName(hdr.Cmd), "err", err)
		return s.replyError(c, errnoOf(err))
	}
	if !s.ownGroup(r.Group) {
		return s.syncForOtherGroup(cs, c, hdr.Cmd, r.Group)
	}
	op.syncTS, op.size, op.offset, op.newSize, op.noContent = r.Timestamp, r.Size, r.Offset, r.FileSize, r.NoContent
	if err := s.parseName(op, r.Name); err != nil {
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
	s.stats.SyncReceived(op.size)
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
// as it is here (worker thread) and opens where the bytes go: a trunk
// slot (trunk_replica.go) or a plain file (replica.OpenWriter).
func (s *Server) openSyncWriter(op *pendingOp, wo diskio.WriteOptions) (*diskio.FileWriter, error) {
	if op.cmd == codec.CmdSyncCreateFile || op.cmd == codec.CmdSyncUpdateFile {
		if ref, isTrunk, err := trunkRefOf(op); isTrunk {
			if err != nil {
				return nil, err
			}
			return s.openTrunkSyncWriter(op, &ref, wo)
		}
	}
	w, err := replica.OpenWriter(op.path.disk, op.cmd, op.ref, op.offset, op.size, op.syncTS, &op.wbuf, wo)
	if errors.Is(err, replica.ErrKept) {
		s.logOp(nil, codec.BinlogReplicaCreate, op.syncTS, op.rf.Logic, nil, 0, 0)
		return nil, codec.EEXIST
	}
	return w, err
}

// sinkRefusedSync: a sync command refused (EEXIST, ENOENT) while its
// large body is still on the way is answered once the body is received
// and dropped (replica.SinkRefused), on a connection that stays.
func (s *Server) sinkRefusedSync(op *pendingOp, refusal error) (*diskio.FileWriter, error) {
	errno := errnoOf(refusal)
	if !replica.SinkRefused(op.path.disk, &op.wbuf, op.ref, errno) {
		return nil, refusal
	}
	op.refused = errno
	return &op.wbuf, nil
}

// commitSync puts a received body in place and logs the replica line.
func (s *Server) commitSync(cs *connState, w *diskio.FileWriter) codec.Errno {
	if r := cs.op.refused; r != codec.OK {
		_ = w.Abort()
		return r
	}
	errno := s.commitSyncBody(cs, w)
	if errno == codec.OK {
		s.stats.SyncWritten(w.Written(), int64(codec.HeaderSize+len(cs.req))+cs.op.size)
	}
	return errno
}

func (s *Server) commitSyncBody(cs *connState, w *diskio.FileWriter) codec.Errno {
	op := &cs.op
	var errno codec.Errno
	switch op.cmd {
	case codec.CmdSyncCreateFile, codec.CmdSyncUpdateFile:
		if ref, isTrunk, _ := trunkRefOf(op); isTrunk {
			errno = s.commitTrunkSync(cs, w, &ref)
			break
		}
		if err := w.CommitReplace(op.ref); err != nil {
			_ = w.Abort()
			s.logOpError(cs, err)
			return errnoOf(err)
		}
		errno = s.applied(cs, replica.ReplicaOp(op.cmd), op.rf.Logic, nil, 0, 0)
	default:
		start, written := op.offset, w.Written()
		if err := w.Finish(); err != nil {
			_ = w.Abort()
			s.logOpError(cs, err)
			return errnoOf(err)
		}
		errno = s.applied(cs, replica.ReplicaOp(op.cmd), op.rf.Logic, nil, start, written)
	}
	if errno == codec.OK {
		cs.setReply(codec.OK, 0)
	}
	return errno
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
		cs.finishError(errnoOf(replica.Missing(err)))
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
	var err error
	var src []byte
	var a, b int64
	switch op.cmd {
	case codec.CmdSyncDeleteFile:
		if ref, isTrunk, terr := trunkRefOf(op); isTrunk {
			if err = terr; err == nil {
				err = replica.Missing(s.eraseTrunkFile(op, &ref))
			}
		} else {
			err = replica.Delete(disk, op.ref)
		}
	case codec.CmdSyncTruncateFile:
		err = replica.Truncate(disk, op.ref, op.offset, op.newSize)
		a, b = op.offset, op.newSize
	case codec.CmdSyncCreateLink:
		err = replica.Link(disk, op.ref, op.ref2)
		src = op.rf2.Logic
	case codec.CmdSyncRenameFile:
		err = replica.Rename(disk, op.ref, op.ref2)
		src = op.rf2.Logic
	}
	if err != nil {
		if op.cmd != codec.CmdSyncDeleteFile && !replica.Refusal(err) {
			s.logOpError(cs, err)
		}
		cs.finishError(errnoOf(err))
		return
	}
	if errno := s.applied(cs, replica.ReplicaOp(op.cmd), op.rf.Logic, src, a, b); errno != codec.OK {
		cs.finishError(errno)
		return
	}
	cs.setReply(codec.OK, 0) // a rename too: C's echoed body is a bug (§4.5)
	cs.finish(false)
}
