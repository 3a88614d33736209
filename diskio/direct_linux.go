package diskio

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Small files whose whole content is in memory (a 4 KiB upload written on
// the event loop) are created under their final name at once: openat
// O_CREAT|O_EXCL, one pwrite, close. On ext4 that costs about two thirds
// of the O_TMPFILE + linkat pair (an unnamed inode goes on the orphan list
// and comes off it again at link; diskio BenchmarkCreateSmallFile), and it
// is what C does for its temp names.
//
// A kill -9 between the open and the end of the write would leave a file
// shorter than its name says under that name. So, before the open, the
// name and the size and CRC32 it promises go to a slot of data/.creating
// (stores into its shared mapping, the slot's magic last: the page cache
// keeps them when the process dies, and no system call is paid, 0.8 us
// less than a pwrite per create, BenchmarkCreateSlot). SweepTemp at the
// next start checks the file of every slot and removes it when its bytes
// do not match (CheckCreating). A slot is overwritten by a later create,
// so the ring must have more slots than creates can be in flight at once:
// one per event loop.
//
// Only files that are never changed in place may be created this way
// (appender files are, and their size then no longer matches the slot):
// the caller's promise.

const (
	createLogName  = ".creating"
	createSlots    = 128
	createSlotSize = 512 // header + "HH/HH/" + a name of up to MaxNameLen
	createSlotHead = 4 + 8 + 4 + 2
)

// createSlotMagic marks a written slot.
var createSlotMagic = [4]byte{'F', 'D', 'c', '1'}

// createLog is the ring of data/.creating, mapped (MAP_SHARED) on first
// use: a slot is written with plain stores into the page cache, no system
// call, and what a process stored there survives its kill -9.
type createLog struct {
	once sync.Once
	mem  []byte
	err  error
	next uint32 // slot of the next create, under mu
	mu   sync.Mutex
}

func (sp *StorePath) creatingPath() string { return sp.data + "/" + createLogName }

// createSlot returns the next slot of the ring.
func (sp *StorePath) createSlot() ([]byte, error) {
	cl := &sp.creating
	cl.once.Do(func() { cl.mem, cl.err = mapCreating(sp.creatingPath()) })
	if cl.err != nil {
		return nil, cl.err
	}
	cl.mu.Lock()
	s := cl.next
	cl.next = (s + 1) % createSlots
	cl.mu.Unlock()
	return cl.mem[s*createSlotSize : (s+1)*createSlotSize : (s+1)*createSlotSize], nil
}

// mapCreating opens the ring file, sizes it and maps it; the descriptor
// is not kept (the mapping holds the file). Only CheckCreating, before the
// first map, ever shrinks the file.
func mapCreating(path string) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, fileMode)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	const size = createSlots * createSlotSize
	if err := unix.Ftruncate(fd, size); err != nil {
		return nil, &os.PathError{Op: "truncate", Path: path, Err: err}
	}
	mem, err := unix.Mmap(fd, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, &os.PathError{Op: "mmap", Path: path, Err: err}
	}
	return mem, nil
}

// slotMagic is the slot's first word: the magic once the slot is whole,
// 0 while it is written or after its create failed. It is stored
// atomically (in order with the stores before it), so a kill in the middle
// of a slot leaves it unmarked, never marked with half a name.
func slotMagic(slot []byte) *uint32 { return (*uint32)(unsafe.Pointer(&slot[0])) }

var createSlotMagicWord = binary.LittleEndian.Uint32(createSlotMagic[:])

