package trunk

import (
	"bufio"
	"bytes"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// allocStore is an empty trunk server store with C's settings of the
// testdata run (slot_min_size 256, trunk_file_size 4MB).
func allocStore(t *testing.T) (*Store, Config) {
	t.Helper()
	next := int32(0)
	cfg := Config{BasePath: t.TempDir(), StorePaths: []string{t.TempDir()}, SlotMinSize: 256,
		TrunkFileSize: 4 << 20, Now: func() time.Time { return time.Unix(1796626377, 0) },
		NextFileID: func() (int32, error) { next++; return next, nil },
		PickDir:    func([]byte) (int, int) { return 0, 0 }}
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, cfg
}

// allocConfirmed allocates and confirms n slots of size bytes on store path 0.
func allocConfirmed(t *testing.T, s *Store, n int, size int32) []codec.TrunkInfo {
	t.Helper()
	var got []codec.TrunkInfo
	for range n {
		info, err := s.Alloc(0, size)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Confirm(info, codec.OK); err != nil {
			t.Fatal(err)
		}
		got = append(got, info)
	}
	return got
}

func dropTimestamps(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		_, rest, _ := strings.Cut(l, " ")
		out[i] = rest
	}
	return out
}

// replayCUploads calls store for each upload of the C run in its order
// (the trunk names C gave them, testdata/c616/upload_order.txt) with the
// slot C put it in, then checks the trunk binlog s wrote against C's, line
// for line (timestamps aside).
func replayCUploads(t *testing.T, s *Store, store func(n int, ref *codec.TrunkRef) codec.TrunkInfo) {
	t.Helper()
	f, err := os.Open("testdata/c616/upload_order.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for sc := bufio.NewScanner(f); sc.Scan(); n++ {
		rf, err := codec.ParseRemoteFilename([]byte(sc.Text()), 1)
		if err != nil {
			t.Fatal(err)
		}
		ref, ok, err := codec.TrunkRefOf(&rf)
		if !ok || err != nil {
			t.Fatalf("%s: %v", sc.Text(), err)
		}
		if got := store(n, &ref); got != InfoOf(0, 0, 0, &ref) {
			t.Fatalf("upload %d: stored at %s, C put the file at %s", n, String(got), String(InfoOf(0, 0, 0, &ref)))
		}
	}
	if n != 120 {
		t.Fatalf("%d uploads", n)
	}
	ours, _ := os.ReadFile(s.BinlogPath())
	theirs, _ := os.ReadFile("testdata/c616/trunk_binlog")
	o := dropTimestamps(strings.Split(strings.TrimSuffix(string(ours), "\n"), "\n"))
	c := dropTimestamps(strings.Split(string(theirs), "\n"))
	if len(o) != 1+4*120 {
		t.Fatalf("%d lines", len(o))
	}
	for i := range o {
		if o[i] != c[i] {
			t.Fatalf("line %d: ours %q, C %q", i+1, o[i], c[i])
		}
	}
}

// The 120 uploads of the C run, allocated and confirmed in the same order,
// give the slots C put in the file names and the trunk binlog C wrote,
// line for line (timestamps aside).
func TestAllocReplaysCUploads(t *testing.T) {
	s, cfg := allocStore(t)
	replayCUploads(t, s, func(n int, ref *codec.TrunkRef) codec.TrunkInfo {
		got, err := s.Alloc(0, int32(ref.FileSize())+codec.TrunkSlotHeaderSize)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Confirm(got, codec.OK); err != nil {
			t.Fatal(err)
		}
		return got
	})
	st, err := os.Stat(filepath.Join(cfg.StorePaths[0], "data", "00", "00", "000001"))
	if err != nil || st.Size() != 4<<20 {
		t.Fatalf("container: %v", err)
	}
}

