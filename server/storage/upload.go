package storage

import (
	"errors"
	"os"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/diskio"
	"github.com/gofdfs/gofdfs/server/storage/placement"
)

// maxFixedPart bounds the fixed part of a streamed request: UPLOAD_SLAVE's
// 38 bytes and a master name of at most 127.
const maxFixedPart = codec.UploadSlaveHeadSize + codec.MaxFilenameLen

// handleStream serves the requests whose body ends in file content
// (UPLOAD, UPLOAD_APPENDER, UPLOAD_SLAVE, APPEND, MODIFY). The fixed part
// is decoded as soon as it is buffered. A body that fits smallBody is then
// waited for in gnet's buffer and written by a worker from one copy;
// a larger one is received by a worker straight from the detached socket,
// so gnet never holds more than a read buffer of it.
func (s *Server) handleStream(cs *connState, c gnet.Conn, hdr codec.Header, n int) step {
	buffered := n - codec.HeaderSize
	head, _ := c.Peek(min(n, codec.HeaderSize+maxFixedPart))
	head = head[codec.HeaderSize:]
	cmd := &commands[hdr.Cmd]
	fixed := int(min(int64(cmd.fixedLen(head)), hdr.BodyLen))
	if buffered < fixed {
		return stepMore
	}
	cs.req = append(cs.req[:0], head[:fixed]...)
	op := &cs.op
	*op = pendingOp{cmd: hdr.Cmd, nameBuf: op.nameBuf, auxBuf: op.auxBuf, logicBuf: op.logicBuf}
	whole := int64(buffered) >= hdr.BodyLen
	errno, err := cmd.decodeFixed(s, cs, hdr)
	if errno != codec.OK {
		if err != nil {
			s.log.Info("refused", "peer", cs.peer, "cmd", codec.CmdName(hdr.Cmd), "err", err)
		}
		if whole && errno != codec.EINVAL {
			// The body is here: drop it and keep the connection.
			_, _ = c.Discard(codec.HeaderSize + int(hdr.BodyLen))
			return s.reply(c, errno)
		}
		return s.refuseStream(cs, c, hdr, n, errno)
	}
	if op.size == 0 && (hdr.Cmd == codec.CmdAppendFile || hdr.Cmd == codec.CmdModifyFile) {
		_, _ = c.Discard(codec.HeaderSize + int(hdr.BodyLen))
		return s.reply(c, codec.OK) // nothing to write: C succeeds without touching the file
	}
	skip := codec.HeaderSize + fixed
	small := hdr.BodyLen <= int64(s.smallBody) || whole
	if small && !whole {
		return stepMore
	}
	if op.path == nil { // a new file: pick its store path now
		p, err := s.choosePath(op.pathReq, op.size)
		if err != nil {
			s.log.Info("refused", "peer", cs.peer, "cmd", codec.CmdName(hdr.Cmd), "err", err)
			if !whole {
				return s.refuseStream(cs, c, hdr, n, errnoOf(err))
			}
			s.reply(c, errnoOf(err))
			if errnoOf(err) == codec.EINVAL {
				return stepClose
			}
			_, _ = c.Discard(codec.HeaderSize + int(hdr.BodyLen))
			return stepNext
		}
		op.path = p
	}
	if small {
		pkt, _ := c.Peek(skip + int(op.size))
		if s.writesOnLoop(op.size) {
			if !s.trunkWanted(op) {
				return s.writeOnLoop(cs, c, pkt[skip:], skip+int(op.size))
			}
			if s.isTrunkServer() {
				return s.trunkOnLoop(cs, c, pkt[skip:], skip+int(op.size))
			}
		}
		cs.body = s.bodyPool.Get().(*[]byte)
		*cs.body = append((*cs.body)[:0], pkt[skip:]...)
		op.content = *cs.body
		_, _ = c.Discard(skip + int(op.size))
		return cs.submit(op.path)
	}
	return s.detach(cs, c, skip, min(buffered-fixed, int(op.size)))
}

