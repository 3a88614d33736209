package storage

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
)

// trunkMergeOn is trunkOn with 256 KiB trunk files, trunk_free_space_merge
// and delete_unused_trunk_files, as a tracker hands them.
func trunkMergeOn(s *Server) {
	s.noteTrunkParams(codec.Parameters{{Key: "use_trunk_file", Value: "1"}, {Key: "slot_min_size", Value: "256"},
		{Key: "slot_max_size", Value: "65536"}, {Key: "trunk_file_size", Value: "262144"},
		{Key: "trunk_free_space_merge", Value: "1"}, {Key: "delete_unused_trunk_files", Value: "1"}})
}

// A real storage, trunk server of its group, with merge and
// delete_unused_trunk_files: once every file of its first trunk file is
// deleted, becoming trunk server again (a restart) merges the free space,
// removes that trunk file and writes the merged state to
// storage_trunk.dat, not to the trunk binlog; files elsewhere still serve
// and uploads go on.
func TestTrunkMergeDeletesUnusedTrunkFile(t *testing.T) {
	e := newEnv(t, 1)
	trunkMergeOn(e.srv)
	nameSelfTrunkServer(e.srv)
	ctx := context.Background()
	byContainer := map[int32][]string{}
	data := map[string][]byte{}
	for i := range 20 { // 13 slots of 20024 bytes per 256 KiB trunk file
		d := randBytes(uint64(100+i), 20000)
		id := e.upload(d, "bin")
		rf, _ := parseID(t, id)
		ref, ok, err := codec.TrunkRefOf(&rf)
		if !ok || err != nil {
			t.Fatalf("%s: not a trunk ID", id)
		}
		byContainer[ref.Slot.ID] = append(byContainer[ref.Slot.ID], id)
		data[id] = d
	}
	if len(byContainer) != 2 || len(byContainer[1]) != 13 {
		t.Fatalf("files per trunk file: %d in 1, %d trunk files", len(byContainer[1]), len(byContainer))
	}
	for _, id := range byContainer[1] {
		if err := e.cli.Delete(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	matches, _ := filepath.Glob(filepath.Join(e.cfg.StorePaths[0].Path, "data", "*", "*", "000001"))
	if len(matches) != 1 {
		t.Fatalf("trunk file 1: %v", matches)
	}
	first := matches[0]
	binlog := filepath.Join(e.dir, "data", "trunk", "binlog")
	stopServer(t, e.srv)
	tb, _ := os.ReadFile(binlog)

	s2 := startServer(t, e.cfg)
	trunkMergeOn(s2)
	nameSelfTrunkServer(s2)
	if _, err := os.Stat(first); !os.IsNotExist(err) {
		t.Fatalf("trunk file 1 not deleted: %v", err)
	}
	if tb2, _ := os.ReadFile(binlog); !bytes.Equal(tb, tb2) {
		t.Fatalf("the merge wrote the trunk binlog:\n%s", tb2[len(tb):])
	}
	snap, err := os.ReadFile(filepath.Join(e.dir, "data", "storage_trunk.dat"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(snap), "\n"), "\n")
	for _, l := range lines[1:] {
		if f := strings.Fields(l); len(f) != 8 || f[5] != "2" {
			t.Fatalf("storage_trunk.dat line %q: only trunk file 2's free space may remain", l)
		}
	}
	if lines[0] != strconv.Itoa(len(tb)) {
		t.Fatalf("storage_trunk.dat head %q, binlog size %d", lines[0], len(tb))
	}
	tr := fakeTracker(t, func() string { return s2.Addr().String() })
	cli, err := client.New(client.Config{Trackers: []string{tr}, NetworkTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	e.cli, e.srv = cli, s2
	for _, id := range byContainer[2] {
		if got := e.mustDownload(id); !bytes.Equal(got, data[id]) {
			t.Fatalf("%s differs after the merge", id)
		}
	}
	if _, err := e.download(byContainer[1][0], 0, 0); err == nil {
		t.Fatal("a deleted file of the removed trunk file downloads")
	}
	id := e.upload([]byte("after the merge"), "txt")
	if got := e.mustDownload(id); string(got) != "after the merge" {
		t.Fatalf("%q", got)
	}
}
