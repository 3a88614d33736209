package recovery

import (
	"os"
	"path/filepath"
	"testing"
)

// The recovery files in C's layout: a C storage that finds them carries
// on, and so do we with a C storage's.
func TestRecoveryFilesLayout(t *testing.T) {
	dir := t.TempDir()
	if Pending(dir) {
		t.Fatal("pending without a flag")
	}
	if err := MarkPath(dir); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, ".recovery.flag"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "saved_storage_status=99\nfetch_binlog_done=0\nrecovery_threads=-1\n"; string(got) != want {
		t.Fatalf(".recovery.flag %q, want %q", got, want)
	}
	// a C storage's flag, stopped after the fetch
	if err := os.WriteFile(filepath.Join(dir, ".recovery.flag"),
		[]byte("saved_storage_status=7\nfetch_binlog_done=1\nrecovery_threads=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, ok, err := readFlag(dir)
	if err != nil || !ok || f != (flag{savedStatus: 7, fetchDone: true, threads: 1}) {
		t.Fatalf("flag %+v %v %v", f, ok, err)
	}
	if err := writeMark(dir, 0, 12345); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, ".recovery.mark.0")); string(got) != "binlog_offset=12345\n" {
		t.Fatalf(".recovery.mark.0 %q", got)
	}
	if off, err := readMark(dir, 0); err != nil || off != 12345 {
		t.Fatalf("mark %d %v", off, err)
	}
	if err := finish(dir, f.threads); err != nil {
		t.Fatal(err)
	}
	if Pending(dir) {
		t.Fatal("pending after finish")
	}
	if _, err := os.Stat(filepath.Join(dir, ".recovery.mark.0")); !os.IsNotExist(err) {
		t.Fatalf("mark left after finish: %v", err)
	}
}
