package placement

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/diskio"
)

// SpaceMaxAge is how long a store path's free space is trusted: statfs is
// cheap but not free, so the event loops re-read it at most this often,
// and fallocate catches a disk that filled up since.
const SpaceMaxAge = time.Second

// Room is what placement keeps of one store path: its free space as the
// reserve check of an upload reads it, and the directory of its last new
// file.
type Room struct {
	// lastDir is data/HH/HH (HH<<8|HH) of the last new file: where the
	// next upload's temp file is opened (TempDir).
	lastDir atomic.Uint32

	mu    sync.Mutex
	space diskio.Space
	at    time.Time
	err   error
}

// Space returns the free space of disk, re-reading it when stale.
func (r *Room) Space(now time.Time, disk *diskio.StorePath) (diskio.Space, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now.Sub(r.at) >= SpaceMaxAge || now.Before(r.at) {
		r.space, r.err = disk.Space()
		r.at = now
	}
	return r.space, r.err
}

// TempDir is the directory an upload's temp file is opened in: the one the
// path's last new file went to, which under the default rotating
// distribution is where this one goes too (and elsewhere a directory near
// it), so the inode is allocated in that directory's block group
// (diskio.StorePath.CreateTempIn).
func (r *Room) TempDir() diskio.FileRef {
	d := r.lastDir.Load()
	return diskio.FileRef{High: int(d >> 8), Low: int(d & 0xFF)}
}

// NoteDir records the directory a new file was committed into.
func (r *Room) NoteDir(ref diskio.FileRef) {
	r.lastDir.Store(uint32(ref.High)<<8 | uint32(ref.Low&0xFF))
}

// Choose picks the store path of an upload among n paths when the client
// left the choice to us (index 0xFF): the first one from start on that
// fits (round robin, store_path mode 0), or with mostFree (mode 2) the
// one that fits with most free bytes. fits says whether path i is
// writable and stays above its reserve with the file, and its free
// bytes. ENOSPC when none fits.
func Choose(n, start int, mostFree bool, fits func(i int) (free uint64, ok bool)) (int, error) {
	best, bestFree := -1, uint64(0)
	for k := range n {
		i := (start + k) % n
		free, ok := fits(i)
		if !ok {
			continue
		}
		if !mostFree {
			return i, nil
		}
		if best < 0 || free > bestFree {
			best, bestFree = i, free
		}
	}
	if best < 0 {
		return 0, codec.ENOSPC
	}
	return best, nil
}
