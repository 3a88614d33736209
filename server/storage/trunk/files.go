package trunk

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/diskio"
)

// Trunk-resident files by name, for the storage's command paths. The name
// says everything: the container, the slot and the header it must carry.
// So a member writes a synced trunk file into that very slot of its own
// container (created sparse if it does not have it), with C's 24-byte
// header, and a sender reads it from its slot. Containers are per storage;
// their ids and slots are the group's (handed out by the trunk server).

// Locate finds the slot of a trunk-resident file (ErrNoFile when the slot
// does not hold it).
func (d *Side) Locate(rf *codec.RemoteFilename, ref *codec.TrunkRef) (Slot, error) {
	st, err := d.Store()
	if err != nil {
		return Slot{}, err
	}
	return st.Locate(rf.StorePath, rf.High, rf.Low, ref)
}

// Erase zero-fills the slot of a trunk-resident file and returns it (a
// delete: the caller logs it and gives the space back with Free).
func (d *Side) Erase(rf *codec.RemoteFilename, ref *codec.TrunkRef) (Slot, error) {
	sl, err := d.Locate(rf, ref)
	if err != nil {
		return sl, err
	}
	st, _ := d.Store()
	return sl, st.Erase(sl)
}

// ContainerRef is the diskio name of a slot's container.
func ContainerRef(rf *codec.RemoteFilename, id int32) diskio.FileRef {
	var name [16]byte
	return diskio.FileRef{High: int(rf.High), Low: int(rf.Low),
		Name: string(codec.AppendTrunkContainerName(name[:0], id))}
}

// PrepareSync readies the slot a synced trunk file of size bytes goes to:
// its container exists afterwards. exists is true when the slot already
// holds this file with this size and create is set (a retry: EEXIST, as a
// plain file answers).
func (d *Side) PrepareSync(rf *codec.RemoteFilename, ref *codec.TrunkRef, size int64, create bool) (exists bool, err error) {
	st, err := d.Store()
	if err != nil {
		return false, err
	}
	if size+codec.TrunkSlotHeaderSize > int64(ref.Slot.Size) {
		return false, fmt.Errorf("synced trunk file %s: %d bytes do not fit its slot of %d: %w",
			rf.Logic, size, ref.Slot.Size, codec.EINVAL)
	}
	if sl, err := st.Locate(rf.StorePath, rf.High, rf.Low, ref); err == nil && sl.Size == size && create {
		return true, nil
	}
	return false, st.EnsureContainer(InfoOf(rf.StorePath, rf.High, rf.Low, ref))
}

// SyncFile is the container a synced trunk file goes to, opened for
// writing and kept open by the store (after PrepareSync): the caller writes
// the content through it and never closes it.
func (d *Side) SyncFile(rf *codec.RemoteFilename, ref *codec.TrunkRef) (*os.File, error) {
	st, err := d.Store()
	if err != nil {
		return nil, err
	}
	return st.container(InfoOf(rf.StorePath, rf.High, rf.Low, ref), -1)
}

// WriteHeader writes the 24 header bytes of a synced file whose content
// (written bytes) is in its slot: last, so a cut transfer never leaves a
// slot that claims the file.
func (d *Side) WriteHeader(rf *codec.RemoteFilename, ref *codec.TrunkRef, written int64) error {
	st, err := d.Store()
	if err != nil {
		return err
	}
	hdr := codec.TrunkSlotHeaderFor(codec.TrunkSlotRegular, ref.Fields, ref.Slot, ref.Ext7)
	hdr.FileSize = int32(written)
	var b [codec.TrunkSlotHeaderSize]byte
	if err := st.WriteSlot(InfoOf(rf.StorePath, rf.High, rf.Low, ref), hdr.Append(b[:0]), nil); err != nil {
		return fmt.Errorf("write slot header of %s: %w", rf.Logic, err)
	}
	return nil
}

// OpenRead opens a trunk-resident file for reading: its container, where
// its content starts in it and its length. ok is false when logic (the
// name after the group, "Mxx/HH/HH/...") is not a trunk name; err wraps
// fs.ErrNotExist when the slot does not hold the file. The caller closes f.
func (d *Side) OpenRead(logic []byte) (f *os.File, offset, length int64, ok bool, err error) {
	rf, err := codec.ParseRemoteFilename(logic, len(d.cfg.StorePaths))
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
	sl, err := d.Locate(&rf, &ref)
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

// Stat is the file in a slot as a regular file's stat.
func (sl Slot) Stat() diskio.FileStat {
	return diskio.FileStat{Size: sl.Size, ModTime: sl.Mtime, Mode: unix.S_IFREG | 0o644}
}

// OpenFd opens a trunk-resident file for a download through its store
// path's open-file cache: the container, with base the offset of the
// content in it; the stat is the content's. A link slot is EOPNOTSUPP.
func (d *Side) OpenFd(disk *diskio.StorePath, rf *codec.RemoteFilename, ref *codec.TrunkRef) (diskio.ReadFd, diskio.FileStat, int64, error) {
	sl, err := d.Locate(rf, ref)
	if err == nil && sl.Type == codec.TrunkSlotLink {
		err = fmt.Errorf("trunk link slot %s: %w", rf.Logic, codec.EOPNOTSUPP)
	}
	if err != nil {
		return diskio.ReadFd{}, diskio.FileStat{}, 0, err
	}
	fd, _, err := disk.OpenReadFd(ContainerRef(rf, sl.Info.FileID))
	return fd, sl.Stat(), sl.Offset, err
}
