package storage

import (
	"github.com/gofdfs/gofdfs/server/storage/report"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A replaced (empty) store path is detected by its missing mark and gets
// C's disk recovery flag (the storage keeps its sync state); a path marked
// by another storage is refused.
func TestStorePathMarkCheck(t *testing.T) {
	dir := t.TempDir()
	cfg := testConf(t, dir, 1, "")
	flagPath := filepath.Join(dir, "data", dataInitFlagName)
	open := func() (*Server, error) {
		s, err := New(cfg, WithReporting(false), WithLogger(quietLogger()))
		if err == nil {
			s.closeDisks()
		}
		return s, err
	}
	if _, err := open(); err != nil {
		t.Fatal(err)
	}
	flag, _ := os.ReadFile(flagPath)
	vars, _ := os.ReadFile(filepath.Join(dir, "sp0", "data", ".fastdfs_vars"))
	mark := strings.TrimPrefix(strings.TrimSpace(string(vars)), "store_path_mark=")
	if len(mark) != 75 || !strings.Contains(string(flag), "\nstore_path_mark0="+mark+"\n") {
		t.Fatalf("mark %q; flag:\n%s", mark, flag)
	}
	// as if the storage had finished its first sync long ago
	os.WriteFile(flagPath, []byte(strings.Replace(string(flag), "sync_old_done=0", "sync_old_done=1", 1)), 0o644)
	if _, err := open(); err != nil {
		t.Fatal(err)
	}
	if f, _ := os.ReadFile(flagPath); !strings.Contains(string(f), "sync_old_done=1") {
		t.Fatalf("an intact path reset the sync state:\n%s", f)
	}

	// the disk is replaced
	os.RemoveAll(filepath.Join(dir, "sp0"))
	os.MkdirAll(filepath.Join(dir, "sp0"), 0o755)
	if _, err := open(); err != nil {
		t.Fatal(err)
	}
	f, _ := os.ReadFile(flagPath)
	if !strings.Contains(string(f), "sync_old_done=1") {
		t.Errorf("a replaced store path reset the storage's sync state (a full copy instead of disk recovery):\n%s", f)
	}
	// C's disk recovery is pending for that path, with C's flag file
	rf, err := os.ReadFile(filepath.Join(dir, "sp0", "data", ".recovery.flag"))
	if want := "saved_storage_status=99\nfetch_binlog_done=0\nrecovery_threads=-1\n"; string(rf) != want {
		t.Errorf(".recovery.flag = %q (%v), want %q", rf, err, want)
	}
	if v, _ := os.ReadFile(filepath.Join(dir, "sp0", "data", ".fastdfs_vars")); !strings.Contains(string(v), mark) {
		t.Errorf("the new disk got mark %q, want ours", v)
	}

	// a disk of another storage
	other := report.StorePathMark("127.0.5.99", 23000, 0, 12345)
	os.WriteFile(filepath.Join(dir, "sp0", "data", ".fastdfs_vars"), []byte("store_path_mark="+other+"\n"), 0o644)
	if _, err := open(); err == nil || !strings.Contains(err.Error(), "belongs to another storage") {
		t.Fatalf("a foreign store path was accepted: %v", err)
	}
}
