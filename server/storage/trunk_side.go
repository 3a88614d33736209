package storage

import (
	"errors"
	"io/fs"
	"os"

	"github.com/panjf2000/gnet/v2"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/diskio"
	"github.com/gofdfs/gofdfs/server/storage/trunk"
	"github.com/gofdfs/gofdfs/server/storage/web"
)

// The command path's hooks into package trunk (s.trunk, a trunk.Side):
// trunk-resident files in stat, download, delete and sync, and the trunk
// commands 27-33.

// configureTrunk hands the trunk side what it needs of this storage (New).
func (s *Server) configureTrunk() {
	paths := make([]string, len(s.cfg.StorePaths))
	for i, p := range s.cfg.StorePaths {
		paths[i] = p.Path
	}
	s.trunk.Configure(trunk.SideConfig{Group: s.group, BasePath: s.cfg.BasePath, StorePaths: paths,
		PickDir: func(b64 []byte) (int, int) { return s.dist.Next(b64) },
		PickPath: func(size int64) (int, error) {
			p, err := s.choosePath(-1, size)
			if err != nil {
				return 0, err
			}
			return p.index, nil
		},
		IsMe: func(ip string, port int) bool {
			return port == s.cfg.Port && (ip == s.cfg.BindAddr || s.isMyIP(ip))
		},
		ConnectTimeout: s.cfg.ConnectTimeout, NetworkTimeout: s.cfg.NetworkTimeout, Log: s.log, Now: s.now})
}

func (s *Server) trunkStore() (*trunk.Store, error)  { return s.trunk.Store() }
func (s *Server) isTrunkServer() bool                { return s.trunk.IsServer() }
func (s *Server) closeTrunk()                        { s.trunk.Close() }
func (s *Server) noteTrunkParams(p codec.Parameters) { s.trunk.SetParams(p) }
func (s *Server) noteTrunkServer(n *codec.ChangeNotice) {
	if n.Flags&codec.ChangeTrunkServer != 0 {
		s.trunk.NoteServer(n.TrunkServer)
	}
}

// isMyIP reports whether ip is this storage's address as the trackers see it.
func (s *Server) isMyIP(ip string) bool {
	if p := s.myIP.Load(); p != nil {
		return p.String() == ip
	}
	return false
}

// trunkRefOf decodes the trunk part of the request's file name.
func trunkRefOf(op *pendingOp) (codec.TrunkRef, bool, error) { return codec.TrunkRefOf(&op.rf) }

// statFile is disk.Stat of the request's file, trunk-resident files
// included (size and mtime from the slot, a regular file).
func (s *Server) statFile(op *pendingOp) (diskio.FileStat, error) {
	ref, isTrunk, err := trunkRefOf(op)
	if !isTrunk {
		return op.path.disk.Stat(op.ref)
	}
	var sl trunk.Slot
	if err == nil {
		sl, err = s.trunk.Locate(&op.rf, &ref)
	}
	return sl.Stat(), err
}

// openDownload opens the request's file for DOWNLOAD_FILE, or a trunk
// file's container with base its content's offset (0 for plain files).
func (s *Server) openDownload(op *pendingOp) (diskio.ReadFd, diskio.FileStat, int64, error) {
	ref, isTrunk, err := trunkRefOf(op)
	if !isTrunk {
		rf, st, err := op.path.disk.OpenReadFd(op.ref)
		return rf, st, 0, err
	}
	if err != nil {
		return diskio.ReadFd{}, diskio.FileStat{}, 0, err
	}
	return s.trunk.OpenFd(op.path.disk, &op.rf, &ref)
}

