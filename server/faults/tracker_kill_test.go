package faults

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// TestTrackerKill9OneOfTwo runs two trackers and one storage reporting to
// both, SIGKILLs one tracker under upload load, brings it back, then kills
// the other: clients configured with both trackers must carry on (their
// retry goes to the live one), and every acknowledged file must be there.
func TestTrackerKill9OneOfTwo(t *testing.T) {
	parallelWhenShort(t)
	t.Logf("%s start", time.Now().Format("15:04:05.000"))
	c := newCluster(t)
	c.addTracker("127.0.10.1")
	c.addTracker("127.0.10.11")
	st := c.addStorage(storageSpec{ip: "127.0.10.2"})
	c.waitStable("group1", 1, 3*time.Second)
	cl := c.client()

	phase := time.Second
	if *fullRun {
		phase = 3 * time.Second
	}
	l := ledger{log: t}
	var lastOK atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	load := uploadLoad(ctx, cl, &l, 6, 2, &lastOK)
	var worst time.Duration
	for _, victim := range []int{0, 1} {
		time.Sleep(phase)
		t.Logf("%s kill tracker %s", time.Now().Format("15:04:05.000"), c.Trackers[victim].Addr)
		c.Trackers[victim].Kill()
		if d := waitUploadAfter(t, &lastOK, time.Now(), 30*time.Second); d > worst {
			worst = d
		}
		time.Sleep(phase)
		restart(t, c.Trackers[victim])
		t.Logf("%s restarted tracker %s", time.Now().Format("15:04:05.000"), c.Trackers[victim].Addr)
		// the storage must be ACTIVE on the restarted tracker before the
		// other one goes, or no tracker could route uploads
		c.waitActive("group1", 1)
		t.Logf("%s storage active on every tracker", time.Now().Format("15:04:05.000"))
	}
	time.Sleep(phase)
	cancel()
	load.Wait()

	files, ops, fails := l.snapshot()
	t.Logf("%s load stopped", time.Now().Format("15:04:05.000"))
	lost, corrupt := checkAll(t, cl, nil, files)
	t.Logf("%s checked", time.Now().Format("15:04:05.000"))
	stopDaemon(t, st)
	t.Logf("%s stopped", time.Now().Format("15:04:05.000"))
	scan := scanStorePath(t, st.Base)
	corrupt += int64(len(scan.bad))
	results.add(row{Scenario: "tracker SIGKILL, 1 of 2", Ops: ops, Failures: fails, Lost: lost,
		Corrupt: corrupt, Converge: worst, Note: l.kinds()})
	if len(files) == 0 {
		t.Fatal("no upload was acknowledged")
	}
	if lost+corrupt > 0 {
		t.Fatalf("%d lost, %d corrupt of %d acknowledged", lost, corrupt, len(files))
	}
	// a client with both trackers retries on the other one inside the
	// same call: a dead tracker is not a failure the caller sees
	if fails > 0 {
		t.Errorf("clients saw %d failures (%s) although one tracker was always up", fails, l.kinds())
	}
}
