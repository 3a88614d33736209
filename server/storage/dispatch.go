package storage

import (
	"bytes"
	"errors"
	"os"
	"syscall"
	"unsafe"

	"github.com/panjf2000/gnet/v2"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/diskio"
)

var errEEXIST = syscall.EEXIST

// pendingOp is the request a connection is serving, decoded and validated
// on the event loop, then carried out on a disk worker. Byte slices alias
// the connection's request copy (cs.req) or body buffer.
type pendingOp struct {
	cmd  byte
	path *storePath
	rf   codec.RemoteFilename // the file the request names (validated)
	ref  diskio.FileRef

	// streamed bodies
	pathReq  int8   // upload: the store path asked for (or StorePathAuto)
	size     int64  // content bytes
	offset   int64  // MODIFY: where they go
	content  []byte // a small body, whole
	ext      []byte // upload extension
	prefix   []byte // slave prefix
	slave    []byte // slave logic name
	slaveRef diskio.FileRef
	writer   *diskio.FileWriter
	// wbuf is the writer of a new file (openWriter): one per connection,
	// so an upload allocates none.
	wbuf diskio.FileWriter

	// fixed-size requests
	flags    byte   // QUERY_FILE_INFO
	metaOp   byte   // SET_METADATA
	meta     []byte // SET_METADATA records
	newSize  int64  // TRUNCATE
	file     *os.File
	sendOff  int64
	sendLen  int64
	sendHdr  [codec.HeaderSize]byte
	nameBuf  []byte // generated names
	auxBuf   []byte // metadata, binlog helpers
	logicBuf []byte

	// sync commands from a peer (sync_receiver.go)
	syncTS    int64                // the source's timestamp of the operation
	noContent bool                 // SYNC_CREATE_FILE with header status EEXIST
	refused   codec.Errno          // a sync body received only to be dropped: the answer
	rf2       codec.RemoteFilename // link source / old name of a rename
	ref2      diskio.FileRef
}

// describe is the file a request concerns, for logs and errors.
func (op *pendingOp) describe() string {
	if op.slave != nil {
		return string(op.slave)
	}
	return string(op.rf.Logic)
}

// dispatch serves one request whose header is at the front of c's inbound
// buffer (n bytes buffered).
func (s *Server) dispatch(cs *connState, c gnet.Conn, hdr codec.Header, n int) step {
	switch hdr.Cmd {
	case codec.CmdQuit:
		return stepClose
	case codec.CmdActiveTest:
		if hdr.BodyLen != 0 {
			return s.replyError(c, codec.EINVAL)
		}
		_, _ = c.Discard(codec.HeaderSize)
		return s.reply(c, codec.OK)
	case codec.CmdUploadFile, codec.CmdUploadAppenderFile, codec.CmdUploadSlaveFile,
		codec.CmdAppendFile, codec.CmdModifyFile:
		return s.handleStream(cs, c, hdr, n)
	case codec.CmdDeleteFile, codec.CmdSetMetadata, codec.CmdDownloadFile, codec.CmdGetMetadata,
		codec.CmdQueryFileInfo, codec.CmdTruncateFile, codec.CmdRegenerateAppenderFilename:
		return s.handleWhole(cs, c, hdr, n)
	case codec.CmdReportServerID, codec.CmdSyncDeleteFile, codec.CmdSyncTruncateFile,
		codec.CmdSyncCreateLink, codec.CmdSyncRenameFile:
		return s.handleSyncWhole(cs, c, hdr, n)
	case codec.CmdSyncCreateFile, codec.CmdSyncUpdateFile, codec.CmdSyncAppendFile, codec.CmdSyncModifyFile:
		return s.handleSyncStream(cs, c, hdr, n)
	case codec.CmdFetchOnePathBinlog:
		return s.handleFetchPathBinlog(cs, c, hdr, n)
	case codec.CmdTrunkAllocSpace, codec.CmdTrunkAllocConfirm, codec.CmdTrunkFreeSpace, codec.CmdTrunkSyncBinlog,
		codec.CmdTrunkGetBinlogSize, codec.CmdTrunkDeleteBinlogMarks, codec.CmdTrunkTruncateBinlogFile:
		return s.handleTrunk(cs, c, hdr, n)
	default:
		s.log.Warn("unknown command, closing", "peer", cs.peer, "cmd", hdr.Cmd)
		return s.replyError(c, codec.EINVAL)
	}
}

