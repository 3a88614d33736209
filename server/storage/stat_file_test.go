package storage

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/server/storage/report"
)

// storage_stat.dat has C's 43 keys in C's order, and a restarted storage
// goes on counting (and filling directories) where it stopped.
func TestStorageStatFile(t *testing.T) {
	e := newEnv(t, 1)
	for _, n := range []int{10, 20, 30} {
		e.upload(randBytes(uint64(n), n), "txt")
	}
	stopServer(t, e.srv)
	path := filepath.Join(e.dir, "data", statFileName)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	statKeys := report.StatKeys()
	if len(lines) != len(statKeys) || len(statKeys) != 43 {
		t.Fatalf("%d lines, C writes 43:\n%s", len(lines), data)
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, statKeys[i]+"=") {
			t.Fatalf("line %d %q, C has %s there", i, l, statKeys[i])
		}
	}
	for _, want := range []string{"total_upload_count=3\n", "success_upload_bytes=60\n", "dist_write_file_count=3\n"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("no %q in\n%s", strings.TrimSpace(want), data)
		}
	}
	// a counter is taken from the file, not recounted: a value the file
	// carries (as if C had counted more opens) is where a restart goes on
	if !strings.Contains(string(data), "total_file_open_count=3\n") {
		t.Fatalf("3 uploads, C counts 3 file opens:\n%s", data)
	}
	os.WriteFile(path, []byte(strings.Replace(string(data), "total_file_open_count=3\n", "total_file_open_count=16\n", 1)), 0o644)

	s2 := startServer(t, testConf(t, e.dir, 1, ""))
	var st codec.StatBlock
	s2.stats.Snapshot(&st)
	if st.TotalUploadCount != 3 || st.SuccessUploadBytes != 60 || st.LastSourceUpdate == 0 {
		t.Errorf("after a restart: uploads %d bytes %d last update %d", st.TotalUploadCount, st.SuccessUploadBytes, st.LastSourceUpdate)
	}
	if st.TotalFileOpenCount != 16 {
		t.Errorf("after a restart: file opens %d, the file said 16", st.TotalFileOpenCount)
	}
	if _, _, count := s2.dist.State(); count != 3 {
		t.Errorf("subdir rotation restarted at %d files, want 3", count)
	}
	stopServer(t, s2)
	if again, _ := os.ReadFile(path); !strings.Contains(string(again), "total_file_open_count=16\n") {
		t.Errorf("a loaded counter was lost:\n%s", again)
	}
}
