package faults

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
)

// daemon is one fdfs_trackerd or fdfs_storaged process run in the
// foreground, so the test owns its pid and can SIGKILL it.
type daemon struct {
	t    testing.TB
	prog string // "fdfs_trackerd" or "fdfs_storaged"
	conf string
	base string // base_path
	addr string // ip:port it serves on
	cmd  *exec.Cmd
	done chan struct{}
	out  *os.File
	env  []string // more environment, e.g. GOFDFS_CLOCK_OFFSET
}

// writeFile writes body to path, making its directory.
func writeFile(t testing.TB, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// freePort binds ip:0 and gives the port back: the daemon binds it right
// after. ip must be ours (127.0.10.0/24).
func freePort(t testing.TB, ip string) int {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func newDaemon(t testing.TB, prog, conf, base, addr string) *daemon {
	return &daemon{t: t, prog: prog, conf: conf, base: base, addr: addr}
}

// start runs the daemon and waits until its port accepts connections.
func (d *daemon) start() {
	d.t.Helper()
	out, err := os.OpenFile(filepath.Join(d.base, d.prog+".out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		d.t.Fatal(err)
	}
	d.out = out
	d.cmd = exec.Command(filepath.Join(binDir, d.prog), d.conf, "start", "--foreground")
	d.cmd.Stdout, d.cmd.Stderr = out, out
	if len(d.env) > 0 {
		d.cmd.Env = append(os.Environ(), d.env...)
	}
	// its own process group: a SIGINT to go test does not reach it first
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := d.cmd.Start(); err != nil {
		d.t.Fatalf("%s: %v", d.prog, err)
	}
	d.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); close(done) }(d.cmd, d.done)
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", d.addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-d.done:
			d.t.Fatalf("%s %s exited at start:\n%s", d.prog, d.conf, d.logTail())
		default:
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("%s never listened on %s:\n%s", d.prog, d.addr, d.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// running tells whether the process is alive.
func (d *daemon) running() bool {
	if d.done == nil {
		return false
	}
	select {
	case <-d.done:
		return false
	default:
		return true
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (d *daemon) kill() {
	if !d.running() {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGKILL)
	<-d.done
	d.out.Close()
}

// stop sends SIGTERM and waits for a clean exit (SIGKILL after 20 s).
func (d *daemon) stop() {
	if !d.running() {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(20 * time.Second):
		d.t.Errorf("%s did not stop on SIGTERM within 20 s; killing it", d.prog)
		d.kill()
	}
	d.out.Close()
}

// pid is the running process id (0 when stopped).
func (d *daemon) pid() int {
	if !d.running() {
		return 0
	}
	return d.cmd.Process.Pid
}

// logTail is the end of the daemon's stdout/stderr and log file, for failures.
func (d *daemon) logTail() string {
	var b strings.Builder
	for _, p := range []string{filepath.Join(d.base, d.prog+".out"), filepath.Join(d.base, "logs", logName(d.prog))} {
		data, _ := os.ReadFile(p)
		if len(data) > 4000 {
			data = data[len(data)-4000:]
		}
		fmt.Fprintf(&b, "--- %s\n%s", p, data)
	}
	return b.String()
}

func logName(prog string) string {
	if prog == "fdfs_trackerd" {
		return "trackerd.log"
	}
	return "storaged.log"
}

// cluster is a set of trackers and storages of one test.
type cluster struct {
	t        testing.TB
	dir      string
	trackers []*daemon
	storages []*daemon
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
	c := &cluster{t: t, dir: t.TempDir()}
	t.Cleanup(func() {
		for _, d := range append(append([]*daemon(nil), c.storages...), c.trackers...) {
			d.kill()
		}
		if t.Failed() {
			for _, d := range append(append([]*daemon(nil), c.trackers...), c.storages...) {
				t.Logf("%s", d.logTail())
			}
		}
	})
	return c
}

// addTracker starts a tracker on ip (a free port) with extra tracker.conf lines.
func (c *cluster) addTracker(ip string, extra ...string) *daemon {
	c.t.Helper()
	port := freePort(c.t, ip)
	base := filepath.Join(c.dir, "tracker"+strconv.Itoa(len(c.trackers)))
	conf := filepath.Join(base, "tracker.conf")
	writeFile(c.t, conf, fmt.Sprintf("base_path = %s\nbind_addr = %s\nport = %d\n"+
		"reserved_storage_space = 1%%\ncheck_active_interval = 10\nstore_path = 0\n%s",
		base, ip, port, lines(extra)))
	d := newDaemon(c.t, "fdfs_trackerd", conf, base, net.JoinHostPort(ip, strconv.Itoa(port)))
	c.trackers = append(c.trackers, d) // first: the cleanup kills it even if start fails
	d.start()
	return d
}

// addStorage starts a storage reporting to every tracker of the cluster.
// Its store paths have 4x4 data directories, not C's 256x256: making and
// removing 65,536 directories per store path takes longer on this shared
// disk than a whole short scenario, and no scenario needs them.
func (c *cluster) addStorage(s storageSpec) *daemon {
	c.t.Helper()
	if s.group == "" {
		s.group = "group1"
	}
	if s.port == 0 {
		s.port = freePort(c.t, s.ip)
	}
	base := filepath.Join(c.dir, "storage"+strconv.Itoa(len(c.storages)))
	if len(s.storePaths) == 0 {
		s.storePaths = []string{base}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "group_name = %s\nbase_path = %s\nbind_addr = %s\nport = %d\n"+
		"heart_beat_interval = 1\nstat_report_interval = 1\nsync_wait_msec = 50\nsubdir_count_per_path = 4\n"+
		"sync_binlog_buff_interval = 1\nsync_stat_file_interval = 1\nstore_path_count = %d\n",
		s.group, base, s.ip, s.port, len(s.storePaths))
	for i, p := range s.storePaths {
		if err := os.MkdirAll(p, 0o755); err != nil {
			c.t.Fatal(err)
		}
		fmt.Fprintf(&b, "store_path%d = %s\n", i, p)
	}
	for _, tr := range c.trackers {
		fmt.Fprintf(&b, "tracker_server = %s\n", tr.addr)
	}
	b.WriteString(lines(s.extra))
	conf := filepath.Join(base, "storage.conf")
	writeFile(c.t, conf, b.String())
	d := newDaemon(c.t, "fdfs_storaged", conf, base, net.JoinHostPort(s.ip, strconv.Itoa(s.port)))
	d.env = s.env
	c.storages = append(c.storages, d)
	d.start()
	return d
}

func lines(ls []string) string {
	var b strings.Builder
	for _, l := range ls {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

// client is an SDK client on every tracker of the cluster.
func (c *cluster) client(opts ...func(*client.Config)) *client.Client {
	c.t.Helper()
	cfg := client.Config{ConnectTimeout: 2 * time.Second, NetworkTimeout: 10 * time.Second}
	for _, tr := range c.trackers {
		cfg.Trackers = append(cfg.Trackers, tr.addr)
	}
	for _, o := range opts {
		o(&cfg)
	}
	cl, err := client.New(cfg)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { cl.Close() })
	return cl
}

// waitActive waits until every running tracker lists n ACTIVE storages in
// group, and gives the time it took.
func (c *cluster) waitActive(group string, n int) time.Duration {
	c.t.Helper()
	return c.waitStable(group, n, 0)
}

// waitStable is waitActive that also wants the state to hold for stable:
// right after a first start, a storage re-joins each follower tracker once
// it hears of the leader (its status there, INIT from the join reply,
// differs from the leader's ACTIVE; C's storage does the same), and the
// follower lists it OFFLINE for a moment.
func (c *cluster) waitStable(group string, n int, stable time.Duration) time.Duration {
	c.t.Helper()
	start := time.Now()
	deadline := start.Add(60 * time.Second)
	var since time.Time
	for {
		if c.allActive(group, n) {
			if since.IsZero() {
				since = time.Now()
			}
			if time.Since(since) >= stable {
				return since.Sub(start)
			}
		} else {
			since = time.Time{}
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("group %s: fewer than %d ACTIVE storages (for %v) after 60 s", group, n, stable)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *cluster) allActive(group string, n int) bool {
	for _, tr := range c.trackers {
		if !tr.running() {
			continue
		}
		one, err := client.New(client.Config{Trackers: []string{tr.addr}, ConnectTimeout: time.Second,
			NetworkTimeout: 2 * time.Second, MaxIdlePerServer: -1})
		if err != nil {
			c.t.Fatal(err)
		}
		sts, err := one.ListStorages(context.Background(), group, "")
		one.Close()
		active := 0
		for _, s := range sts {
			if s.Status == activeStatus {
				active++
			}
		}
		if err != nil || active < n {
			return false
		}
	}
	return true
}

// activeStatus is FDFS_STORAGE_STATUS_ACTIVE.
const activeStatus = 7

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
