package codec

import (
	"bytes"
	"errors"
	"testing"
)

// Real bytes from a C 6.16.1 storage with use_trunk_file = true,
// slot_min_size = 256, trunk_file_size = 4MB: two uploads of 38 and 3738
// bytes and the first 24 bytes of their slots in data/00/00/000001.
var cTrunkFiles = []struct {
	name   string // remote filename
	header string // hex of the slot header at the slot offset
	offset int32
	slot   int32
	size   int64
}{
	{"M00/00/00/fwBNA2sWV8mIaMvMAAAAJtgXTlMAAAAAQAAAAAAAAEA408.jpg",
		"46 00000100 00000026 d8174e53 6b1657c9 3430382e6a7067", 0, 256, 38},
	{"M00/00/00/fwBNA2sWV8mITmZIAAAOmsTSPw0AAAAAQAAERgAAA6y740.bin",
		"46 00000eb2 00000e9a c4d23f0d 6b1657c9 3734302e62696e", 4376, 3762, 3738},
}

func TestTrunkRefFromCNames(t *testing.T) {
	for _, c := range cTrunkFiles {
		rf, err := ParseRemoteFilename([]byte(c.name), 1)
		if err != nil {
			t.Fatal(err)
		}
		ref, ok, err := TrunkRefOf(&rf)
		if !ok || err != nil {
			t.Fatalf("%s: trunk=%v %v", c.name, ok, err)
		}
		if ref.Slot != (TrunkSlot{ID: 1, Offset: c.offset, Size: c.slot}) || ref.FileSize() != c.size ||
			ref.ContentOffset() != int64(c.offset)+24 {
			t.Errorf("%s: %+v size %d", c.name, ref.Slot, ref.FileSize())
		}
		hdr := hx(c.header)
		if !ref.Matches(hdr) {
			t.Errorf("%s: C's header does not match the name", c.name)
		}
		var h TrunkSlotHeader
		if err := h.Decode(hdr); err != nil {
			t.Fatal(err)
		}
		want := TrunkSlotHeaderFor(TrunkSlotRegular, ref.Fields, ref.Slot, ref.Ext7)
		if h != want || !bytes.Equal(want.Append(nil), hdr) {
			t.Errorf("%s: decoded %+v, rebuilt % x", c.name, h, want.Append(nil))
		}
		// a freed slot is zero-filled; one byte off anywhere is another file
		if ref.Matches(make([]byte, 24)) {
			t.Errorf("zero header matched")
		}
		for i := range hdr {
			bad := bytes.Clone(hdr)
			bad[i] ^= 1
			if ref.Matches(bad) {
				t.Errorf("%s: header with byte %d flipped matched", c.name, i)
			}
		}
		link := bytes.Clone(hdr)
		link[0] = TrunkSlotLink
		if !ref.Matches(link) {
			t.Errorf("link slot did not match")
		}
	}
	if err := new(TrunkSlotHeader).Decode(make([]byte, 23)); !errors.Is(err, EINVAL) {
		t.Errorf("short header: %v", err)
	}
}

