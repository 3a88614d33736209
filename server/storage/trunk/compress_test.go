package trunk

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
)

// Compression replaces the trunk binlog with one 'A' line per free slot
// (merged with trunk_free_space_merge), writes storage_trunk.dat covering
// it, removes the members' marks and moves the generation; a reopened
// store has the same free space, and new lines append to the new binlog.
func TestCompress(t *testing.T) {
	s, cfg := allocStore(t)
	got := allocConfirmed(t, s, 5, 1000)
	for _, i := range []int{0, 1, 3} {
		_ = s.Free(got[i])
	}
	mark := s.MarkPath("127.0.0.9_23000.mark")
	if err := os.WriteFile(mark, []byte("binlog_offset=100\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := s.BinlogSize()
	s.SetMerge(true, false)
	if _, err := s.Compress(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(s.BinlogPath())
	lines := dropTimestamps(strings.Split(strings.TrimSuffix(string(b), "\n"), "\n"))
	want := []string{"A 0 0 0 1 0 2000", "A 0 0 0 1 3000 1000", "A 0 0 0 1 5000 4189304"}
	if strings.Join(lines, "|") != strings.Join(want, "|") {
		t.Fatalf("compressed binlog %q", lines)
	}
	if s.BinlogSize() != int64(len(b)) || int64(len(b)) >= old || s.Generation() != 1 {
		t.Fatalf("binlog size %d (file %d, before %d), generation %d", s.BinlogSize(), len(b), old, s.Generation())
	}
	snap, _ := os.ReadFile(s.SnapshotPath())
	if head, _, _ := strings.Cut(string(snap), "\n"); head != strconv.Itoa(len(b)) {
		t.Fatalf("storage_trunk.dat head %q, binlog %d bytes", head, len(b))
	}
	if _, err := os.Stat(mark); !os.IsNotExist(err) {
		t.Fatalf("mark still there: %v", err)
	}
	if info, err := s.Alloc(0, 3000); err != nil || info.Offset != 5000 {
		t.Fatalf("alloc after compress: %s %v", String(info), err)
	} else {
		_ = s.Confirm(info, codec.OK)
	}
	free := s.FreeSlots()
	s.Close()
	os.Remove(s.SnapshotPath()) // the binlog alone must say it all
	s2, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if a, b := s2.FreeSlots(), free; len(a) != len(b) {
		t.Fatalf("reopened free %v, want %v", a, b)
	} else {
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("reopened free %v, want %v", a, b)
			}
		}
	}
}
