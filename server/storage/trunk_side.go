package storage

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/diskio"
	"github.com/gofdfs/gofdfs/server/storage/trunk"
)

// trunkSide is a storage's trunk-file state: the store (opened on first
// use, so a storage that never sees a trunk name never creates
// data/trunk) and the group's trunk server from the trackers' notices.
// The zero value is ready.
type trunkSide struct {
	once  sync.Once
	store *trunk.Store
	err   error

	mu     sync.Mutex
	server codec.StorageBrief // the group's trunk server; zero: none heard of
	heard  bool
	// the tracker's trunk parameters (PARAMETER_REQ); zero: C's defaults
	on                          atomic.Bool // use_trunk_file (read on every upload)
	slotMin, slotMax, alignment int32
	fileSize                    int64
	maxBackups                  int   // trunk_binlog_max_backups
	nextID                      int32 // the last container id handed out
}

// trunkStore opens the trunk store once.
func (s *Server) trunkStore() (*trunk.Store, error) {
	t := &s.trunk
	t.once.Do(func() {
		paths := make([]string, len(s.cfg.StorePaths))
		for i, p := range s.cfg.StorePaths {
			paths[i] = p.Path
		}
		t.mu.Lock()
		slotMin, alignment, fileSize := t.slotMin, t.alignment, t.fileSize
		t.mu.Unlock()
		t.nextID = s.lastContainerID()
		t.store, t.err = trunk.Open(trunk.Config{BasePath: s.cfg.BasePath, StorePaths: paths,
			SlotMinSize: slotMin, Alignment: alignment, TrunkFileSize: fileSize,
			NextFileID: s.nextContainerID, PickDir: func(b64 []byte) (int, int) { return s.dist.next(b64) },
			Log: s.log, Now: s.now})
		if t.err != nil {
			s.log.Error("open trunk store", "base_path", s.cfg.BasePath, "err", t.err)
		}
	})
	return t.store, t.err
}

// closeTrunk closes the trunk store if it was opened (server stop).
func (s *Server) closeTrunk() {
	t := &s.trunk
	t.once.Do(func() { t.err = errors.New("storage stopped") })
	if t.store != nil {
		if err := t.store.SaveSnapshot(); err != nil {
			s.log.Warn("save trunk snapshot", "err", err)
		}
		_ = t.store.Close()
	}
}

// noteTrunkParams takes the trunk keys of the tracker's PARAMETER_REQ reply.
func (s *Server) noteTrunkParams(p codec.Parameters) {
	num := func(k string) int64 {
		v, ok := p.Get(k)
		if !ok {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0
		}
		return n
	}
	t := &s.trunk
	t.mu.Lock()
	t.on.Store(num("use_trunk_file") != 0)
	t.slotMin, t.slotMax = int32(num("slot_min_size")), int32(num("slot_max_size"))
	t.alignment, t.fileSize = int32(num("trunk_alloc_alignment_size")), num("trunk_file_size")
	t.maxBackups = int(num("trunk_binlog_max_backups"))
	slotMin, alignment, fileSize := t.slotMin, t.alignment, t.fileSize
	t.mu.Unlock()
	if num("use_trunk_file") == 0 {
		return // the store opens when a trunk name or command first needs it
	}
	if st, err := s.trunkStore(); err == nil {
		st.SetAllocation(slotMin, alignment, fileSize)
	}
}

// lastContainerID is current_trunk_file_id of .data_init_flag (0 if
// absent): new containers are numbered after it. Ids whose file exists are
// skipped anyway, so a stale value costs a few stats, never a collision.
func (s *Server) lastContainerID() int32 {
	b, err := os.ReadFile(filepath.Join(s.cfg.BasePath, "data", dataInitFlagName))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "current_trunk_file_id="); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
			return int32(n)
		}
	}
	return 0
}

// nextContainerID hands out the next container id.
func (s *Server) nextContainerID() (int32, error) {
	t := &s.trunk
	t.mu.Lock()
	defer t.mu.Unlock()
	t.nextID++
	return t.nextID, nil
}

// noteTrunkServer records the trunk server a tracker's change notice names.
func (s *Server) noteTrunkServer(n *codec.ChangeNotice) {
	if n.Flags&codec.ChangeTrunkServer == 0 {
		return
	}
	t := &s.trunk
	t.mu.Lock()
	b := n.TrunkServer // its slices alias the reply buffer
	b.ID, b.IP = bytes.Clone(codec.FixedBytes(b.ID)), bytes.Clone(codec.FixedBytes(b.IP))
	t.server, t.heard = b, true
	t.mu.Unlock()
	s.log.Info("trunk server", "group", string(s.group), "id", string(b.ID), "ip", string(b.IP), "port", b.Port)
}