// handleWhole serves the requests that must arrive whole (they fit C's
// network buffer): the body is copied, taken off gnet's buffer, decoded
// and validated, then answered here or by a worker.
func (s *Server) handleWhole(cs *connState, c gnet.Conn, hdr codec.Header, n int) step {
	if hdr.BodyLen > s.maxRequest {
		s.log.Warn("request larger than buff_size", "peer", cs.peer, "cmd", codec.CmdName(hdr.Cmd), "len", hdr.BodyLen)
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
	var group, name []byte
	switch hdr.Cmd {
	case codec.CmdDeleteFile:
		var r codec.DeleteRequest
		if err := r.Decode(body); err != nil {
			return s.replyError(c, errnoOf(err))
		}
		group, name = r.Group, r.Name
	case codec.CmdGetMetadata:
		var r codec.GetMetadataRequest
		if err := r.Decode(body); err != nil {
			return s.replyError(c, errnoOf(err))
		}
		group, name = r.Group, r.Name
	case codec.CmdQueryFileInfo:
		r := codec.QueryFileInfoRequest{Flags: hdr.Status}
		if err := r.Decode(body); err != nil {
			return s.replyError(c, errnoOf(err))
		}
		group, name, op.flags = r.Group, r.Name, r.Flags
	case codec.CmdSetMetadata:
		var r codec.SetMetadataRequest
		if err := r.Decode(body); err != nil {
			return s.replyError(c, errnoOf(err))
		}
		group, name, op.metaOp, op.meta = r.Group, r.Name, r.Op, r.Metadata
	case codec.CmdDownloadFile:
		var r codec.DownloadRequest
		if err := r.Decode(body); err != nil {
			return s.replyError(c, errnoOf(err))
		}
		if !s.ownGroup(r.Group) {
			return s.replyError(c, codec.EINVAL)
		}
		if err := s.parseNameView(op, r.Name); err != nil {
			return s.replyError(c, errnoOf(err))
		}
		st := s.download(cs, c, &r)
		op.ref.Name = "" // a view of cs.req: not to outlive the request
		return st
	case codec.CmdTruncateFile:
		var r codec.TruncateRequest
		if err := r.Decode(body); err != nil {
			return s.replyError(c, errnoOf(err))
		}
		name, op.newSize = r.Name, r.TruncatedSize
	case codec.CmdRegenerateAppenderFilename:
		var r codec.RegenerateRequest
		if err := r.Decode(body); err != nil {
			return s.replyError(c, errnoOf(err))
		}
		name = r.Name
	}
	if codec.CmdCarriesGroup(hdr.Cmd) && !s.ownGroup(group) {
		s.log.Warn("request for another group", "peer", cs.peer, "cmd", codec.CmdName(hdr.Cmd),
			"group", string(codec.FixedBytes(group)))
		return s.replyError(c, codec.EINVAL)
	}
	if err := s.parseName(op, name); err != nil {
		return s.replyError(c, errnoOf(err))
	}
	if hdr.Cmd == codec.CmdTruncateFile || hdr.Cmd == codec.CmdRegenerateAppenderFilename {
		if err := checkAppenderName(&op.rf); err != nil {
			return s.replyError(c, codec.EINVAL)
		}
	}
	return cs.submit(op.path)
}

// run carries out cs.op on a disk worker.
func (cs *connState) run(err error) {
	s := cs.srv
	if err != nil { // worker closed: the server is stopping
		cs.releaseBody()
		cs.finishError(codec.EIO)
		return
	}
	switch cs.op.cmd {
	case codec.CmdUploadFile, codec.CmdUploadAppenderFile, codec.CmdUploadSlaveFile,
		codec.CmdAppendFile, codec.CmdModifyFile:
		s.writeSmallBody(cs)
	case codec.CmdDeleteFile:
		s.doDelete(cs)
	case codec.CmdSetMetadata:
		s.doSetMetadata(cs)
	case codec.CmdGetMetadata:
		s.doGetMetadata(cs)
	case codec.CmdQueryFileInfo:
		s.doFileInfo(cs)
	case codec.CmdTruncateFile:
		s.doTruncate(cs)
	case codec.CmdRegenerateAppenderFilename:
		s.doRegenerate(cs)
	case codec.CmdSyncCreateFile, codec.CmdSyncUpdateFile, codec.CmdSyncAppendFile, codec.CmdSyncModifyFile:
		if cs.op.noContent {
			s.doSyncNoContent(cs)
		} else {
			s.writeSmallBody(cs)
		}
	case codec.CmdSyncDeleteFile, codec.CmdSyncTruncateFile, codec.CmdSyncCreateLink, codec.CmdSyncRenameFile:
		s.doSyncWhole(cs)
	default:
		cs.finishError(codec.EINVAL)
	}
}

// ownGroup compares a request's group field with ours (up to its NUL).
func (s *Server) ownGroup(field []byte) bool { return bytes.Equal(codec.FixedBytes(field), s.group) }

// parseName validates a remote filename from the wire before anything
// touches the disk: codec's rules (store path index in range, upper-case
// hex dirs, a plain name) and the subdir bound of this storage.
func (s *Server) parseName(op *pendingOp, name []byte) error {
	if err := s.parseNameView(op, name); err != nil {
		return err
	}
	op.ref.Name = string(op.rf.Name)
	return nil
}

// parseNameView is parseName whose ref.Name is a view of name's bytes, not
// a copy: for a download, whose name bytes (the connection's copy of the
// request, which op.rf views as well) stay put until the file is open and
// the ref is no longer used.
func (s *Server) parseNameView(op *pendingOp, name []byte) error {
	rf, err := codec.ParseRemoteFilename(name, len(s.paths))
	if err != nil {
		return err
	}
	if int(rf.High) >= s.dist.subdirs || int(rf.Low) >= s.dist.subdirs {
		return &codec.Error{Errno: codec.EINVAL, Layout: "RemoteFilename",
			Reason: "subdirectory beyond subdir_count_per_path: " + string(name)}
	}
	op.rf = rf
	op.path = s.paths[rf.StorePath]
	op.ref = diskio.FileRef{High: int(rf.High), Low: int(rf.Low),
		Name: unsafe.String(unsafe.SliceData(rf.Name), len(rf.Name))}
	return nil
}

// checkAppenderName: the appender commands require the flag in the name.
func checkAppenderName(rf *codec.RemoteFilename) error {
	f, err := rf.Fields()
	if err != nil {
		return err
	}
	if !f.IsAppender() {
		return codec.EINVAL
	}
	return nil
}

// reply writes a header-only reply on the loop.
func (s *Server) reply(c gnet.Conn, status codec.Errno) step {
	var b [codec.HeaderSize]byte
	codec.Reply(byte(status), 0).Put(b[:])
	_, _ = c.Write(b[:])
	return stepNext
}

// replyError answers status; EINVAL closes the connection, as C does.
func (s *Server) replyError(c gnet.Conn, status codec.Errno) step {
	s.reply(c, status)
	if status == codec.EINVAL {
		return stepClose
	}
	return stepNext
}

// errnoOf maps an error to the status C would answer.
func errnoOf(err error) codec.Errno {
	if err == nil {
		return codec.OK
	}
	var ce *codec.Error
	if errors.As(err, &ce) {
		return ce.Errno
	}
	var e codec.Errno
	if errors.As(err, &e) {
		return e
	}
	switch {
	case errors.Is(err, diskio.ErrInvalidName), errors.Is(err, diskio.ErrOffsetBeyondEOF),
		errors.Is(err, diskio.ErrOutsideStorePath), errors.Is(err, diskio.ErrNotRegular):
		return codec.EINVAL
	case errors.Is(err, diskio.ErrReadOnly):
		return codec.ENOSPC
	}
	var se syscall.Errno
	if errors.As(err, &se) && se > 0 && se < 256 {
		return codec.Errno(se)
	}
	if errors.Is(err, os.ErrNotExist) {
		return codec.ENOENT
	}
	return codec.EIO
}

// readErrno is errnoOf for reads, where C answers EISDIR for anything that
// is not a regular file.
func readErrno(err error) codec.Errno {
	if errors.Is(err, diskio.ErrNotRegular) {
		return codec.EISDIR
	}
	return errnoOf(err)
}

// appendLogic appends the logic name "Mxx/HH/HH/NAME" of ref on path idx.
func appendLogic(dst []byte, idx int, ref diskio.FileRef) []byte {
	const hex = "0123456789ABCDEF"
	dst = append(dst, 'M', hex[idx>>4&0xF], hex[idx&0xF], '/')
	return append(dst, ref.String()...)
}
