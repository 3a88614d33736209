package diskio

import (
	"bytes"
	"errors"
	"hash/crc32"
	"os"
	"testing"
	"time"
)

// WriteNew creates the file with its bytes, refuses a taken name without
// touching the file there, and leaves nothing behind that the start-up
// check would remove.
func TestWriteNew(t *testing.T) {
	sp := openStorePath(t, 4)
	body := bytes.Repeat([]byte("photo"), 800)
	crc := crc32.ChecksumIEEE(body)
	ref := FileRef{High: 1, Low: 2, Name: "wKgAAGdUz00AAAAAAAAAAA.jpg"}
	if err := sp.WriteNew(ref, body, crc); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(sp.path(ref))
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("read back: %v, %d bytes, want %d", err, len(got), len(body))
	}
	other := []byte("another body")
	if err := sp.WriteNew(ref, other, crc32.ChecksumIEEE(other)); !errors.Is(err, os.ErrExist) {
		t.Fatalf("WriteNew of a taken name: %v, want ErrExist", err)
	}
	if got, _ := os.ReadFile(sp.path(ref)); !bytes.Equal(got, body) {
		t.Fatal("a refused WriteNew changed the existing file")
	}
	if n, err := sp.SweepTemp(time.Now().Add(time.Minute)); err != nil || n != 0 {
		t.Fatalf("SweepTemp after good creates = %d, %v; want 0, nil", n, err)
	}
	if _, err := os.Stat(sp.path(ref)); err != nil {
		t.Fatalf("the file is gone after the start-up check: %v", err)
	}
}

// A create that a kill -9 cut short (the file under its final name with
// fewer bytes, or other bytes, than the slot promised) is removed at the
// next start; whole files, and names whose create never began, stay.
func TestCheckCreatingRemovesInterrupted(t *testing.T) {
	sp := openStorePath(t, 4)
	body := bytes.Repeat([]byte{0xAB}, 4096)
	crc := crc32.ChecksumIEEE(body)
	short := FileRef{High: 0, Low: 1, Name: "short.jpg"}
	torn := FileRef{High: 0, Low: 1, Name: "torn.jpg"}
	whole := FileRef{High: 3, Low: 3, Name: "whole.jpg"}
	gone := FileRef{High: 2, Low: 0, Name: "gone.jpg"}
	for _, ref := range []FileRef{short, torn, whole, gone} {
		if err := sp.WriteNew(ref, body, crc); err != nil {
			t.Fatal(err)
		}
	}
	// what the crash left: a short file, one with other bytes, one deleted
	if err := os.Truncate(sp.path(short), 1000); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sp.path(torn), bytes.Repeat([]byte{0}, 4096), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(sp.path(gone)); err != nil {
		t.Fatal(err)
	}
	sp2, err := Open(sp.Root(), Options{SubdirCount: 4}) // the restart
	if err != nil {
		t.Fatal(err)
	}
	n, err := sp2.SweepTemp(time.Now().Add(time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("SweepTemp = %d, %v; want 2 removed", n, err)
	}
	for _, ref := range []FileRef{short, torn} {
		if _, err := os.Stat(sp.path(ref)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%v: interrupted create still there (%v)", ref, err)
		}
	}
	if got, _ := os.ReadFile(sp.path(whole)); !bytes.Equal(got, body) {
		t.Error("a whole file was changed by the start-up check")
	}
	// the ring is emptied: a later check removes nothing, even a file
	// that has since changed
	if err := os.Truncate(sp.path(whole), 10); err != nil {
		t.Fatal(err)
	}
	if n, err := sp2.CheckCreating(); err != nil || n != 0 {
		t.Fatalf("second CheckCreating = %d, %v; want 0", n, err)
	}
}

// The upload path's create allocates nothing.
func TestWriteNewAllocs(t *testing.T) {
	sp := openStorePath(t, 4)
	body := make([]byte, 4096)
	crc := crc32.ChecksumIEEE(body)
	names := make([]string, 200)
	for i := range names {
		names[i] = "f" + string(rune('A'+i%26)) + string(rune('a'+i/26)) + ".jpg"
	}
	i := 0
	allocs := testing.AllocsPerRun(100, func() {
		if err := sp.WriteNew(FileRef{High: 1, Low: 1, Name: names[i]}, body, crc); err != nil {
			t.Fatal(err)
		}
		i++
	})
	if allocs != 0 {
		t.Fatalf("WriteNew: %v allocs per call, want 0", allocs)
	}
}
