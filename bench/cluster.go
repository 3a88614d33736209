package bench

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gofdfs/gofdfs/internal/testcluster"
)

// Cluster is a tracker and a two-storage group of our daemons on loopback,
// as separate processes (their CPU time and RSS are what the suite reports),
// run by internal/testcluster. The storages share one port on two
// addresses, as storages of a group do on real hosts.
type Cluster struct {
	Dir         string
	ClientConf  string
	TrackerAddr string
	Tracker     *testcluster.Daemon
	Storages    []*testcluster.Daemon // group1: A, B
	StorePaths  []string
	tc          *testcluster.Cluster
}

// ClusterOptions say where the cluster lives.
type ClusterOptions struct {
	Bin string // directory with fdfs_trackerd and fdfs_storaged
	Dir string // data, confs and logs
	Net string // first three octets of the loopback addresses: tracker .1, storages .2 and .3
}

// StartCluster writes the confs, starts the daemons and waits until both
// storages have joined and an upload through the tracker works. The confs
// are the daemons' defaults but for the lines given here.
func StartCluster(ctx context.Context, o ClusterOptions) (*Cluster, error) {
	ip := func(n int) string { return o.Net + "." + strconv.Itoa(n) }
	sport, err := testcluster.SharedPort(ip(2), ip(3))
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: o.Dir, tc: testcluster.New(o.Bin, o.Dir)}
	if c.Tracker, err = c.tc.AddTracker(testcluster.TrackerSpec{IP: ip(1), Base: filepath.Join(o.Dir, "tracker"), Plain: true,
		Extra: []string{"reserved_storage_space = 1%", "log_level = warn"}}); err != nil {
		c.Stop()
		return nil, err
	}
	c.TrackerAddr = c.Tracker.Addr
	for i, name := range []string{"storage_a", "storage_b"} {
		sdir := filepath.Join(o.Dir, name)
		d, err := c.tc.AddStorage(testcluster.StorageSpec{IP: ip(2 + i), Port: sport, Base: sdir, Plain: true,
			Extra: []string{"heart_beat_interval = 1", "stat_report_interval = 1", "log_level = warn"}})
		if err != nil {
			c.Stop()
			return nil, err
		}
		c.Storages = append(c.Storages, d)
		c.StorePaths = append(c.StorePaths, sdir)
	}
	if c.ClientConf, err = c.tc.ClientConf(); err != nil {
		c.Stop()
		return nil, err
	}
	// every storage joined and one ACTIVE: the second one of a group only
	// turns ACTIVE once replication has brought it in step, and a cluster
	// without working replication must still be measurable (the repl step
	// then says so)
	if err := waitReady(ctx, c.tc, len(c.Storages), time.Minute); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// waitReady waits up to limit until group1 of tc has joined storages, one
// of them ACTIVE, and an upload through the tracker works.
func waitReady(ctx context.Context, tc *testcluster.Cluster, joined int, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	if err := tc.WaitJoined(ctx, "group1", joined, 1); err != nil {
		return err
	}
	cl, err := tc.Client()
	if err != nil {
		return err
	}
	defer cl.Close()
	for {
		id, err := cl.Upload(ctx, strings.NewReader("ready"), 5, "txt")
		if err == nil {
			return cl.Delete(ctx, id)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("trackers %v: no upload works after %v: %w", tc.TrackerAddrs(), limit, errors.Join(err, ctx.Err()))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Stop ends the daemons, storages first: SIGTERM, then SIGKILL after 15 s.
func (c *Cluster) Stop() { _ = c.tc.Stop(15 * time.Second) }

// cpu is the CPU seconds the cluster's daemons have used so far.
func (c *Cluster) cpu() float64 { return cpuSeconds(c.tc.All()...) }

// cpuSeconds is the user + system CPU time of the running ones of ds.
func cpuSeconds(ds ...*testcluster.Daemon) float64 {
	var s time.Duration
	for _, d := range ds {
		if st, err := d.Stat(); err == nil {
			s += st.CPU
		}
	}
	return s.Seconds()
}

// peakRSSMiB is d's VmHWM in MiB (0 when unreadable).
func peakRSSMiB(d *testcluster.Daemon) float64 {
	st, err := d.Stat()
	if err != nil {
		return 0
	}
	return float64(st.PeakKiB) / 1024
}
