package trunk

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gofdfs/gofdfs/codec"
)

// The trunk binlog's replication, as C 6.16 does it. The trunk server
// pushes data/trunk/binlog to every other member of its group with
// TRUNK_SYNC_BINLOG (body: whole lines, at most 64 KiB), after
// TRUNK_TRUNCATE_BINLOG_FILE when it starts from offset 0. It keeps one
// mark per member, data/trunk/<peer>.mark (peer: the storage id, or
// "<ip>_<port>" without storage ids), holding "binlog_offset=<n>\n".
// A member appends the lines verbatim to its own trunk binlog; it keeps
// them for the day it becomes the trunk server. This store also applies
// them to its free space at once, so a member elected later starts from
// the group's free space without a reload.

// MarkSuffix ends the name of a trunk sync mark file.
const MarkSuffix = ".mark"

// MarkPath is data/trunk/<name> for a mark file name.
func (s *Store) MarkPath(name string) string {
	return filepath.Join(filepath.Dir(s.BinlogPath()), name)
}

// AppendSynced appends lines received from the trunk server to the trunk
// binlog, byte for byte, and applies each well-formed one to the free
// space. lines must end with '\n' (codec.TrunkBinlogChunk checks it).
func (s *Store) AppendSynced(lines []byte) error {
	if len(lines) == 0 || lines[len(lines)-1] != '\n' {
		return fmt.Errorf("trunk: synced binlog chunk of %d bytes does not end a line", len(lines))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.binlog == nil {
		return errors.New("trunk: store closed")
	}
	n, err := s.binlog.Write(lines)
	s.binlogSize += int64(n)
	if err != nil {
		return fmt.Errorf("trunk: write %s: %w", s.BinlogPath(), err)
	}
	for b := lines; len(b) > 0; {
		var r codec.TrunkBinlogRecord
		m, err := r.Parse(b)
		if err != nil {
			i := bytes.IndexByte(b, '\n')
			s.cfg.Log.Warn("synced trunk binlog line not applied", "line", string(b[:i]), "err", err)
			b = b[i+1:]
			continue
		}
		if int(r.Trunk.StorePathIndex) < len(s.cfg.StorePaths) {
			s.apply(r.Op, r.Trunk)
		}
		b = b[m:]
	}
	return nil
}

// Truncate empties the trunk binlog and the free space and removes
// storage_trunk.dat, as a member does on TRUNK_TRUNCATE_BINLOG_FILE (the
// trunk server sends its whole binlog next). With maxBackups > 0 the old
// binlog is kept as binlog.YYYYmmddHHMMSS (local time) and the oldest
// backups beyond maxBackups-1 are removed first, as C keeps them.
func (s *Store) Truncate(maxBackups int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.binlog == nil {
		return errors.New("trunk: store closed")
	}
	if maxBackups > 0 {
		if err := s.dropOldBackups(maxBackups); err != nil {
			return err
		}
		_ = s.binlog.Close()
		s.binlog = nil
		backup := s.BinlogPath() + "." + s.cfg.Now().Format("20060102150405")
		renameErr := os.Rename(s.BinlogPath(), backup)
		f, err := os.OpenFile(s.BinlogPath(), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("trunk: reopen binlog: %w", err)
		}
		s.binlog = f
		if renameErr != nil {
			return fmt.Errorf("trunk: back up binlog: %w", renameErr)
		}
	} else if err := s.binlog.Truncate(0); err != nil {
		return fmt.Errorf("trunk: truncate %s: %w", s.BinlogPath(), err)
	}
	s.binlogSize = 0
	s.free = newFreeSpace()
	if err := os.Remove(s.SnapshotPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("trunk: %w", err)
	}
	return nil
}

// dropOldBackups removes the oldest binlog.YYYYmmddHHMMSS files so that
// the backup about to be made keeps their count at maxBackups.
func (s *Store) dropOldBackups(maxBackups int) error {
	dir := filepath.Dir(s.BinlogPath())
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("trunk: %w", err)
	}
	var backups []string
	for _, e := range ents {
		if n := e.Name(); len(n) == len("binlog.")+14 && strings.HasPrefix(n, "binlog.") {
			backups = append(backups, n)
		}
	}
	slices.Sort(backups)
	for i := 0; i < len(backups)-maxBackups+1; i++ {
		_ = os.Remove(filepath.Join(dir, backups[i]))
	}
	return nil
}

// DeleteBinlogMarks removes storage_trunk.dat and every trunk sync mark
// (data/trunk/*.mark), as a storage does on TRUNK_DELETE_BINLOG_MARKS,
// which the tracker sends to the storage it is about to make trunk server:
// its members then get its whole trunk binlog, from a truncate on.
func (s *Store) DeleteBinlogMarks() error {
	if err := os.Remove(s.SnapshotPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("trunk: %w", err)
	}
	return s.deleteMarks()
}

// ReadLines reads the trunk binlog from off into buf and returns the
// length of the whole lines read (0 when no complete line is there yet)
// and the binlog's size now. A binlog shorter than off (it was truncated)
// reads as size < off.
func (s *Store) ReadLines(off int64, buf []byte) (int, int64, error) {
	f, err := os.Open(s.BinlogPath())
	if err != nil {
		return 0, 0, fmt.Errorf("trunk: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, 0, fmt.Errorf("trunk: %w", err)
	}
	if off >= st.Size() {
		return 0, st.Size(), nil
	}
	n, err := f.ReadAt(buf, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, st.Size(), fmt.Errorf("trunk: read %s: %w", s.BinlogPath(), err)
	}
	return bytes.LastIndexByte(buf[:n], '\n') + 1, st.Size(), nil
}
