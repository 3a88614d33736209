package diskio

import (
	"errors"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

var (
	// ErrInvalidName is wrapped (in an *os.PathError) by every operation that
	// was given a FileRef or a temp name that could leave the store path or
	// is not a name a file in the tree may have. A protocol layer maps it
	// to EINVAL.
	ErrInvalidName = errors.New("diskio: invalid file reference")

	// ErrOutsideStorePath: a symlink in the tree points somewhere that is
	// not a file of this store path's data/HH/HH tree.
	ErrOutsideStorePath = errors.New("diskio: link target outside the store path")

	// ErrReadOnly: the store path is configured read-only
	// (store_pathN_readonly) and a new upload was about to choose it.
	ErrReadOnly = errors.New("diskio: store path is read-only")

	// ErrWriterDone: a FileWriter was used after Commit, Finish or Abort.
	ErrWriterDone = errors.New("diskio: file writer already committed or aborted")

	// ErrNotRegular: an update, truncate or small read met something that
	// is not a regular file (a directory, a symlink where none may be…).
	// C answers EINVAL for updates and EISDIR for reads.
	ErrNotRegular = errors.New("diskio: not a regular file")

	// ErrOffsetBeyondEOF: a modify would start past the end of the file,
	// which would leave a hole of zeros nobody wrote.
	ErrOffsetBeyondEOF = errors.New("diskio: offset beyond end of file")

	// ErrTooLarge: a small whole-file read found a file above its limit.
	ErrTooLarge = errors.New("diskio: file larger than the limit")

	// ErrWouldBlock: ReadSmall found (part of) the range outside the page
	// cache, or the kernel/file system cannot tell; read it on a worker.
	ErrWouldBlock = errors.New("diskio: read would block on the disk")

	// ErrClosed: the worker is closed; a job submitted before Close but not
	// finished is completed with an error wrapping it.
	ErrClosed = errors.New("diskio: worker closed")

	// ErrIdleTimeout: a transfer made no progress for its idle timeout
	// (network_timeout). errors.Is(err, os.ErrDeadlineExceeded) is true too.
	ErrIdleTimeout error = idleTimeoutError{}
)

// idleTimeoutError is a distinct type (not errors.New) so that it can also
// answer to os.ErrDeadlineExceeded and net.Error's Timeout(), which is what
// callers used to net.Conn deadlines test for.
type idleTimeoutError struct{}

func (idleTimeoutError) Error() string   { return "diskio: transfer idle timeout" }
func (idleTimeoutError) Timeout() bool   { return true }
func (idleTimeoutError) Temporary() bool { return false }
func (idleTimeoutError) Is(target error) bool {
	return target == os.ErrDeadlineExceeded || target == unix.ETIMEDOUT
}

// NoSpaceError is a failed reserved-space check: the store path has no
// more free space than reserved_storage_space leaves for it. It unwraps to
// ENOSPC, the status C answers.
type NoSpaceError struct {
	Path    string  // the store path
	FreeMB  int64   // free space found (f_bavail*f_frsize, in MB)
	TotalMB int64   // total space found (f_blocks*f_frsize, in MB)
	NeedMB  int64   // MB form: free must exceed this (reserve / path count)
	Ratio   float64 // ratio form: free/total must exceed this
}

func (e *NoSpaceError) Error() string {
	s := "diskio: " + e.Path + ": free " + strconv.FormatInt(e.FreeMB, 10) + " MB of " +
		strconv.FormatInt(e.TotalMB, 10) + " MB, "
	if e.Ratio > 0 {
		s += "needs free ratio above " + strconv.FormatFloat(e.Ratio, 'f', 4, 64)
	} else {
		s += "needs more than " + strconv.FormatInt(e.NeedMB, 10) + " MB"
	}
	return s + " (reserved_storage_space): " + unix.ENOSPC.Error()
}

// Unwrap lets errors.Is(err, syscall.ENOSPC) hold.
func (e *NoSpaceError) Unwrap() error { return unix.ENOSPC }

// TransferError is the error a receive or send job completes with.
type TransferError struct {
	Op   string // "receive" or "send"
	Path string // the file written or read
	Sock int    // the socket fd of the job
	Done int64  // body bytes moved before the failure
	Err  error  // cause: ErrIdleTimeout, ErrClosed, io.ErrUnexpectedEOF, an errno…
}

func (e *TransferError) Error() string {
	return "diskio: " + e.Op + " " + e.Path + " (socket " + strconv.Itoa(e.Sock) + ", " +
		strconv.FormatInt(e.Done, 10) + " bytes done): " + e.Err.Error()
}

func (e *TransferError) Unwrap() error { return e.Err }

// Timeout reports whether the transfer failed on its idle timeout.
func (e *TransferError) Timeout() bool { return errors.Is(e.Err, ErrIdleTimeout) }
