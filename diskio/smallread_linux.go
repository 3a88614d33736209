package diskio

import (
	"os"

	"golang.org/x/sys/unix"
)

// ReadSmall reads len(buf) bytes of f at off if, and only if, the kernel
// can serve them from the page cache: an event loop may call it, it never
// waits for the disk. It returns the bytes read and:
//
//   - nil when buf is full or the end of the file was reached (n < len(buf)
//     then means EOF);
//   - ErrWouldBlock when (the rest of) the range is not cached, or the
//     kernel or file system cannot do non-blocking reads (EOPNOTSUPP,
//     ENOSYS): read the range on a worker. buf[:n] is valid even then.
//   - another error (wrapped with f's name) for a real failure.
//
// It uses preadv2(RWF_NOWAIT) (Linux 4.14+) and allocates nothing.
func ReadSmall(f *os.File, off int64, buf []byte) (int, error) {
	return readSmall(int(f.Fd()), f.Name, off, buf)
}

// ReadFd is a file opened for reading as a plain descriptor: no os.File,
// whose poller registration costs four fcntl and a failing epoll_ctl on
// every open. It is what an event loop answering small downloads wants;
// File turns it into an *os.File for the rare hand-off to a worker.
type ReadFd struct {
	fd   int
	sp   *StorePath
	ref  FileRef
	slot int32 // the open-file cache's slot holding fd, or -1: fd is ours
}

// path is the file's path, for messages (allocates).
func (r ReadFd) path() string { return r.sp.path(r.ref) }

// OpenReadFd is OpenRead returning a ReadFd. A regular file (not a slave
// link) comes from, or goes into, the store path's open-file cache: a hit
// costs no system call and allocates nothing (see openRecheck for how long
// a change made by another process can go unseen).
func (sp *StorePath) OpenReadFd(ref FileRef) (ReadFd, FileStat, error) {
	if err := sp.checkRef("open", ref); err != nil {
		return ReadFd{fd: -1, slot: -1}, FileStat{}, err
	}
	var cp cPath
	fits := cp.file(sp, ref)
	var seq uint64
	c := sp.open
	if c != nil && fits {
		var i int32
		if i, seq = c.get(sp, ref, &cp); i >= 0 {
			return ReadFd{fd: c.slots[i].fd, sp: sp, ref: ref, slot: i}, c.slots[i].st, nil
		}
	}
	checked := int64(0)
	if c != nil {
		checked = c.now()
	}
	var fd int
	var err error
	link := false
	if fits {
		// O_NOFOLLOW first: only a regular file may be cached; a slave
		// link (ELOOP) is opened again following it.
		fd, err = openatC(&cp, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
		if err == unix.ELOOP {
			link = true
			fd, err = openatC(&cp, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		}
	} else {
		link = true
		for {
			fd, err = unix.Open(sp.path(ref), unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != unix.EINTR {
				break
			}
		}
	}
	if err != nil {
		return ReadFd{fd: -1, slot: -1}, FileStat{}, &os.PathError{Op: "open", Path: sp.path(ref), Err: err}
	}
	var st unix.Stat_t
	if err := fstat(fd, &st); err != nil {
		_ = unix.Close(fd)
		return ReadFd{fd: -1, slot: -1}, FileStat{}, &os.PathError{Op: "fstat", Path: sp.path(ref), Err: err}
	}
	fs := fileStatOf(&st)
	if !fs.IsRegular() {
		_ = unix.Close(fd)
		return ReadFd{fd: -1, slot: -1}, FileStat{}, &os.PathError{Op: "open", Path: sp.path(ref), Err: ErrNotRegular}
	}
	slot := int32(-1)
	if c != nil && !link {
		slot = c.put(ref, fd, &st, seq, checked)
	}
	// The ref may view a caller's buffer: keep only what messages need
	// when they are built, never its bytes past this call's user.
	return ReadFd{fd: fd, sp: sp, ref: ref, slot: slot}, fs, nil
}

// ReadSmall is the package's ReadSmall on r.
func (r ReadFd) ReadSmall(off int64, buf []byte) (int, error) {
	return readSmall(r.fd, r.path, off, buf)
}

// Close closes the descriptor, or gives a cached one back to the cache.
func (r ReadFd) Close() error {
	if r.slot >= 0 {
		r.sp.open.release(r.slot)
		return nil
	}
	return unix.Close(r.fd)
}

// File hands the descriptor over to an *os.File (r must not be used or
// closed afterwards). A cached descriptor is duplicated for it (the worker
// path is the slow one anyway) and given back; if dup fails the file is
// reopened; if that fails too, File is nil, whose Fd is -1 and whose reads
// and Close fail cleanly.
func (r ReadFd) File() *os.File {
	if r.slot < 0 {
		return os.NewFile(uintptr(r.fd), r.path())
	}
	fd, err := unix.FcntlInt(uintptr(r.fd), unix.F_DUPFD_CLOEXEC, 0)
	r.sp.open.release(r.slot)
	if err != nil {
		fd, err = unix.Open(r.path(), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil // a nil *os.File fails its reads with EINVAL/EBADF
		}
	}
	return os.NewFile(uintptr(fd), r.path())
}

// readSmall: name gives the file's name for an error (called only then).
func readSmall(fd int, name func() string, off int64, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		iov := [1][]byte{buf[n:]}
		m, err := unix.Preadv2(fd, iov[:], off+int64(n), unix.RWF_NOWAIT)
		switch err {
		case nil:
		case unix.EINTR:
			continue
		case unix.EAGAIN, unix.EOPNOTSUPP, unix.ENOSYS:
			return n, ErrWouldBlock
		default:
			return n, &os.PathError{Op: "preadv2", Path: name(), Err: err}
		}
		if m == 0 {
			return n, nil // end of file
		}
		n += m
	}
	return n, nil
}
