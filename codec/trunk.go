package codec

import (
	"bytes"
	"encoding/binary"
	"strconv"
)

// Trunk containers (use_trunk_file = true). A trunk file
// <store path>/data/HH/HH/NNNNNN holds many small files, each in a slot:
//
//	offset  size  field
//	0       1     type: 'F' regular, 'L' symbolic link, 0 free
//	1       4     slot (alloc) size, big-endian, the header included
//	5       4     file size
//	9       4     CRC32 of the content (as in the file name)
//	13      4     mtime (the file name's timestamp)
//	17      7     EXT7: the last 7 characters of the file name
//	24      ...   content, then slack up to the slot size
//
// A reader only trusts a slot whose 24 bytes equal those rebuilt from the
// file name (TrunkSlotHeaderFor): anything else is "no such file", so a
// freed (zeroed) or reused slot never serves stale content.

// TrunkSlotHeaderSize is the size of the header in front of each slot's
// content (17 + FDFS_FILE_EXT_NAME_MAX_LEN + 1).
const TrunkSlotHeaderSize = 24

// Slot types (the first header byte).
const (
	TrunkSlotFree    byte = 0   // never used or freed: zero-filled
	TrunkSlotRegular byte = 'F' // a file's content
	TrunkSlotLink    byte = 'L' // a symbolic link: the content is the target's logic name
)

// TrunkSlotHeader is the 24-byte header of a slot.
type TrunkSlotHeader struct {
	Type      byte
	AllocSize int32 // the slot size, header included
	FileSize  int32
	CRC32     uint32
	Mtime     int32
	Ext       [Ext7Len]byte
}

// Append appends the 24 bytes.
func (h *TrunkSlotHeader) Append(dst []byte) []byte {
	dst = append(dst, h.Type)
	dst = binary.BigEndian.AppendUint32(dst, uint32(h.AllocSize))
	dst = binary.BigEndian.AppendUint32(dst, uint32(h.FileSize))
	dst = binary.BigEndian.AppendUint32(dst, h.CRC32)
	dst = binary.BigEndian.AppendUint32(dst, uint32(h.Mtime))
	return append(dst, h.Ext[:]...)
}

// Decode reads the 24 bytes at the start of b. It checks the length only:
// what a valid slot holds depends on the file name that points at it.
func (h *TrunkSlotHeader) Decode(b []byte) error {
	if len(b) < TrunkSlotHeaderSize {
		return badLength("TrunkSlotHeader", len(b), "24")
	}
	h.Type = b[0]
	h.AllocSize = int32(binary.BigEndian.Uint32(b[1:]))
	h.FileSize = int32(binary.BigEndian.Uint32(b[5:]))
	h.CRC32 = binary.BigEndian.Uint32(b[9:])
	h.Mtime = int32(binary.BigEndian.Uint32(b[13:]))
	copy(h.Ext[:], b[17:TrunkSlotHeaderSize])
	return nil
}

// TrunkSlotHeaderFor is the header a slot must carry to hold the trunk file
// whose name has these fields, trunk part and trailing 7 characters (ext7).
// typ is TrunkSlotRegular or TrunkSlotLink (from the slot itself: the name
// does not tell them apart).
func TrunkSlotHeaderFor(typ byte, f NameFields, slot TrunkSlot, ext7 []byte) TrunkSlotHeader {
	h := TrunkSlotHeader{Type: typ, AllocSize: slot.Size, FileSize: int32(uint32(f.SizeField)),
		CRC32: f.CRC32, Mtime: int32(f.Timestamp)}
	copy(h.Ext[:], ext7)
	return h
}

// TrunkRef is what a trunk file name says: where its slot is and the header
// the slot must carry.
type TrunkRef struct {
	Fields NameFields
	Slot   TrunkSlot
	Ext7   []byte // aliases the name
}

// ContentOffset is where the content starts in the container.
func (r *TrunkRef) ContentOffset() int64 { return int64(r.Slot.Offset) + TrunkSlotHeaderSize }

// FileSize is the content length the name records.
func (r *TrunkRef) FileSize() int64 { return int64(uint32(r.Fields.SizeField)) }

// Matches reports whether the 24 header bytes hdr are those of this file
// (regular or link), as C compares them before serving a trunk file.
func (r *TrunkRef) Matches(hdr []byte) bool {
	if len(hdr) < TrunkSlotHeaderSize || hdr[0] != TrunkSlotRegular && hdr[0] != TrunkSlotLink {
		return false
	}
	want := TrunkSlotHeaderFor(hdr[0], r.Fields, r.Slot, r.Ext7)
	var buf [TrunkSlotHeaderSize]byte
	return bytes.Equal(want.Append(buf[:0]), hdr[:TrunkSlotHeaderSize])
}

