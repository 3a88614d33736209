package trunk

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// Trunk binlog compression (trunk_compress_binlog_interval, _time_base,
// _min_interval), as C 6.16 does it on the trunk server: the binlog is
// replaced by one 'A' line per free slot (merged first with
// trunk_free_space_merge), storage_trunk.dat is saved, every member's
// mark goes, and the pushers start over: each member gets
// TRUNK_TRUNCATE_BINLOG_FILE and then the new binlog. C refuses in its
// first 600 s up and when nothing was written since the last compression.
//
// C stages it through binlog.rollback and storage_trunk.dat.rollback;
// here the new binlog is written beside the old one, fsynced and renamed
// over it, with storage_trunk.dat removed first and written after, so a
// crash leaves either binlog whole and no snapshot that disagrees with it.

// ErrCompressSkipped is a compression C would not start now.
var ErrCompressSkipped = errors.New("trunk binlog compression skipped")

// Generation counts the binlog's compressions since the store opened: a
// pusher whose generation is older reads a binlog that is no longer the
// one its offset counts in.
func (s *Store) Generation() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.generation
}

// Compress rewrites the trunk binlog as the free space (see above).
func (s *Store) Compress() (MergeStat, error) {
	s.mu.Lock()
	var ms MergeStat
	if s.merge {
		ms = s.mergeLocked()
	}
	slots := s.free.list()
	if s.binlog == nil {
		s.mu.Unlock()
		return ms, errors.New("trunk: store closed")
	}
	now := s.cfg.Now().Unix()
	var lines []byte
	for _, t := range slots {
		r := codec.TrunkBinlogRecord{Timestamp: now, Op: codec.TrunkBinlogAdd, Trunk: t}
		lines = r.Append(lines)
	}
	err := s.replaceBinlogLocked(lines)
	size := s.binlogSize
	if err == nil {
		s.generation++
	}
	s.mu.Unlock()
	if err != nil {
		return ms, err
	}
	if err := s.writeSnapshot(size, slots); err != nil {
		return ms, err
	}
	return ms, s.deleteMarks()
}

// replaceBinlogLocked puts lines in place of the trunk binlog. Caller
// holds s.mu.
func (s *Store) replaceBinlogLocked(lines []byte) error {
	path := s.BinlogPath()
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("trunk: %w", err)
	}
	_, err = f.Write(lines)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Remove(s.SnapshotPath())
		if errors.Is(err, fs.ErrNotExist) {
			err = nil
		}
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("trunk: compress %s: %w", path, err)
	}
	nf, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("trunk: reopen binlog: %w", err)
	}
	_ = s.binlog.Close()
	s.binlog, s.binlogSize = nf, int64(len(lines))
	return nil
}

// deleteMarks removes data/trunk/*.mark (the members' offsets count in
// the old binlog).
func (s *Store) deleteMarks() error {
	dir := filepath.Dir(s.BinlogPath())
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("trunk: %w", err)
	}
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() || len(n) <= len(MarkSuffix) || !strings.HasSuffix(n, MarkSuffix) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("trunk: %w", err)
		}
	}
	return nil
}

// compress is one compression by the trunk server, with C's refusals:
// not in the first 600 s up, not when the binlog did not change since the
// last one.
func (d *Side) compress() error {
	if !d.IsServer() {
		return nil
	}
	st, err := d.Store()
	if err != nil {
		return err
	}
	now := d.cfg.Now()
	d.mu.Lock()
	up := now.Sub(d.started)
	unchanged := d.compressedSize == st.BinlogSize() && d.compressedGen == st.Generation()
	d.mu.Unlock()
	if up < 600*time.Second {
		return fmt.Errorf("%w: %s after start-up", ErrCompressSkipped, up.Truncate(time.Second))
	}
	if unchanged {
		return fmt.Errorf("%w: binlog not changed", ErrCompressSkipped)
	}
	ms, err := st.Compress()
	if err != nil {
		return err
	}
	d.mu.Lock()
	d.lastCompress, d.compressedSize, d.compressedGen = now, st.BinlogSize(), st.Generation()
	d.mu.Unlock()
	d.cfg.Log.Info("compress trunk binlog successfully", "binlog_size", st.BinlogSize(),
		"merge_count", ms.Merges, "deleted_file_count", ms.Deleted)
	return nil
}
