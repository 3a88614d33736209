package replica

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/gofdfs/gofdfs/codec/capture"
)

// Fuzz targets for the replica's state files (issue 8): the sync mark
// files and binlog_index.dat, seeded with the files C storages left
// (vectors/cluster/sync_files*).

// cStorageFiles: the C storages' files matching pattern, as fuzz seeds
// (capture.StorageFiles).
func cStorageFiles(f *testing.F, pattern string) [][]byte {
	f.Helper()
	seeds, err := capture.StorageFiles(pattern)
	if err != nil {
		f.Fatal(err)
	}
	return seeds
}

func writeFuzzFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func FuzzLoadMark(f *testing.F) {
	for _, b := range cStorageFiles(f, "*.mark") {
		f.Add(b)
	}
	f.Add((&Mark{BinlogIndex: 2, BinlogOffset: 99, NeedSyncOld: true, Until: 1795299845}).Encode())
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "127.0.13.2_23000.mark")
		writeFuzzFile(t, path, data)
		m, ok, err := LoadMark(path)
		if err != nil || !ok {
			return
		}
		if m.BinlogIndex < 0 || m.BinlogOffset < 0 || m.Until < 0 || m.ScanRows < 0 || m.SyncRows < 0 {
			t.Fatalf("mark loaded out of range: %+v", m)
		}
		if err := SaveMark(path, &m); err != nil {
			t.Fatal(err)
		}
		again, ok, err := LoadMark(path)
		if err != nil || !ok || again != m {
			t.Fatalf("mark round trip: %+v -> %+v (%v, %v)", m, again, ok, err)
		}
	})
}

func FuzzBinlogIndex(f *testing.F) {
	for _, b := range cStorageFiles(f, "binlog_index.dat") {
		f.Add(b)
	}
	f.Add([]byte("current_write=12\ncurrent_compress=3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		b := &Binlog{dir: dir}
		writeFuzzFile(t, b.indexPath(), data)
		if err := b.readIndex(); err != nil {
			if !bytes.Contains([]byte(err.Error()), []byte(b.indexPath())) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if b.index < 0 || b.compress < 0 {
			t.Fatalf("binlog_index.dat loaded out of range: write %d compress %d", b.index, b.compress)
		}
		if err := b.writeIndex(); err != nil {
			t.Fatal(err)
		}
		again := &Binlog{dir: dir}
		if err := again.readIndex(); err != nil || again.index != b.index || again.compress != b.compress {
			t.Fatalf("binlog_index.dat round trip: %d/%d -> %d/%d (%v)", b.index, b.compress,
				again.index, again.compress, err)
		}
	})
}
