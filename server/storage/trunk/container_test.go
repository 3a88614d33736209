package trunk

import (
	"bytes"
	"os"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
)

// WriteSlot puts header and content at the slot's offset, creates a
// container this storage does not have yet (a member writing the group's
// ids), and keeps writing through the kept descriptor afterwards.
func TestWriteSlotKeepsContainerOpen(t *testing.T) {
	s, _ := allocStore(t)
	a, err := s.Alloc(0, 300)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Alloc(0, 300)
	if err != nil {
		t.Fatal(err)
	}
	hdr := bytes.Repeat([]byte{'H'}, codec.TrunkSlotHeaderSize)
	for i, slot := range []codec.TrunkInfo{a, b} {
		if err := s.WriteSlot(slot, hdr, bytes.Repeat([]byte{byte('a' + i)}, 276)); err != nil {
			t.Fatal(err)
		}
	}
	// a container id the store never created: made on first write
	other := codec.TrunkInfo{StorePathIndex: 0, SubPathHigh: 1, SubPathLow: 2, FileID: 77, Offset: 512, SlotSize: 300}
	if err := s.WriteSlot(other, hdr, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if n := len(s.files); n != 2 {
		t.Fatalf("%d containers kept open, want 2", n)
	}
	pa, _ := s.ContainerPath(a)
	got, err := os.ReadFile(pa)
	if err != nil {
		t.Fatal(err)
	}
	want := append(append(append([]byte{}, hdr...), bytes.Repeat([]byte{'a'}, 276)...), hdr...)
	want = append(want, bytes.Repeat([]byte{'b'}, 276)...)
	if int64(len(got)) != 4<<20 || !bytes.Equal(got[:600], want) {
		t.Fatalf("container %s: %d bytes, first 600 not as written", pa, len(got))
	}
	po, _ := s.ContainerPath(other)
	got, err = os.ReadFile(po)
	if err != nil || len(got) != 4<<20 || !bytes.Equal(got[512:512+codec.TrunkSlotHeaderSize+1], append(hdr, 'x')) {
		t.Fatalf("member container %s: %v", po, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(s.files); n != 0 {
		t.Fatalf("%d containers still open after Close", n)
	}
}
