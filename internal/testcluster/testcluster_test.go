package testcluster

import (
	"bytes"
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
)

// The harness's own addresses: 127.0.21.0/24 (no other package uses it).
const netPrefix = "127.0.21."

var builder Builder

func TestMain(m *testing.M) {
	code := m.Run()
	builder.Remove()
	os.Exit(code)
}

// TestClusterLifecycle drives the whole harness against the real daemons: a
// tracker and a two-storage group sharing a port, an upload replicated to
// both, /proc figures, a kill -9 the tracker notices, and a restart that
// brings the storage back ACTIVE with the file still there.
func TestClusterLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real daemons")
	}
	bin, err := builder.Bin(Daemons...)
	if err != nil {
		t.Fatal(err)
	}
	c := Start(t, bin)
	c.Tracker(TrackerSpec{IP: netPrefix + "1"})
	port := Shared(t, netPrefix+"2", netPrefix+"3")
	a := c.Storage(StorageSpec{IP: netPrefix + "2", Port: port})
	b := c.Storage(StorageSpec{IP: netPrefix + "3", Port: port})
	c.Active("group1", 2, 0)

	cl := c.SDK()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	body := bytes.Repeat([]byte("testcluster "), 1000)
	id, err := cl.Upload(ctx, bytes.NewReader(body), int64(len(body)), "txt")
	if err != nil {
		t.Fatal(err)
	}

	st, err := a.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if st.RSSKiB <= 0 || st.PeakKiB < st.RSSKiB {
		t.Errorf("storage /proc figures make no sense: %+v", st)
	}

	b.Kill()
	if b.Running() || b.Pid() != 0 {
		t.Fatal("killed storage still running")
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		n, err := ActiveCount(ctx, c.Trackers[0].Addr, "group1")
		if err == nil && n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tracker still lists %d ACTIVE (%v) 20 s after a kill -9", n, err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	c.Restart(b)
	c.Active("group1", 2, 0)
	// the restarted member has the file (replicated before the kill, or
	// caught up after the restart)
	var got bytes.Buffer
	deadline = time.Now().Add(20 * time.Second)
	for {
		got.Reset()
		_, err := cl.DownloadFrom(ctx, client.StorageServer{Group: "group1", Addr: b.Addr}, id, &got, 0, 0)
		if err == nil && bytes.Equal(got.Bytes(), body) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("restarted storage never served %s: %v", id, err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	if err := a.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(20 * time.Second); err != nil { // Stop SIGCONTs a stopped daemon first
		t.Fatal(err)
	}
	if a.Running() || b.Running() || c.Trackers[0].Running() {
		t.Fatal("a daemon survived Stop")
	}
}

func TestSharedPortIsFreeOnEveryAddress(t *testing.T) {
	p := Shared(t, netPrefix+"10", netPrefix+"11", netPrefix+"12")
	for _, ip := range []string{netPrefix + "10", netPrefix + "11", netPrefix + "12"} {
		if _, err := FreePort(ip); err != nil {
			t.Fatal(err)
		}
		port := Port(t, ip)
		if port == 0 {
			t.Fatalf("no port on %s", ip)
		}
	}
	if p == 0 {
		t.Fatal("port 0")
	}
}

func TestReadProcStatOfSelf(t *testing.T) {
	// burn a little CPU so utime+stime is not 0 ticks
	x := 0
	for i := range 50_000_000 {
		x += i
	}
	st, err := ReadProcStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if st.CPU <= 0 || st.RSSKiB <= 0 {
		t.Fatalf("own /proc stat: %+v (%d)", st, x)
	}
}

// FromConf takes address and base_path from a conf a test wrote, in either
// spelling of the ini dialect, IPv6 in brackets or not.
func TestFromConf(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ text, addr string }{
		{"base_path = " + dir + "\nbind_addr = 127.0.21.40\nport = 23001\n", "127.0.21.40:23001"},
		{"bind_addr=[fd00:17::2]\nport=22122\nbase_path=" + dir + "\n", "[fd00:17::2]:22122"},
	} {
		p := dir + "/x.conf"
		if err := WriteFile(p, c.text); err != nil {
			t.Fatal(err)
		}
		d, err := FromConf("/opt/bin/fdfs_storaged", p)
		if err != nil {
			t.Fatal(err)
		}
		if d.Addr != c.addr || d.Base != dir || d.Prog != "fdfs_storaged" || d.Bin != "/opt/bin" || d.Conf != p {
			t.Fatalf("FromConf(%q) = %+v", c.text, d)
		}
	}
	if err := WriteFile(dir+"/bad.conf", "port = 1\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := FromConf("fdfs_trackerd", dir+"/bad.conf"); err == nil {
		t.Fatal("a conf without bind_addr and base_path accepted")
	}
}

func TestPkgOf(t *testing.T) {
	for in, want := range map[string]string{"fdfs_storaged": "./tools/fdfs_storaged",
		"server/faults/internal/connhold": "./server/faults/internal/connhold"} {
		if got := pkgOf(in); got != want {
			t.Errorf("pkgOf(%q) = %q, want %q", in, got, want)
		}
	}
}
