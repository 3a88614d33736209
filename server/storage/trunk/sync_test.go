package trunk

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TRUNK_DELETE_BINLOG_MARKS on a C storage unlinks data/trunk/*.mark and
// storage_trunk.dat; the binlog stays.
func TestDeleteBinlogMarks(t *testing.T) {
	s, cfg := cStore(t, true)
	dir := filepath.Join(cfg.BasePath, "data", "trunk")
	for _, n := range []string{"127.0.0.5_23000.mark", "10.0.0.1_23000.mark", ".mark"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("binlog_offset=10\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteBinlogMarks(); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{".mark", "binlog"}) {
		t.Errorf("files after DeleteBinlogMarks: %v", names)
	}
	if _, err := os.Stat(s.SnapshotPath()); !os.IsNotExist(err) {
		t.Errorf("storage_trunk.dat still there: %v", err)
	}
}

// A member that receives the C trunk server's binlog in chunks ends with
// the same bytes and the same free space as replaying that binlog; a
// truncate empties both and removes the snapshot.
func TestAppendSyncedAndTruncate(t *testing.T) {
	c, _ := cStore(t, false)
	want := c.FreeSlots()
	cBinlog, err := os.ReadFile("testdata/c616/trunk_binlog")
	if err != nil {
		t.Fatal(err)
	}
	base, sp := t.TempDir(), t.TempDir()
	now := time.Unix(1796700000, 0)
	m, err := Open(Config{BasePath: base, StorePaths: []string{sp}, SlotMinSize: 256, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	buf := make([]byte, 1000)
	var off int64
	for {
		n, size, err := c.ReadLines(off, buf)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			if off != size {
				t.Fatalf("read stopped at %d of %d", off, size)
			}
			break
		}
		if err := m.AppendSynced(buf[:n]); err != nil {
			t.Fatal(err)
		}
		off += int64(n)
	}
	got, _ := os.ReadFile(m.BinlogPath())
	if !bytes.Equal(got, cBinlog) || m.BinlogSize() != int64(len(cBinlog)) {
		t.Fatalf("member binlog %d bytes, C's %d", len(got), len(cBinlog))
	}
	if !slices.Equal(m.FreeSlots(), want) {
		t.Fatalf("member free space %v, want %v", m.FreeSlots(), want)
	}
	if err := m.AppendSynced([]byte("1 A 0 0")); err == nil {
		t.Errorf("a chunk without a line end was appended")
	}

	if err := m.SaveSnapshot(); err != nil {
		t.Fatal(err)
	}
	if err := m.Truncate(0); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(m.BinlogPath()); err != nil || fi.Size() != 0 || m.BinlogSize() != 0 || len(m.FreeSlots()) != 0 {
		t.Fatalf("after truncate: %v %v size %d free %v", fi, err, m.BinlogSize(), m.FreeSlots())
	}
	if _, err := os.Stat(m.SnapshotPath()); !os.IsNotExist(err) {
		t.Errorf("storage_trunk.dat kept: %v", err)
	}
	// the writer goes on at the start of the file
	if err := m.AppendSynced([]byte("1796626377 A 0 0 0 9 0 256\n")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(m.BinlogPath()); string(got) != "1796626377 A 0 0 0 9 0 256\n" {
		t.Fatalf("binlog after truncate and append: %q", got)
	}

	// with trunk_binlog_max_backups 1: only the new backup kept, named by the time
	dir := filepath.Dir(m.BinlogPath())
	old := filepath.Join(dir, "binlog.20200101000000")
	if err := os.WriteFile(old, []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Second)
	if err := m.Truncate(1); err != nil {
		t.Fatal(err)
	}
	bak := filepath.Join(dir, "binlog."+now.Format("20060102150405"))
	if b, err := os.ReadFile(bak); err != nil || string(b) != "1796626377 A 0 0 0 9 0 256\n" {
		t.Fatalf("backup %s: %q %v", bak, b, err)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("the older backup was kept beyond trunk_binlog_max_backups: %v", err)
	}
	if m.BinlogSize() != 0 {
		t.Errorf("binlog size %d after the backup truncate", m.BinlogSize())
	}
}
