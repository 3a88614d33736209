package storage

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/gofdfs/gofdfs/codec/capture"
	"github.com/gofdfs/gofdfs/conf"
	"github.com/gofdfs/gofdfs/server/storage/placement"
)

// Fuzz targets for the storage's own state files (issue 8): the sync mark
// files, .data_init_flag, storage_stat.dat and binlog_index.dat. Seeds are
// the files C storages left (vectors/cluster/sync_files*) and the files our
// writers make; the checks are ranges and round trips, not just no panic.

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

// statServer is a storage with just what loadStats and saveStats use.
func statServer(t *testing.T, base string) *Server {
	cfg := &conf.Storage{}
	cfg.BasePath = base
	return &Server{cfg: cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		dist: placement.NewDistributor(0, 0, 256, 256)}
}

func FuzzStatFile(f *testing.F) {
	for _, b := range cStorageFiles(f, statFileName) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		base := t.TempDir()
		dataDir := filepath.Join(base, "data")
		if err := os.MkdirAll(dataDir, 0o755); err != nil {
			t.Fatal(err)
		}
		writeFuzzFile(t, filepath.Join(dataDir, statFileName), data)
		s := statServer(t, base)
		s.loadStats(dataDir)
		if h, l, c := s.dist.State(); h < 0 || h >= 256 || l < 0 || l >= 256 || c < 0 {
			t.Fatalf("distributor loaded out of range: high %d low %d count %d", h, l, c)
		}
		for k, v := range s.statKept {
			if v < 0 {
				t.Fatalf("%s=%d kept", k, v)
			}
		}
		if err := s.saveStats(); err != nil {
			t.Fatal(err)
		}
		first, err := os.ReadFile(filepath.Join(dataDir, statFileName))
		if err != nil {
			t.Fatal(err)
		}
		again := statServer(t, base)
		again.loadStats(dataDir)
		if err := again.saveStats(); err != nil {
			t.Fatal(err)
		}
		second, err := os.ReadFile(filepath.Join(dataDir, statFileName))
		if err != nil || !bytes.Equal(first, second) {
			t.Fatalf("storage_stat.dat round trip:\n%s\nthen\n%s", first, second)
		}
	})
}
