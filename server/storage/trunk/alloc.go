package trunk

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gofdfs/gofdfs/codec"
)

// The trunk server's allocator (TRUNK_ALLOC_SPACE / TRUNK_ALLOC_CONFIRM),
// writing the trunk binlog exactly as C 6.16 does:
//
//	new container       A <container> 0 <trunk_file_size>
//	take a free slot    D <slot>                      (the whole free slot)
//	                    A <rest>                      (when rest >= slot_min_size)
//	hold the piece      A <piece>                     (held until confirmed)
//	confirm (status 0)  D <piece>
//
// A held piece is logged as free space: if the uploader never confirms
// (it crashed), a restart finds the piece free again, which is how C takes
// such space back.

// ErrNoTrunkSpace is a request larger than a container can hold.
var ErrNoTrunkSpace = errors.New("trunk: slot larger than a trunk file")

// alignedSize is the slot size C allocates for size bytes (header
// included). Caller holds s.mu.
func (s *Store) alignedSize(size int32) int32 {
	switch {
	case size <= s.cfg.SlotMinSize:
		return s.cfg.SlotMinSize
	case s.cfg.Alignment <= 0:
		return size
	case size%s.cfg.Alignment == 0:
		return size
	}
	return size + s.cfg.Alignment - size%s.cfg.Alignment
}

// Alloc takes a slot of at least size bytes (content plus the 24-byte
// header) on a store path and holds it until Confirm.
func (s *Store) Alloc(storePath int, size int32) (codec.TrunkInfo, error) {
	if storePath < 0 || storePath >= len(s.cfg.StorePaths) {
		return codec.TrunkInfo{}, fmt.Errorf("trunk: store path index %d not below %d", storePath, len(s.cfg.StorePaths))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	want := s.alignedSize(size)
	if size <= 0 || int64(want) > s.cfg.TrunkFileSize {
		return codec.TrunkInfo{}, fmt.Errorf("%w: %d bytes, trunk_file_size %d", ErrNoTrunkSpace, size, s.cfg.TrunkFileSize)
	}
	// The lines go out in one write; the free space changes only after it.
	var lines [4 * (codec.TrunkBinlogMaxLine + 1)]byte
	b := lines[:0]
	var node codec.TrunkInfo
	fromFree := false
	k, sz, ok := s.free.fit(byte(storePath), want)
	if ok {
		node, fromFree = k.info(sz), true
	} else {
		var err error
		if node, err = s.createContainerLocked(storePath); err != nil {
			return codec.TrunkInfo{}, err
		}
		b = s.lineLocked(b, codec.TrunkBinlogAdd, node)
	}
	// split: the whole slot leaves the free space, the rest comes back
	b = s.lineLocked(b, codec.TrunkBinlogDelete, node)
	piece, rest := node, node
	hasRest := node.SlotSize-want >= s.cfg.SlotMinSize
	if hasRest {
		rest.Offset, rest.SlotSize = node.Offset+want, node.SlotSize-want
		b = s.lineLocked(b, codec.TrunkBinlogAdd, rest)
		piece.SlotSize = want
	}
	b = s.lineLocked(b, codec.TrunkBinlogAdd, piece)
	if err := s.writeLinesLocked(b); err != nil {
		return codec.TrunkInfo{}, err
	}
	if fromFree {
		s.free.remove(k, sz)
	}
	if hasRest {
		s.free.add(keyOf(rest), rest.SlotSize, false)
	}
	s.free.add(keyOf(piece), piece.SlotSize, true)
	return piece, nil
}

// Confirm ends a hold: status 0 (or EEXIST) means the slot now holds a
// file and leaves the free space; anything else makes it free again.
func (s *Store) Confirm(t codec.TrunkInfo, status codec.Errno) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := keyOf(t)
	sl, ok := s.free.slots[k]
	if !ok || !sl.hold || sl.size != t.SlotSize {
		return fmt.Errorf("trunk: no held slot %s: %w", String(t), ErrNoFile)
	}
	if status != codec.OK && status != codec.EEXIST {
		sl.hold = false
		return nil
	}
	s.free.remove(k, t.SlotSize)
	return s.appendLocked(codec.TrunkBinlogDelete, t)
}

// createContainerLocked creates the next container, sparse, of
// trunk_file_size bytes, in the directory the distribution picks for its
// id; ids whose file exists are skipped, as C skips them.
func (s *Store) createContainerLocked(storePath int) (codec.TrunkInfo, error) {
	if s.cfg.NextFileID == nil || s.cfg.PickDir == nil {
		return codec.TrunkInfo{}, errors.New("trunk: this store does not allocate (not configured as trunk server)")
	}
	for {
		id, err := s.cfg.NextFileID()
		if err != nil {
			return codec.TrunkInfo{}, err
		}
		high, low := s.cfg.PickDir(codec.AppendContainerIDB64(nil, id))
		t := codec.TrunkInfo{StorePathIndex: byte(storePath), SubPathHigh: byte(high), SubPathLow: byte(low),
			FileID: id, Offset: 0, SlotSize: int32(s.cfg.TrunkFileSize)}
		path, err := s.ContainerPath(t)
		if err != nil {
			return codec.TrunkInfo{}, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return codec.TrunkInfo{}, fmt.Errorf("trunk: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return codec.TrunkInfo{}, fmt.Errorf("trunk: create %s: %w", path, err)
		}
		err = f.Truncate(s.cfg.TrunkFileSize)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			_ = os.Remove(path)
			return codec.TrunkInfo{}, fmt.Errorf("trunk: size %s: %w", path, err)
		}
		return t, nil
	}
}

// EnsureContainer creates the container of a slot, sparse, of
// trunk_file_size bytes, unless it exists: a storage that is not the trunk
// server writes into the group's container ids on its own disk.
func (s *Store) EnsureContainer(t codec.TrunkInfo) error {
	path, err := s.ContainerPath(t)
	if err != nil {
		return err
	}
	s.mu.Lock()
	size := s.cfg.TrunkFileSize
	s.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("trunk: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("trunk: create %s: %w", path, err)
	}
	if int64(t.Offset)+int64(t.SlotSize) > size {
		size = int64(t.Offset) + int64(t.SlotSize)
	}
	err = f.Truncate(size)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Held reports whether the slot at t's place is allocated and awaits its
// confirm.
func (s *Store) Held(t codec.TrunkInfo) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sl, ok := s.free.slots[keyOf(t)]
	return ok && sl.hold
}
