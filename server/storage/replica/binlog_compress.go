package replica

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gofdfs/gofdfs/conf"
)

// Binlog compression as C 6.01+ does it (storage.conf compress_binlog,
// compress_binlog_time): once a day at compress_binlog_time, every binlog
// file below both the file being written and the file of every open
// reader (the sync pushers) is gzip'ed in place, C running "gzip
// binlog.NNN":
//
//	data/sync/binlog.NNN     -> data/sync/binlog.NNN.gz (the original removed)
//	data/sync/.binlog.NNN.flag  "zip" while it runs ("unzip" for the reverse;
//	                            C skips a file whose flag is under an hour old)
//	binlog_index.dat current_compress = the first file not compressed yet
//
// A reader that needs binlog.NNN and finds only binlog.NNN.gz restores it
// (C: "gzip -d binlog.NNN.gz"), so marks (binlog_index, binlog_offset)
// keep pointing into the uncompressed bytes across a compression. The
// file is left uncompressed; the next daily pass compresses it again once
// no reader is at or before it. Our gzip is the standard format, so a C
// storage taking over our data directory reads our .gz files and we read
// its.

// binlogGzName is the compressed name of binlog file n.
func binlogGzName(n int) string { return BinlogFileName(n) + ".gz" }

// binlogFlagName is C's in-progress flag of binlog file n.
func binlogFlagName(n int) string { return "." + BinlogFileName(n) + ".flag" }

// withSyncDirLock runs fn holding an exclusive flock on the sync directory
// itself: compressions and restores of this storage never overlap (the
// directory never changes inode, unlike the files renamed in it).
func withSyncDirLock(dir string, fn func() error) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	for {
		err = unix.Flock(int(d.Fd()), unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("lock %s: %w", dir, err)
	}
	defer func() { _ = unix.Flock(int(d.Fd()), unix.LOCK_UN) }()
	return fn()
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// compressBinlogFile gzips binlog file n of dir: nothing to do when the
// .gz is there already, os.ErrNotExist when the file is not.
func compressBinlogFile(dir string, n int) error {
	return convertBinlogFile(dir, n, true)
}

// uncompressBinlogFile restores binlog file n from its .gz: nothing to do
// when the plain file is there, os.ErrNotExist when neither is.
func uncompressBinlogFile(dir string, n int) error {
	return convertBinlogFile(dir, n, false)
}

// convertBinlogFile turns binlog file n from one form into the other (zip:
// plain to .gz, else back), under C's in-progress flag file ("zip" or
// "unzip") and the sync directory's lock; the source goes only once the
// target is whole.
func convertBinlogFile(dir string, n int, zip bool) error {
	return withSyncDirLock(dir, func() error {
		from, to := filepath.Join(dir, BinlogFileName(n)), filepath.Join(dir, binlogGzName(n))
		flagText, convert, what := "zip", gzipFile, "compress"
		if !zip {
			from, to = to, from
			flagText, convert, what = "unzip", gunzipFile, "uncompress"
		}
		if exists(to) {
			return nil
		}
		if !exists(from) {
			return os.ErrNotExist
		}
		flag := filepath.Join(dir, binlogFlagName(n))
		if err := os.WriteFile(flag, []byte(flagText), 0o644); err != nil {
			return err
		}
		defer os.Remove(flag)
		if err := convert(from, to); err != nil {
			return fmt.Errorf("%s %s: %w", what, from, err)
		}
		return os.Remove(from)
	})
}

// gzipFile writes src compressed to dst (via dst.tmp, synced, renamed),
// with src's name and mtime in the header as gzip(1) puts them.
func gzipFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	return writeFileVia(dst, func(out io.Writer) error {
		zw := gzip.NewWriter(out)
		zw.Name, zw.ModTime = filepath.Base(src), st.ModTime()
		_, err := io.Copy(zw, in)
		if cerr := zw.Close(); err == nil {
			err = cerr
		}
		return err
	})
}

// gunzipFile writes src uncompressed to dst (via dst.tmp, synced, renamed).
func gunzipFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	zr, err := gzip.NewReader(in)
	if err != nil {
		return err
	}
	defer zr.Close()
	return writeFileVia(dst, func(out io.Writer) error {
		_, err := io.Copy(out, zr)
		return err
	})
}

// writeFileVia has fill write dst's content into dst.tmp, syncs it and
// renames it over dst: a crash leaves either the old dst or the whole new
// one, never a part. The temp file is removed on any error.
func writeFileVia(dst string, fill func(io.Writer) error) error {
	tmp := dst + ".tmp"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	err = fill(out)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

// binlogFileExists: binlog file n is there, plain or compressed.
func binlogFileExists(dir string, n int) bool {
	return exists(filepath.Join(dir, BinlogFileName(n))) || exists(filepath.Join(dir, binlogGzName(n)))
}

// compressIndex is current_compress (binlog_index.dat).
func (b *Binlog) compressIndex() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.compress
}

// setCompressIndex moves current_compress and rewrites binlog_index.dat.
func (b *Binlog) setCompressIndex(n int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.compress == n {
		return nil
	}
	b.compress = n
	return b.writeIndex()
}

// CompressBinlogs compresses every plain binlog file below until (a file
// restored by a reader since an earlier pass included) and moves
// current_compress to until. It returns how many files it compressed.
func CompressBinlogs(b *Binlog, until int) (int, error) {
	n := 0
	for i := 0; i < until; i++ {
		if !exists(filepath.Join(b.dir, BinlogFileName(i))) {
			continue
		}
		err := compressBinlogFile(b.dir, i)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return n, err
		}
		if err == nil {
			n++
		}
	}
	if until > b.compressIndex() {
		if err := b.setCompressIndex(until); err != nil {
			return n, err
		}
	}
	return n, nil
}

// NextDaily is the first time of day tod strictly after now (local time,
// as C's scheduler).
func NextDaily(now time.Time, tod conf.TimeOfDay) time.Time {
	t := time.Date(now.Year(), now.Month(), now.Day(), tod.Hour, tod.Minute, 0, 0, now.Location())
	if !t.After(now) {
		t = t.AddDate(0, 0, 1)
	}
	return t
}

// RunCompressor compresses the binlog once a day at at (compress_binlog_time)
// until ctx ends, never at or beyond the file an open pusher reader is in
// (minReadIndex, nil: no pushers).
func RunCompressor(ctx context.Context, b *Binlog, at conf.TimeOfDay, now func() time.Time, log *slog.Logger, minReadIndex func() int) {
	for {
		t := time.NewTimer(time.Until(NextDaily(now(), at)))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		until := b.WriteIndex()
		if minReadIndex != nil {
			until = min(until, minReadIndex())
		}
		n, err := CompressBinlogs(b, until)
		if err != nil {
			log.Error("compress binlog", "err", err)
			continue
		}
		if n > 0 {
			log.Info("binlog files compressed", "count", n, "current_compress", until)
		}
	}
}
