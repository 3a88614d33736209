// Package replica is the storage's outbound replication: the binlog of its
// own operations (data/sync/binlog.NNN), its reader and daily compression,
// and the mark files that say how far each peer got (cluster.md §4).
// It knows files and the binlog format, never the command path.
package replica

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/gofdfs/gofdfs/codec"
)

// binlogRotateSize starts a new binlog file once the current one reaches it
// (cluster.md §4.1: 1 GiB, checked after a write).
const binlogRotateSize = 1 << 30

// Binlog appends the source operations of this storage to
// <base_path>/data/sync/binlog.NNN, the file every sync pusher reads, and
// keeps binlog_index.dat ("current_write=<n>\ncurrent_compress=<n>\n") in
// step when it rotates.
//
// Durability: every line is written to the file (write(2)) before Append
// returns, and callers append before they reply, so an acknowledged
// operation's line survives a crash of this process. Like C, the file is
// fsync'ed only every sync_binlog_buff_interval (Sync, driven by the
// server's ticker) and at Close: a power cut may lose the last interval's
// lines, exactly as with the C storage. Lines are assembled in one buffer
// under the lock, so concurrent workers never interleave partial lines.
type Binlog struct {
	dir        string
	rotateSize int64 // binlogRotateSize; tests shrink it

	mu       sync.Mutex
	f        *os.File
	index    int   // NNN of the file being written
	compress int   // current_compress, kept as found
	size     int64 // bytes in the current file
	buf      []byte
	dirty    bool // written since the last fsync

	// watchers are the sync pushers' wake-up channels (capacity 1): every
	// append pokes them, so a pusher sends a new line at once instead of
	// finding it on its next sync_wait_msec poll.
	watchers map[chan struct{}]struct{}
}

// OpenBinlog opens (creating if needed) the binlog under dataDir/sync and
// positions it at the end of the current file named by binlog_index.dat.
func OpenBinlog(dataDir string) (*Binlog, error) {
	dir := filepath.Join(dataDir, "sync")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("binlog: %w", err)
	}
	b := &Binlog{dir: dir, rotateSize: binlogRotateSize, buf: make([]byte, 0, 512)}
	if err := b.readIndex(); err != nil {
		return nil, err
	}
	if err := b.open(); err != nil {
		return nil, err
	}
	return b, nil
}

func (b *Binlog) indexPath() string { return filepath.Join(b.dir, "binlog_index.dat") }

// BinlogFileName is the name of binlog file n: binlog.000, … (more digits past 999).
func BinlogFileName(n int) string { return fmt.Sprintf("binlog.%03d", n) }

func (b *Binlog) readIndex() error {
	data, err := os.ReadFile(b.indexPath())
	if os.IsNotExist(err) {
		// Legacy binlog.index holds just the number.
		legacy, lerr := os.ReadFile(filepath.Join(b.dir, "binlog.index"))
		if lerr == nil {
			n, perr := strconv.Atoi(string(bytes.TrimSpace(legacy)))
			if perr != nil || n < 0 {
				return fmt.Errorf("binlog: bad %s: %q", filepath.Join(b.dir, "binlog.index"), legacy)
			}
			b.index = n
		}
		return b.writeIndex()
	}
	if err != nil {
		return fmt.Errorf("binlog: %w", err)
	}
	for _, line := range bytes.Split(data, []byte{'\n'}) {
		k, v, ok := bytes.Cut(bytes.TrimSpace(line), []byte{'='})
		if !ok {
			continue
		}
		n, err := strconv.Atoi(string(bytes.TrimSpace(v)))
		if err != nil || n < 0 {
			return fmt.Errorf("binlog: bad %s line %q", b.indexPath(), line)
		}
		switch string(bytes.TrimSpace(k)) {
		case "current_write":
			b.index = n
		case "current_compress":
			b.compress = n
		}
	}
	return nil
}

