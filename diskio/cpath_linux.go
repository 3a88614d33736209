package diskio

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// cPathMax bounds the NUL-terminated paths built on the stack for the
// allocation-free open and link calls; a store path too long for it takes
// the ordinary (allocating) calls.
const cPathMax = 512

// cPath is a NUL-terminated path built without allocating.
type cPath struct {
	b [cPathMax]byte
	n int
}

// dir sets p to data/HH/HH of ref (ref's directory part must be checked);
// false if it does not fit.
func (p *cPath) dir(sp *StorePath, ref FileRef) bool {
	if len(sp.data)+7 >= cPathMax {
		return false
	}
	p.n = copy(p.b[:], sp.data)
	p.b[p.n] = '/'
	p.b[p.n+1] = upperHex[(ref.High>>4)&0xF]
	p.b[p.n+2] = upperHex[ref.High&0xF]
	p.b[p.n+3] = '/'
	p.b[p.n+4] = upperHex[(ref.Low>>4)&0xF]
	p.b[p.n+5] = upperHex[ref.Low&0xF]
	p.n += 6
	p.b[p.n] = 0
	return true
}

// file sets p to data/HH/HH/Name of a checked ref; false if it does not fit.
func (p *cPath) file(sp *StorePath, ref FileRef) bool {
	if len(sp.data)+8+len(ref.Name) >= cPathMax || !p.dir(sp, ref) {
		return false
	}
	p.b[p.n] = '/'
	p.n++
	p.n += copy(p.b[p.n:], ref.Name)
	p.b[p.n] = 0
	return true
}

// String is the path (allocates: for error messages).
func (p *cPath) String() string { return string(p.b[:p.n]) }

var emptyCPath = [1]byte{0}

// atFdcwd is AT_FDCWD as a variable: a negative constant cannot convert to uintptr.
var atFdcwd = unix.AT_FDCWD

// openatC is openat(AT_FDCWD, p) without the string-to-bytes copy of
// unix.Open.
func openatC(p *cPath, flags int, mode uint32) (int, error) {
	for {
		r, _, e := unix.Syscall6(unix.SYS_OPENAT, uintptr(atFdcwd), uintptr(unsafe.Pointer(&p.b[0])),
			uintptr(flags), uintptr(mode), 0, 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return -1, e
		}
		return int(r), nil
	}
}

// linkFdC gives the open unnamed file fd the name p with
// linkat(AT_EMPTY_PATH), never replacing; errors as unix.Linkat's.
func linkFdC(fd int, p *cPath) error {
	for {
		_, _, e := unix.Syscall6(unix.SYS_LINKAT, uintptr(fd), uintptr(unsafe.Pointer(&emptyCPath[0])),
			uintptr(atFdcwd), uintptr(unsafe.Pointer(&p.b[0])), uintptr(unix.AT_EMPTY_PATH), 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return e
		}
		return nil
	}
}

// CreateTempIn is CreateTemp for a file that will be committed into the
// directory of dir (its High and Low; Name is ignored), into the
// caller's w, allocating nothing where the file system takes O_TMPFILE.
//
// The unnamed file is opened in that directory, not in data/, so ext4
// allocates its inode near the directory's, as it does for C's temp files
// (created in the final directory and renamed). With every temp file
// opened in data/, all new inodes come from data/'s block group, and after
// a wave of deletes that group is full of recently freed inodes: on ext4
// without a journal, find_inode_bit checks each one (recently_deleted,
// an inode-table read) before skipping it, which made uploads after a
// delete wave spend half their CPU there (BENCHMARKS.md, delete wave).
func (sp *StorePath) CreateTempIn(w *FileWriter, dir FileRef, opts WriteOptions) error {
	if dir.High < 0 || dir.High >= sp.subdirs || dir.Low < 0 || dir.Low >= sp.subdirs {
		dir = FileRef{}
	}
	var p cPath
	if sp.noTmpfile.Load() || !p.dir(sp, dir) {
		nw, err := sp.CreateTemp(opts)
		if err != nil {
			return err
		}
		*w = *nw
		return nil
	}
	fd, err := openatC(&p, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, fileMode)
	if err != nil {
		if err == unix.EOPNOTSUPP || err == unix.EISDIR || err == unix.EINVAL {
			sp.noTmpfile.Store(true)
		}
		nw, err := sp.CreateTemp(opts)
		if err != nil {
			return err
		}
		*w = *nw
		return nil
	}
	*w = FileWriter{sp: sp, fd: fd, anon: true, path: sp.anonPath, mode: modeTemp, sync: opts.Sync}
	if err := w.preallocate(0, opts.Size); err != nil {
		_ = w.Abort()
		return err
	}
	return nil
}
