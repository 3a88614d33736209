package faults

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/internal/testcluster"
)

// daemon is one fdfs_trackerd or fdfs_storaged process run in the
// foreground (internal/testcluster), so the test owns its pid and can
// SIGKILL it.
type daemon = testcluster.Daemon

// cluster is a set of trackers and storages of one test, on addresses of
// 127.0.10.0/24 (and 127.0.14.0/24 for the clock-skew scenario).
type cluster struct {
	*testcluster.T
	t   testing.TB
	dir string
}

// storageSpec is one storage to add.
type storageSpec struct {
	group      string
	ip         string // in 127.0.10.0/24
	port       int    // 0: a free one
	storePaths []string
	extra      []string // more storage.conf lines
	env        []string // more environment of the process
}

func newCluster(t testing.TB) *cluster {
	tc := testcluster.Start(t, builder.MustBin(t, testcluster.Daemons...))
	return &cluster{T: tc, t: t, dir: tc.Dir}
}

// addTracker starts a tracker on ip (a free port) with extra tracker.conf lines.
func (c *cluster) addTracker(ip string, extra ...string) *daemon {
	c.t.Helper()
	return c.Tracker(testcluster.TrackerSpec{IP: ip, Extra: append([]string{"store_path = 0"}, extra...)})
}

// addStorage starts a storage reporting to every tracker of the cluster,
// with 4x4 data directories per store path (testcluster's default): making
// and removing 65,536 directories per store path takes longer on this
// shared disk than a whole short scenario, and no scenario needs them.
func (c *cluster) addStorage(s storageSpec) *daemon {
	c.t.Helper()
	return c.Storage(testcluster.StorageSpec{Group: s.group, IP: s.ip, Port: s.port, StorePaths: s.storePaths,
		Extra: s.extra, Env: s.env})
}

// stopDaemon sends SIGTERM and waits for a clean exit (SIGKILL after 20 s,
// which fails the test).
func stopDaemon(t testing.TB, d *daemon) {
	t.Helper()
	if err := d.Stop(20 * time.Second); err != nil {
		t.Error(err)
	}
}

// restart starts a stopped or killed daemon again, failing the test if it
// does not listen.
func restart(t testing.TB, d *daemon) {
	t.Helper()
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
}

// client is an SDK client on every tracker of the cluster.
func (c *cluster) client(opts ...func(*client.Config)) *client.Client {
	c.t.Helper()
	return c.SDK(opts...)
}

// waitActive waits until every running tracker lists n ACTIVE storages in
// group, and gives the time it took.
func (c *cluster) waitActive(group string, n int) time.Duration {
	c.t.Helper()
	return c.Active(group, n, 0)
}

// waitStable is waitActive that also wants the state to hold for stable:
// right after a first start, a storage re-joins each follower tracker once
// it hears of the leader (its status there, INIT from the join reply,
// differs from the leader's ACTIVE; C's storage does the same), and the
// follower lists it OFFLINE for a moment.
func (c *cluster) waitStable(group string, n int, stable time.Duration) time.Duration {
	c.t.Helper()
	return c.Active(group, n, stable)
}

// uploadRetry uploads body until it is acknowledged (storages joining).
func uploadRetry(t testing.TB, cl *client.Client, body []byte, opts ...client.UploadOption) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		id, err := cl.Upload(ctx, bytes.NewReader(body), int64(len(body)), "bin", opts...)
		cancel()
		if err == nil {
			return id
		}
		if time.Now().After(deadline) {
			t.Fatalf("upload never acknowledged: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// writeFile writes body to path, making its directory.
func writeFile(t testing.TB, path, body string) {
	t.Helper()
	if err := testcluster.WriteFile(path, body); err != nil {
		t.Fatal(err)
	}
}

// activeStatus is FDFS_STORAGE_STATUS_ACTIVE.
const activeStatus = testcluster.StorageActive