func TestTrunkRefOfRejects(t *testing.T) {
	for _, name := range []string{
		"M00/00/00/fwBNA2sWV8mIaMvMAAAAJtgXTlM408.jpg",                   // normal name
		"M00/00/00/fwBNA2sWV8mIaMvMAAAAJtgXTlMAAAAAQAAAAAAAAEA408.jpg-m", // longer: a slave
	} {
		rf, err := ParseRemoteFilename([]byte(name), 1)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok, err := TrunkRefOf(&rf); ok || err != nil {
			t.Errorf("%s: trunk=%v %v", name, ok, err)
		}
	}
	// trunk flag and length, but a slot smaller than header + file (size 38 in a 32-byte slot)
	var b []byte
	b = append(b, "M00/00/00/fwBNA2sWV8mIaMvMAAAAJtgXTlM"...)
	b = TrunkSlot{ID: 1, Offset: 0, Size: 32}.AppendB64(b)
	b = append(b, "408.jpg"...)
	rf, err := ParseRemoteFilename(b, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := TrunkRefOf(&rf); !ok || !errors.Is(err, EINVAL) {
		t.Errorf("small slot: trunk=%v %v", ok, err)
	}
}

// storage_trunk.dat as C 6.16.1 wrote it when the storage above restarted
// (the trunk binlog was 16531 bytes long; three free slots).
const cTrunkData = "16531\n" +
	"1796626460 A 0 0 0 1 256 395\n" +
	"1796626460 A 0 0 0 1 651 3725\n" +
	"1796626460 A 0 0 0 1 272485 3921819\n"

func TestTrunkDataFile(t *testing.T) {
	b := []byte(cTrunkData)
	off, n, err := ParseTrunkDataHead(b)
	if err != nil || off != 16531 || n != 6 {
		t.Fatalf("head %d %d %v", off, n, err)
	}
	if got := string(AppendTrunkDataHead(nil, 16531)); got != "16531\n" {
		t.Errorf("head %q", got)
	}
	b = b[n:]
	var got []TrunkInfo
	for len(b) > 0 {
		ti, m, err := ParseTrunkDataLine(b)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ti)
		b = b[m:]
	}
	want := []TrunkInfo{{FileID: 1, Offset: 256, SlotSize: 395}, {FileID: 1, Offset: 651, SlotSize: 3725},
		{FileID: 1, Offset: 272485, SlotSize: 3921819}}
	if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("lines %+v", got)
	}
	// each line is what the binlog writer makes of an 'A' record
	r := TrunkBinlogRecord{Timestamp: 1796626460, Op: TrunkBinlogAdd, Trunk: want[1]}
	if string(r.Append(nil)) != "1796626460 A 0 0 0 1 651 3725\n" {
		t.Errorf("line %q", r.Append(nil))
	}
	// pre-V5.01 lines have no timestamp and op
	if ti, m, err := ParseTrunkDataLine([]byte("1 2 3 4 5 6\n")); err != nil || m != 12 ||
		ti != (TrunkInfo{StorePathIndex: 1, SubPathHigh: 2, SubPathLow: 3, FileID: 4, Offset: 5, SlotSize: 6}) {
		t.Errorf("old line %+v %d %v", ti, m, err)
	}
	for _, bad := range []string{"1 D 0 0 0 1 0 256\n", "1 2 3 4 5\n", "1 2 x 4 5 6\n", "1 2 3 4 5 6 7\n"} {
		if _, m, err := ParseTrunkDataLine([]byte(bad)); !errors.Is(err, EINVAL) || m != len(bad) {
			t.Errorf("%q: %d %v", bad, m, err)
		}
	}
	if _, m, err := ParseTrunkDataLine([]byte("1 A 0")); m != 0 || err != ErrTrunkBinlogPartial {
		t.Errorf("partial %d %v", m, err)
	}
	for _, bad := range []string{"", "abc\n", "-1\n", "12"} {
		if _, _, err := ParseTrunkDataHead([]byte(bad)); !errors.Is(err, EINVAL) {
			t.Errorf("head %q: %v", bad, err)
		}
	}
}

func FuzzTrunkSlotHeader(f *testing.F) {
	for _, c := range cTrunkFiles {
		f.Add(hx(c.header), c.name)
	}
	f.Fuzz(func(t *testing.T, hdr []byte, name string) {
		var h TrunkSlotHeader
		if err := h.Decode(hdr); err != nil {
			if len(hdr) >= TrunkSlotHeaderSize {
				t.Fatalf("Decode(% x): %v", hdr, err)
			}
			return
		}
		if got := h.Append(nil); !bytes.Equal(got, hdr[:TrunkSlotHeaderSize]) {
			t.Fatalf("round trip % x -> % x", hdr, got)
		}
		rf, err := ParseRemoteFilename([]byte(name), 256)
		if err != nil {
			return
		}
		ref, ok, err := TrunkRefOf(&rf)
		if !ok || err != nil {
			return
		}
		if ref.Matches(hdr) != (h == TrunkSlotHeaderFor(hdr[0], ref.Fields, ref.Slot, ref.Ext7) &&
			(hdr[0] == TrunkSlotRegular || hdr[0] == TrunkSlotLink)) {
			t.Fatalf("Matches disagrees with the decoded header for %q", name)
		}
		if ref.ContentOffset()+ref.FileSize() > int64(ref.Slot.Offset)+int64(ref.Slot.Size) {
			t.Fatalf("%q: content beyond its slot", name)
		}
	})
}

func FuzzTrunkDataLine(f *testing.F) {
	f.Add([]byte(cTrunkData))
	f.Add([]byte("1 2 3 4 5 6\n"))
	f.Add([]byte("1 A 0"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if off, n, err := ParseTrunkDataHead(b); err == nil {
			if off < 0 || n <= 0 || n > len(b) || b[n-1] != '\n' {
				t.Fatalf("head %d %d of %q", off, n, b)
			}
		}
		ti, n, err := ParseTrunkDataLine(b)
		if n < 0 || n > len(b) || n == 0 && err == nil || n > 0 && b[n-1] != '\n' {
			t.Fatalf("ParseTrunkDataLine(%q) = %d, %v", b, n, err)
		}
		if err != nil {
			return
		}
		r := TrunkBinlogRecord{Timestamp: 1, Op: TrunkBinlogAdd, Trunk: ti}
		again, m, err := ParseTrunkDataLine(r.Append(nil))
		if err != nil || again != ti || m != r.Size() {
			t.Fatalf("round trip of %+v: %+v %d %v", ti, again, m, err)
		}
	})
}

func FuzzDecodeTrunkSlot(f *testing.F) {
	f.Add([]byte("AAAAAQAAAAAAAAEA"))
	f.Add([]byte("AAAAAQAAERgAAA6y"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeTrunkSlot(b)
		if err != nil {
			return
		}
		if got := s.AppendB64(nil); !bytes.Equal(got, b) {
			t.Fatalf("round trip %q -> %+v -> %q", b, s, got)
		}
	})
}
