package cinterop

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/internal/testcluster"
)

// builder builds our daemons and fdfs_monitor once for the package. In the
// network namespace child (netns_test.go) GOFDFS_BIN names the parent's
// build, so the child builds nothing.
var builder testcluster.Builder

// ourProgs are what the package runs of ours.
var ourProgs = []string{"fdfs_storaged", "fdfs_trackerd", "fdfs_monitor"}

func TestMain(m *testing.M) {
	code := m.Run()
	builder.Remove()
	os.Exit(code)
}

// ours returns the path of our program name, building all of ourProgs on
// first use.
func ours(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join(builder.MustBin(t, ourProgs...), name)
}

// needC skips the test when the C daemons are not installed.
func needC(t testing.TB) {
	t.Helper()
	testcluster.NeedC(t)
}

func writeFile(t testing.TB, path, body string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// proc is one daemon process (C or ours) in the foreground, on a conf the
// test wrote (two store paths apart from base_path, IPv6 binds).
type proc struct {
	t     testing.TB
	name  string
	prog  string // fdfs_trackerd or fdfs_storaged
	d     *testcluster.Daemon
	isC   bool
	base  string
	conf  string
	addr  string
	paths []string
}

// start runs the daemon without waiting for it to listen (a storage may
// first recover from its peers).
func (p *proc) start() {
	p.t.Helper()
	bin := ""
	if p.isC {
		dir, err := testcluster.CBin(p.prog)
		if err != nil {
			p.t.Fatal(err)
		}
		bin = dir
	} else {
		bin = filepath.Dir(ours(p.t, p.prog))
	}
	p.d = &testcluster.Daemon{Prog: p.prog, Bin: bin, Conf: p.conf, Base: p.base, Addr: p.addr, C: p.isC}
	if err := p.d.Launch(); err != nil {
		p.t.Fatalf("start %s: %v", p.name, err)
	}
}

// stop sends SIGTERM and waits for the exit (SIGKILL after 20 s).
func (p *proc) stop() {
	if p.d == nil {
		return
	}
	_ = p.d.Stop(20 * time.Second)
	p.d = nil
}

// logs is the daemon's output (every run) and its log file.
func (p *proc) logs() string {
	return (&testcluster.Daemon{Prog: p.prog, Base: p.base}).Output()
}

type cluster struct {
	t     testing.TB
	procs []*proc
}

func newCluster(t testing.TB) *cluster {
	c := &cluster{t: t}
	t.Cleanup(func() {
		for _, p := range c.procs {
			p.stop()
			if t.Failed() {
				t.Logf("=== %s (%s) output:\n%s", p.name, p.addr, tail(p.logs(), 6000))
			}
		}
	})
	return c
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// host is ip without brackets, for conf values and JoinHostPort.
func tracker(c *cluster, isC bool, ip string, extra ...string) *proc {
	t := c.t
	t.Helper()
	base := t.TempDir()
	bind := ip // as written in the conf: IPv6 may come in brackets
	ip = strings.Trim(ip, "[]")
	port := testcluster.Shared(t, ip)
	text := fmt.Sprintf("base_path = %s\nbind_addr = %s\nport = %d\nconnect_timeout = 2\nnetwork_timeout = 5\n"+
		"check_active_interval = 10\nthread_stack_size = 512KB\n%s\n", base, bind, port, strings.Join(extra, "\n"))
	conf := writeFile(t, filepath.Join(base, "tracker.conf"), text)
	p := &proc{t: t, name: "tracker", isC: isC, base: base, conf: conf, addr: net.JoinHostPort(ip, strconv.Itoa(port))}
	p.prog, p.name = "fdfs_trackerd", "Go tracker"
	if isC {
		p.name = "C tracker"
	}
	c.procs = append(c.procs, p)
	p.start()
	if err := p.d.WaitListening(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	return p
}

// storage starts a storage with two store paths, both apart from base_path.
func storage(c *cluster, isC bool, ip string, port int, trackers []*proc, extra ...string) *proc {
	t := c.t
	t.Helper()
	base := t.TempDir()
	bind := ip // as written in the conf: IPv6 may come in brackets
	ip = strings.Trim(ip, "[]")
	var b strings.Builder
	fmt.Fprintf(&b, "group_name = group1\nbase_path = %s\nbind_addr = %s\nport = %d\n", filepath.Join(base, "base"), bind, port)
	fmt.Fprintf(&b, "heart_beat_interval = 1\nstat_report_interval = 2\nsubdir_count_per_path = 4\n")
	fmt.Fprintf(&b, "connect_timeout = 2\nnetwork_timeout = 10\nthread_stack_size = 512KB\nsync_wait_msec = 20\n")
	fmt.Fprintf(&b, "sync_binlog_buff_interval = 1\n") // C flushes its binlog lines that often
	fmt.Fprintf(&b, "http.server_port = 0\n")
	for _, tr := range trackers {
		fmt.Fprintf(&b, "tracker_server = %s\n", tr.addr)
	}
	for _, l := range extra {
		fmt.Fprintf(&b, "%s\n", l)
	}
	p := &proc{t: t, isC: isC, base: filepath.Join(base, "base"), addr: net.JoinHostPort(ip, strconv.Itoa(port))}
	fmt.Fprintf(&b, "store_path_count = 2\n")
	for i := range 2 {
		dir := filepath.Join(base, "sp"+strconv.Itoa(i))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		p.paths = append(p.paths, dir)
		fmt.Fprintf(&b, "store_path%d = %s\n", i, dir)
	}
	if err := os.MkdirAll(p.base, 0o755); err != nil {
		t.Fatal(err)
	}
	p.conf = writeFile(t, filepath.Join(base, "storage.conf"), b.String())
	p.setKind(isC)
	c.procs = append(c.procs, p)
	p.start()
	return p
}

// setKind makes p run C's daemon or ours on the same conf (a takeover).
func (p *proc) setKind(isC bool) {
	p.isC, p.prog = isC, "fdfs_storaged"
	if isC {
		p.name = "C storage " + p.addr
	} else {
		p.name = "Go storage " + p.addr
	}
}

// waitUntil is testcluster.Eventually polling every 200 ms: these waits
// span C daemons that react on second-long timers.
func waitUntil(t testing.TB, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	testcluster.Eventually(t, what, d, 200*time.Millisecond, cond)
}

func newClient(t testing.TB, trackers ...*proc) *client.Client {
	t.Helper()
	var addrs []string
	for _, p := range trackers {
		addrs = append(addrs, p.addr)
	}
	cl, err := client.New(client.Config{Trackers: addrs, ConnectTimeout: 2 * time.Second,
		NetworkTimeout: 10 * time.Second, MaxIdlePerServer: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// statuses lists the group's storages as "addr=STATUS".
func statuses(t testing.TB, cl *client.Client) (map[string]byte, string) {
	list, err := cl.ListStorages(ctx(t), "group1", "")
	if err != nil {
		return nil, err.Error()
	}
	m := make(map[string]byte)
	var desc []string
	for _, s := range list {
		a := net.JoinHostPort(string(s.IP), strconv.FormatInt(s.StoragePort, 10))
		m[a] = s.Status
		desc = append(desc, a+"="+strconv.Itoa(int(s.Status)))
	}
	return m, strings.Join(desc, " ")
}

const statusActive = 7

func allActive(t testing.TB, cl *client.Client, storages ...*proc) func() (bool, string) {
	return func() (bool, string) {
		m, desc := statuses(t, cl)
		for _, s := range storages {
			if m[s.addr] != statusActive {
				return false, desc
			}
		}
		return true, desc
	}
}

// storedFile is one uploaded file and its bytes.
type storedFile struct {
	id   string
	body []byte
	path int // store path index
}

// local is where storage p keeps f on disk.
func (p *proc) local(t testing.TB, f storedFile) string {
	t.Helper()
	_, name, ok := strings.Cut(f.id, "/")
	if !ok {
		t.Fatalf("bad file id %q", f.id)
	}
	rf, err := codec.ParseRemoteFilename([]byte(name), len(p.paths))
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(p.paths[rf.StorePath], "data", string(rf.TrueName))
}
