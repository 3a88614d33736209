package cinterop

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/internal/testcluster"
)

// uploadSpread uploads n files to each storage on each store path and
// waits until every file is on every storage.
func uploadSpread(t *testing.T, cl *client.Client, n int, storages ...*proc) []storedFile {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 11))
	var files []storedFile
	for _, s := range storages {
		for path := range 2 {
			for i := range n {
				body := make([]byte, 1+rng.IntN(200<<10))
				for k := range body {
					body[k] = byte(rng.Uint32())
				}
				id, err := cl.Upload(ctx(t), bytes.NewReader(body), int64(len(body)), "bin",
					client.OnStorage(client.StorageServer{Group: "group1", Addr: s.addr, StorePathIndex: path}))
				if err != nil {
					t.Fatalf("upload #%d to %s path %d: %v", i, s.name, path, err)
				}
				files = append(files, storedFile{id: id, body: body, path: path})
			}
		}
	}
	for _, s := range storages {
		waitUntil(t, 60*time.Second, "replication to "+s.name, func() (bool, string) {
			for _, f := range files {
				got, err := os.ReadFile(s.local(t, f))
				if err != nil || !bytes.Equal(got, f.body) {
					return false, fmt.Sprintf("%s: %v", f.id, err)
				}
			}
			return true, ""
		})
	}
	return files
}

// wipeAndRestart stops s, empties its store path 1 (base_path and store
// path 0 stay) and starts it again.
func wipeAndRestart(t *testing.T, s *proc) {
	t.Helper()
	s.stop()
	if err := os.RemoveAll(s.paths[1]); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(s.paths[1], 0o755); err != nil {
		t.Fatal(err)
	}
	s.start()
}

// checkRecovered: every file of path 1 is back on s, byte for byte, and
// path 0 was not touched.
func checkRecovered(t *testing.T, s *proc, files []storedFile) {
	t.Helper()
	waitUntil(t, 90*time.Second, "path 1 of "+s.name+" recovered", func() (bool, string) {
		for _, f := range files {
			got, err := os.ReadFile(s.local(t, f))
			if err != nil || !bytes.Equal(got, f.body) {
				return false, fmt.Sprintf("%s: %v (%d bytes)", f.id, err, len(got))
			}
		}
		return true, ""
	})
	if _, err := os.Stat(filepath.Join(s.paths[1], "data", ".recovery.flag")); err == nil && !s.isC {
		// ours removes it once done; C as well, but later than the files
		waitUntil(t, 30*time.Second, "recovery flag removed", func() (bool, string) {
			_, err := os.Stat(filepath.Join(s.paths[1], "data", ".recovery.flag"))
			return os.IsNotExist(err), "still there"
		})
	}
}

// recoveryLines is what s logged about its disk recovery.
func recoveryLines(s *proc) string {
	var out []string
	for _, l := range strings.Split(s.logs(), "\n") {
		if strings.Contains(strings.ToLower(l), "recover") || strings.Contains(l, "binlog") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func recoveredCount(files []storedFile) int {
	n := 0
	for _, f := range files {
		if f.path == 1 {
			n++
		}
	}
	return n
}

// A C storage whose store path 1 was wiped recovers it from ours
// (FETCH_ONE_PATH_BINLOG served by ours, downloads from ours), then ours,
// wiped the same way, recovers from the C storage; both end ACTIVE.
func TestDiskRecoveryMixed(t *testing.T) {
	needC(t)
	c := newCluster(t)
	tr := tracker(c, true, "127.0.17.2")
	port := testcluster.Shared(t, "127.0.17.3", "127.0.17.4")
	cs := storage(c, true, "127.0.17.3", port, []*proc{tr})
	cl := newClient(t, tr)
	waitUntil(t, 60*time.Second, "C storage ACTIVE", allActive(t, cl, cs))
	gs := storage(c, false, "127.0.17.4", port, []*proc{tr})
	waitUntil(t, 60*time.Second, "both ACTIVE", allActive(t, cl, cs, gs))
	files := uploadSpread(t, cl, 4, cs, gs)
	t.Logf("%d files, %d on store path 1", len(files), recoveredCount(files))

	wipeAndRestart(t, cs)
	checkRecovered(t, cs, files)
	waitUntil(t, 60*time.Second, "C storage ACTIVE after recovery", allActive(t, cl, cs, gs))
	t.Logf("recovery log of %s:\n%s", cs.name, recoveryLines(cs))
	if !strings.Contains(cs.logs(), "fetch binlog") {
		t.Errorf("the C storage did not fetch a binlog: no disk recovery ran")
	}

	wipeAndRestart(t, gs)
	checkRecovered(t, gs, files)
	waitUntil(t, 60*time.Second, "our storage ACTIVE after recovery", allActive(t, cl, cs, gs))
	t.Logf("recovery log of %s:\n%s", gs.name, recoveryLines(gs))
	if !strings.Contains(gs.logs(), "disk recovery: done") {
		t.Errorf("our storage did not run a disk recovery")
	}
}

// The same between two of ours, on our tracker: no C needed.
func TestDiskRecoveryOurs(t *testing.T) {
	c := newCluster(t)
	tr := tracker(c, false, "127.0.17.12")
	port := testcluster.Shared(t, "127.0.17.13", "127.0.17.14")
	a := storage(c, false, "127.0.17.13", port, []*proc{tr})
	cl := newClient(t, tr)
	waitUntil(t, 60*time.Second, "first storage ACTIVE", allActive(t, cl, a))
	b := storage(c, false, "127.0.17.14", port, []*proc{tr})
	waitUntil(t, 60*time.Second, "both ACTIVE", allActive(t, cl, a, b))
	files := uploadSpread(t, cl, 4, a, b)

	wipeAndRestart(t, b)
	checkRecovered(t, b, files)
	waitUntil(t, 60*time.Second, "ACTIVE after recovery", allActive(t, cl, a, b))
	t.Logf("recovery log of %s:\n%s", b.name, recoveryLines(b))
	if !strings.Contains(b.logs(), "disk recovery: done") {
		t.Errorf("no disk recovery ran:\n%s", tail(b.logs(), 3000))
	}
	if strings.Contains(b.logs(), "full copy") {
		t.Errorf("a full copy ran instead of the disk recovery")
	}
}
