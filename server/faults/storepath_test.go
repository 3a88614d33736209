package faults

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
)

// TestStorePathVanishes renames one of two store paths away under a
// running storage (a disk unmounted under it), then brings it back. While
// it is gone, uploads aimed at it must get an error answer, the other path
// keeps taking uploads (aimed, and routed by the tracker once the disk
// report shows it), every file on the other path stays readable, and the
// storage keeps running. Once it is back, its files are served again.
func TestStorePathVanishes(t *testing.T) {
	parallelWhenShort(t)
	c := newCluster(t)
	c.addTracker("127.0.10.1")
	p0, p1 := filepath.Join(c.dir, "path0"), filepath.Join(c.dir, "path1")
	st := c.addStorage(storageSpec{ip: "127.0.10.8", storePaths: []string{p0, p1}})
	c.waitActive("group1", 1)
	cl := c.client()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(8, 8))
	l := ledger{log: t}
	target := func(path int) client.UploadOption {
		return client.OnStorage(client.StorageServer{Group: "group1", Addr: st.Addr, StorePathIndex: path})
	}
	for i := range 40 {
		if _, err := uploadOne(ctx, cl, &l, payload(rng, rng.IntN(200<<10)), target(i%2)); err != nil {
			t.Fatalf("upload before: %v", err)
		}
	}
	before, _, _ := l.snapshot()

	gone := p1 + ".gone"
	if err := os.Rename(p1, gone); err != nil {
		t.Fatal(err)
	}
	vanishedAt := time.Now()
	aimedFails := 0
	for range 10 {
		if _, err := uploadOne(ctx, cl, &l, payload(rng, 10<<10), target(1)); err == nil {
			t.Errorf("an upload aimed at the vanished path was acknowledged")
		} else {
			var se *client.StatusError
			if !errors.As(err, &se) {
				t.Errorf("upload aimed at the vanished path: %v (want an error answer, not a dropped connection)", err)
			}
			aimedFails++
		}
	}
	for range 10 {
		if _, err := uploadOne(ctx, cl, &l, payload(rng, 10<<10), target(0)); err != nil {
			t.Errorf("upload aimed at the remaining path: %v", err)
		}
	}
	var converge time.Duration
	inRow := 0
	for deadline := time.Now().Add(30 * time.Second); inRow < 20 && time.Now().Before(deadline); {
		if _, err := uploadOne(ctx, cl, &l, payload(rng, 10<<10)); err == nil {
			if inRow == 0 {
				converge = time.Since(vanishedAt)
			}
			inRow++
		} else {
			inRow = 0
			time.Sleep(50 * time.Millisecond)
		}
	}
	if inRow < 20 {
		t.Errorf("tracker-routed uploads still failing 30 s after a store path vanished")
	}
	var onP0, onP1 []sent
	files, ops, fails := l.snapshot()
	for _, f := range files {
		if strings.Contains(f.id, "/M01/") {
			onP1 = append(onP1, f)
		} else {
			onP0 = append(onP0, f)
		}
	}
	lost, corrupt := checkAll(t, cl, nil, onP0)
	if !st.Running() {
		t.Fatalf("storage died when a store path vanished:\n%s", st.LogTail(4000))
	}

	// back again: its files are served as before
	if err := os.Rename(gone, p1); err != nil {
		t.Fatal(err)
	}
	l1, c1 := checkAll(t, cl, nil, onP1)
	lost += l1
	corrupt += c1
	results.add(row{Scenario: "store path vanishes", Ops: ops, Failures: fails, Lost: lost, Corrupt: corrupt,
		Converge: converge, Note: fmt.Sprintf("%d acknowledged before, %d aimed uploads refused; M01 files served again once back; %s",
			len(before), aimedFails, l.kinds())})
	if lost+corrupt > 0 {
		t.Fatalf("%d lost, %d corrupt of %d acknowledged", lost, corrupt, len(files))
	}
}
