package diskio

import (
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// The operations below block on the disk: servers run them on the store
// path's Worker (Worker.Do), tools and tests may call them directly.

// FileStat is what the storage needs to know of a file.
type FileStat struct {
	Size    int64
	ModTime time.Time
	Mode    uint32 // st_mode: type bits and permissions
}

// IsRegular reports a regular file.
func (s FileStat) IsRegular() bool { return s.Mode&unix.S_IFMT == unix.S_IFREG }

// IsSymlink reports a symbolic link (only Lstat can see one).
func (s FileStat) IsSymlink() bool { return s.Mode&unix.S_IFMT == unix.S_IFLNK }

func fileStatOf(st *unix.Stat_t) FileStat {
	return FileStat{
		Size:    st.Size,
		ModTime: time.Unix(st.Mtim.Sec, st.Mtim.Nsec),
		Mode:    st.Mode,
	}
}

// Stat stats ref, following a symlink (a slave link reports its target).
func (sp *StorePath) Stat(ref FileRef) (FileStat, error) { return sp.stat("stat", ref, 0) }

// Lstat stats ref itself, so a slave link reports the link (its own mtime).
func (sp *StorePath) Lstat(ref FileRef) (FileStat, error) {
	return sp.stat("lstat", ref, unix.AT_SYMLINK_NOFOLLOW)
}

func (sp *StorePath) stat(op string, ref FileRef, flags int) (FileStat, error) {
	if err := sp.checkRef(op, ref); err != nil {
		return FileStat{}, err
	}
	p := sp.path(ref)
	var st unix.Stat_t
	for {
		err := unix.Fstatat(unix.AT_FDCWD, p, &st, flags)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return FileStat{}, &os.PathError{Op: op, Path: p, Err: err}
		}
		return fileStatOf(&st), nil
	}
}

// OpenRead opens ref for reading (following a slave link) and stats it;
// anything but a regular file is refused with ErrNotRegular.
func (sp *StorePath) OpenRead(ref FileRef) (*os.File, FileStat, error) {
	if err := sp.checkRef("open", ref); err != nil {
		return nil, FileStat{}, err
	}
	return openRegular(sp.path(ref))
}

func openRegular(p string) (*os.File, FileStat, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, FileStat{}, err
	}
	var st unix.Stat_t
	if err := fstat(int(f.Fd()), &st); err != nil {
		f.Close()
		return nil, FileStat{}, &os.PathError{Op: "fstat", Path: p, Err: err}
	}
	fs := fileStatOf(&st)
	if !fs.IsRegular() {
		f.Close()
		return nil, FileStat{}, &os.PathError{Op: "open", Path: p, Err: ErrNotRegular}
	}
	return f, fs, nil
}

// Truncate sets the size of the regular file ref: shorter cuts, longer
// extends with zeros (TRUNCATE_FILE). A symlink is refused.
func (sp *StorePath) Truncate(ref FileRef, size int64) error {
	if size < 0 {
		return &os.PathError{Op: "truncate", Path: ref.String(), Err: unix.EINVAL}
	}
	w, err := sp.openInPlace("truncate", ref, SyncPolicy{})
	if err != nil {
		return err
	}
	defer sp.forget(ref) // after the close: runs last
	defer w.f.Close()
	if w.size == size {
		return nil
	}
	if err := ftruncate(w.fd, size); err != nil {
		return &os.PathError{Op: "truncate", Path: w.path, Err: err}
	}
	return nil
}

// Remove unlinks ref: a regular file or a symlink (not its target; the
// caller removes a slave link's target and the "-m" files itself).
func (sp *StorePath) Remove(ref FileRef) error {
	if err := sp.checkRef("remove", ref); err != nil {
		return err
	}
	p := sp.path(ref)
	defer sp.forget(ref)
	for {
		err := unix.Unlink(p)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return &os.PathError{Op: "remove", Path: p, Err: err}
		}
		return nil
	}
}

// Rename moves from to to inside the store path, refusing to replace an
// existing to (EEXIST), e.g. regenerating an appender file's name.
func (sp *StorePath) Rename(from, to FileRef) error {
	if err := sp.checkRef("rename", from); err != nil {
		return err
	}
	if err := sp.checkRef("rename", to); err != nil {
		return err
	}
	defer sp.forget(from)
	defer sp.forget(to)
	if err := renameNoReplace(sp.path(from), sp.path(to)); err != nil {
		return &os.LinkError{Op: "rename", Old: sp.path(from), New: sp.path(to), Err: err}
	}
	return nil
}

