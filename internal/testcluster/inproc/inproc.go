// Package inproc runs our tracker and storage servers inside the test
// binary, for tests that need a server's Go API beside the wire (a storage's
// MyIP, a tracker's state) or many quick restarts. It imports both servers,
// so only packages that may import both use it (server/clustertest, tools);
// server/storage and server/tracker test themselves against real processes of
// the other (internal/testcluster's process mode) instead.
//
// The servers listen on real loopback sockets and keep their data in real
// directories under the test's TempDir; the test ends them.
package inproc

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/conf"
	"github.com/gofdfs/gofdfs/internal/testcluster"
	"github.com/gofdfs/gofdfs/server/storage"
	"github.com/gofdfs/gofdfs/server/tracker"
)

// startRetry bounds how long a start retries a port that a server stopped
// just before still holds.
const startRetry = 20 * time.Second

// quiet drops the servers' logs: a test reads state, not log lines.
func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Tracker is one of our trackers in this process. Fill the fields and call
// Start, or use StartTracker.
type Tracker struct {
	TB   testing.TB
	Addr string // ip:port; a port 0 is resolved by the first Start and kept
	Dir  string // base_path
	Text string // tracker.conf, written to Dir/tracker.conf at every Start
	Opts []tracker.Option
	Srv  *tracker.Server // nil while stopped
}

// StartTracker starts a tracker on s.IP (s.Port, or a free port) whose conf is
// testcluster.TrackerConf, its base_path in a fresh TempDir, quiet; the test's
// end stops it.
func StartTracker(tb testing.TB, s testcluster.TrackerSpec, opts ...tracker.Option) *Tracker {
	tb.Helper()
	if s.Port == 0 {
		s.Port = testcluster.Port(tb, s.IP)
	}
	dir := tb.TempDir()
	t := &Tracker{TB: tb, Addr: net.JoinHostPort(s.IP, strconv.Itoa(s.Port)), Dir: dir,
		Text: testcluster.TrackerConf(dir, s), Opts: append([]tracker.Option{tracker.WithLogger(quiet())}, opts...)}
	t.Start()
	tb.Cleanup(t.Stop)
	return t
}

// Start writes the conf and starts the tracker, retrying while its port is
// still held by a tracker stopped a moment ago. A restart may change Text
// (say, turn storage ids on).
func (t *Tracker) Start() {
	t.TB.Helper()
	path := filepath.Join(t.Dir, "tracker.conf")
	if err := testcluster.WriteFile(path, t.Text); err != nil {
		t.TB.Fatal(err)
	}
	cfg, err := conf.ParseTracker(path, []byte(t.Text))
	if err != nil {
		t.TB.Fatalf("tracker conf %s: %v", path, err)
	}
	retry(t.TB, "tracker "+t.Addr, func() error {
		srv, err := tracker.New(cfg, append([]tracker.Option{tracker.WithListenAddr(t.Addr)}, t.Opts...)...)
		if err == nil {
			if err = srv.Start(); err == nil {
				t.Srv, t.Addr = srv, srv.Addr()
			}
		}
		return err
	})
}

// Stop stops the tracker (a no-op when stopped).
func (t *Tracker) Stop() {
	if t.Srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := t.Srv.Stop(ctx); err != nil {
		t.TB.Errorf("tracker %s Stop: %v", t.Addr, err)
	}
	t.Srv = nil
}

// Storage is one of our storages in this process. Fill the fields and call
// Start, or use StartStorage.
type Storage struct {
	TB   testing.TB
	Addr string // ip:port it reports (for messages)
	Conf string // its storage.conf, read at every Start
	Opts []storage.Option
	Srv  *storage.Server // nil while stopped
}

// StartStorage starts a storage whose conf is testcluster.StorageConf for sp
// (one store path under its base_path unless sp names some; Group group1;
// a free port unless sp names one), quiet and on one event loop before
// opts; the test's end stops it. base is its base_path ("" : a fresh TempDir).
func StartStorage(tb testing.TB, base string, sp testcluster.StorageSpec, opts ...storage.Option) *Storage {
	tb.Helper()
	if base == "" {
		base = tb.TempDir()
	}
	if sp.Group == "" {
		sp.Group = "group1"
	}
	if sp.Port == 0 {
		sp.Port = testcluster.Port(tb, sp.IP)
	}
	if len(sp.StorePaths) == 0 {
		sp.StorePaths = []string{filepath.Join(base, "sp0")}
	}
	for _, p := range sp.StorePaths {
		if err := os.MkdirAll(p, 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	s := &Storage{TB: tb, Addr: net.JoinHostPort(sp.IP, strconv.Itoa(sp.Port)),
		Conf: filepath.Join(base, "storage.conf"),
		Opts: append([]storage.Option{storage.WithLogger(quiet()), storage.WithMulticore(false)}, opts...)}
	if err := testcluster.WriteFile(s.Conf, testcluster.StorageConf(base, sp)); err != nil {
		tb.Fatal(err)
	}
	s.Start()
	tb.Cleanup(s.Stop)
	return s
}

// Start starts the storage on its conf (again, after Stop), retrying while
// its port is still held by a storage stopped a moment ago.
func (s *Storage) Start() {
	s.TB.Helper()
	cfg, err := conf.LoadStorage(s.Conf)
	if err != nil {
		s.TB.Fatalf("storage conf %s: %v", s.Conf, err)
	}
	retry(s.TB, "storage "+s.Addr, func() error {
		srv, err := storage.New(cfg, s.Opts...)
		if err == nil {
			if err = srv.Start(); err == nil {
				s.Srv = srv
			}
		}
		return err
	})
}

// Stop stops the storage (a no-op when stopped).
func (s *Storage) Stop() {
	if s.Srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Srv.Stop(ctx); err != nil {
		s.TB.Errorf("storage %s Stop: %v", s.Addr, err)
	}
	s.Srv = nil
}

// retry runs start until it succeeds or startRetry passes.
func retry(tb testing.TB, what string, start func() error) {
	tb.Helper()
	deadline := time.Now().Add(startRetry)
	for {
		err := start()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s: start: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
