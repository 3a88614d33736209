package diskio

import (
	"strings"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// DefaultOpenFiles is the number of read descriptors a StorePath keeps
// open for files downloaded again and again (Options.OpenFiles = 0). A
// download of a small file is otherwise dominated by openat, fstat and
// close: the path walk and the struct file allocated and freed each time.
// 1024 per store path is far below any sane RLIMIT_NOFILE (Go raises the
// soft limit to the hard one) and covers the hot set of a busy storage.
const DefaultOpenFiles = 1024

// openRecheck bounds how long a cached descriptor is trusted without a
// look at the directory entry. Every change made through StorePath's
// methods (remove, rename, commit over, append, modify, truncate, set
// mtime, write atomic, symlink) drops the entry at once; what it cannot
// see is another process: fdfs_scrub -repair renaming a good copy over a
// bad file, an operator deleting or editing one. Such a file is served as
// it was for at most this long: past it, a hit first stats the path (one
// fstatat, cheaper than the open+fstat+close it replaces) and drops the
// entry when the inode, size, mtime or ctime differ or the name is gone.
// One second matches the granularity clients and C's own caches (the
// storage's stat of a file for its HTTP headers) live with.
const openRecheck = time.Second

type openKey struct {
	high, low uint16
	name      string
}

type openEntry struct {
	key     openKey
	fd      int
	st      FileStat
	dev     uint64
	ino     uint64
	ctime   unix.Timespec
	checked int64 // nanoseconds since cache.epoch of the last check
	refs    int32 // ReadFds handed out and not yet closed
	used    bool  // CLOCK reference bit
	live    bool  // slot holds an open descriptor
	dead    bool  // dropped from the map while in use: close on last release
}

// openCache keeps read descriptors of regular files (never of slave
// links: a link's target can be removed under another name). A hit hands
// out the cached descriptor with a reference count; eviction (CLOCK) skips
// slots in use, so a descriptor is closed only when nobody reads it.
type openCache struct {
	mu      sync.Mutex
	epoch   time.Time
	recheck time.Duration // openRecheck; tests shorten it
	slots   []openEntry
	index   map[openKey]int32
	hand    int
	free    []int32
	// seq counts invalidations: a miss inserts its descriptor only if no
	// invalidation ran while it was opening, so a file changed during the
	// open is never cached in its old state.
	seq uint64
}

func newOpenCache(n int) *openCache {
	c := &openCache{epoch: time.Now(), recheck: openRecheck, slots: make([]openEntry, n), index: make(map[openKey]int32, n),
		free: make([]int32, 0, n)}
	for i := n - 1; i >= 0; i-- {
		c.free = append(c.free, int32(i))
	}
	return c
}

func keyOf(ref FileRef) openKey {
	return openKey{high: uint16(ref.High), low: uint16(ref.Low), name: ref.Name}
}

func (c *openCache) now() int64 { return int64(time.Since(c.epoch)) }

// get returns the slot of ref's descriptor with a reference taken, or -1.
// A stale entry (past openRecheck and changed) is dropped.
func (c *openCache) get(sp *StorePath, ref FileRef, cp *cPath) (int32, uint64) {
	now := c.now()
	c.mu.Lock()
	i, ok := c.index[keyOf(ref)]
	if !ok {
		seq := c.seq
		c.mu.Unlock()
		return -1, seq
	}
	e := &c.slots[i]
	if now-e.checked < int64(c.recheck) {
		e.refs++
		e.used = true
		c.mu.Unlock()
		return i, 0
	}
	c.mu.Unlock()
	// Recheck outside the lock: one stat of the path.
	var st unix.Stat_t
	fresh := false
	if cp != nil && lstatC(cp, &st) == nil {
		c.mu.Lock()
		if j, ok := c.index[keyOf(ref)]; ok && j == i {
			fresh = st.Dev == e.dev && st.Ino == e.ino && st.Size == e.st.Size &&
				st.Mtim == timespecOf(e.st.ModTime) && st.Ctim == e.ctime
		}
		c.mu.Unlock()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	j, ok := c.index[keyOf(ref)]
	if !ok || j != i {
		return -1, c.seq
	}
	if !fresh {
		c.dropLocked(i)
		return -1, c.seq
	}
	e.checked = now
	e.refs++
	e.used = true
	return i, 0
}

func timespecOf(t time.Time) unix.Timespec {
	return unix.Timespec{Sec: t.Unix(), Nsec: int64(t.Nanosecond())}
}

// put caches fd (a reference taken) unless an invalidation ran since seq
// or every slot is in use; -1 means the caller keeps fd as its own.
func (c *openCache) put(ref FileRef, fd int, st *unix.Stat_t, seq uint64, checked int64) int32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seq != seq {
		return -1
	}
	k := keyOf(ref)
	if _, ok := c.index[k]; ok { // another loop cached it meanwhile
		return -1
	}
	i := c.slotLocked()
	if i < 0 {
		return -1
	}
	k.name = strings.Clone(k.name) // ref may view a caller's buffer
	c.slots[i] = openEntry{key: k, fd: fd, st: fileStatOf(st), dev: st.Dev, ino: st.Ino, ctime: st.Ctim,
		checked: checked, refs: 1, used: true, live: true}
	c.index[k] = i
	return i
}

// slotLocked finds a free slot, evicting an idle entry (CLOCK); -1 when
// all are in use.
func (c *openCache) slotLocked() int32 {
	if n := len(c.free); n > 0 {
		i := c.free[n-1]
		c.free = c.free[:n-1]
		return i
	}
	for range 2 * len(c.slots) {
		i := c.hand
		c.hand = (c.hand + 1) % len(c.slots)
		e := &c.slots[i]
		if e.refs > 0 || e.dead {
			continue
		}
		if e.used {
			e.used = false
			continue
		}
		delete(c.index, e.key)
		_ = unix.Close(e.fd)
		*e = openEntry{}
		return int32(i)
	}
	return -1
}

// dropLocked removes slot i from the index, closing its descriptor now or
// at its last release.
func (c *openCache) dropLocked(i int32) {
	e := &c.slots[i]
	delete(c.index, e.key)
	if e.refs > 0 {
		e.dead = true
		return
	}
	_ = unix.Close(e.fd)
	*e = openEntry{}
	c.free = append(c.free, i)
}

// release gives back a reference taken by get or put.
func (c *openCache) release(i int32) {
	c.mu.Lock()
	e := &c.slots[i]
	e.refs--
	if e.refs == 0 && e.dead {
		_ = unix.Close(e.fd)
		*e = openEntry{}
		c.free = append(c.free, i)
	}
	c.mu.Unlock()
}

// forget drops ref's entry; called after every change to ref made through
// StorePath.
func (c *openCache) forget(ref FileRef) {
	c.mu.Lock()
	c.seq++
	if i, ok := c.index[keyOf(ref)]; ok {
		c.dropLocked(i)
	}
	c.mu.Unlock()
}

// closeAll closes every idle descriptor and drops the rest (closed at
// their last release).
func (c *openCache) closeAll() {
	c.mu.Lock()
	c.seq++
	for _, i := range c.index {
		c.dropLocked(i)
	}
	c.mu.Unlock()
}

// Forget drops ref from the open-file cache: code that changes a file of
// the store path without going through its methods (a rename over it from
// outside diskio) calls it right after, so the next download opens the
// new file instead of waiting for openRecheck.
func (sp *StorePath) Forget(ref FileRef) { sp.forget(ref) }

func (sp *StorePath) forget(ref FileRef) {
	if sp.open != nil {
		sp.open.forget(ref)
	}
}

// CloseOpenFiles closes the descriptors the store path keeps for
// downloads (those still being read close when released). The store path
// stays usable; the cache refills on later downloads.
func (sp *StorePath) CloseOpenFiles() {
	if sp.open != nil {
		sp.open.closeAll()
	}
}

// OpenFiles is the number of descriptors the cache holds now.
func (sp *StorePath) OpenFiles() int {
	if sp.open == nil {
		return 0
	}
	sp.open.mu.Lock()
	defer sp.open.mu.Unlock()
	return len(sp.open.slots) - len(sp.open.free)
}

// lstatC is fstatat(AT_FDCWD, p, AT_SYMLINK_NOFOLLOW) without allocating.
func lstatC(p *cPath, st *unix.Stat_t) error {
	for {
		_, _, e := unix.Syscall6(unix.SYS_NEWFSTATAT, uintptr(atFdcwd), uintptr(unsafe.Pointer(&p.b[0])),
			uintptr(unsafe.Pointer(st)), uintptr(unix.AT_SYMLINK_NOFOLLOW), 0, 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return e
		}
		return nil
	}
}