// Symlink makes link a symbolic link to target (a slave file stored as a
// link, store_slave_file_use_link). Like C, the link holds target's
// absolute path.
func (sp *StorePath) Symlink(target, link FileRef) error {
	if err := sp.checkRef("symlink", target); err != nil {
		return err
	}
	if err := sp.checkRef("symlink", link); err != nil {
		return err
	}
	defer sp.forget(link)
	if err := os.Symlink(sp.path(target), sp.path(link)); err != nil {
		return err
	}
	return nil
}

// LinkTarget reads the symlink link and returns the file it points to,
// which must be a file of this store path's tree (ErrOutsideStorePath
// otherwise): deleting a slave link deletes its target too, and that must
// never reach outside. Relative link contents are resolved against the
// link's directory.
func (sp *StorePath) LinkTarget(link FileRef) (FileRef, error) {
	if err := sp.checkRef("readlink", link); err != nil {
		return FileRef{}, err
	}
	p := sp.path(link)
	target, err := os.Readlink(p)
	if err != nil {
		return FileRef{}, err
	}
	if !filepath.IsAbs(target) {
		target = filepath.Join(sp.dirPath(link), target)
	}
	target = filepath.Clean(target)
	rel, ok := strings.CutPrefix(target, sp.data+"/")
	if !ok {
		// Made by someone who spelled the store path with its symlinks
		// resolved.
		rel, ok = strings.CutPrefix(target, sp.realData+"/")
	}
	if !ok {
		return FileRef{}, &os.PathError{Op: "readlink", Path: p, Err: ErrOutsideStorePath}
	}
	ref, err := ParseFileRef(rel)
	if err != nil || sp.checkRef("readlink", ref) != nil {
		return FileRef{}, &os.PathError{Op: "readlink", Path: p, Err: ErrOutsideStorePath}
	}
	return ref, nil
}

// ReadSmallFile reads the whole regular file ref if it is at most limit
// bytes (ErrTooLarge otherwise): metadata files.
func (sp *StorePath) ReadSmallFile(ref FileRef, limit int64) ([]byte, error) {
	if err := sp.checkRef("read", ref); err != nil {
		return nil, err
	}
	f, st, err := openRegular(sp.path(ref))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st.Size > limit {
		return nil, &os.PathError{Op: "read", Path: f.Name(), Err: ErrTooLarge}
	}
	buf := make([]byte, st.Size)
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, &os.PathError{Op: "read", Path: f.Name(), Err: err}
	}
	// A concurrent truncate can only shorten what we return; never pad.
	return buf[:n], nil
}

// WriteFileAtomic replaces (or creates) ref with data via a temp file and
// a rename, so a reader sees the old or the new content, never a mix:
// metadata files. durable adds fdatasync and a directory fsync.
func (sp *StorePath) WriteFileAtomic(ref FileRef, data []byte, durable bool) error {
	if err := sp.checkRef("write", ref); err != nil {
		return err
	}
	defer sp.forget(ref)
	return sp.writeAtomic(sp.path(ref), data, durable)
}

// SetModTime sets ref's mtime (atime is kept). A symlink gets its own
// mtime set, never its target's.
func (sp *StorePath) SetModTime(ref FileRef, t time.Time) error {
	if err := sp.checkRef("set mtime", ref); err != nil {
		return err
	}
	p := sp.path(ref)
	defer sp.forget(ref)
	ts := []unix.Timespec{{Nsec: unix.UTIME_OMIT}, unix.NsecToTimespec(t.UnixNano())}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "set mtime", Path: p, Err: err}
	}
	return nil
}

// CRC32 computes the CRC32 (IEEE) of the whole file ref (following a slave
// link) in chunks of the store path's chunk size: memory stays bounded
// whatever the file size. size is the number of bytes read.
func (sp *StorePath) CRC32(ref FileRef) (crc uint32, size int64, err error) {
	if err := sp.checkRef("crc32", ref); err != nil {
		return 0, 0, err
	}
	f, _, err := openRegular(sp.path(ref))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	bp := sp.chunks.Get().(*[]byte)
	defer sp.chunks.Put(bp)
	buf := *bp
	fd := int(f.Fd())
	for {
		n, err := unix.Pread(fd, buf, size)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, size, &os.PathError{Op: "read", Path: f.Name(), Err: err}
		}
		if n == 0 {
			return crc, size, nil
		}
		crc = crc32.Update(crc, crc32.IEEETable, buf[:n])
		size += int64(n)
	}
}
