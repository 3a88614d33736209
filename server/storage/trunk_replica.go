package storage

import (
	"fmt"
	"os"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/diskio"
	"github.com/gofdfs/gofdfs/server/storage/trunk"
)

// Trunk-resident files between group members. The name says everything:
// the container, the slot and the header it must carry. So a member
// writes a synced trunk file into that very slot of its own container
// (created sparse if it does not have it), with C's 24-byte header, and a
// sender reads it from its slot. Containers are per storage; their ids
// and slots are the group's (handed out by the trunk server).

// containerRef is the diskio name of a slot's container.
func containerRef(rf *codec.RemoteFilename, id int32) diskio.FileRef {
	var name [16]byte
	return diskio.FileRef{High: int(rf.High), Low: int(rf.Low),
		Name: string(codec.AppendTrunkContainerName(name[:0], id))}
}

// openTrunkSyncWriter opens the slot a synced trunk file goes to, for its
// content (the header follows in commitTrunkSync, once the content is all
// there). A slot that already holds this file with this size answers
// EEXIST (a retry), as a plain file does.
func (s *Server) openTrunkSyncWriter(op *pendingOp, ref *codec.TrunkRef, wo diskio.WriteOptions) (*diskio.FileWriter, error) {
	st, err := s.trunkStore()
	if err != nil {
		return nil, err
	}
	if op.size+codec.TrunkSlotHeaderSize > int64(ref.Slot.Size) {
		return nil, fmt.Errorf("synced trunk file %s: %d bytes do not fit its slot of %d: %w",
			op.rf.Logic, op.size, ref.Slot.Size, codec.EINVAL)
	}
	if sl, err := st.Locate(op.rf.StorePath, op.rf.High, op.rf.Low, ref); err == nil &&
		sl.Size == op.size && op.cmd == codec.CmdSyncCreateFile {
		s.logOp(nil, codec.BinlogReplicaCreate, op.syncTS, op.rf.Logic, nil, 0, 0)
		return nil, codec.EEXIST
	}
	info := trunk.InfoOf(op.rf.StorePath, op.rf.High, op.rf.Low, ref)
	if err := st.EnsureContainer(info); err != nil {
		return nil, err
	}
	return op.path.disk.OpenModify(containerRef(&op.rf, ref.Slot.ID), ref.ContentOffset(), wo)
}

// commitTrunkSync ends a synced trunk file: the content is in its slot,
// the header goes in front of it (so a cut transfer never leaves a slot
// that claims the file), then the replica line.
func (s *Server) commitTrunkSync(cs *connState, w *diskio.FileWriter, ref *codec.TrunkRef) codec.Errno {
	op := &cs.op
	written := w.Written()
	if err := w.Finish(); err != nil {
		s.logOpError(cs, err)
		return errnoOf(err)
	}
	hdr := codec.TrunkSlotHeaderFor(codec.TrunkSlotRegular, ref.Fields, ref.Slot, ref.Ext7)
	hdr.FileSize = int32(written)
	if err := s.writeSlotHeader(op, ref, hdr); err != nil {
		s.logOpError(cs, err)
		return errnoOf(err)
	}
	letter := codec.BinlogReplicaCreate
	if op.cmd == codec.CmdSyncUpdateFile {
		letter = codec.BinlogReplicaUpdate
	}
	return s.applied(cs, letter, op.rf.Logic, nil, 0, 0)
}

// writeSlotHeader writes the 24 header bytes at the slot's offset.
func (s *Server) writeSlotHeader(op *pendingOp, ref *codec.TrunkRef, hdr codec.TrunkSlotHeader) error {
	st, err := s.trunkStore()
	if err != nil {
		return err
	}
	path, err := st.ContainerPath(trunk.InfoOf(op.rf.StorePath, op.rf.High, op.rf.Low, ref))
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	var b [codec.TrunkSlotHeaderSize]byte
	if _, err := f.WriteAt(hdr.Append(b[:0]), int64(ref.Slot.Offset)); err != nil {
		_ = f.Close()
		return fmt.Errorf("write slot header of %s in %s: %w", op.rf.Logic, path, err)
	}
	return f.Close()
}

// eraseTrunkFile zero-fills the slot of a trunk file (SYNC_DELETE_FILE on
// a member: the space itself is the trunk server's business, which the
// source storage told). ENOENT when the slot does not hold it.
func (s *Server) eraseTrunkFile(op *pendingOp, ref *codec.TrunkRef) error {
	st, err := s.trunkStore()
	if err != nil {
		return err
	}
	sl, err := st.Locate(op.rf.StorePath, op.rf.High, op.rf.Low, ref)
	if err != nil {
		return err
	}
	return st.Erase(sl)
}

// OpenTrunkRead opens a trunk-resident file for reading: its container,
// where its content starts in it and its length. ok is false when the
// name is not a trunk name (the caller serves it as a plain file); err is
// fs.ErrNotExist (wrapped) when the slot does not hold the file. The
// caller closes f. For the HTTP server: logic is the name after the
// group, "Mxx/HH/HH/...".
func (s *Server) OpenTrunkRead(logic []byte) (f *os.File, offset, length int64, ok bool, err error) {
	rf, err := codec.ParseRemoteFilename(logic, len(s.paths))
	if err != nil {
		return nil, 0, 0, false, nil
	}
	ref, isTrunk, err := codec.TrunkRefOf(&rf)
	if !isTrunk {
		return nil, 0, 0, false, nil
	}
	if err != nil {
		return nil, 0, 0, true, err
	}
	st, err := s.trunkStore()
	if err != nil {
		return nil, 0, 0, true, err
	}
	sl, err := st.Locate(rf.StorePath, rf.High, rf.Low, &ref)
	if err != nil {
		return nil, 0, 0, true, err
	}
	if sl.Type == codec.TrunkSlotLink {
		return nil, 0, 0, true, fmt.Errorf("trunk link slot %s: %w", logic, codec.EOPNOTSUPP)
	}
	f, err = os.Open(sl.Container)
	if err != nil {
		return nil, 0, 0, true, err
	}
	return f, sl.Offset, sl.Size, true, nil
}
