package replica

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/gofdfs/gofdfs/codec"
)

// Reader reads the binlog files of data/sync from a position (file
// index + byte offset) on, one complete line at a time. It advances past
// every line it hands out, valid or not: C's reader stalls on (or resumes
// inside) the malformed lines C writes (cluster.md §4.2, fastdfs#532/#535);
// ours reports them and moves on.
type Reader struct {
	dir   string
	index int   // file being read
	off   int64 // offset of the next unread line in it

	f     *os.File
	buf   []byte // bytes read from f at [bufAt, bufAt+len(buf))
	bufAt int64

	// at mirrors index for the binlog compressor (other goroutines).
	at atomic.Int32
}

// NewReader reads the binlog of dir (data/sync) from file index, byte off.
func NewReader(dir string, index int, off int64) *Reader {
	r := &Reader{dir: dir, index: index, off: off, buf: make([]byte, 0, 64<<10)}
	r.at.Store(int32(index))
	return r
}

// ErrEnd: no complete line after the position (yet).
var ErrEnd = errors.New("end of binlog")

// Next returns the next line: the record, its length, and a parse error
// for a malformed line (the position then is past it). writeIndex is the
// binlog file being written: at the end of an older file the reader moves
// on to the next one. ErrEnd means nothing complete is there yet.
func (r *Reader) Next(rec *codec.BinlogRecord, writeIndex int) (int, error) {
	for {
		if err := r.open(); err != nil {
			return 0, err
		}
		line := r.buffered()
		if len(line) == 0 || !hasNewline(line) {
			if err := r.fill(); err != nil {
				return 0, err
			}
			line = r.buffered()
		}
		if len(line) > 0 {
			n, err := rec.Parse(line)
			if errors.Is(err, codec.ErrBinlogPartial) {
				n = 0
			} else if n == 0 && err != nil { // an unterminated line over 255 bytes
				end := indexNewline(line)
				if end < 0 {
					n = len(line)
				} else {
					n = end + 1
				}
			}
			if n > 0 {
				r.off += int64(n)
				return n, err
			}
		}
		// nothing complete in this file: go on with the next if it is done
		if r.index >= writeIndex {
			return 0, ErrEnd
		}
		if !binlogFileExists(r.dir, r.index+1) {
			return 0, ErrEnd
		}
		r.Close()
		r.index++
		r.at.Store(int32(r.index))
		r.off = 0
	}
}

func hasNewline(b []byte) bool { return indexNewline(b) >= 0 }

func indexNewline(b []byte) int {
	for i, c := range b {
		if c == '\n' {
			return i
		}
	}
	return -1
}

// buffered is what the buffer holds from the position on.
func (r *Reader) buffered() []byte {
	if r.off < r.bufAt || r.off > r.bufAt+int64(len(r.buf)) {
		r.buf, r.bufAt = r.buf[:0], r.off
	}
	return r.buf[r.off-r.bufAt:]
}

// fill reads more of the file after the buffered bytes (keeping the
// unconsumed tail at the front).
func (r *Reader) fill() error {
	rest := r.buffered()
	copy(r.buf[:cap(r.buf)], rest)
	r.buf, r.bufAt = r.buf[:len(rest)], r.off
	n, err := r.f.ReadAt(r.buf[len(rest):cap(r.buf)], r.off+int64(len(rest)))
	r.buf = r.buf[:len(rest)+n]
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("binlog %s: %w", BinlogFileName(r.index), err)
	}
	return nil
}

func (r *Reader) open() error {
	if r.f != nil {
		return nil
	}
	f, err := os.Open(filepath.Join(r.dir, BinlogFileName(r.index)))
	if errors.Is(err, os.ErrNotExist) {
		// compressed (binlog_compress.go): restore it, as C does
		if uerr := uncompressBinlogFile(r.dir, r.index); uerr == nil {
			f, err = os.Open(filepath.Join(r.dir, BinlogFileName(r.index)))
		} else if !errors.Is(uerr, os.ErrNotExist) {
			return fmt.Errorf("binlog: %w", uerr)
		}
	}
	if errors.Is(err, os.ErrNotExist) {
		return ErrEnd // not written yet
	}
	if err != nil {
		return fmt.Errorf("binlog: %w", err)
	}
	r.f, r.buf, r.bufAt = f, r.buf[:0], r.off
	return nil
}

// Close closes the file being read; the reader may go on later.
func (r *Reader) Close() {
	if r.f != nil {
		_ = r.f.Close()
		r.f = nil
	}
	r.buf = r.buf[:0]
}

// Seek moves the position back to a line start (a record to resend).
func (r *Reader) Seek(index int, off int64) {
	if index != r.index {
		r.Close()
		r.index = index
		r.at.Store(int32(index))
	}
	r.off = off
}

// Index is the binlog file being read, Offset the position of the next
// unread line in it: together, a pusher's mark.
func (r *Reader) Index() int { return r.index }

// Offset: see Index.
func (r *Reader) Offset() int64 { return r.off }

// ReadingIndex is Index for other goroutines (the binlog compressor).
func (r *Reader) ReadingIndex() int { return int(r.at.Load()) }