// refuseStream answers a well-formed streamed request refused before its
// body is in (ENOSPC, ENOENT, ...). C replies and closes, but a client
// sends the whole body before it reads, so it mostly sees a reset instead
// of the answer: we reply and discard the rest of the body as it comes
// (drain), and the connection lives on. EINVAL still closes: the stream
// may not be framed as it claims.
func (s *Server) refuseStream(cs *connState, c gnet.Conn, hdr codec.Header, n int, errno codec.Errno) step {
	s.reply(c, errno)
	if errno == codec.EINVAL {
		return stepClose
	}
	_, _ = c.Discard(n)
	cs.drain = codec.HeaderSize + hdr.BodyLen - int64(n)
	return stepNext
}

// The fixed part of each streamed command: its length, read from the
// bytes buffered so far (head), and its decoder, which validates cs.req;
// everything that can be decided without the disk is decided there.

func uploadFixedLen([]byte) int { return codec.UploadFixedSize }

func slaveFixedLen(head []byte) int {
	var r codec.UploadSlaveRequest
	return r.FixedLen(head)
}

func appendFixedLen(head []byte) int {
	var r codec.AppendRequest
	return r.FixedLen(head)
}

func modifyFixedLen(head []byte) int {
	var r codec.ModifyRequest
	return r.FixedLen(head)
}

// decodeUpload: UPLOAD_FILE and UPLOAD_APPENDER_FILE.
func (s *Server) decodeUpload(cs *connState, hdr codec.Header) (codec.Errno, error) {
	op := &cs.op
	var r codec.UploadRequest
	if err := r.DecodeFixed(cs.req, hdr.BodyLen); err != nil {
		return errnoOf(err), err
	}
	if err := r.CheckStorePath(len(s.paths)); err != nil {
		return errnoOf(err), err
	}
	// The path is chosen once the body is ready (choosePath), so that
	// waiting for bytes does not advance the round robin.
	op.pathReq, op.size, op.ext = r.StorePathIndex, r.FileSize, r.Ext
	return codec.OK, nil
}

func (s *Server) decodeUploadSlave(cs *connState, hdr codec.Header) (codec.Errno, error) {
	op := &cs.op
	var r codec.UploadSlaveRequest
	if err := r.DecodeFixed(cs.req, hdr.BodyLen); err != nil {
		return errnoOf(err), err
	}
	if err := s.parseName(op, r.Master); err != nil {
		return errnoOf(err), err
	}
	slave, err := codec.AppendSlaveName(op.logicBuf[:0], &op.rf, r.Prefix, r.Ext)
	if err != nil {
		return errnoOf(err), err
	}
	op.logicBuf = slave
	srf, err := codec.ParseRemoteFilename(slave, len(s.paths))
	if err != nil {
		return errnoOf(err), err
	}
	op.slave = slave
	op.slaveRef = diskio.FileRef{High: int(srf.High), Low: int(srf.Low), Name: string(srf.Name)}
	op.size, op.prefix, op.ext = r.FileSize, r.Prefix, r.Ext
	if err := s.checkRoom(op.path, s.now(), op.size); err != nil {
		return errnoOf(err), err
	}
	return codec.OK, nil
}

func (s *Server) decodeAppend(cs *connState, hdr codec.Header) (codec.Errno, error) {
	op := &cs.op
	var r codec.AppendRequest
	if err := r.DecodeFixed(cs.req, hdr.BodyLen); err != nil {
		return errnoOf(err), err
	}
	if err := s.parseAppenderName(op, r.Name); err != nil {
		return errnoOf(err), err
	}
	op.size = r.FileSize
	return codec.OK, nil
}

func (s *Server) decodeModify(cs *connState, hdr codec.Header) (codec.Errno, error) {
	op := &cs.op
	var r codec.ModifyRequest
	if err := r.DecodeFixed(cs.req, hdr.BodyLen); err != nil {
		return errnoOf(err), err
	}
	if err := s.parseAppenderName(op, r.Name); err != nil {
		return errnoOf(err), err
	}
	op.size, op.offset = r.FileSize, r.Offset
	return codec.OK, nil
}

