package testcluster

import (
	"context"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
)

// T is a Cluster bound to a test: every step fails the test on error, the
// daemons are killed when the test ends, and their logs are printed when it
// failed.
type T struct {
	*Cluster
	tb testing.TB
}

// Start is an empty cluster for tb, its data in tb.TempDir(), its daemons
// from bin (Builder.Bin).
func Start(tb testing.TB, bin string) *T {
	c := &T{Cluster: New(bin, tb.TempDir()), tb: tb}
	tb.Cleanup(func() {
		c.Close()
		if tb.Failed() {
			for _, d := range c.All() {
				tb.Logf("%s", d.LogTail(4000))
			}
		}
	})
	return c
}

// Tracker adds and starts a tracker.
func (c *T) Tracker(s TrackerSpec) *Daemon {
	c.tb.Helper()
	d, err := c.AddTracker(s)
	if err != nil {
		c.tb.Fatal(err)
	}
	return d
}

// Storage adds and starts a storage.
func (c *T) Storage(s StorageSpec) *Daemon {
	c.tb.Helper()
	d, err := c.AddStorage(s)
	if err != nil {
		c.tb.Fatal(err)
	}
	return d
}

// SDK is a client on every tracker, closed when the test ends.
func (c *T) SDK(opts ...func(*client.Config)) *client.Client {
	c.tb.Helper()
	cl, err := c.Client(opts...)
	if err != nil {
		c.tb.Fatal(err)
	}
	c.tb.Cleanup(func() { cl.Close() })
	return cl
}

// ClientConfPath is ClientConf for a test.
func (c *T) ClientConfPath() string {
	c.tb.Helper()
	p, err := c.ClientConf()
	if err != nil {
		c.tb.Fatal(err)
	}
	return p
}

// Active waits up to a minute until every running tracker lists n ACTIVE
// storages in group for stable, and gives the time it took.
func (c *T) Active(group string, n int, stable time.Duration) time.Duration {
	c.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	took, err := c.WaitActive(ctx, group, n, stable)
	if err != nil {
		c.tb.Fatal(err)
	}
	return took
}

// Restart starts a stopped or killed daemon again on its conf.
func (c *T) Restart(d *Daemon) {
	c.tb.Helper()
	if err := d.Start(); err != nil {
		c.tb.Fatal(err)
	}
}

// Port is FreePort for a test.
func Port(tb testing.TB, ip string) int {
	tb.Helper()
	p, err := FreePort(ip)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// Shared is SharedPort for a test.
func Shared(tb testing.TB, ips ...string) int {
	tb.Helper()
	p, err := SharedPort(ips...)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}
