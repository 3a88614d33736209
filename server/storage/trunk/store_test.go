package trunk

import (
	"bytes"
	"errors"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// testdata/c616 comes from a C 6.16.1 storage in trunk mode (slot_min_size
// 256, trunk_file_size 4MB) that stored 120 files, deleted two and
// restarted: its trunk binlog, the storage_trunk.dat it wrote on restart,
// and the first 8138 bytes of its container data/00/00/000001.
const (
	cLive    = "M00/00/00/fwBNA2sWV8mIaMvMAAAAJtgXTlMAAAAAQAAAAAAAAEA408.jpg" // 38 bytes at 0
	cLive2   = "M00/00/00/fwBNA2sWV8mITmZIAAAOmsTSPw0AAAAAQAAERgAAA6y740.bin" // 3738 bytes at 4376
	cDeleted = "M00/00/00/fwBNA2sWV8mIfkB3AAABc_jBYpMAAAAAQAAAQAAAAGL595.jpg" // freed slot at 256
)

// cStore lays the C files out as a storage's base and store path.
func cStore(t *testing.T, withSnapshot bool) (*Store, Config) {
	t.Helper()
	base, sp := t.TempDir(), t.TempDir()
	copyFile(t, "testdata/c616/trunk_binlog", filepath.Join(base, "data", "trunk", "binlog"))
	if withSnapshot {
		copyFile(t, "testdata/c616/storage_trunk.dat", filepath.Join(base, "data", "storage_trunk.dat"))
	}
	copyFile(t, "testdata/c616/000001.head", filepath.Join(sp, "data", "00", "00", "000001"))
	cfg := Config{BasePath: base, StorePaths: []string{sp}, SlotMinSize: 256,
		Now: func() time.Time { return time.Unix(1796700000, 0) }}
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, cfg
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func refOf(t *testing.T, name string) (codec.RemoteFilename, codec.TrunkRef) {
	t.Helper()
	rf, err := codec.ParseRemoteFilename([]byte(name), 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, ok, err := codec.TrunkRefOf(&rf)
	if !ok || err != nil {
		t.Fatalf("%s: trunk=%v %v", name, ok, err)
	}
	return rf, ref
}

// cFree is the free space C's own snapshot lists.
var cFree = []codec.TrunkInfo{{FileID: 1, Offset: 256, SlotSize: 395}, {FileID: 1, Offset: 651, SlotSize: 3725},
	{FileID: 1, Offset: 272485, SlotSize: 3921819}}

func TestReplayOfCBinlogEqualsCSnapshot(t *testing.T) {
	for _, snap := range []bool{false, true} {
		s, _ := cStore(t, snap)
		got := s.FreeSlots()
		if len(got) != len(cFree) {
			t.Fatalf("snapshot=%v: free %+v", snap, got)
		}
		for i := range got {
			if got[i] != cFree[i] {
				t.Errorf("snapshot=%v: slot %d = %+v, C has %+v", snap, i, got[i], cFree[i])
			}
		}
		if s.FreeBytes() != 3925939 || s.BinlogSize() != 16531 {
			t.Errorf("free %d binlog %d", s.FreeBytes(), s.BinlogSize())
		}
	}
}

func TestLocateCFiles(t *testing.T) {
	s, cfg := cStore(t, true)
	container, _ := os.ReadFile(filepath.Join(cfg.StorePaths[0], "data", "00", "00", "000001"))
	for _, name := range []string{cLive, cLive2} {
		rf, ref := refOf(t, name)
		sl, err := s.Locate(rf.StorePath, rf.High, rf.Low, &ref)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		content := container[sl.Offset : sl.Offset+sl.Size]
		if crc32.ChecksumIEEE(content) != ref.Fields.CRC32 || sl.Type != codec.TrunkSlotRegular {
			t.Errorf("%s: content at %d+%d does not have the name's CRC32", name, sl.Offset, sl.Size)
		}
		if sl.Mtime.Unix() != int64(ref.Fields.Timestamp) {
			t.Errorf("mtime %v", sl.Mtime)
		}
	}
	rf, ref := refOf(t, cDeleted)
	if _, err := s.Locate(rf.StorePath, rf.High, rf.Low, &ref); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("deleted file: %v", err)
	}
}

func TestEraseAndFree(t *testing.T) {
	s, cfg := cStore(t, true)
	rf, ref := refOf(t, cLive2)
	sl, err := s.Locate(rf.StorePath, rf.High, rf.Low, &ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Erase(sl); err != nil {
		t.Fatal(err)
	}
	if err := s.Free(sl.Info); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Locate(rf.StorePath, rf.High, rf.Low, &ref); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("erased file still found: %v", err)
	}
	container, _ := os.ReadFile(filepath.Join(cfg.StorePaths[0], "data", "00", "00", "000001"))
	if !bytes.Equal(container[4376:4376+3762], make([]byte, 3762)) {
		t.Errorf("slot not zero-filled")
	}
	if len(container) != 8138 || container[0] != codec.TrunkSlotRegular {
		t.Errorf("erase touched more than its slot")
	}
	binlog, _ := os.ReadFile(s.BinlogPath())
	if want := "1796700000 A 0 0 0 1 4376 3762\n"; !bytes.HasSuffix(binlog, []byte(want)) || len(binlog) != 16531+len(want) {
		t.Errorf("binlog ends %q", binlog[len(binlog)-40:])
	}
	// freeing again (a retried request) changes nothing
	if err := s.Free(sl.Info); err != nil || s.BinlogSize() != int64(16531+31) {
		t.Errorf("double free: %v, binlog %d", err, s.BinlogSize())
	}
	// a restart finds the slot free, from the binlog after the snapshot
	s.Close()
	s2, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if s2.FreeBytes() != 3925939+3762 || len(s2.FreeSlots()) != 4 {
		t.Errorf("after restart: %d bytes in %+v", s2.FreeBytes(), s2.FreeSlots())
	}
	// the snapshot C would write, and a load of it alone
	if err := s2.SaveSnapshot(); err != nil {
		t.Fatal(err)
	}
	snap, _ := os.ReadFile(s2.SnapshotPath())
	want := "16562\n1796700000 A 0 0 0 1 256 395\n1796700000 A 0 0 0 1 651 3725\n" +
		"1796700000 A 0 0 0 1 4376 3762\n1796700000 A 0 0 0 1 272485 3921819\n"
	if string(snap) != want {
		t.Errorf("snapshot %q", snap)
	}
	s2.Close()
	s3, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	if s3.FreeBytes() != s2.FreeBytes() {
		t.Errorf("reloaded %d", s3.FreeBytes())
	}
}

func TestReplayToleratesCrashTail(t *testing.T) {
	base, sp := t.TempDir(), t.TempDir()
	lines := "1 A 0 0 0 1 0 4194304\n1 D 0 0 0 1 0 4194304\n1 A 0 0 0 1 256 4194048\nnot a line\n1 A 0 0 0 1 0 2"
	copyFile(t, "/dev/null", filepath.Join(base, "data", "trunk", "x"))
	if err := os.WriteFile(filepath.Join(base, "data", "trunk", "binlog"), []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Open(Config{BasePath: base, StorePaths: []string{sp}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.FreeSlots(); len(got) != 1 || got[0] != (codec.TrunkInfo{FileID: 1, Offset: 256, SlotSize: 4194048}) {
		t.Errorf("free %+v", got)
	}
	// a line for a store path this storage does not have is fatal
	if err := os.WriteFile(filepath.Join(base, "data", "trunk", "binlog"), []byte("1 A 3 0 0 1 0 4194304\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(Config{BasePath: base, StorePaths: []string{sp}}); err == nil {
		t.Errorf("bad store path accepted")
	}
}