// WriteNew creates ref with content under its final name, never replacing
// (an error satisfying errors.Is(err, os.ErrExist) when ref exists, and
// nothing changed); crc is content's CRC32 (IEEE), which ref's name
// promises. ref must be a file that is never changed in place. On any
// other failure nothing is left under ref. It allocates nothing but its
// errors.
func (sp *StorePath) WriteNew(ref FileRef, content []byte, crc uint32) error {
	if err := sp.checkRef("create", ref); err != nil {
		return err
	}
	var p cPath
	if !p.file(sp, ref) || 6+len(ref.Name) > createSlotSize-createSlotHead {
		return &os.PathError{Op: "create", Path: sp.path(ref), Err: unix.ENAMETOOLONG}
	}
	slot, err := sp.createSlot()
	if err != nil {
		return err
	}
	atomic.StoreUint32(slotMagic(slot), 0)
	encodeCreateSlot(slot, ref, int64(len(content)), crc)
	atomic.StoreUint32(slotMagic(slot), createSlotMagicWord)
	fd, err := openatC(&p, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, fileMode)
	if err != nil {
		// The slot must not name a file that is someone else's (EEXIST):
		// CheckCreating would take it for an interrupted create.
		atomic.StoreUint32(slotMagic(slot), 0)
		return &os.PathError{Op: "create", Path: p.String(), Err: err}
	}
	werr := pwriteFull(fd, content, 0)
	cerr := unix.Close(fd)
	if werr == nil {
		werr = cerr
	}
	sp.forget(ref)
	if werr != nil {
		_ = unlinkC(&p)
		return &os.PathError{Op: "write", Path: p.String(), Err: werr}
	}
	return nil
}

// encodeCreateSlot writes the slot of ref (size and crc promised) into b,
// all but the magic, and returns its length.
func encodeCreateSlot(b []byte, ref FileRef, size int64, crc uint32) int {
	binary.LittleEndian.PutUint64(b[4:], uint64(size))
	binary.LittleEndian.PutUint32(b[12:], crc)
	n := createSlotHead
	b[n], b[n+1], b[n+2] = upperHex[(ref.High>>4)&0xF], upperHex[ref.High&0xF], '/'
	b[n+3], b[n+4], b[n+5] = upperHex[(ref.Low>>4)&0xF], upperHex[ref.Low&0xF], '/'
	n += 6
	n += copy(b[n:], ref.Name)
	binary.LittleEndian.PutUint16(b[16:], uint16(n-createSlotHead))
	return n
}

// CheckCreating removes every file that data/.creating names whose bytes
// do not match the size and CRC32 the slot recorded: a create that a
// crash interrupted. Call it at start, before serving (SweepTemp does).
// It then blanks the ring and reports how many files it removed.
func (sp *StorePath) CheckCreating() (int, error) {
	b, err := os.ReadFile(sp.creatingPath())
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	removed := 0
	var firstErr error
	for off := 0; off+createSlotHead <= len(b); off += createSlotSize {
		s := b[off:min(off+createSlotSize, len(b))]
		if [4]byte(s[:4]) != createSlotMagic {
			continue
		}
		size := int64(binary.LittleEndian.Uint64(s[4:]))
		crc := binary.LittleEndian.Uint32(s[12:])
		n := int(binary.LittleEndian.Uint16(s[16:]))
		if createSlotHead+n > len(s) {
			continue
		}
		ref, err := ParseFileRef(string(s[createSlotHead : createSlotHead+n]))
		if err != nil || sp.checkRef("check", ref) != nil {
			continue
		}
		ok, err := fileMatches(sp.path(ref), size, crc)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if ok {
			continue
		}
		if err := os.Remove(sp.path(ref)); err != nil && !errors.Is(err, os.ErrNotExist) {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		removed++
	}
	if firstErr == nil {
		// zeroed, not truncated: a mapping of the ring must never reach
		// past the end of the file (SIGBUS)
		firstErr = zeroFile(sp.creatingPath(), len(b))
	}
	return removed, firstErr
}

func zeroFile(path string, n int) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteAt(make([]byte, n), 0)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// fileMatches: path is missing (nothing to undo), or holds exactly size
// bytes with that CRC32.
func fileMatches(path string, size int64, crc uint32) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return false, err
	}
	if !st.Mode().IsRegular() || st.Size() != size {
		return false, nil
	}
	h := crc32.NewIEEE()
	if _, err := io.Copy(h, f); err != nil {
		return false, err
	}
	return h.Sum32() == crc, nil
}

func pwriteFull(fd int, p []byte, off int64) error {
	for len(p) > 0 {
		n, err := unix.Pwrite(fd, p, off)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return io.ErrShortWrite
		}
		p, off = p[n:], off+int64(n)
	}
	return nil
}

// unlinkC is unlinkat(AT_FDCWD, p, 0).
func unlinkC(p *cPath) error {
	for {
		_, _, e := unix.Syscall(unix.SYS_UNLINKAT, uintptr(atFdcwd), uintptr(unsafe.Pointer(&p.b[0])), 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return e
		}
		return nil
	}
}
