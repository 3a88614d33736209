// Package trunk is a storage's trunk-file store (use_trunk_file = true):
// where slots are, what their headers must say, and the free space of the
// group's trunk containers as C's trunk server keeps it (storage_trunk.dat
// plus data/trunk/binlog).
//
// Layout on disk, as a C 6.16 storage writes it:
//
//	<store path>/data/HH/HH/NNNNNN   trunk containers (codec.AppendTrunkContainerName)
//	<base path>/data/trunk/binlog    trunk binlog: one codec.TrunkBinlogRecord per change
//	<base path>/data/storage_trunk.dat  free-space snapshot (codec.ParseTrunkDataHead)
//
// A file in a slot is found from its name alone (codec.TrunkRefOf); the
// slot is served only when its 24-byte header matches the name, so a freed
// slot (zero-filled) answers ENOENT as in C.
package trunk

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// Config locates a storage's trunk data.
type Config struct {
	BasePath    string   // base_path: data/trunk/binlog and data/storage_trunk.dat
	StorePaths  []string // store_path0.. : the containers
	SlotMinSize int32    // slot_min_size: smaller free pieces are not kept (C: 256)
	// CheckOccupying (trunk_init_check_occupying): a free slot of
	// storage_trunk.dat whose header says a file lives there is not taken
	// as free.
	CheckOccupying bool
	// ReloadFromBinlog (trunk_init_reload_from_binlog): storage_trunk.dat
	// is removed at open and the free space rebuilt from the whole trunk
	// binlog, as C does, for an operator who distrusts the snapshot.
	ReloadFromBinlog bool

	// Allocation (the trunk server only).
	TrunkFileSize int64 // trunk_file_size: size of a new container (C: 64 MB)
	Alignment     int32 // trunk_alloc_alignment_size (0: none)
	// NextFileID hands out the next container id and persists it (C keeps
	// current_trunk_file_id in .data_init_flag).
	NextFileID func() (int32, error)
	// PickDir is the data/HH/HH directory of a new container, from the
	// base64 of its id (the storage's file_distribute_path_mode).
	PickDir func(b64 []byte) (high, low int)
	Log     *slog.Logger
	Now     func() time.Time
}

// ErrNoFile is a slot that does not hold the named file (freed, reused or
// never written): ENOENT for the client.
var ErrNoFile = fs.ErrNotExist

// Slot is a located trunk-resident file.
type Slot struct {
	Container string // the container's path
	Info      codec.TrunkInfo
	Type      byte  // codec.TrunkSlotRegular or codec.TrunkSlotLink
	Offset    int64 // where the content starts in the container
	Size      int64 // content length
	Mtime     time.Time
}

// slotKey is a free slot's identity (its size is the value).
type slotKey struct {
	path, high, low byte
	id              int32
	offset          int32
}

// Store is one storage's trunk data. Its methods are safe for concurrent use.
type Store struct {
	cfg Config

	mu         sync.Mutex
	free       freeSpace
	binlog     *os.File // data/trunk/binlog, append-only
	binlogSize int64
	// trunk_free_space_merge, delete_unused_trunk_files (merge.go)
	merge, deleteUnused bool
	generation          uint64 // compressions (compress.go)

	fmu   sync.Mutex
	files map[containerKey]*os.File // containers written to, kept open
}

// Open loads the free space: storage_trunk.dat when present, then the trunk
// binlog from the offset the snapshot covers (from 0 without a snapshot, or
// with ReloadFromBinlog, which removes the snapshot first).
// A store without trunk data opens empty.
func Open(cfg Config) (*Store, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SlotMinSize <= 0 {
		cfg.SlotMinSize = 256
	}
	if cfg.TrunkFileSize <= 0 {
		cfg.TrunkFileSize = 64 << 20
	}
	s := &Store{cfg: cfg, free: newFreeSpace()}
	if err := os.MkdirAll(filepath.Dir(s.BinlogPath()), 0o755); err != nil {
		return nil, fmt.Errorf("trunk: %w", err)
	}
	if cfg.ReloadFromBinlog {
		if err := os.Remove(s.SnapshotPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("trunk: trunk_init_reload_from_binlog: %w", err)
		}
		cfg.Log.Info("trunk free space reloaded from the whole trunk binlog (trunk_init_reload_from_binlog)",
			"binlog", s.BinlogPath())
	}
	from, err := s.loadSnapshot()
	if err != nil {
		return nil, err
	}
	if err := s.replay(from); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(s.BinlogPath(), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("trunk: open binlog: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("trunk: %w", err)
	}
	s.binlog, s.binlogSize = f, st.Size()
	return s, nil
}

// Close closes the trunk binlog.
func (s *Store) Close() error {
	cerr := s.closeContainers()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.binlog == nil {
		return cerr
	}
	err := s.binlog.Close()
	s.binlog = nil
	return errors.Join(err, cerr)
}

// SetAllocation puts the tracker's trunk parameters in force (they arrive
// with its PARAMETER_REQ reply, possibly after the store opened).
func (s *Store) SetAllocation(slotMin, alignment int32, trunkFileSize int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if slotMin > 0 {
		s.cfg.SlotMinSize = slotMin
	}
	if alignment >= 0 {
		s.cfg.Alignment = alignment
	}
	if trunkFileSize > 0 {
		s.cfg.TrunkFileSize = trunkFileSize
	}
}

// BinlogPath is <base path>/data/trunk/binlog.
func (s *Store) BinlogPath() string {
	return filepath.Join(s.cfg.BasePath, "data", "trunk", "binlog")
}

// SnapshotPath is <base path>/data/storage_trunk.dat.
func (s *Store) SnapshotPath() string {
	return filepath.Join(s.cfg.BasePath, "data", "storage_trunk.dat")
}

// BinlogSize is the trunk binlog's length: what TRUNK_GET_BINLOG_SIZE
// answers, and how the tracker ranks trunk-server candidates.
func (s *Store) BinlogSize() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.binlogSize
}

