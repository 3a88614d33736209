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
	fd := int(f.Fd())
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
			return n, &os.PathError{Op: "preadv2", Path: f.Name(), Err: err}
		}
		if m == 0 {
			return n, nil // end of file
		}
		n += m
	}
	return n, nil
}
