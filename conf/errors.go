package conf

import (
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
)

// Error is a configuration problem that makes a file unusable, located at the
// line that caused it: "tracker.conf:42: store_lookup: invalid value 3".
// Line is 0 when the problem is a key that is missing altogether.
type Error struct {
	File string
	Line int
	Key  string // the offending key, if any
	Msg  string
	Err  error // underlying cause (I/O error), if any
}

func (e *Error) Error() string {
	s := e.File
	if e.Line > 0 {
		s += ":" + strconv.Itoa(e.Line)
	}
	if e.Key != "" {
		s += ": " + e.Key
	}
	return s + ": " + e.Msg
}

// Unwrap exposes the I/O cause, so errors.Is(err, fs.ErrNotExist) works.
func (e *Error) Unwrap() error { return e.Err }

// errorAt builds an *Error located at item it.
func errorAt(it Item, format string, args ...any) *Error {
	return &Error{File: it.File, Line: it.Line, Key: it.Key, Msg: fmt.Sprintf(format, args...)}
}

// Option tunes how a file is read and where warnings go.
type Option func(*options)

type options struct {
	log      *slog.Logger
	readFile func(path string) ([]byte, error)
}

// WithLogger sends warnings (unknown keys, corrected values, truncated lines)
// to l. Without it they go to slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.log = l }
}

// WithReadFile replaces how files (the conf itself, its #include files and a
// storage_ids.conf it names) are read. Tests and fuzzing use it to keep the
// parser off the real file system.
func WithReadFile(read func(path string) ([]byte, error)) Option {
	return func(o *options) { o.readFile = read }
}

func newOptions(opts []Option) *options {
	o := &options{}
	for _, opt := range opts {
		opt(o)
	}
	if o.log == nil {
		o.log = slog.Default()
	}
	if o.readFile == nil {
		o.readFile = readRegularFile
	}
	return o
}

// maxFileSize bounds what we read as a conf file: a conf is a few KiB, and an
// #include of /dev/zero or a huge log by mistake must not eat the memory.
const maxFileSize = 16 << 20

// readRegularFile reads path if it is a regular file of at most maxFileSize.
func readRegularFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("not a regular file")}
	}
	if st.Size() > maxFileSize {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("larger than %d bytes", maxFileSize)}
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileSize {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("larger than %d bytes", maxFileSize)}
	}
	return data, nil
}