// FreeBytes is the total size of the free slots.
func (s *Store) FreeBytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.free.bytes
}

// FreeSlots lists the free slots (held ones included), ordered by place.
func (s *Store) FreeSlots() []codec.TrunkInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.free.list()
}

func compareInfo(a, b codec.TrunkInfo) int {
	return cmp.Or(cmp.Compare(a.StorePathIndex, b.StorePathIndex), cmp.Compare(a.SubPathHigh, b.SubPathHigh),
		cmp.Compare(a.SubPathLow, b.SubPathLow), cmp.Compare(a.FileID, b.FileID), cmp.Compare(a.Offset, b.Offset))
}

func keyOf(t codec.TrunkInfo) slotKey {
	return slotKey{path: t.StorePathIndex, high: t.SubPathHigh, low: t.SubPathLow, id: t.FileID, offset: t.Offset}
}

func (k slotKey) info(size int32) codec.TrunkInfo {
	return codec.TrunkInfo{StorePathIndex: k.path, SubPathHigh: k.high, SubPathLow: k.low, FileID: k.id,
		Offset: k.offset, SlotSize: size}
}

// ContainerPath is <store path>/data/HH/HH/NNNNNN for a slot.
func (s *Store) ContainerPath(t codec.TrunkInfo) (string, error) {
	if int(t.StorePathIndex) >= len(s.cfg.StorePaths) {
		return "", fmt.Errorf("trunk: store path index %d not below %d", t.StorePathIndex, len(s.cfg.StorePaths))
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, 64)
	b = append(b, "data/"...)
	b = append(b, hex[t.SubPathHigh>>4], hex[t.SubPathHigh&15], '/', hex[t.SubPathLow>>4], hex[t.SubPathLow&15], '/')
	b = codec.AppendTrunkContainerName(b, t.FileID)
	return filepath.Join(s.cfg.StorePaths[t.StorePathIndex], string(b)), nil
}

// InfoOf is the slot a trunk name points at.
func InfoOf(storePath int, high, low byte, ref *codec.TrunkRef) codec.TrunkInfo {
	return codec.TrunkInfo{StorePathIndex: byte(storePath), SubPathHigh: high, SubPathLow: low,
		FileID: ref.Slot.ID, Offset: ref.Slot.Offset, SlotSize: ref.Slot.Size}
}

