package diskio

import (
	"os"

	"golang.org/x/sys/unix"
)

// Space is a file system's size as statfs reports it. Free is what an
// unprivileged writer can use (f_bavail), as the C storage reports it.
type Space struct {
	TotalBytes uint64 // f_blocks * f_frsize
	FreeBytes  uint64 // f_bavail * f_frsize
}

// TotalMB and FreeMB are the sizes in whole MB (1 MB = 2^20 bytes, rounded
// down): the unit of REPORT_DISK_USAGE and of the reserve check.
func (s Space) TotalMB() int64 { return int64(s.TotalBytes >> 20) }

// FreeMB: see TotalMB.
func (s Space) FreeMB() int64 { return int64(s.FreeBytes >> 20) }

// StatSpace reads the Space of the file system holding path.
func StatSpace(path string) (Space, error) {
	var st unix.Statfs_t
	for {
		err := unix.Statfs(path, &st)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return Space{}, &os.PathError{Op: "statfs", Path: path, Err: err}
		}
		break
	}
	frsize := uint64(st.Frsize)
	if frsize == 0 { // very old kernels and some FUSE file systems
		frsize = uint64(st.Bsize)
	}
	return Space{TotalBytes: st.Blocks * frsize, FreeBytes: st.Bavail * frsize}, nil
}

// Space reads the store path's free and total space.
func (sp *StorePath) Space() (Space, error) { return StatSpace(sp.data) }

// Reserve is reserved_storage_space, in one of its two forms (cluster.md
// §5.8): a ratio of each path (Ratio > 0, e.g. "20%" is 0.20), or MB for
// the whole storage (MB), which the per-path check divides evenly among the
// store paths.
type Reserve struct {
	MB    int64
	Ratio float64
}

// PathHasRoom is the per-path check of cluster.md §5.3: MB form
// free_mb > MB / pathCount (integer division), ratio form
// free_mb / total_mb > Ratio. Exactly at the limit is full.
func (r Reserve) PathHasRoom(s Space, pathCount int) bool {
	if r.Ratio > 0 {
		total := s.TotalMB()
		if total <= 0 {
			return false
		}
		return float64(s.FreeMB())/float64(total) > r.Ratio
	}
	return s.FreeMB() > r.MB/int64(max(pathCount, 1))
}

// CheckReserve reads the store path's space and applies r's per-path
// check; a full path gives a *NoSpaceError (errors.Is ENOSPC).
func (sp *StorePath) CheckReserve(r Reserve, pathCount int) (Space, error) {
	s, err := sp.Space()
	if err != nil {
		return Space{}, err
	}
	if r.PathHasRoom(s, pathCount) {
		return s, nil
	}
	e := &NoSpaceError{Path: sp.root, FreeMB: s.FreeMB(), TotalMB: s.TotalMB()}
	if r.Ratio > 0 {
		e.Ratio = r.Ratio
	} else {
		e.NeedMB = r.MB / int64(max(pathCount, 1))
	}
	return s, e
}

// CheckUpload says whether a new upload may choose this path: not
// read-only (ErrReadOnly) and above its reserve (*NoSpaceError).
func (sp *StorePath) CheckUpload(r Reserve, pathCount int) (Space, error) {
	if sp.readOnly {
		return Space{}, &os.PathError{Op: "check upload", Path: sp.root, Err: ErrReadOnly}
	}
	return sp.CheckReserve(r, pathCount)
}
