package trunk

import (
	"os"
	"slices"

	"github.com/gofdfs/gofdfs/codec"
)

// Free-space merge (trunk_free_space_merge) and the removal of trunk
// files nothing lives in (delete_unused_trunk_files), as C 6.16 does them:
// only while the trunk server saves storage_trunk.dat (when it becomes
// trunk server, when it stops after an hour up, at a binlog compression).
// A merge changes the free space in memory and the snapshot written right
// after it, never the trunk binlog: the binlog's pieces and the snapshot's
// merged slot say the same free bytes. Pieces merge when they sit end to
// end in one container; a held slot (allocated, not yet confirmed) does
// not merge. A merged slot that starts at 0, spans at least
// trunk_file_size and is exactly the container's size is the whole
// container: with delete_unused_trunk_files it is unlinked and leaves the
// free space. Only runs of two or more pieces are considered, as in C.

// MergeStat counts what one merge did, for the log.
type MergeStat struct {
	Merges, Pieces int   // merged runs, pieces in them
	MergedBytes    int64 // bytes of the merged runs
	Deleted        int   // containers removed
	DeletedBytes   int64
}

// SetMerge puts trunk_free_space_merge and delete_unused_trunk_files in
// force for the next snapshot save.
func (s *Store) SetMerge(merge, deleteUnused bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.merge, s.deleteUnused = merge, deleteUnused
}

// mergeLocked merges the free space. Caller holds s.mu.
func (s *Store) mergeLocked() MergeStat {
	var st MergeStat
	var free []codec.TrunkInfo
	for k, sl := range s.free.slots {
		if !sl.hold {
			free = append(free, k.info(sl.size))
		}
	}
	slices.SortFunc(free, compareInfo)
	for i := 0; i < len(free); {
		j := i + 1
		for j < len(free) && sameContainer(free[j-1], free[j]) &&
			int64(free[j-1].Offset)+int64(free[j-1].SlotSize) == int64(free[j].Offset) {
			j++
		}
		if j-i > 1 {
			s.mergeRunLocked(free[i:j], &st)
		}
		i = j
	}
	return st
}

func sameContainer(a, b codec.TrunkInfo) bool {
	return a.StorePathIndex == b.StorePathIndex && a.SubPathHigh == b.SubPathHigh &&
		a.SubPathLow == b.SubPathLow && a.FileID == b.FileID
}

// mergeRunLocked replaces a run of adjacent free pieces with one slot, or
// removes their container when the run is all of it.
func (s *Store) mergeRunLocked(run []codec.TrunkInfo, st *MergeStat) {
	first, last := run[0], run[len(run)-1]
	size := int64(last.Offset) - int64(first.Offset) + int64(last.SlotSize)
	st.Merges++
	st.Pieces += len(run)
	st.MergedBytes += size
	for _, t := range run {
		s.free.remove(keyOf(t), t.SlotSize)
	}
	if s.deleteUnused && first.Offset == 0 && size >= s.cfg.TrunkFileSize {
		if path, err := s.ContainerPath(first); err == nil {
			if fi, err := os.Stat(path); err == nil && fi.Size() == size {
				s.dropContainer(first)
				if err := os.Remove(path); err == nil || os.IsNotExist(err) {
					s.cfg.Log.Info("delete unused trunk file", "file", path)
					st.Deleted++
					st.DeletedBytes += size
					return
				} else {
					s.cfg.Log.Error("delete unused trunk file", "file", path, "err", err)
				}
			} else if err != nil {
				s.cfg.Log.Error("stat trunk file", "file", path, "err", err)
			}
		}
	}
	merged := first
	merged.SlotSize = int32(size)
	s.free.add(keyOf(merged), merged.SlotSize, false)
}

// dropContainer closes the kept descriptor of a container about to go.
func (s *Store) dropContainer(t codec.TrunkInfo) {
	k := containerKey{path: t.StorePathIndex, high: t.SubPathHigh, low: t.SubPathLow, id: t.FileID}
	s.fmu.Lock()
	defer s.fmu.Unlock()
	if f := s.files[k]; f != nil {
		_ = f.Close()
		delete(s.files, k)
	}
}
