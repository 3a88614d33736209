package diskio

import (
	"errors"
	"hash/crc32"
	"io"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// SyncPolicy says when written data is forced to the disk. The zero value
// never syncs (C's default: the page cache decides).
type SyncPolicy struct {
	// AtCommit: fdatasync the file before Commit/Finish returns, and fsync
	// the directory a Commit renamed it into, so an acknowledged upload
	// survives a power cut.
	AtCommit bool
	// EveryBytes mirrors fsync_after_written_bytes: fdatasync each time this
	// many bytes were written since the last sync. 0 disables.
	EveryBytes int64
}

// WriteOptions configure a FileWriter.
type WriteOptions struct {
	// Size is the number of bytes the caller is about to write, when known.
	// If > 0 the space is reserved with fallocate first, so a full disk
	// fails the job before a single byte is received. Unwritten reserved
	// space is released by Commit/Finish.
	Size int64
	Sync SyncPolicy
}

type writerMode uint8

const (
	modeTemp   writerMode = iota // new file under a temp name, Commit renames
	modeAppend                   // existing file, writes start at its end
	modeModify                   // existing file, writes start at an offset
)

// FileWriter writes a body arriving in chunks to one file at increasing
// offsets (pwrite), keeping the CRC32 (IEEE) of everything it wrote.
//
// A writer from CreateTemp owns a temp file in data/ that becomes visible
// under its final name only through Commit (an atomic rename); Abort
// removes it. A writer from OpenAppend/OpenModify writes in place; Finish
// ends it, and Abort of an append cuts the file back to its old size.
//
// A FileWriter is not safe for concurrent use. Abort after Commit/Finish
// is a no-op, so `defer w.Abort()` is the idiom.
type FileWriter struct {
	sp        *StorePath
	f         *os.File
	fd        int
	path      string // temp path, or the file updated in place
	mode      writerMode
	start     int64 // first offset written by this writer
	off       int64 // next offset
	size      int64 // file size as far as this writer knows
	allocEnd  int64 // end of the range reserved with fallocate
	crc       uint32
	sync      SyncPolicy
	unsynced  int64
	mtime     unix.Timespec
	setMtime  bool
	fdClosed  bool
	finalized bool // committed, finished or aborted
}

// CreateTemp starts a new file under a unique temp name in data/.
func (sp *StorePath) CreateTemp(opts WriteOptions) (*FileWriter, error) {
	f, p, err := sp.createTemp()
	if err != nil {
		return nil, err
	}
	w := &FileWriter{sp: sp, f: f, fd: int(f.Fd()), path: p, mode: modeTemp, sync: opts.Sync}
	if err := w.preallocate(0, opts.Size); err != nil {
		f.Close()
		os.Remove(p)
		return nil, err
	}
	return w, nil
}

// OpenAppend opens the existing regular file ref for appending (an
// appender file). The running CRC covers the appended bytes only; use
// StorePath.CRC32 for the whole file.
func (sp *StorePath) OpenAppend(ref FileRef, opts WriteOptions) (*FileWriter, error) {
	w, err := sp.openInPlace("append", ref, opts.Sync)
	if err != nil {
		return nil, err
	}
	w.mode = modeAppend
	w.start, w.off = w.size, w.size
	if err := w.preallocate(w.off, opts.Size); err != nil {
		w.f.Close()
		return nil, err
	}
	return w, nil
}

// OpenModify opens the existing regular file ref for overwriting from
// offset on. An offset past the end is refused (ErrOffsetBeyondEOF); equal
// to the size it behaves like an append. Bytes overwritten cannot be
// restored: Abort only closes.
func (sp *StorePath) OpenModify(ref FileRef, offset int64, opts WriteOptions) (*FileWriter, error) {
	w, err := sp.openInPlace("modify", ref, opts.Sync)
	if err != nil {
		return nil, err
	}
	if offset < 0 || offset > w.size {
		w.f.Close()
		return nil, &os.PathError{Op: "modify", Path: w.path, Err: ErrOffsetBeyondEOF}
	}
	w.mode = modeModify
	w.start, w.off = offset, offset
	if err := w.preallocate(offset, opts.Size); err != nil {
		w.f.Close()
		return nil, err
	}
	return w, nil
}

// openInPlace opens ref for writing without following a symlink: appender
// files are never links, and a link must not redirect a write.
func (sp *StorePath) openInPlace(op string, ref FileRef, sync SyncPolicy) (*FileWriter, error) {
	if err := sp.checkRef(op, ref); err != nil {
		return nil, err
	}
	p := sp.path(ref)
	f, err := os.OpenFile(p, os.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) && (pe.Err == unix.ELOOP || pe.Err == unix.EISDIR) {
			return nil, &os.PathError{Op: op, Path: p, Err: ErrNotRegular}
		}
		return nil, err
	}
	fd := int(f.Fd())
	var st unix.Stat_t
	if err := fstat(fd, &st); err != nil {
		f.Close()
		return nil, &os.PathError{Op: "fstat", Path: p, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		f.Close()
		return nil, &os.PathError{Op: op, Path: p, Err: ErrNotRegular}
	}
	return &FileWriter{sp: sp, f: f, fd: fd, path: p, size: st.Size, sync: sync}, nil
}

// preallocate reserves [off, off+n) without changing the file size
// (FALLOC_FL_KEEP_SIZE: readers of an appender file must not see zeros that
// nobody wrote). File systems without fallocate just skip it.
func (w *FileWriter) preallocate(off, n int64) error {
	if n <= 0 {
		return nil
	}
	for {
		err := unix.Fallocate(w.fd, unix.FALLOC_FL_KEEP_SIZE, off, n)
		switch err {
		case nil:
			w.allocEnd = off + n
			return nil
		case unix.EINTR:
			continue
		case unix.EOPNOTSUPP, unix.ENOSYS:
			return nil
		}
		return &os.PathError{Op: "fallocate", Path: w.path, Err: err}
	}
}

// Write writes p at the next offset and adds it to the CRC. It allocates
// nothing.
func (w *FileWriter) Write(p []byte) (int, error) {
	if w.finalized || w.fdClosed {
		return 0, &os.PathError{Op: "write", Path: w.path, Err: ErrWriterDone}
	}
	done := 0
	var err error
	for done < len(p) {
		n, e := unix.Pwrite(w.fd, p[done:], w.off)
		if e == unix.EINTR {
			continue
		}
		if e != nil {
			err = &os.PathError{Op: "write", Path: w.path, Err: e}
			break
		}
		if n == 0 {
			err = &os.PathError{Op: "write", Path: w.path, Err: io.ErrShortWrite}
			break
		}
		done += n
		w.off += int64(n)
	}
	w.crc = crc32.Update(w.crc, crc32.IEEETable, p[:done])
	w.size = max(w.size, w.off)
	if err != nil {
		return done, err
	}
	if w.sync.EveryBytes > 0 {
		w.unsynced += int64(done)
		if w.unsynced >= w.sync.EveryBytes {
			w.unsynced = 0
			if e := fdatasync(w.fd); e != nil {
				return done, &os.PathError{Op: "fdatasync", Path: w.path, Err: e}
			}
		}
	}
	return done, nil
}

// CRC32 is the CRC32 (IEEE) of the bytes written through w.
func (w *FileWriter) CRC32() uint32 { return w.crc }

// Written is the number of bytes written through w.
func (w *FileWriter) Written() int64 { return w.off - w.start }

// Size is the file's size after the writes so far.
func (w *FileWriter) Size() int64 { return w.size }

// Path is the file being written: the temp file, or the file updated in
// place.
func (w *FileWriter) Path() string { return w.path }

// SetModTime makes Commit/Finish set the file's mtime to t after the last
// write (sync receivers keep the source's timestamp).
func (w *FileWriter) SetModTime(t time.Time) {
	w.mtime = unix.NsecToTimespec(t.UnixNano())
	w.setMtime = true
}

// Commit gives the temp file its final name ref, atomically: the name
// shows the whole content or nothing. It fails with EEXIST if ref exists;
// the writer then stays uncommitted, so the caller can Commit under
// another name or Abort.
func (w *FileWriter) Commit(ref FileRef) error { return w.commit(ref, false) }

// CommitReplace is Commit that atomically replaces an existing ref.
func (w *FileWriter) CommitReplace(ref FileRef) error { return w.commit(ref, true) }

func (w *FileWriter) commit(ref FileRef, replace bool) error {
	if w.finalized {
		return &os.PathError{Op: "commit", Path: w.path, Err: ErrWriterDone}
	}
	if w.mode != modeTemp {
		return &os.PathError{Op: "commit", Path: w.path, Err: errors.New("in-place writer: use Finish")}
	}
	if err := w.sp.checkRef("commit", ref); err != nil {
		return err
	}
	final := w.sp.path(ref)
	if err := w.closeFile(); err != nil {
		return err
	}
	var err error
	if replace {
		err = rename(w.path, final)
	} else {
		err = renameNoReplace(w.path, final)
	}
	if err != nil {
		return &os.LinkError{Op: "commit", Old: w.path, New: final, Err: err}
	}
	w.finalized = true
	w.path = final
	if w.sync.AtCommit {
		return syncDir(w.sp.dirPath(ref))
	}
	return nil
}

// Finish ends an in-place writer: releases unused reserved space, syncs
// per policy, sets the mtime if asked and closes the file.
func (w *FileWriter) Finish() error {
	if w.finalized {
		return &os.PathError{Op: "finish", Path: w.path, Err: ErrWriterDone}
	}
	if w.mode == modeTemp {
		return &os.PathError{Op: "finish", Path: w.path, Err: errors.New("temp writer: use Commit")}
	}
	err := w.closeFile()
	w.finalized = true
	return err
}

// closeFile completes the content: trims the reserve, syncs, sets mtime and
// closes. Once it succeeded, only the name can still change.
func (w *FileWriter) closeFile() error {
	if w.fdClosed {
		return nil
	}
	if w.allocEnd > w.size {
		// A truncate to the current size releases blocks fallocate
		// reserved past the end of file.
		if err := ftruncate(w.fd, w.size); err != nil {
			return &os.PathError{Op: "truncate", Path: w.path, Err: err}
		}
		w.allocEnd = 0
	}
	if w.sync.AtCommit {
		if err := fdatasync(w.fd); err != nil {
			return &os.PathError{Op: "fdatasync", Path: w.path, Err: err}
		}
		w.unsynced = 0
	}
	if w.setMtime {
		if err := futimens(w.fd, w.mtime); err != nil {
			return &os.PathError{Op: "set mtime", Path: w.path, Err: err}
		}
	}
	w.fdClosed = true
	return w.f.Close()
}

// Abort undoes the writer: a temp file is removed; an append is cut back
// to the file's old size (as C does for a failed append); a modify is only
// closed. After Commit/Finish it does nothing.
func (w *FileWriter) Abort() error {
	if w.finalized {
		return nil
	}
	w.finalized = true
	var err error
	switch w.mode {
	case modeTemp:
		if !w.fdClosed {
			w.f.Close()
		}
		if e := os.Remove(w.path); e != nil && !errors.Is(e, os.ErrNotExist) {
			err = e
		}
	case modeAppend:
		if !w.fdClosed {
			if e := ftruncate(w.fd, w.start); e != nil {
				err = &os.PathError{Op: "truncate", Path: w.path, Err: e}
			}
			w.f.Close()
		} else if e := os.Truncate(w.path, w.start); e != nil {
			err = e
		}
	case modeModify:
		if !w.fdClosed {
			w.f.Close()
		}
	}
	w.fdClosed = true
	return err
}

// renameNoReplace renames without ever replacing an existing file. File
// systems without RENAME_NOREPLACE get link+unlink, which is just as
// exclusive (link fails with EEXIST).
func renameNoReplace(from, to string) error {
	for {
		err := unix.Renameat2(unix.AT_FDCWD, from, unix.AT_FDCWD, to, unix.RENAME_NOREPLACE)
		switch err {
		case nil:
			return nil
		case unix.EINTR:
			continue
		case unix.EINVAL, unix.ENOSYS, unix.EOPNOTSUPP:
			if err := unix.Link(from, to); err != nil {
				return err
			}
			unix.Unlink(from)
			return nil
		}
		return err
	}
}

func rename(from, to string) error {
	for {
		err := unix.Rename(from, to)
		if err != unix.EINTR {
			return err
		}
	}
}

func fdatasync(fd int) error {
	for {
		err := unix.Fdatasync(fd)
		if err != unix.EINTR {
			return err
		}
	}
}

func ftruncate(fd int, size int64) error {
	for {
		err := unix.Ftruncate(fd, size)
		if err != unix.EINTR {
			return err
		}
	}
}

func fstat(fd int, st *unix.Stat_t) error {
	for {
		err := unix.Fstat(fd, st)
		if err != unix.EINTR {
			return err
		}
	}
}

// futimens sets fd's mtime, leaving atime alone. It is utimensat with a
// NULL path (how libc implements futimens); x/sys only offers the
// path-based form, which would go through /proc.
func futimens(fd int, mtime unix.Timespec) error {
	ts := [2]unix.Timespec{{Nsec: unix.UTIME_OMIT}, mtime}
	_, _, e := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}