// openWriter opens the file the body goes to (worker thread): a temp file
// for new files, the appender itself for APPEND and MODIFY.
//
// Streamed bodies reserve their size with fallocate first, so a full disk
// fails them before a byte is received. A small body is already in memory:
// a failed write costs nothing to undo, so it skips the extra syscall.
// Data is not fsync'ed (C's default) unless fsync_after_written_bytes asks.
func (s *Server) openWriter(op *pendingOp) (*diskio.FileWriter, error) {
	wo := diskio.WriteOptions{Size: op.size, Sync: diskio.SyncPolicy{EveryBytes: s.cfg.FsyncAfterWrittenBytes}}
	if op.content != nil || op.size == 0 {
		wo.Size = 0
	}
	if isSyncStream(op.cmd) {
		return s.openSyncWriter(op, wo)
	}
	switch op.cmd {
	case codec.CmdAppendFile:
		return op.path.disk.OpenAppend(op.ref, wo)
	case codec.CmdModifyFile:
		return op.path.disk.OpenModify(op.ref, op.offset, wo)
	case codec.CmdUploadFile:
		if s.trunkWanted(op) { // streamed: a whole body went to uploadToTrunk
			return s.openTrunkWriter(op, wo)
		}
	case codec.CmdUploadSlaveFile:
		if _, err := s.statFile(op); err != nil {
			return nil, err // the master must exist (in a trunk slot or not)
		}
		if _, err := op.path.disk.Lstat(op.slaveRef); err == nil {
			return nil, codec.EEXIST
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	dir := op.path.room.TempDir()
	if op.cmd == codec.CmdUploadSlaveFile {
		dir = op.slaveRef
	}
	if err := op.path.disk.CreateTempIn(&op.wbuf, dir, wo); err != nil {
		return nil, err
	}
	return &op.wbuf, nil
}

// writeSmallBody writes a body that arrived whole (worker thread).
func (s *Server) writeSmallBody(cs *connState) {
	op := &cs.op
	if s.trunkWanted(op) {
		s.uploadToTrunk(cs)
		return
	}
	w, err := s.openWriter(op)
	if err == nil {
		if _, err = w.Write(op.content); err != nil {
			_ = w.Abort()
		}
	}
	// The body buffer goes back before finish: after it the loop owns cs.
	op.content = nil
	cs.releaseBody()
	if err != nil {
		s.logOpError(cs, err)
		cs.finishError(errnoOf(err))
		return
	}
	if errno := s.commitBody(cs, w); errno != codec.OK {
		cs.finishError(errno)
		return
	}
	cs.finish(false)
}

// startReceive begins the body transfer of a detached connection (worker
// thread): the writer is opened here, not on the loop, because it touches
// the disk.
func (cs *connState) startReceive(err error) {
	s := cs.srv
	if err != nil {
		cs.dropDetached(err)
		return
	}
	op := &cs.op
	w, err := s.openWriter(op)
	if err != nil && isSyncStream(op.cmd) {
		w, err = s.sinkRefusedSync(op, err)
	}
	if err != nil {
		s.logOpError(cs, err)
		if errno := errnoOf(err); errno != codec.EINVAL {
			// refused before a byte was written (no room to preallocate,
			// ...): answer on the re-attached socket, which drains the body
			cs.drain = op.size - int64(len(*cs.lead))
			cs.setReply(errno, 0)
			cs.outClose = false
			cs.reattachDetached()
			return
		}
		cs.writeDetachedError(errnoOf(err))
		cs.dropDetached(nil)
		return
	}
	op.writer = w
	job := diskio.ReceiveJob{Sock: cs.dup, Size: op.size, Lead: *cs.lead, Writer: w,
		Timeout: s.cfg.NetworkTimeout, Done: cs.receivedFn}
	if err := op.path.workers.Pick().Receive(job); err != nil {
		_ = w.Abort()
		s.cancelTrunkSlot(op, err)
		cs.dropDetached(err)
	}
}

// received ends the body transfer of a detached connection (worker
// thread): on success the file is committed and the socket re-attached
// with the reply; on failure the worker has already removed the temp file
// (or cut the append back) and the connection is dropped.
func (cs *connState) received(n int64, crc uint32, err error) {
	s := cs.srv
	op := &cs.op
	if err != nil {
		s.cancelTrunkSlot(op, err)
		cs.dropDetached(err)
		return
	}
	w := op.writer
	op.writer = nil
	if errno := s.commitBody(cs, w); errno != codec.OK {
		cs.setReply(errno, 0)
		cs.outClose = errno == codec.EINVAL
	} else {
		cs.outClose = false
	}
	cs.reattachDetached()
}

// commitBody finishes a body whose bytes are all in w: new files get their
// final name, the binlog line is written, and cs.out holds the reply.
// On failure w is aborted and the status is returned.
func (s *Server) commitBody(cs *connState, w *diskio.FileWriter) codec.Errno {
	op := &cs.op
	if isSyncStream(op.cmd) {
		return s.commitSync(cs, w)
	}
	switch op.cmd {
	case codec.CmdUploadFile, codec.CmdUploadAppenderFile:
		if op.slot.Held() {
			return s.commitTrunkUpload(cs, w)
		}
		mtime, err := w.ModTime()
		if err != nil {
			_ = w.Abort()
			s.logOpError(cs, err)
			return errnoOf(err)
		}
		mtime = s.fileTime(mtime)
		name, errno := s.commitNewName(cs, w, -1, -1, mtime, op.cmd == codec.CmdUploadAppenderFile)
		if errno != codec.OK {
			return errno
		}
		if errno := s.logOp(cs, codec.BinlogCreate, mtime.Unix(), name.Logic, nil, 0, 0); errno != codec.OK {
			_ = op.path.disk.Remove(name.Ref)
			return errno
		}
		s.setUploadReply(cs, name.Logic)
	case codec.CmdUploadSlaveFile:
		if s.prm().SlaveUseLink {
			return s.commitSlaveLink(cs, w)
		}
		if err := w.Commit(op.slaveRef); err != nil {
			_ = w.Abort()
			s.logOpError(cs, err)
			return errnoOf(err)
		}
		if errno := s.logOp(cs, codec.BinlogCreate, s.now().Unix(), op.slave, nil, 0, 0); errno != codec.OK {
			_ = op.path.disk.Remove(op.slaveRef)
			return errno
		}
		s.setUploadReply(cs, op.slave)
	case codec.CmdAppendFile, codec.CmdModifyFile:
		start, written := w.Size()-w.Written(), w.Written()
		if op.cmd == codec.CmdModifyFile {
			start = op.offset
		}
		if err := w.Finish(); err != nil {
			_ = w.Abort()
			s.logOpError(cs, err)
			return errnoOf(err)
		}
		ts := s.now().Unix()
		if st, err := op.path.disk.Stat(op.ref); err == nil {
			ts = s.fileTime(st.ModTime).Unix() // the file's mtime after the write, as C logs it
		}
		letter := codec.BinlogAppend
		if op.cmd == codec.CmdModifyFile {
			letter = codec.BinlogModify
		}
		if errno := s.logOp(cs, letter, ts, op.rf.Logic, nil, start, written); errno != codec.OK {
			return errno
		}
		cs.setReply(codec.OK, 0)
	}
	return codec.OK
}

// commitNewName commits w under a newly generated name (in data/high/low,
// or where the distributor says for -1), retrying with new random parts
// while the name is taken; EEXIST after placement.MaxNameTries, as C. On failure w is
// aborted.
func (s *Server) commitNewName(cs *connState, w *diskio.FileWriter, high, low int, mtime time.Time,
	appender bool) (placement.Name, codec.Errno) {
	op := &cs.op
	var ext7 [codec.Ext7Len]byte
	var name placement.Name
	for range placement.MaxNameTries {
		e7, err := placement.Ext7(ext7[:0], op.ext)
		if err != nil {
			_ = w.Abort()
			return name, codec.EINVAL
		}
		name = placement.NameView(op.nameBuf, &placement.Spec{StorePath: op.path.index, High: high, Low: low,
			Source: s.source(cs.local), MTime: mtime, Size: w.Size(), CRC32: w.CRC32(), Appender: appender, Ext7: e7}, s.dist)
		op.nameBuf = name.Logic
		high, low = name.Ref.High, name.Ref.Low
		err = w.Commit(name.Ref)
		if err == nil {
			op.path.room.NoteDir(name.Ref)
			return name, codec.OK
		}
		if !errExists(err) {
			_ = w.Abort()
			s.logOpError(cs, err)
			return name, errnoOf(err)
		}
	}
	_ = w.Abort()
	s.log.Warn("no unique file name", "store_path", op.path.disk.Root(), "tries", placement.MaxNameTries)
	return name, codec.EEXIST
}

// commitSlaveLink is UPLOAD_SLAVE with store_slave_file_use_link: the data
// goes under a fresh name in the master's directory and the slave name
// becomes a symbolic link to it. The binlog gets `C <data file>` and
// `L <slave> <data file>` (the line C means to write; its HEAD build loses
// the slave name, cluster.md §4.2).
func (s *Server) commitSlaveLink(cs *connState, w *diskio.FileWriter) codec.Errno {
	op := &cs.op
	mtime, err := w.ModTime()
	if err != nil {
		_ = w.Abort()
		s.logOpError(cs, err)
		return errnoOf(err)
	}
	mtime = s.fileTime(mtime)
	name, errno := s.commitNewName(cs, w, op.slaveRef.High, op.slaveRef.Low, mtime, false)
	if errno != codec.OK {
		return errno
	}
	if err := op.path.disk.Symlink(name.Ref, op.slaveRef); err != nil {
		_ = op.path.disk.Remove(name.Ref)
		s.logOpError(cs, err)
		return errnoOf(err)
	}
	ts := mtime.Unix()
	if errno := s.logOp(cs, codec.BinlogCreate, ts, name.Logic, nil, 0, 0); errno != codec.OK {
		_ = op.path.disk.Remove(op.slaveRef)
		_ = op.path.disk.Remove(name.Ref)
		return errno
	}
	if errno := s.logOp(cs, codec.BinlogLink, ts, op.slave, name.Logic, 0, 0); errno != codec.OK {
		return errno
	}
	s.setUploadReply(cs, op.slave)
	return codec.OK
}

// setUploadReply puts group + remote filename into cs.out.
func (s *Server) setUploadReply(cs *connState, logic []byte) {
	r := codec.UploadReply{Group: s.group, Name: logic}
	cs.setReply(codec.OK, r.Size())
	cs.out = r.Append(cs.out)
}

// logOp appends a source binlog line; a failure is logged with the file
// and answered EIO (the operation then did not happen as far as sync knows).
func (s *Server) logOp(cs *connState, op codec.BinlogOp, ts int64, logic, src []byte, a, b int64) codec.Errno {
	rec := codec.BinlogRecord{Timestamp: ts, Op: op, Filename: logic, SrcFilename: src, Offset: a, Length: b}
	if err := s.binlog.Append(&rec); err != nil {
		s.log.Error("binlog append failed", "file", string(logic), "op", string(rune(op)), "err", err)
		return codec.EIO
	}
	return codec.OK
}

// logOpError logs a failed operation with the file it concerns.
func (s *Server) logOpError(cs *connState, err error) {
	lvl := s.log.Warn
	if errnoOf(err) == codec.ENOENT {
		lvl = s.log.Debug
	}
	lvl("operation failed", "peer", cs.peer, "cmd", codec.CmdName(cs.op.cmd),
		"group", string(s.group), "file", cs.op.describe(), "err", err)
}
