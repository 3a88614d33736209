package placement

import "testing"

func TestPJWHash(t *testing.T) {
	// Worked by hand: h = h<<4 + c, folding the top nibble back in.
	if got := PJWHash([]byte("A")); got != 0x41 {
		t.Fatalf("A: %#x", got)
	}
	if got := PJWHash([]byte("AB")); got != 0x41<<4+0x42 {
		t.Fatalf("AB: %#x", got)
	}
	// Eight characters push bits into the top nibble, which is folded.
	var h uint32
	for _, c := range []byte("ABCDEFGH") {
		h = h<<4 + uint32(c)
		if g := h & 0xF0000000; g != 0 {
			h = (h ^ g>>24) &^ g
		}
	}
	if got := PJWHash([]byte("ABCDEFGH")); got != h {
		t.Fatalf("ABCDEFGH: %#x want %#x", got, h)
	}
}

func TestDistributorRotatesAndRestores(t *testing.T) {
	d := NewDistributor(0, 2, 2, 256)
	var got [][2]int
	for range 5 {
		h, l := d.Next(nil)
		got = append(got, [2]int{h, l})
	}
	// two files per directory, 00/00 00/01 01/00 ...
	want := [][2]int{{0, 0}, {0, 0}, {0, 1}, {0, 1}, {1, 0}}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("file %d in %v, want %v (all %v)", i, got[i], want[i], got)
		}
	}
	h, l, c := d.State()
	e := NewDistributor(0, 2, 2, 256)
	e.Restore(h, l, c)
	if h2, l2 := e.Next(nil); h2 != 1 || l2 != 0 {
		t.Fatalf("restored at %d/%d, want 1/0", h2, l2)
	}
	e.Restore(2, 0, 1) // outside 2 subdirs: ignored
	if h3, l3, _ := e.State(); h3 != 1 || l3 != 1 {
		t.Fatalf("out-of-range restore moved the rotation to %d/%d", h3, l3)
	}
}
