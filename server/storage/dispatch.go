package storage

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"syscall"
	"unsafe"

	"github.com/panjf2000/gnet/v2"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/diskio"
	"github.com/gofdfs/gofdfs/server/storage/trunk"
)

var errEEXIST = syscall.EEXIST

// pendingOp is the request a connection is serving, decoded and validated
// on the event loop, then carried out on a disk worker. Byte slices alias
// the connection's request copy (cs.req) or body buffer. Besides what
// every request has (the command and the file it names), its fields come
// in parts, one per command family; a command uses its family's part and
// leaves the others zero.
type pendingOp struct {
	cmd  byte
	path *storePath
	rf   codec.RemoteFilename // the file the request names (validated)
	ref  diskio.FileRef

	// Scratch kept across requests (the reset keeps them): generated
	// names, metadata and binlog helpers, slave logic names.
	nameBuf  []byte
	auxBuf   []byte
	logicBuf []byte

	streamOp
	wholeOp
	sendOp
	syncOp
}

// streamOp: the client commands whose body ends in file content
// (handleStream, upload.go) and the sync ones that share their writer.
type streamOp struct {
	pathReq  int8   // upload: the store path asked for (or StorePathAuto)
	size     int64  // content bytes
	offset   int64  // MODIFY: where they go
	content  []byte // a small body, whole
	ext      []byte // upload extension
	prefix   []byte // slave prefix
	slave    []byte // slave logic name
	slaveRef diskio.FileRef
	writer   *diskio.FileWriter
	slot     trunk.Reservation // a streamed upload's trunk slot (trunk_upload.go)
	// wbuf is the writer of a new file (openWriter), inside the
	// connection's state, so an upload allocates none.
	wbuf diskio.FileWriter
}

// wholeOp: the fixed-size client requests (handleWhole).
type wholeOp struct {
	flags   byte   // QUERY_FILE_INFO
	metaOp  byte   // SET_METADATA
	meta    []byte // SET_METADATA records
	newSize int64  // TRUNCATE
}

// sendOp: a download a worker sends (download.go).
type sendOp struct {
	file    *os.File
	sendOff int64
	sendLen int64
	sendHdr [codec.HeaderSize]byte
}