// deleteTrunkFile serves DELETE_FILE of a trunk-resident file (worker), in
// C's order: zero the slot, binlog `D`, drop "-m", free the slot at the
// trunk server (a failure there leaks it, as in C; the delete stands).
func (s *Server) deleteTrunkFile(cs *connState, ref *codec.TrunkRef) {
	op := &cs.op
	sl, err := s.trunk.Erase(&op.rf, ref)
	if err != nil {
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
	if err := s.trunk.Free(sl.Info); err != nil {
		s.log.Warn("free trunk space", "file", string(op.rf.Logic), "slot", trunk.String(sl.Info), "err", err)
	}
	cs.setReply(codec.OK, 0)
	cs.finish(false)
}

// handleTrunk serves the trunk commands (27-33) on the loop. Their bodies
// are small; each does at most one short file operation.
func (s *Server) handleTrunk(cs *connState, c gnet.Conn, hdr codec.Header, n int) step {
	if hdr.BodyLen > s.maxRequest {
		return s.replyError(c, codec.EINVAL)
	}
	total := codec.HeaderSize + int(hdr.BodyLen)
	if n < total {
		return stepMore
	}
	pkt, _ := c.Peek(total)
	errno, reply := s.trunk.Serve(hdr.Cmd, hdr.Status, pkt[codec.HeaderSize:], cs.peer)
	_, _ = c.Discard(total)
	if errno != codec.OK {
		return s.replyError(c, errno)
	}
	var b [codec.HeaderSize + codec.TrunkInfoSize]byte
	out := codec.Reply(0, len(reply)).Append(b[:0])
	_, _ = c.Write(append(out, reply...))
	return stepNext
}

// Trunk-resident files between group members: a synced one is written
// into the slot its name gives (content first, header last), a deleted one
// zero-filled; a sender reads them from their slot (package trunk).

// openTrunkSyncWriter opens the slot a synced trunk file goes to, for its
// content. A retry of a file already there answers EEXIST.
func (s *Server) openTrunkSyncWriter(op *pendingOp, ref *codec.TrunkRef, wo diskio.WriteOptions) (*diskio.FileWriter, error) {
	exists, err := s.trunk.PrepareSync(&op.rf, ref, op.size, op.cmd == codec.CmdSyncCreateFile)
	if err != nil {
		return nil, err
	}
	if exists {
		s.logOp(nil, codec.BinlogReplicaCreate, op.syncTS, op.rf.Logic, nil, 0, 0)
		return nil, codec.EEXIST
	}
	f, err := s.trunk.SyncFile(&op.rf, ref)
	if err != nil {
		return nil, err
	}
	return op.path.disk.WriteRegion(f, ref.ContentOffset(), wo)
}

// commitTrunkSync ends a synced trunk file: the header goes in front of
// its content, then the replica line.
func (s *Server) commitTrunkSync(cs *connState, w *diskio.FileWriter, ref *codec.TrunkRef) codec.Errno {
	op := &cs.op
	written := w.Written()
	if err := w.Finish(); err != nil {
		s.logOpError(cs, err)
		return errnoOf(err)
	}
	if err := s.trunk.WriteHeader(&op.rf, ref, written); err != nil {
		s.logOpError(cs, err)
		return errnoOf(err)
	}
	letter := codec.BinlogReplicaCreate
	if op.cmd == codec.CmdSyncUpdateFile {
		letter = codec.BinlogReplicaUpdate
	}
	return s.applied(cs, letter, op.rf.Logic, nil, 0, 0)
}

// eraseTrunkFile zero-fills a trunk file's slot (SYNC_DELETE_FILE: its
// space is the trunk server's business). ENOENT when the slot lacks it.
func (s *Server) eraseTrunkFile(op *pendingOp, ref *codec.TrunkRef) error {
	_, err := s.trunk.Erase(&op.rf, ref)
	return err
}

// OpenTrunkRead opens a trunk-resident file for reading (trunk.Side.OpenRead).
func (s *Server) OpenTrunkRead(logic []byte) (f *os.File, offset, length int64, ok bool, err error) {
	return s.trunk.OpenRead(logic)
}

// OpenTrunk opens a trunk-resident file for the HTTP server (web.Core).
func (c httpCore) OpenTrunk(rf *codec.RemoteFilename, ref *codec.TrunkRef, p web.Path) (diskio.ReadFd, diskio.FileStat, int64, error) {
	return c.s.trunk.OpenFd(p.(*storePath).disk, rf, ref)
}