// A piece never confirmed (the uploader crashed) is free after a restart;
// a refused one is free at once.
func TestAllocHoldAndRestart(t *testing.T) {
	s, cfg := allocStore(t)
	a, err := s.Alloc(0, 1000)
	if a.Offset != 0 {
		t.Fatalf("first alloc %s", String(a))
	}
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Alloc(0, 1000)
	if err != nil || b.Offset != 1000 {
		t.Fatalf("second alloc %s %v", String(b), err)
	}
	if err := s.Confirm(b, codec.ENOSPC); err != nil { // upload failed: free again
		t.Fatal(err)
	}
	c, err := s.Alloc(0, 900) // best fit: b's 1000-byte slot (a is held)
	if err != nil || c != b {
		t.Fatalf("third alloc %s, want %s: %v", String(c), String(b), err)
	}
	if err := s.Confirm(c, codec.OK); err != nil {
		t.Fatal(err)
	}
	if err := s.Confirm(c, codec.OK); !errors.Is(err, ErrNoFile) {
		t.Fatalf("double confirm: %v", err)
	}
	if _, err := s.Alloc(0, 5<<20); !errors.Is(err, ErrNoTrunkSpace) {
		t.Fatalf("oversized: %v", err)
	}
	s.Close()
	// a was held, never confirmed: free after the restart; c stays taken
	s2, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	free := s2.FreeSlots()
	want := []codec.TrunkInfo{{FileID: 1, Offset: 0, SlotSize: 1000}, {FileID: 1, Offset: 2000, SlotSize: 4<<20 - 2000}}
	if len(free) != 2 || free[0] != want[0] || free[1] != want[1] {
		t.Fatalf("free after restart %+v", free)
	}
}

func TestAllocAlignment(t *testing.T) {
	s, _ := allocStore(t)
	s.cfg.Alignment = 512
	for _, c := range []struct{ in, want int32 }{{10, 256}, {256, 256}, {257, 512}, {1024, 1024}, {1025, 1536}} {
		if got := s.alignedSize(c.in); got != c.want {
			t.Errorf("aligned(%d) = %d, want %d", c.in, got, c.want)
		}
	}
}

// Put (the trunk server's own upload: allocate, write, confirm, one binlog
// write) stores the 120 uploads of the C run where C put them, with C's
// trunk binlog line for line, and each name finds its slot.
func TestPutReplaysCUploads(t *testing.T) {
	s, _ := allocStore(t)
	ext7, err := codec.AppendExt7(nil, []byte("jpg"), func() byte { return '4' })
	if err != nil {
		t.Fatal(err)
	}
	replayCUploads(t, s, func(n int, ref *codec.TrunkRef) codec.TrunkInfo {
		content := bytes.Repeat([]byte{byte(n)}, int(ref.FileSize()))
		nf := codec.NameFields{Timestamp: 1796626377, SizeField: codec.TrunkSizeField(int64(len(content)), 0), CRC32: crc32.ChecksumIEEE(content)}
		got, err := s.Put(0, nf, ext7, content)
		if err != nil {
			t.Fatal(err)
		}
		if s.Held(got) {
			t.Fatalf("upload %d: slot %s still held after Put", n, String(got))
		}
		// the name the upload gets finds its slot, as a download would
		back, err := codec.ParseRemoteFilename(AppendLogic(nil, 0, got, nf, ext7), 1)
		if err != nil {
			t.Fatal(err)
		}
		ref2, _, err := codec.TrunkRefOf(&back)
		if err != nil {
			t.Fatal(err)
		}
		if sl, err := s.Locate(0, 0, 0, &ref2); err != nil || sl.Size != int64(len(content)) || sl.Type != codec.TrunkSlotRegular {
			t.Fatalf("upload %d: slot %s reads back as %+v, %v", n, String(got), sl, err)
		}
		return got
	})
}

// A Put whose slot write fails (the container is a directory now) leaves
// the free space and the trunk binlog as they were, and the slot it would
// have taken goes to the next upload once the container is back.
func TestPutFailedWriteChangesNothing(t *testing.T) {
	s, cfg := allocStore(t)
	nf := codec.NameFields{Timestamp: 1796626377, SizeField: codec.TrunkSizeField(3, 0), CRC32: 1}
	first, err := s.Put(0, nf, nil, []byte("abc"))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	path, _ := s.ContainerPath(first)
	keep := path + ".kept"
	if err := os.Rename(path, keep); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	before, size := freeList(s2.FreeSlots()), s2.BinlogSize()
	if _, err := s2.Put(0, nf, nil, []byte("def")); err == nil {
		t.Fatal("Put into a container that is a directory succeeded")
	}
	if got := freeList(s2.FreeSlots()); got != before || s2.BinlogSize() != size {
		t.Errorf("after a failed Put: free %q (was %q), binlog %d bytes (was %d)", got, before, s2.BinlogSize(), size)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(keep, path); err != nil {
		t.Fatal(err)
	}
	second, err := s2.Put(0, nf, nil, []byte("def"))
	if err != nil {
		t.Fatal(err)
	}
	if second.FileID != first.FileID || second.Offset != first.Offset+first.SlotSize {
		t.Errorf("after the failure the next upload went to %s, want the slot after %s", String(second), String(first))
	}
}