// errNoTrunkServer: no tracker has named the group's trunk server yet, or
// the trackers say there is none now (between a trunk server's loss and
// the next election). Uploads then fail EAGAIN rather than take space
// locally: two storages must never hand out the same slot.
var errNoTrunkServer = fmt.Errorf("the group has no trunk server now: %w", codec.EAGAIN)

// trunkServerAddr is the address of the group's trunk server when it is
// another storage, "" when it is this one, errNoTrunkServer when there is
// none known.
func (s *Server) trunkServerAddr() (string, error) {
	t := &s.trunk
	t.mu.Lock()
	b, heard := t.server, t.heard
	t.mu.Unlock()
	ip := string(b.IP)
	if !heard || ip == "" {
		return "", errNoTrunkServer
	}
	if int(b.Port) == s.cfg.Port && (ip == s.cfg.BindAddr || s.isMyIP(ip)) {
		return "", nil
	}
	return net.JoinHostPort(ip, strconv.Itoa(int(b.Port))), nil
}

// isTrunkServer reports whether a tracker named this storage the group's
// trunk server (C's g_if_trunker_self): it keeps the group's free space,
// and the storages it pushes its trunk binlog to refuse that binlog from
// anyone while they are it.
func (s *Server) isTrunkServer() bool {
	addr, err := s.trunkServerAddr()
	return addr == "" && err == nil
}

// isMyIP reports whether ip is this storage's address as the trackers see it.
func (s *Server) isMyIP(ip string) bool {
	if p := s.myIP.Load(); p != nil {
		return p.String() == ip
	}
	return false
}

// trunkRefOf decodes the trunk part of the request's file name.
func trunkRefOf(op *pendingOp) (codec.TrunkRef, bool, error) {
	return codec.TrunkRefOf(&op.rf)
}

// locateTrunk finds the slot of a trunk-resident file.
func (s *Server) locateTrunk(op *pendingOp, ref *codec.TrunkRef) (trunk.Slot, error) {
	st, err := s.trunkStore()
	if err != nil {
		return trunk.Slot{}, err
	}
	return st.Locate(op.rf.StorePath, op.rf.High, op.rf.Low, ref)
}

// statFile is disk.Stat of the request's file, trunk-resident files
// included (size and mtime from the slot, a regular file).
func (s *Server) statFile(op *pendingOp) (diskio.FileStat, error) {
	ref, isTrunk, err := trunkRefOf(op)
	if !isTrunk {
		return op.path.disk.Stat(op.ref)
	}
	if err != nil {
		return diskio.FileStat{}, err
	}
	sl, err := s.locateTrunk(op, &ref)
	if err != nil {
		return diskio.FileStat{}, err
	}
	return diskio.FileStat{Size: sl.Size, ModTime: sl.Mtime, Mode: unix.S_IFREG | 0o644}, nil
}

// openDownload opens the request's file for DOWNLOAD_FILE: the file
// itself, or for a trunk-resident file its container, with base the
// offset of the content in it (0 for plain files). The size is the
// content's.
func (s *Server) openDownload(op *pendingOp) (diskio.ReadFd, diskio.FileStat, int64, error) {
	ref, isTrunk, err := trunkRefOf(op)
	if !isTrunk {
		rf, st, err := op.path.disk.OpenReadFd(op.ref)
		return rf, st, 0, err
	}
	if err != nil {
		return diskio.ReadFd{}, diskio.FileStat{}, 0, err
	}
	sl, err := s.locateTrunk(op, &ref)
	if err != nil {
		return diskio.ReadFd{}, diskio.FileStat{}, 0, err
	}
	if sl.Type == codec.TrunkSlotLink {
		return diskio.ReadFd{}, diskio.FileStat{}, 0, fmt.Errorf("trunk link slot %s: %w", op.rf.Logic, codec.EOPNOTSUPP)
	}
	var name []byte
	name = codec.AppendTrunkContainerName(name, sl.Info.FileID)
	rf, _, err := op.path.disk.OpenReadFd(diskio.FileRef{High: int(op.rf.High), Low: int(op.rf.Low), Name: string(name)})
	if err != nil {
		return rf, diskio.FileStat{}, 0, err
	}
	return rf, diskio.FileStat{Size: sl.Size, ModTime: sl.Mtime, Mode: unix.S_IFREG | 0o644}, sl.Offset, nil
}

