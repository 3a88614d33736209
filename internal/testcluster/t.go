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

// MustBin is Builder.Bin for a test: the directory of the built progs.
func (b *Builder) MustBin(tb testing.TB, progs ...string) string {
	tb.Helper()
	dir, err := b.Bin(progs...)
	if err != nil {
		tb.Fatal(err)
	}
	return dir
}

// MustPath is Builder.Path for a test.
func (b *Builder) MustPath(tb testing.TB, prog string) string {
	tb.Helper()
	p, err := b.Path(prog)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// Watch makes d tb's: killed when the test ends (SIGCONT first, in case the
// test left it stopped), its logs printed if the test failed.
func Watch(tb testing.TB, d *Daemon) {
	tb.Cleanup(func() {
		d.Kill()
		if tb.Failed() {
			tb.Logf("%s", d.LogTail(6000))
		}
	})
}

// Run starts d for tb (Watch, then Start: it waits until d listens).
func Run(tb testing.TB, d *Daemon) *Daemon {
	tb.Helper()
	Watch(tb, d)
	if err := d.Start(); err != nil {
		tb.Fatal(err)
	}
	return d
}

// NeedC skips tb unless C's daemons (or the given programs) are on PATH: a
// machine without the C reference runs everything else.
func NeedC(tb testing.TB, progs ...string) {
	tb.Helper()
	if len(progs) == 0 {
		progs = Daemons
	}
	for _, p := range progs {
		if _, err := CBin(p); err != nil {
			tb.Skipf("%v: test with the C reference skipped", err)
		}
	}
}