// Locate finds the file a trunk name points at: the slot header must be
// the one the name implies (ErrNoFile otherwise, as C answers ENOENT).
func (s *Store) Locate(storePath int, high, low byte, ref *codec.TrunkRef) (Slot, error) {
	info := InfoOf(storePath, high, low, ref)
	path, err := s.ContainerPath(info)
	if err != nil {
		return Slot{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return Slot{}, err // ENOENT when the container is gone
	}
	defer f.Close()
	var hdr [codec.TrunkSlotHeaderSize]byte
	if _, err := f.ReadAt(hdr[:], int64(ref.Slot.Offset)); err != nil {
		if errors.Is(err, io.EOF) {
			return Slot{}, fmt.Errorf("trunk: slot %d+%d beyond the end of %s: %w",
				ref.Slot.Offset, ref.Slot.Size, path, ErrNoFile)
		}
		return Slot{}, fmt.Errorf("trunk: read slot header of %s: %w", path, err)
	}
	if !ref.Matches(hdr[:]) {
		return Slot{}, fmt.Errorf("trunk: slot %d of %s does not hold this file: %w", ref.Slot.Offset, path, ErrNoFile)
	}
	return Slot{Container: path, Info: info, Type: hdr[0], Offset: ref.ContentOffset(), Size: ref.FileSize(),
		Mtime: time.Unix(int64(ref.Fields.Timestamp), 0)}, nil
}

// ReadLink is the content of a link slot: the logic name of its target.
func (s *Store) ReadLink(sl Slot) (string, error) {
	if sl.Type != codec.TrunkSlotLink || sl.Size > codec.MaxFilenameLen {
		return "", fmt.Errorf("trunk: %s+%d is not a link slot", sl.Container, sl.Info.Offset)
	}
	f, err := os.Open(sl.Container)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b := make([]byte, sl.Size)
	if _, err := f.ReadAt(b, sl.Offset); err != nil {
		return "", fmt.Errorf("trunk: read link slot of %s: %w", sl.Container, err)
	}
	return string(b), nil
}

// Erase zero-fills a file's whole slot, header included, as C deletes a
// trunk file: from then on the name answers ENOENT.
func (s *Store) Erase(sl Slot) error {
	f, err := os.OpenFile(sl.Container, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	zero := make([]byte, min(int64(sl.Info.SlotSize), 64<<10))
	off, left := int64(sl.Info.Offset), int64(sl.Info.SlotSize)
	for left > 0 {
		n := min(left, int64(len(zero)))
		if _, err := f.WriteAt(zero[:n], off); err != nil {
			_ = f.Close()
			return fmt.Errorf("trunk: erase slot %d of %s: %w", sl.Info.Offset, sl.Container, err)
		}
		off, left = off+n, left-n
	}
	return f.Close()
}

// Free gives a slot back to the free space and logs it ('A'), as the trunk
// server does on TRUNK_FREE_SPACE or its own deletes. Slots under
// slot_min_size are dropped, as C drops them. Freeing a slot that is
// already free changes nothing (EEXIST in C, a success for the caller).
func (s *Store) Free(t codec.TrunkInfo) error {
	if t.SlotSize < s.cfg.SlotMinSize {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := keyOf(t)
	if s.free.has(k) {
		return nil
	}
	if err := s.appendLocked(codec.TrunkBinlogAdd, t); err != nil {
		return err
	}
	s.free.add(k, t.SlotSize, false)
	return nil
}

// appendLocked writes one trunk binlog line.
func (s *Store) appendLocked(op byte, t codec.TrunkInfo) error {
	var buf [codec.TrunkBinlogMaxLine + 1]byte
	return s.writeLinesLocked(s.lineLocked(buf[:0], op, t))
}

// lineLocked appends one trunk binlog line to b.
func (s *Store) lineLocked(b []byte, op byte, t codec.TrunkInfo) []byte {
	r := codec.TrunkBinlogRecord{Timestamp: s.cfg.Now().Unix(), Op: op, Trunk: t}
	return r.Append(b)
}

// writeLinesLocked appends whole lines to the trunk binlog with one write.
func (s *Store) writeLinesLocked(lines []byte) error {
	if s.binlog == nil {
		return errors.New("trunk: store closed")
	}
	n, err := s.binlog.Write(lines)
	s.binlogSize += int64(n)
	if err != nil {
		return fmt.Errorf("trunk: write %s: %w", s.BinlogPath(), err)
	}
	return nil
}

// apply replays one record into the free space (no binlog write).
func (s *Store) apply(op byte, t codec.TrunkInfo) {
	k := keyOf(t)
	switch op {
	case codec.TrunkBinlogAdd:
		if !s.free.has(k) {
			s.free.add(k, t.SlotSize, false)
		}
	case codec.TrunkBinlogDelete:
		s.free.remove(k, t.SlotSize)
	}
}

// loadSnapshot reads storage_trunk.dat into the free space and returns the
// binlog offset it covers (0 when there is none).
func (s *Store) loadSnapshot() (int64, error) {
	b, err := os.ReadFile(s.SnapshotPath())
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("trunk: %w", err)
	}
	from, n, err := codec.ParseTrunkDataHead(b)
	if err != nil {
		return 0, fmt.Errorf("trunk: %s: %w", s.SnapshotPath(), err)
	}
	b = b[n:]
	for line := 2; len(b) > 0; line++ {
		t, m, err := codec.ParseTrunkDataLine(b)
		if err != nil {
			return 0, fmt.Errorf("trunk: %s line %d: %w", s.SnapshotPath(), line, err)
		}
		if t.SlotSize >= s.cfg.SlotMinSize && !(s.cfg.CheckOccupying && s.occupied(t)) {
			s.apply(codec.TrunkBinlogAdd, t)
		}
		b = b[m:]
	}
	return from, nil
}

// replay applies the trunk binlog from offset on. A malformed line is
// skipped with a warning (C skips it too); a last line without '\n' (a
// write cut by a crash) is ignored. A snapshot newer than the binlog (the
// binlog was truncated) is kept as it is.
func (s *Store) replay(from int64) error {
	b, err := os.ReadFile(s.BinlogPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("trunk: %w", err)
	}
	if from >= int64(len(b)) {
		if from > int64(len(b)) {
			s.cfg.Log.Warn("trunk snapshot covers more than the trunk binlog holds",
				"snapshot", s.SnapshotPath(), "offset", from, "binlog_size", len(b))
		}
		return nil
	}
	b = b[from:]
	off := from
	for len(b) > 0 {
		var r codec.TrunkBinlogRecord
		n, err := r.Parse(b)
		if err == codec.ErrTrunkBinlogPartial {
			s.cfg.Log.Warn("trunk binlog ends inside a line; ignored", "file", s.BinlogPath(), "offset", off)
			return nil
		}
		if err != nil {
			s.cfg.Log.Warn("trunk binlog line skipped", "file", s.BinlogPath(), "offset", off, "err", err)
		} else if int(r.Trunk.StorePathIndex) >= len(s.cfg.StorePaths) {
			return fmt.Errorf("trunk: %s offset %d: store path index %d not below %d",
				s.BinlogPath(), off, r.Trunk.StorePathIndex, len(s.cfg.StorePaths))
		} else {
			s.apply(r.Op, r.Trunk)
		}
		b, off = b[n:], off+int64(n)
	}
	return nil
}

// SaveSnapshot writes storage_trunk.dat (the binlog size, then one 'A' line
// per free slot) through a temporary file and a rename, as C does when it
// stops or compresses the binlog.
func (s *Store) SaveSnapshot() error {
	_, err := s.SaveSnapshotMerged(false)
	return err
}

// SaveSnapshotMerged is SaveSnapshot after a free-space merge (merge.go)
// when merge is set and trunk_free_space_merge is on.
func (s *Store) SaveSnapshotMerged(merge bool) (MergeStat, error) {
	s.mu.Lock()
	var ms MergeStat
	if merge && s.merge {
		ms = s.mergeLocked()
		s.cfg.Log.Info("merge free trunk spaces", "merge_count", ms.Merges, "merged_trunk_count", ms.Pieces,
			"merged_size", ms.MergedBytes, "deleted_file_count", ms.Deleted, "deleted_file_size", ms.DeletedBytes)
	}
	slots := s.free.list()
	size := s.binlogSize
	if s.binlog != nil {
		if err := s.binlog.Sync(); err != nil {
			s.mu.Unlock()
			return ms, fmt.Errorf("trunk: %w", err)
		}
	}
	s.mu.Unlock()
	return ms, s.writeSnapshot(size, slots)
}

// writeSnapshot writes storage_trunk.dat: the binlog size it covers, then
// the free slots.
func (s *Store) writeSnapshot(size int64, slots []codec.TrunkInfo) error {
	now := s.cfg.Now().Unix()
	b := codec.AppendTrunkDataHead(nil, size)
	for _, t := range slots {
		r := codec.TrunkBinlogRecord{Timestamp: now, Op: codec.TrunkBinlogAdd, Trunk: t}
		b = r.Append(b)
	}
	tmp := filepath.Join(filepath.Dir(s.SnapshotPath()), ".storage_trunk.dat.tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("trunk: %w", err)
	}
	if err := os.Rename(tmp, s.SnapshotPath()); err != nil {
		return fmt.Errorf("trunk: %w", err)
	}
	return nil
}

// String describes a slot for logs.
func String(t codec.TrunkInfo) string {
	return strconv.Itoa(int(t.StorePathIndex)) + "/" + strconv.Itoa(int(t.SubPathHigh)) + "/" +
		strconv.Itoa(int(t.SubPathLow)) + "/" + strconv.Itoa(int(t.FileID)) + "@" +
		strconv.Itoa(int(t.Offset)) + "+" + strconv.Itoa(int(t.SlotSize))
}

// occupied reports whether a slot's header says a file lives there, as C
// checks with trunk_init_check_occupying: the 24 bytes at its offset,
// type and both sizes aside, are not all zero. A container that cannot be
// read counts as not occupied.
func (s *Store) occupied(t codec.TrunkInfo) bool {
	path, err := s.ContainerPath(t)
	if err != nil {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		s.cfg.Log.Warn("trunk_init_check_occupying: open", "file", path, "err", err)
		return false
	}
	defer f.Close()
	var hdr [codec.TrunkSlotHeaderSize]byte
	if _, err := f.ReadAt(hdr[:], int64(t.Offset)); err != nil {
		return false
	}
	for _, b := range hdr[1+4+4:] { // type, alloc size and file size aside
		if b != 0 {
			s.cfg.Log.Warn("free trunk slot already occupied by a file; not free", "file", path, "slot", String(t))
			return true
		}
	}
	return false
}
