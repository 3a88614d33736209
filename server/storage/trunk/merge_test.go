package trunk

import (
	"os"
	"strings"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
)

// snapshotOps is storage_trunk.dat without its head and timestamps.
func snapshotOps(t *testing.T, s *Store) []string {
	t.Helper()
	b, err := os.ReadFile(s.SnapshotPath())
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	return dropTimestamps(lines[1:])
}

// Adjacent free pieces of one container merge in the snapshot (never in
// the trunk binlog); a held or used slot splits runs; with
// delete_unused_trunk_files a container whose whole space is free goes.
func TestMergeAndDeleteUnused(t *testing.T) {
	s, _ := allocStore(t) // slot_min_size 256, trunk_file_size 4 MB
	got := allocConfirmed(t, s, 4, 1000)
	held, err := s.Alloc(0, 1000) // 4000+1000, never confirmed
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 1, 3} {
		if err := s.Free(got[i]); err != nil {
			t.Fatal(err)
		}
	}
	before := s.BinlogSize()
	// without trunk_free_space_merge: the pieces as they are
	if _, err := s.SaveSnapshotMerged(true); err != nil {
		t.Fatal(err)
	}
	want := []string{"A 0 0 0 1 0 1000", "A 0 0 0 1 1000 1000", "A 0 0 0 1 3000 1000",
		"A 0 0 0 1 4000 1000", "A 0 0 0 1 5000 4189304"}
	if g := snapshotOps(t, s); strings.Join(g, "|") != strings.Join(want, "|") {
		t.Fatalf("unmerged snapshot %q", g)
	}
	s.SetMerge(true, true)
	ms, err := s.SaveSnapshotMerged(true)
	if err != nil {
		t.Fatal(err)
	}
	// 0+1000+1000 merge; 3000 stays alone (2000 is used, 4000 held)
	want = []string{"A 0 0 0 1 0 2000", "A 0 0 0 1 3000 1000", "A 0 0 0 1 4000 1000", "A 0 0 0 1 5000 4189304"}
	if g := snapshotOps(t, s); strings.Join(g, "|") != strings.Join(want, "|") {
		t.Fatalf("merged snapshot %q", g)
	}
	if ms.Merges != 1 || ms.Pieces != 2 || ms.MergedBytes != 2000 || ms.Deleted != 0 {
		t.Fatalf("stat %+v", ms)
	}
	if s.BinlogSize() != before {
		t.Fatalf("a merge wrote the trunk binlog: %d -> %d", before, s.BinlogSize())
	}
	// a merged slot serves an allocation of its size
	if info, err := s.Alloc(0, 2000); err != nil || info.Offset != 0 || info.SlotSize != 2000 {
		t.Fatalf("alloc from the merged slot: %s %v", String(info), err)
	} else if err := s.Confirm(info, codec.OK); err != nil {
		t.Fatal(err)
	} else if err := s.Free(info); err != nil {
		t.Fatal(err)
	}
	// everything free: the container goes
	if err := s.Confirm(held, codec.EIO); err != nil {
		t.Fatal(err)
	}
	if err := s.Free(got[2]); err != nil {
		t.Fatal(err)
	}
	path, _ := s.ContainerPath(got[0])
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	if ms, err = s.SaveSnapshotMerged(true); err != nil || ms.Deleted != 1 || ms.DeletedBytes != 4<<20 {
		t.Fatalf("stat %+v %v", ms, err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("unused trunk file still there: %v", err)
	}
	if g := snapshotOps(t, s); len(g) != 0 || s.FreeBytes() != 0 {
		t.Fatalf("snapshot %q, free %d after the container went", g, s.FreeBytes())
	}
	// a reopened store keeps that state; the next allocation makes container 2
	s.Close()
	s2, err := Open(s.cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if s2.FreeBytes() != 0 {
		t.Fatalf("free after reopen %d", s2.FreeBytes())
	}
	if info, err := s2.Alloc(0, 500); err != nil || info.FileID != 2 {
		t.Fatalf("alloc after delete: %s %v", String(info), err)
	}
}