// TrunkRefOf decodes the trunk part of a validated remote filename; ok is
// false when the name is not a trunk name (length 60 with the trunk flag).
// The trunk part is decoded strictly: a malformed one is EINVAL.
func TrunkRefOf(rf *RemoteFilename) (ref TrunkRef, ok bool, err error) {
	f, err := rf.Fields()
	if err != nil {
		return ref, false, nil // not a name we generate; the normal path answers it
	}
	if rf.Kind(f) != KindTrunk || len(rf.Name) != B64PartLen+TrunkPartLen+Ext7Len {
		return ref, false, nil
	}
	slot, err := DecodeTrunkSlot(rf.Name[B64PartLen : B64PartLen+TrunkPartLen])
	if err != nil {
		return ref, true, err
	}
	if slot.ID <= 0 || slot.Offset < 0 || slot.Size < TrunkSlotHeaderSize ||
		int64(uint32(f.SizeField))+TrunkSlotHeaderSize > int64(slot.Size) {
		return ref, true, invalid("TrunkSlot", "slot does not fit the file: "+fidQuote(rf.Logic))
	}
	return TrunkRef{Fields: f, Slot: slot, Ext7: rf.Name[B64PartLen+TrunkPartLen:]}, true, nil
}

// ---- storage_trunk.dat ---------------------------------------------------------

// The trunk server's free-space snapshot, <base_path>/data/storage_trunk.dat:
//
//	<size of data/trunk/binlog when the snapshot was taken>\n
//	<ts> A <store_path_index> <sub_path_high> <sub_path_low> <file_id> <offset> <size>\n   (one per free slot)
//
// Loading reads the snapshot, then replays the trunk binlog from the
// recorded size on. Lines of 6 fields (store_path_index ... size, no
// timestamp and op) come from servers older than V5.01 and are accepted.

// TrunkDataLineMax is the longest free-slot line the C loader takes.
const TrunkDataLineMax = 64

// AppendTrunkDataHead appends the first line of storage_trunk.dat.
func AppendTrunkDataHead(dst []byte, binlogSize int64) []byte {
	return append(strconv.AppendInt(dst, binlogSize, 10), '\n')
}

// ParseTrunkDataHead reads the first line: the trunk binlog offset the
// snapshot covers, and the line length.
func ParseTrunkDataHead(b []byte) (offset int64, n int, err error) {
	end := bytes.IndexByte(b, '\n')
	if end < 0 {
		return 0, 0, invalid("TrunkDataFile", "no first line")
	}
	v, ok := clusterParseDecimal(b[:end])
	if !ok {
		return 0, end + 1, invalid("TrunkDataFile", "first line is not a binlog offset: "+strconv.Quote(string(b[:end])))
	}
	return v, end + 1, nil
}

// ParseTrunkDataLine reads one free-slot line at the start of b (8 fields
// as the trunk binlog, op 'A', or the old 6). It returns the line length;
// (0, ErrTrunkBinlogPartial) without a '\n'.
func ParseTrunkDataLine(b []byte) (TrunkInfo, int, error) {
	end := bytes.IndexByte(b, '\n')
	if end < 0 {
		return TrunkInfo{}, 0, ErrTrunkBinlogPartial
	}
	n := end + 1
	if bytes.Count(b[:end], []byte{' '}) == 5 {
		var v [6]int64
		limits := [6]int64{255, 255, 255, 1<<32 - 1, 1<<31 - 1, 1<<31 - 1}
		line := b[:end]
		for i := range 6 {
			field := line
			if sp := bytes.IndexByte(line, ' '); sp >= 0 {
				field, line = line[:sp], line[sp+1:]
			}
			x, ok := clusterParseDecimal(field)
			if !ok || x > limits[i] {
				return TrunkInfo{}, n, errTrunkBinlogValue
			}
			v[i] = x
		}
		return TrunkInfo{StorePathIndex: byte(v[0]), SubPathHigh: byte(v[1]), SubPathLow: byte(v[2]),
			FileID: int32(uint32(v[3])), Offset: int32(v[4]), SlotSize: int32(v[5])}, n, nil
	}
	var r TrunkBinlogRecord
	m, err := r.Parse(b[:n])
	if err != nil {
		return TrunkInfo{}, n, err
	}
	if r.Op != TrunkBinlogAdd {
		return TrunkInfo{}, m, invalid("TrunkDataFile", "free-slot line with op "+strconv.QuoteRune(rune(r.Op)))
	}
	return r.Trunk, m, nil
}

// AppendContainerIDB64 appends the base64 (file-name alphabet, no padding:
// 6 characters) of a container id as a big-endian int32: what the
// storage's path distribution hashes to place a new container.
func AppendContainerIDB64(dst []byte, id int32) []byte {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(id))
	return fidB64Append(dst, b[:])
}
