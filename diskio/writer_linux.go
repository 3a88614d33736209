package diskio

import (
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
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
	modeRegion                   // a region of a file the caller keeps open
)

// FileWriter writes a body arriving in chunks to one file at increasing
// offsets (pwrite), keeping the CRC32 (IEEE) of everything it wrote.
//
// A writer from CreateTemp owns a temp file in data/ that becomes visible
// under its final name only through Commit; Abort removes it. The temp file
// is an unnamed O_TMPFILE inode where the file system supports it: Commit
// links it in (one linkat, no directory entry to create and remove), and a
// crash or a dropped client leaves nothing behind. Elsewhere it is a named
// .cp*.tmp file that Commit renames. A writer from OpenAppend/OpenModify writes in place; Finish
// ends it, and Abort of an append cuts the file back to its old size.
//
// A FileWriter is not safe for concurrent use. Abort after Commit/Finish
// is a no-op, so `defer w.Abort()` is the idiom.
type FileWriter struct {
	sp        *StorePath
	f         *os.File // nil for an unnamed temp file (fd only)
	fd        int
	anon      bool   // unnamed O_TMPFILE temp file: Commit links it
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
	// lazyRef: committed as ref, path not built yet (Path builds it).
	lazyRef bool
	ref     FileRef
	// placeRef is the file an in-place writer changes: dropped from the
	// open-file cache when the writer opens and again when it ends.
	placeRef FileRef
}

// CreateTemp starts a new file under a unique temp name in data/.
func (sp *StorePath) CreateTemp(opts WriteOptions) (*FileWriter, error) {
	var w *FileWriter
	if fd, ok := sp.openTmpfile(); ok {
		w = &FileWriter{sp: sp, fd: fd, anon: true, path: sp.anonPath, mode: modeTemp, sync: opts.Sync}
	} else {
		f, p, err := sp.createTemp()
		if err != nil {
			return nil, err
		}
		w = &FileWriter{sp: sp, f: f, fd: int(f.Fd()), path: p, mode: modeTemp, sync: opts.Sync}
	}
	if err := w.preallocate(0, opts.Size); err != nil {
		_ = w.Abort()
		return nil, err
	}
	return w, nil
}

// anonTempName stands for an unnamed temp file in error messages.
const anonTempName = "(unnamed temp file)"

