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

// allocation is a slot taken out of the free space, not yet applied: the
// binlog lines that record it and the changes to make once they are out.
type allocation struct {
	node, piece, rest codec.TrunkInfo
	fromFree, hasRest bool
	created           bool // node is a container created for it
	key               slotKey
	lines             [5 * (codec.TrunkBinlogMaxLine + 1)]byte
	n                 int // bytes of lines used
}

// planLocked picks the slot for size bytes on a store path (creating a
// container when no free slot fits) and writes the allocation's lines
// into a: [A container] D node [A rest] A piece. Caller holds s.mu.
func (s *Store) planLocked(a *allocation, storePath int, size int32) error {
	if storePath < 0 || storePath >= len(s.cfg.StorePaths) {
		return fmt.Errorf("trunk: store path index %d not below %d", storePath, len(s.cfg.StorePaths))
	}
	want := s.alignedSize(size)
	if size <= 0 || int64(want) > s.cfg.TrunkFileSize {
		return fmt.Errorf("%w: %d bytes, trunk_file_size %d", ErrNoTrunkSpace, size, s.cfg.TrunkFileSize)
	}
	b := a.lines[:0]
	k, sz, ok := s.free.fit(byte(storePath), want)
	if ok {
		a.node, a.fromFree, a.key = k.info(sz), true, k
	} else {
		var err error
		if a.node, err = s.createContainerLocked(storePath); err != nil {
			return err
		}
		a.created = true
		b = s.lineLocked(b, codec.TrunkBinlogAdd, a.node)
	}
	// split: the whole slot leaves the free space, the rest comes back
	b = s.lineLocked(b, codec.TrunkBinlogDelete, a.node)
	a.piece, a.rest = a.node, a.node
	a.hasRest = a.node.SlotSize-want >= s.cfg.SlotMinSize
	if a.hasRest {
		a.rest.Offset, a.rest.SlotSize = a.node.Offset+want, a.node.SlotSize-want
		b = s.lineLocked(b, codec.TrunkBinlogAdd, a.rest)
		a.piece.SlotSize = want
	}
	b = s.lineLocked(b, codec.TrunkBinlogAdd, a.piece)
	a.n = len(b)
	return nil
}

// applyLocked makes a's changes to the free space (after its lines are
// out): the node leaves, the rest comes back, the piece is held.
func (s *Store) applyLocked(a *allocation) {
	if a.fromFree {
		s.free.remove(a.key, a.node.SlotSize)
	}
	if a.hasRest {
		s.free.add(keyOf(a.rest), a.rest.SlotSize, false)
	}
	s.free.add(keyOf(a.piece), a.piece.SlotSize, true)
}

// Alloc takes a slot of at least size bytes (content plus the 24-byte
// header) on a store path and holds it until Confirm.
func (s *Store) Alloc(storePath int, size int32) (codec.TrunkInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var a allocation
	if err := s.planLocked(&a, storePath, size); err != nil {
		return codec.TrunkInfo{}, err
	}
	// The lines go out in one write; the free space changes only after it.
	if err := s.writeLinesLocked(a.lines[:a.n]); err != nil {
		return codec.TrunkInfo{}, err
	}
	s.applyLocked(&a)
	return a.piece, nil
}

// Put is Alloc, WriteSlot and Confirm for the trunk server's own upload,
// with the allocation's lines and the confirm's D line in one binlog
// write after the slot is written: the same bytes in the same order as
// the three calls write, one system call instead of two. A crash before
// that write leaves the slot free in the binlog, as an unconfirmed hold
// does; a failed slot write leaves the free space as it was (a container
// created for it is still logged). The store's lock is held across the
// slot write (one pwritev of at most slot_max_size bytes), so other
// allocations wait for it: no other line can come between the
// allocation's and the confirm's.
func (s *Store) Put(storePath int, f codec.NameFields, ext7, content []byte) (codec.TrunkInfo, error) {
	if int64(len(content))+codec.TrunkSlotHeaderSize > 1<<31-1 {
		return codec.TrunkInfo{}, fmt.Errorf("%w: %d bytes", ErrNoTrunkSpace, len(content))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var a allocation
	if err := s.planLocked(&a, storePath, int32(len(content))+codec.TrunkSlotHeaderSize); err != nil {
		return codec.TrunkInfo{}, err
	}
	p := a.piece
	hdr := codec.TrunkSlotHeaderFor(codec.TrunkSlotRegular, f, codec.TrunkSlot{ID: p.FileID, Offset: p.Offset, Size: p.SlotSize}, ext7)
	var hdrBuf [codec.TrunkSlotHeaderSize]byte
	if err := s.writeSlot(p, hdr.Append(hdrBuf[:0]), content, s.cfg.TrunkFileSize); err != nil {
		if a.created { // the container exists: its line must too
			var b [codec.TrunkBinlogMaxLine + 1]byte
			if werr := s.writeLinesLocked(s.lineLocked(b[:0], codec.TrunkBinlogAdd, a.node)); werr == nil {
				s.free.add(keyOf(a.node), a.node.SlotSize, false)
			}
		}
		return a.piece, err
	}
	lines := s.lineLocked(a.lines[:a.n], codec.TrunkBinlogDelete, a.piece)
	if err := s.writeLinesLocked(lines); err != nil {
		return a.piece, err
	}
	s.applyLocked(&a)
	s.free.remove(keyOf(a.piece), a.piece.SlotSize)
	return a.piece, nil
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
	s.mu.Lock()
	size := s.cfg.TrunkFileSize
	s.mu.Unlock()
	return s.ensureContainer(t, size)
}

// ensureContainer is EnsureContainer with trunk_file_size given (a caller
// holding s.mu).
func (s *Store) ensureContainer(t codec.TrunkInfo, size int64) error {
	path, err := s.ContainerPath(t)
	if err != nil {
		return err
	}
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