// deleteTrunkFile serves DELETE_FILE for a trunk-resident file (worker
// thread), in C's order: the slot is zero-filled, the binlog gets `D`, the
// "-m" companion goes, and the slot goes back to the trunk server's free
// space (a failure there leaks the slot until the trunk server's free-space
// merge, as in C, and does not fail the delete).
func (s *Server) deleteTrunkFile(cs *connState, ref *codec.TrunkRef) {
	op := &cs.op
	st, err := s.trunkStore()
	if err != nil {
		cs.finishError(codec.EIO)
		return
	}
	sl, err := st.Locate(op.rf.StorePath, op.rf.High, op.rf.Low, ref)
	if err != nil {
		s.logOpError(cs, err)
		cs.finishError(errnoOf(err))
		return
	}
	if err := st.Erase(sl); err != nil {
		s.logOpError(cs, err)
		cs.finishError(errnoOf(err))
		return
	}
	now := s.now().Unix()
	if errno := s.logOp(cs, codec.BinlogDelete, now, op.rf.Logic, nil, 0, 0); errno != codec.OK {
		cs.finishError(errno)
		return
	}
	if err := op.path.disk.Remove(op.ref.Meta()); err == nil {
		op.auxBuf = append(append(op.auxBuf[:0], op.rf.Logic...), codec.MetaFileSuffix...)
		s.logOp(cs, codec.BinlogDelete, now, op.auxBuf, nil, 0, 0)
	} else if !errors.Is(err, fs.ErrNotExist) {
		s.logOpError(cs, err)
	}
	if err := s.freeTrunkSpace(st, sl.Info); err != nil {
		s.log.Warn("free trunk space", "file", string(op.rf.Logic), "slot", trunk.String(sl.Info), "err", err)
	}
	cs.setReply(codec.OK, 0)
	cs.finish(false)
}

// freeTrunkSpace gives a slot back: into our own free space when we are
// the trunk server, else with TRUNK_FREE_SPACE to it.
func (s *Server) freeTrunkSpace(st *trunk.Store, info codec.TrunkInfo) error {
	addr, err := s.trunkServerAddr()
	if err != nil {
		return err
	}
	if addr == "" {
		return st.Free(info)
	}
	req := codec.TrunkSpaceRequest{Group: s.group, Trunk: info}
	return s.trunkCall(addr, codec.CmdTrunkFreeSpace, 0, req.Append(nil), 0)
}

// trunkCall sends one trunk command to a peer storage and reads a reply of
// want body bytes.
func (s *Server) trunkCall(addr string, cmd, status byte, body []byte, want int) error {
	_, err := s.trunkExchange(addr, cmd, status, body, want)
	return err
}

// trunkExchange is trunkCall returning the reply body.
func (s *Server) trunkExchange(addr string, cmd, status byte, body []byte, want int) ([]byte, error) {
	timeout := s.cfg.NetworkTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	c, err := net.DialTimeout("tcp", addr, s.cfg.ConnectTimeout)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	h := codec.Request(cmd, len(body))
	h.Status = status
	pkt := h.Append(make([]byte, 0, codec.HeaderSize+len(body)))
	if _, err := c.Write(append(pkt, body...)); err != nil {
		return nil, err
	}
	var rh [codec.HeaderSize]byte
	if _, err := readFull(c, rh[:]); err != nil {
		return nil, err
	}
	reply, err := codec.DecodeHeader(rh[:])
	if err != nil {
		return nil, err
	}
	if reply.Status != 0 {
		return nil, fmt.Errorf("%s from %s: %w", codec.CmdName(cmd), addr, codec.Errno(reply.Status))
	}
	if reply.BodyLen != int64(want) {
		return nil, fmt.Errorf("%s from %s: reply body %d bytes, want %d", codec.CmdName(cmd), addr, reply.BodyLen, want)
	}
	out := make([]byte, want)
	if _, err := readFull(c, out); err != nil {
		return nil, err
	}
	return out, nil
}

