package faults

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
)

// uploadLoad runs workers that upload files of 1 B .. 300 KiB (small ones
// arrive whole, large ones take the detached-body path) until ctx ends.
// Outside -faults.full each worker pauses 10 ms between uploads.
// lastOK is the unix-nano time of the latest acknowledged upload.
func uploadLoad(ctx context.Context, cl *client.Client, l *ledger, workers int, seed uint64, lastOK *atomic.Int64, opts ...client.UploadOption) *sync.WaitGroup {
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			for ctx.Err() == nil {
				size := rng.IntN(4 << 10)
				if rng.IntN(4) == 0 {
					size = rng.IntN(300 << 10)
				}
				if !*fullRun {
					time.Sleep(10 * time.Millisecond) // the short run keeps the check phase short
				}
				if _, err := uploadOne(ctx, cl, l, payload(rng, size), opts...); err == nil {
					if lastOK != nil {
						lastOK.Store(time.Now().UnixNano())
					}
				} else if ctx.Err() == nil {
					time.Sleep(20 * time.Millisecond) // do not spin on a dead server
				}
			}
		}()
	}
	return &wg
}

// waitUploadAfter waits until an upload is acknowledged after t0 and gives
// the time it took.
func waitUploadAfter(tb testing.TB, lastOK *atomic.Int64, t0 time.Time, limit time.Duration) time.Duration {
	tb.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if ok := lastOK.Load(); ok > t0.UnixNano() {
			return time.Unix(0, ok).Sub(t0)
		}
		time.Sleep(10 * time.Millisecond)
	}
	tb.Fatalf("no upload acknowledged within %v after %v", limit, t0.Format(time.StampMilli))
	return 0
}

// TestStorageKill9UnderUpload SIGKILLs the only storage of a group while
// clients upload to it, restarts it, and checks that every acknowledged
// file is there with the bytes its ID promises, and that no temp file of
// the interrupted uploads survives the restart.
func TestStorageKill9UnderUpload(t *testing.T) {
	parallelWhenShort(t)
	c := newCluster(t)
	c.addTracker("127.0.10.1")
	st := c.addStorage(storageSpec{ip: "127.0.10.2"})
	c.waitActive("group1", 1)
	cl := c.client()

	kills, phase := 1, 1500*time.Millisecond
	if *fullRun {
		kills, phase = 4, 3*time.Second
	}
	var l ledger
	var lastOK atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	load := uploadLoad(ctx, cl, &l, 8, 1, &lastOK)
	var worst time.Duration
	for range kills {
		time.Sleep(phase)
		st.Kill()
		time.Sleep(300 * time.Millisecond)
		t0 := time.Now()
		restart(t, st)
		if d := waitUploadAfter(t, &lastOK, t0, 60*time.Second); d > worst {
			worst = d
		}
	}
	time.Sleep(phase)
	cancel()
	load.Wait()

	files, ops, fails := l.snapshot()
	lost, corrupt := checkAll(t, cl, nil, files)
	scan := scanStorePath(t, st.Base)
	corrupt += int64(len(scan.bad))
	// temp files from the killed uploads are swept at start, and the
	// running server removes those of uploads that failed since
	stopDaemon(t, st)
	scan = scanStorePath(t, st.Base)
	if len(scan.temps) > 0 {
		t.Errorf("temp files left after the restart: %v", scan.temps)
	}
	if len(scan.bad) > 0 {
		t.Errorf("files whose bytes do not match their name: %v", scan.bad)
	}
	if scan.files < len(files) {
		t.Errorf("%d files on disk, %d acknowledged", scan.files, len(files))
	}
	results.add(row{Scenario: "storage SIGKILL under upload", Ops: ops, Failures: fails, Lost: lost,
		Corrupt: corrupt, Converge: worst, Note: l.kinds()})
	if len(files) == 0 {
		t.Fatal("no upload was acknowledged")
	}
	if lost+corrupt > 0 {
		t.Fatalf("%d lost, %d corrupt of %d acknowledged", lost, corrupt, len(files))
	}
}