// writeIndex rewrites binlog_index.dat via a temp file and a rename, so a
// reader never sees half of it.
func (b *Binlog) writeIndex() error {
	data := fmt.Sprintf("current_write=%d\ncurrent_compress=%d\n", b.index, b.compress)
	tmp := b.indexPath() + ".tmp"
	if err := os.WriteFile(tmp, []byte(data), 0o644); err != nil {
		return fmt.Errorf("binlog: %w", err)
	}
	if err := os.Rename(tmp, b.indexPath()); err != nil {
		return fmt.Errorf("binlog: %w", err)
	}
	return nil
}

func (b *Binlog) open() error {
	f, err := os.OpenFile(filepath.Join(b.dir, BinlogFileName(b.index)), os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("binlog: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("binlog: %w", err)
	}
	b.f, b.size = f, st.Size()
	return b.terminate()
}

// terminate ends a line a crash cut short with '\n': the fragment becomes
// one malformed line that readers skip, instead of swallowing the first
// record appended after the restart.
func (b *Binlog) terminate() error {
	if b.size == 0 {
		return nil
	}
	var last [1]byte
	if _, err := b.f.ReadAt(last[:], b.size-1); err != nil {
		return fmt.Errorf("binlog: %w", err)
	}
	if last[0] == '\n' {
		return nil
	}
	n, err := b.f.Write([]byte{'\n'})
	b.size += int64(n)
	if err != nil {
		return fmt.Errorf("binlog: %w", err)
	}
	return nil
}

// Append writes one record. It is safe for concurrent use.
func (b *Binlog) Append(rec *codec.BinlogRecord) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.f == nil {
		return fmt.Errorf("binlog: closed")
	}
	b.buf = rec.Append(b.buf[:0])
	n, err := b.f.Write(b.buf)
	b.size += int64(n)
	b.dirty = true
	if err != nil {
		return fmt.Errorf("binlog: append %q: %w", b.buf, err)
	}
	for ch := range b.watchers {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	if b.size >= b.rotateSize {
		return b.rotate()
	}
	return nil
}

// Watch returns a channel that receives a token after appends (tokens do
// not pile up: one pending wake-up stands for any number of lines), and a
// function that stops the watch.
func (b *Binlog) Watch() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	b.mu.Lock()
	if b.watchers == nil {
		b.watchers = map[chan struct{}]struct{}{}
	}
	b.watchers[ch] = struct{}{}
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		delete(b.watchers, ch)
		b.mu.Unlock()
	}
}

// Dir is the binlog directory (data/sync), where the mark files live too.
func (b *Binlog) Dir() string { return b.dir }

// WriteIndex is the number of the binlog file being written: readers move
// past the end of a lower-numbered file, never past this one's.
func (b *Binlog) WriteIndex() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.index
}

// rotate closes the full file and starts the next one; b.mu is held.
func (b *Binlog) rotate() error {
	if err := b.f.Sync(); err != nil {
		return fmt.Errorf("binlog: %w", err)
	}
	b.f.Close()
	b.f = nil
	b.index++
	if err := b.writeIndex(); err != nil {
		return err
	}
	return b.open()
}

// Sync forces written lines to the disk if any were written since the last
// call (the sync_binlog_buff_interval flush).
func (b *Binlog) Sync() error {
	b.mu.Lock()
	f := b.f
	if f == nil || !b.dirty {
		b.mu.Unlock()
		return nil
	}
	b.dirty = false
	b.mu.Unlock()
	// The fsync runs without the lock: Append is called on the event
	// loops (small uploads) and must not wait for the disk. A rotation
	// closing f meanwhile has synced it itself.
	if err := f.Sync(); err != nil && !errors.Is(err, os.ErrClosed) {
		return err
	}
	return nil
}

// Close syncs and closes the file.
func (b *Binlog) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.f == nil {
		return nil
	}
	err := b.f.Sync()
	if cerr := b.f.Close(); err == nil {
		err = cerr
	}
	b.f = nil
	return err
}