func readFull(c net.Conn, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := c.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// handleTrunk serves the trunk-server commands (27-33) on the loop. Their
// bodies are small; each does at most one short file operation.
func (s *Server) handleTrunk(cs *connState, c gnet.Conn, hdr codec.Header, n int) step {
	if hdr.BodyLen > s.maxRequest {
		return s.replyError(c, codec.EINVAL)
	}
	total := codec.HeaderSize + int(hdr.BodyLen)
	if n < total {
		return stepMore
	}
	pkt, _ := c.Peek(total)
	body := pkt[codec.HeaderSize:]
	errno, reply := s.trunkCommand(cs, hdr, body)
	_, _ = c.Discard(total)
	if errno != codec.OK {
		return s.replyError(c, errno)
	}
	var b [codec.HeaderSize + codec.TrunkInfoSize]byte
	out := codec.Reply(0, len(reply)).Append(b[:0])
	_, _ = c.Write(append(out, reply...))
	return stepNext
}

// trunkCommand answers one trunk command: the status and reply body.
func (s *Server) trunkCommand(cs *connState, hdr codec.Header, body []byte) (codec.Errno, []byte) {
	switch hdr.Cmd {
	case codec.CmdTrunkGetBinlogSize:
		if len(body) != 0 {
			return codec.EINVAL, nil
		}
		st, err := s.trunkStore()
		if err != nil {
			return codec.EIO, nil
		}
		r := codec.TrunkBinlogSize{BinlogSize: st.BinlogSize()}
		return codec.OK, r.Append(nil)
	case codec.CmdTrunkDeleteBinlogMarks, codec.CmdTrunkTruncateBinlogFile, codec.CmdTrunkSyncBinlog:
		return s.trunkBinlogCommand(cs, hdr, body)
	case codec.CmdTrunkAllocSpace:
		var r codec.TrunkAllocRequest
		if err := r.Decode(body); err != nil || !s.ownGroup(r.Group) || r.FileSize < 0 ||
			int(r.StorePathIndex) >= len(s.paths) || !s.isTrunkServer() {
			return codec.EINVAL, nil
		}
		s.trunk.mu.Lock()
		slotMax := s.trunk.slotMax
		s.trunk.mu.Unlock()
		if slotMax > 0 && r.FileSize > slotMax {
			return codec.EINVAL, nil
		}
		st, err := s.trunkStore()
		if err != nil {
			return codec.EIO, nil
		}
		info, err := st.Alloc(int(r.StorePathIndex), r.FileSize)
		if err != nil {
			s.log.Error("TRUNK_ALLOC_SPACE", "peer", cs.peer, "size", r.FileSize, "err", err)
			if errors.Is(err, trunk.ErrNoTrunkSpace) {
				return codec.EINVAL, nil
			}
			return errnoOf(err), nil
		}
		return codec.OK, info.Append(nil)
	case codec.CmdTrunkAllocConfirm:
		var r codec.TrunkSpaceRequest
		if err := r.Decode(body); err != nil || !s.ownGroup(r.Group) || !s.isTrunkServer() {
			return codec.EINVAL, nil
		}
		st, err := s.trunkStore()
		if err != nil {
			return codec.EIO, nil
		}
		if err := st.Confirm(r.Trunk, codec.Errno(hdr.Status)); err != nil {
			s.log.Warn("TRUNK_ALLOC_CONFIRM", "peer", cs.peer, "slot", trunk.String(r.Trunk), "err", err)
			return errnoOf(err), nil
		}
		return codec.OK, nil
	case codec.CmdTrunkFreeSpace:
		var r codec.TrunkSpaceRequest
		if err := r.Decode(body); err != nil || !s.ownGroup(r.Group) {
			return codec.EINVAL, nil
		}
		if !s.isTrunkServer() {
			return codec.EINVAL, nil // only the trunk server keeps the free space (C: EINVAL)
		}
		st, err := s.trunkStore()
		if err != nil {
			return codec.EIO, nil
		}
		if int(r.Trunk.StorePathIndex) >= len(s.paths) {
			return codec.EINVAL, nil
		}
		if err := st.Free(r.Trunk); err != nil {
			s.log.Error("TRUNK_FREE_SPACE", "peer", cs.peer, "slot", trunk.String(r.Trunk), "err", err)
			return codec.EIO, nil
		}
		return codec.OK, nil
	}
	s.log.Warn("trunk command not served", "peer", cs.peer, "cmd", codec.CmdName(hdr.Cmd))
	return codec.EINVAL, nil
}

// On, ContainerID and RaiseContainerID are trunk.Side's names for what the
// reporters read, so that their files switch before the core does.
func (t *trunkSide) On() bool { return t.on.Load() }

func (t *trunkSide) ContainerID() int32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.nextID
}

func (t *trunkSide) RaiseContainerID(id int32) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if id <= t.nextID {
		return false
	}
	t.nextID = id
	return true
}