// syncOp: the sync commands from a peer (sync_receiver.go).
type syncOp struct {
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

// frameFunc takes one request off the wire on the event loop: it is a
// command's framing class (a whole body, a streamed body, a sync body, a
// trunk request...). hdr's packet starts c's inbound buffer, n bytes of it
// buffered; it answers on the loop or hands cs.op to a worker (submit).
type frameFunc func(s *Server, cs *connState, c gnet.Conn, hdr codec.Header, n int) step

// decodeFunc reads a whole request's body into op and returns the group
// and remote filename it names, which handleWhole then validates.
type decodeFunc func(op *pendingOp, hdr codec.Header, body []byte) (group, name []byte, err error)

// command is everything the storage declares about one command code.
type command struct {
	frame frameFunc
	// decode is the body layout of a handleWhole command.
	decode decodeFunc
	// appenderOnly: the named file must be an appender file (EINVAL).
	appenderOnly bool
	// fixedLen and decodeFixed are the fixed part of a handleStream
	// command (the part before the file content): its length, read from
	// the bytes buffered so far, and its decoder into cs.op.
	fixedLen    func(head []byte) int
	decodeFixed func(s *Server, cs *connState, hdr codec.Header) (codec.Errno, error)
	// work is the step a disk worker runs for cs.op once the loop submits
	// it; nil for commands answered on the loop.
	work func(s *Server, cs *connState)
}

// commands is the storage's command table, indexed by the command byte;
// a zero entry is an unknown command (warn, EINVAL, close). Adding a
// command is one entry here plus its functions.
var commands [256]command

func init() {
	for cmd, c := range map[byte]command{
		codec.CmdQuit:       {frame: handleQuit},
		codec.CmdActiveTest: {frame: handleActiveTest},

		// client commands whose body ends in file content (upload.go)
		codec.CmdUploadFile: {frame: (*Server).handleStream, fixedLen: uploadFixedLen,
			decodeFixed: (*Server).decodeUpload, work: (*Server).writeSmallBody},
		codec.CmdUploadAppenderFile: {frame: (*Server).handleStream, fixedLen: uploadFixedLen,
			decodeFixed: (*Server).decodeUpload, work: (*Server).writeSmallBody},
		codec.CmdUploadSlaveFile: {frame: (*Server).handleStream, fixedLen: slaveFixedLen,
			decodeFixed: (*Server).decodeUploadSlave, work: (*Server).writeSmallBody},
		codec.CmdAppendFile: {frame: (*Server).handleStream, fixedLen: appendFixedLen,
			decodeFixed: (*Server).decodeAppend, work: (*Server).writeSmallBody},
		codec.CmdModifyFile: {frame: (*Server).handleStream, fixedLen: modifyFixedLen,
			decodeFixed: (*Server).decodeModify, work: (*Server).writeSmallBody},

		// client commands that arrive whole
		codec.CmdDownloadFile:  {frame: (*Server).handleDownload}, // download.go
		codec.CmdDeleteFile:    {frame: (*Server).handleWhole, decode: decodeDelete, work: (*Server).doDelete},
		codec.CmdSetMetadata:   {frame: (*Server).handleWhole, decode: decodeSetMetadata, work: (*Server).doSetMetadata},
		codec.CmdGetMetadata:   {frame: (*Server).handleWhole, decode: decodeGetMetadata, work: (*Server).doGetMetadata},
		codec.CmdQueryFileInfo: {frame: (*Server).handleWhole, decode: decodeQueryFileInfo, work: (*Server).doFileInfo},
		codec.CmdTruncateFile: {frame: (*Server).handleWhole, decode: decodeTruncate, appenderOnly: true,
			work: (*Server).doTruncate},
		codec.CmdRegenerateAppenderFilename: {frame: (*Server).handleWhole, decode: decodeRegenerate,
			appenderOnly: true, work: (*Server).doRegenerate},

		// replication from a peer storage (sync_receiver.go)
		codec.CmdReportServerID:   {frame: (*Server).handleSyncWhole},
		codec.CmdSyncDeleteFile:   {frame: (*Server).handleSyncWhole, work: (*Server).doSyncWhole},
		codec.CmdSyncTruncateFile: {frame: (*Server).handleSyncWhole, work: (*Server).doSyncWhole},
		codec.CmdSyncCreateLink:   {frame: (*Server).handleSyncWhole, work: (*Server).doSyncWhole},
		codec.CmdSyncRenameFile:   {frame: (*Server).handleSyncWhole, work: (*Server).doSyncWhole},
		codec.CmdSyncCreateFile:   {frame: (*Server).handleSyncStream, work: (*Server).writeSyncBody},
		codec.CmdSyncUpdateFile:   {frame: (*Server).handleSyncStream, work: (*Server).writeSyncBody},
		codec.CmdSyncAppendFile:   {frame: (*Server).handleSyncStream, work: (*Server).writeSyncBody},
		codec.CmdSyncModifyFile:   {frame: (*Server).handleSyncStream, work: (*Server).writeSyncBody},

		// disk recovery of a peer (recovery_serve.go)
		codec.CmdFetchOnePathBinlog: {frame: (*Server).handleFetchPathBinlog},

		// trunk server (trunk_side.go)
		codec.CmdTrunkAllocSpace:         {frame: (*Server).handleTrunk},
		codec.CmdTrunkAllocConfirm:       {frame: (*Server).handleTrunk},
		codec.CmdTrunkFreeSpace:          {frame: (*Server).handleTrunk},
		codec.CmdTrunkSyncBinlog:         {frame: (*Server).handleTrunk},
		codec.CmdTrunkGetBinlogSize:      {frame: (*Server).handleTrunk},
		codec.CmdTrunkDeleteBinlogMarks:  {frame: (*Server).handleTrunk},
		codec.CmdTrunkTruncateBinlogFile: {frame: (*Server).handleTrunk},
	} {
		commands[cmd] = c
	}
}

// dispatch serves one request whose header is at the front of c's inbound
// buffer (n bytes buffered).
func (s *Server) dispatch(cs *connState, c gnet.Conn, hdr codec.Header, n int) step {
	frame := commands[hdr.Cmd].frame
	if frame == nil {
		s.log.Warn("unknown command, closing", "peer", cs.peer, "cmd", hdr.Cmd)
		return s.replyError(c, codec.EINVAL)
	}
	return frame(s, cs, c, hdr, n)
}

func handleQuit(*Server, *connState, gnet.Conn, codec.Header, int) step { return stepClose }

func handleActiveTest(s *Server, _ *connState, c gnet.Conn, hdr codec.Header, _ int) step {
	if hdr.BodyLen != 0 {
		return s.replyError(c, codec.EINVAL)
	}
	_, _ = c.Discard(codec.HeaderSize)
	return s.reply(c, codec.OK)
}

// takeWhole frames a request that must arrive whole (it fits C's network
// buffer): once it is all buffered, its body is copied to cs.req, taken
// off gnet's buffer and returned, and cs.op is reset for it. If !ok, st is
// what the loop does next (wait for bytes, or refuse).
func (s *Server) takeWhole(cs *connState, c gnet.Conn, hdr codec.Header, n int) (body []byte, st step, ok bool) {
	if hdr.BodyLen > s.maxRequest {
		s.log.Warn("request larger than buff_size", "peer", cs.peer, "cmd", codec.CmdName(hdr.Cmd), "len", hdr.BodyLen)
		return nil, s.replyError(c, codec.EINVAL), false
	}
	total := codec.HeaderSize + int(hdr.BodyLen)
	if n < total {
		return nil, stepMore, false
	}
	pkt, _ := c.Peek(total)
	cs.req = append(cs.req[:0], pkt[codec.HeaderSize:]...)
	_, _ = c.Discard(total)
	op := &cs.op
	*op = pendingOp{cmd: hdr.Cmd, nameBuf: op.nameBuf, auxBuf: op.auxBuf, logicBuf: op.logicBuf}
	return cs.req, stepNext, true
}

// handleWhole serves the requests that arrive whole and name one file:
// the body is decoded by the command's decode and validated here (group,
// name, appender flag), then the command's work runs on a worker.
func (s *Server) handleWhole(cs *connState, c gnet.Conn, hdr codec.Header, n int) step {
	body, st, ok := s.takeWhole(cs, c, hdr, n)
	if !ok {
		return st
	}
	cmd := &commands[hdr.Cmd]
	op := &cs.op
	group, name, err := cmd.decode(op, hdr, body)
	if err != nil {
		return s.replyError(c, errnoOf(err))
	}
	if codec.CmdCarriesGroup(hdr.Cmd) && !s.ownGroup(group) {
		s.log.Warn("request for another group", "peer", cs.peer, "cmd", codec.CmdName(hdr.Cmd),
			"group", string(codec.FixedBytes(group)))
		return s.replyError(c, codec.EINVAL)
	}
	parse := s.parseName
	if cmd.appenderOnly {
		parse = s.parseAppenderName
	}
	if err := parse(op, name); err != nil {
		return s.replyError(c, errnoOf(err))
	}
	return cs.submit(op.path)
}

// run carries out cs.op on a disk worker: its command's work step.
func (cs *connState) run(err error) {
	if err != nil { // worker closed: the server is stopping
		cs.releaseBody()
		cs.finishError(codec.EIO)
		return
	}
	work := commands[cs.op.cmd].work
	if work == nil {
		cs.finishError(codec.EINVAL)
		return
	}
	work(cs.srv, cs)
}

// writeSyncBody is the worker step of the sync commands whose body ends
// in content: a create whose sender said the file exists carries none.
func (s *Server) writeSyncBody(cs *connState) {
	if cs.op.noContent {
		s.doSyncNoContent(cs)
		return
	}
	s.writeSmallBody(cs)
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
	if int(rf.High) >= s.dist.Subdirs() || int(rf.Low) >= s.dist.Subdirs() {
		return &codec.Error{Errno: codec.EINVAL, Layout: "RemoteFilename",
			Reason: "subdirectory beyond subdir_count_per_path: " + string(name)}
	}
	op.rf = rf
	op.path = s.paths[rf.StorePath]
	op.ref = diskio.FileRef{High: int(rf.High), Low: int(rf.Low),
		Name: unsafe.String(unsafe.SliceData(rf.Name), len(rf.Name))}
	return nil
}

// parseAppenderName is parseName for the appender commands, which also
// require the appender flag in the name: EINVAL without it, and EINVAL
// (with the cause) when the name's fields do not decode.
func (s *Server) parseAppenderName(op *pendingOp, name []byte) error {
	if err := s.parseName(op, name); err != nil {
		return err
	}
	f, err := op.rf.Fields()
	if err != nil {
		return fmt.Errorf("%w: %v", codec.EINVAL, err)
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
