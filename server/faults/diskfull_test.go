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

	"golang.org/x/sys/unix"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
)

// smallDisk mounts an 8 MiB tmpfs for one store path and unmounts it when
// the test ends (after the cluster's daemons are gone: call it before
// newCluster). Without the right to mount, the test is skipped and says why.
func smallDisk(t *testing.T) string {
	t.Helper()
	mp := filepath.Join(t.TempDir(), "small")
	if err := os.Mkdir(mp, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", mp, "tmpfs", 0, "size=8m"); err != nil {
		t.Skipf("cannot mount an 8 MiB tmpfs (%v): run as root with CAP_SYS_ADMIN for the disk-full scenario", err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(mp, unix.MNT_DETACH); err != nil {
			t.Errorf("umount %s: %v", mp, err)
		}
	})
	return mp
}

// TestDiskFull fills one of two store paths (an 8 MiB tmpfs) with uploads
// aimed at it: they must end in ENOSPC answers (no dropped connections),
// leave no partial or temp file, and the other path must keep taking
// uploads, those aimed at it and, once the storage's disk report reached
// the tracker, those the tracker routes.
func TestDiskFull(t *testing.T) {
	parallelWhenShort(t)
	small := smallDisk(t)
	c := newCluster(t)
	c.addTracker("127.0.10.1")
	big := filepath.Join(c.dir, "bigpath")
	st := c.addStorage(storageSpec{ip: "127.0.10.3", storePaths: []string{small, big}})
	c.waitActive("group1", 1)
	cl := c.client()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 3))
	l := ledger{log: t}
	target := func(path int) client.UploadOption {
		return client.OnStorage(client.StorageServer{Group: "group1", Addr: st.Addr, StorePathIndex: path})
	}

	// a file larger than what is left of a path is refused up front (C
	// checks free space minus the file size against the reserve), and one
	// the storage places itself (index 0xFF) goes to a path it fits on;
	// nothing tries to preallocate more than the disk has
	if _, err := uploadOne(ctx, cl, &l, payload(rng, 12<<20), target(0)); !errors.Is(err, codec.ENOSPC) {
		t.Errorf("12 MiB upload aimed at an 8 MiB path: %v, want ENOSPC", err)
	}
	for range 4 {
		id, err := uploadOne(ctx, cl, &l, payload(rng, 9<<20), target(-1))
		if err != nil || !strings.Contains(id, "/M01/") {
			t.Errorf("9 MiB upload placed by the storage: %q, %v; want it on M01", id, err)
		}
	}

	// fill path 0: 300 KiB files until it answers ENOSPC a few times. The
	// uploads that run out of room while their body is being written are
	// dropped (the disk worker cannot answer mid-body; their temp files go);
	// once the storage sees the path full, every upload aimed at it must
	// get a clean ENOSPC answer on a connection that stays usable.
	nospace, midWrite := 0, 0
	for i := 0; i < 100 && nospace < 10; i++ {
		_, err := uploadOne(ctx, cl, &l, payload(rng, 300<<10), target(0))
		switch {
		case err == nil:
		case errors.Is(err, codec.ENOSPC):
			nospace++
		case nospace == 0:
			midWrite++
		default:
			t.Errorf("upload to the full path: %v (want ENOSPC)", err)
		}
	}
	if nospace == 0 {
		t.Fatal("an 8 MiB store path took 30 MiB without ENOSPC")
	}
	fullAt := time.Now()

	// the other path takes uploads aimed at it
	for range 10 {
		if _, err := uploadOne(ctx, cl, &l, payload(rng, 100<<10), target(1)); err != nil {
			t.Errorf("upload to the path with room: %v", err)
		}
	}
	// uploads the tracker routes: ENOSPC until the disk report arrives,
	// then all must land on path 1 (converged: 20 in a row)
	var converge time.Duration
	inRow := 0
	for deadline := time.Now().Add(30 * time.Second); inRow < 20 && time.Now().Before(deadline); {
		_, err := uploadOne(ctx, cl, &l, payload(rng, 50<<10))
		switch {
		case err == nil:
			if inRow == 0 {
				converge = time.Since(fullAt)
			}
			inRow++
		case errors.Is(err, codec.ENOSPC):
			inRow = 0
			time.Sleep(50 * time.Millisecond)
		default:
			inRow = 0
			t.Errorf("tracker-routed upload: %v (want success or ENOSPC)", err)
		}
	}
	if inRow < 20 {
		t.Errorf("tracker-routed uploads still failing 30 s after the path filled")
	}

	files, ops, fails := l.snapshot()
	lost, corrupt := checkAll(t, cl, nil, files)
	time.Sleep(200 * time.Millisecond) // failed uploads' temp files go on the disk worker
	for _, root := range []string{small, big} {
		scan := scanStorePath(t, root)
		corrupt += int64(len(scan.bad))
		if len(scan.temps) > 0 || len(scan.bad) > 0 || len(scan.strange) > 0 {
			t.Errorf("%s: temp files %v, partial files %v, unknown files %v", root, scan.temps, scan.bad, scan.strange)
		}
	}
	results.add(row{Scenario: "disk full (8 MiB tmpfs path)", Ops: ops, Failures: fails, Lost: lost,
		Corrupt: corrupt, Converge: converge, Note: fmt.Sprintf("%s; %d dropped mid-write", l.kinds(), midWrite)})
	if lost+corrupt > 0 {
		t.Fatalf("%d lost, %d corrupt of %d acknowledged", lost, corrupt, len(files))
	}
}