// openTmpfile opens an unnamed file in data/ with O_TMPFILE, as a plain
// descriptor: no os.File, whose poller registration costs four fcntl and
// a failing epoll_ctl per file. ok is false when the file system cannot
// (then it is not asked again) or the open failed: the caller falls back
// to a named temp file, which reports the error if there is one.
func (sp *StorePath) openTmpfile() (fd int, ok bool) {
	if sp.noTmpfile.Load() {
		return -1, false
	}
	for {
		fd, err := unix.Open(sp.data, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, fileMode)
		switch err {
		case nil:
			return fd, true
		case unix.EINTR:
			continue
		case unix.EOPNOTSUPP, unix.EISDIR, unix.EINVAL:
			sp.noTmpfile.Store(true)
		}
		return -1, false
	}
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

// WriteRegion starts a writer of f, a file the caller keeps open (a trunk
// container), from offset on: writes go through f (so a Close of f by its
// owner fails them instead of letting them reach a reused descriptor),
// Finish syncs per policy and sets nothing else, and neither Finish nor
// Abort closes f, truncates it, or drops its cached read descriptor: only
// a region no reader is using yet changes, and the file stays the file.
// opts.Size, if > 0, reserves the region with fallocate (KEEP_SIZE).
func (sp *StorePath) WriteRegion(f *os.File, offset int64, opts WriteOptions) (*FileWriter, error) {
	if offset < 0 {
		return nil, &os.PathError{Op: "write region", Path: f.Name(), Err: ErrOffsetBeyondEOF}
	}
	w := &FileWriter{sp: sp, f: f, fd: int(f.Fd()), path: f.Name(), mode: modeRegion, start: offset, off: offset,
		size: offset, sync: opts.Sync}
	if err := w.preallocate(offset, opts.Size); err != nil {
		return nil, err
	}
	w.allocEnd = 0 // the region is the caller's: nothing to give back at Finish
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
	sp.forget(ref)
	return &FileWriter{sp: sp, f: f, fd: fd, path: p, size: st.Size, sync: sync, placeRef: ref}, nil
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
	var done int
	var err error
	if w.mode == modeRegion {
		// through the caller's *os.File, whose close waits for the write
		// or fails it
		done, err = w.f.WriteAt(p, w.off)
		w.off += int64(done)
	} else {
		done, err = w.pwriteAll(p)
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

// pwriteAll writes p at w.off on the writer's descriptor, advancing w.off
// by what went out.
func (w *FileWriter) pwriteAll(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		n, e := unix.Pwrite(w.fd, p[done:], w.off)
		if e == unix.EINTR {
			continue
		}
		if e != nil {
			return done, &os.PathError{Op: "write", Path: w.path, Err: e}
		}
		if n == 0 {
			return done, &os.PathError{Op: "write", Path: w.path, Err: io.ErrShortWrite}
		}
		done += n
		w.off += int64(n)
	}
	return done, nil
}

// CRC32 is the CRC32 (IEEE) of the bytes written through w.
func (w *FileWriter) CRC32() uint32 { return w.crc }

// Written is the number of bytes written through w.
func (w *FileWriter) Written() int64 { return w.off - w.start }

// Size is the file's size after the writes so far.
func (w *FileWriter) Size() int64 { return w.size }

// Path is the file being written: the temp file (a placeholder in data/
// while it is unnamed), its final name once committed, or the file updated
// in place.
func (w *FileWriter) Path() string {
	if w.lazyRef {
		w.path, w.lazyRef = w.sp.path(w.ref), false
	}
	return w.path
}

// ModTime is the file's mtime as the kernel set it by the writes so far
// (fstat while the file is open).
func (w *FileWriter) ModTime() (time.Time, error) {
	var st unix.Stat_t
	var err error
	if w.fdClosed {
		err = unix.Stat(w.Path(), &st)
	} else {
		err = fstat(w.fd, &st)
	}
	if err != nil {
		return time.Time{}, &os.PathError{Op: "stat", Path: w.path, Err: err}
	}
	return time.Unix(st.Mtim.Unix()), nil
}

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
	defer w.sp.forget(ref)
	if w.anon && !replace && !w.sync.AtCommit {
		if done, err := w.commitAnonFast(ref); done {
			return err
		}
	}
	final := w.sp.path(ref)
	if w.anon {
		return w.commitAnon(final, replace)
	}
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

// commitAnon links the unnamed temp file in as final. The content is
// completed first (trim, sync, mtime) with the descriptor still open, since
// only it reaches the inode; a taken name (EEXIST) leaves the writer open
// for another Commit. replace links under a .cp*.tmp name in data/ and
// renames that over final.
func (w *FileWriter) commitAnon(final string, replace bool) error {
	if err := w.completeContent(); err != nil {
		return err
	}
	target := final
	if replace { // through a named temp file where a crash leftover is looked for
		target = w.sp.tempName()
	}
	if err := linkFd(w.fd, target); err != nil {
		if err == unix.EPERM || err == unix.ENOENT && unix.Access(filepath.Dir(target), unix.F_OK) == nil {
			// Neither AT_EMPTY_PATH nor /proc can link here: later
			// writers use named temp files.
			w.sp.noTmpfile.Store(true)
		}
		return &os.LinkError{Op: "commit", Old: w.path, New: target, Err: err}
	}
	if replace {
		if err := rename(target, final); err != nil {
			_ = unix.Unlink(target)
			return &os.LinkError{Op: "commit", Old: target, New: final, Err: err}
		}
	}
	w.fdClosed = true
	_ = unix.Close(w.fd)
	w.finalized = true
	w.path = final
	if w.sync.AtCommit {
		return syncDir(filepath.Dir(final))
	}
	return nil
}

// commitAnonFast is commitAnon for the common case, allocating nothing:
// the final path is built on the stack and linked with one linkat. done
// is false when it could not decide (a path too long for the stack, or a
// link refused in a way the general path handles); then nothing changed.
func (w *FileWriter) commitAnonFast(ref FileRef) (done bool, err error) {
	var p cPath
	if !p.file(w.sp, ref) {
		return false, nil
	}
	if err := w.completeContent(); err != nil {
		return true, err
	}
	switch e := linkFdC(w.fd, &p); e {
	case nil:
	case unix.EEXIST:
		return true, &os.LinkError{Op: "commit", Old: w.path, New: p.String(), Err: e}
	default:
		return false, nil // EPERM, ENOENT ...: the general path sorts them out
	}
	w.fdClosed = true
	_ = unix.Close(w.fd)
	w.finalized = true
	w.lazyRef, w.ref = true, ref
	return true, nil
}

// linkFd gives the open unnamed file fd the name path (never replacing:
// EEXIST if it exists). linkat(AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH on
// kernels before 6.10; without it the /proc/self/fd link does the same.
func linkFd(fd int, path string) error {
	for {
		err := unix.Linkat(fd, "", unix.AT_FDCWD, path, unix.AT_EMPTY_PATH)
		switch err {
		case nil:
			return nil
		case unix.EINTR:
			continue
		case unix.EPERM, unix.ENOENT, unix.EINVAL:
			if err == unix.ENOENT && unix.Access(filepath.Dir(path), unix.F_OK) != nil {
				return err // the directory is missing, not AT_EMPTY_PATH
			}
			return linkProcFd(fd, path)
		}
		return err
	}
}

func linkProcFd(fd int, path string) error {
	for {
		err := unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), unix.AT_FDCWD, path, unix.AT_SYMLINK_FOLLOW)
		if err != unix.EINTR {
			return err
		}
	}
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
	if w.mode == modeRegion {
		w.finalized, w.fdClosed = true, true // f stays open: it is the caller's
		return w.completeContent()
	}
	err := w.closeFile()
	w.finalized = true
	w.sp.forget(w.placeRef)
	return err
}

// closeFile completes the content: trims the reserve, syncs, sets mtime and
// closes. Once it succeeded, only the name can still change.
func (w *FileWriter) closeFile() error {
	if w.fdClosed {
		return nil
	}
	if err := w.completeContent(); err != nil {
		return err
	}
	w.fdClosed = true
	return w.f.Close()
}

// completeContent trims the reserve, syncs per policy and sets the mtime,
// leaving the descriptor open.
func (w *FileWriter) completeContent() error {
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
		w.setMtime = false
	}
	return nil
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
		if w.anon { // unnamed: closing frees it
			if !w.fdClosed {
				_ = unix.Close(w.fd)
			}
			break
		}
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
	case modeRegion: // the caller's file: left open, as it is
	}
	if w.mode != modeTemp && w.mode != modeRegion {
		w.sp.forget(w.placeRef)
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
