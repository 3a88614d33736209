package clustertest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/internal/testcluster"
	"github.com/gofdfs/gofdfs/internal/testcluster/inproc"
	"github.com/gofdfs/gofdfs/server/storage"
	"github.com/gofdfs/gofdfs/server/tracker"
)

// builder builds the daemons once for the whole package, on first use, so
// that a run of only the in-process tests does not pay for the build.
var builder testcluster.Builder

func TestMain(m *testing.M) {
	code := m.Run()
	builder.Remove()
	os.Exit(code)
}

// daemon returns the path of a built daemon (fdfs_trackerd, fdfs_storaged).
func daemon(t testing.TB, name string) string {
	t.Helper()
	builder.MustBin(t, testcluster.Daemons...)
	return builder.MustPath(t, name)
}

// block hands every cluster its own ten addresses of 127.0.6.0/24, so that
// clusters of parallel tests never share an (ip, port): storages are
// .k1-.k4 (ids, i.e. IPs, sort in that order), trackers .k6-.k8, for k in
// 2..24 (server/tracker's tests use .1-.19). No address ends in 0, which a
// file ID would misread as a storage id (cluster.md §4.9). The blocks are
// reused round robin (go test -count=N): a run has fewer clusters than
// blocks, and the clusters of a run are gone before the next one starts.
var nextBlock atomic.Int32

const firstBlock, blocks = 2, 23

type block struct{ base int }

func newBlock(t testing.TB) block {
	n := int(nextBlock.Add(1)-1) % blocks
	return block{base: 10 * (firstBlock + n)}
}

func (b block) storageIP(i int) string { return "127.0.6." + strconv.Itoa(b.base+1+i) }
func (b block) trackerIP(i int) string { return "127.0.6." + strconv.Itoa(b.base+6+i) }

// sharedPort finds a port free on every given address (a group's storages
// share one port).
func sharedPort(t testing.TB, ips ...string) int {
	t.Helper()
	return testcluster.Shared(t, ips...)
}

func logger() *slog.Logger {
	if os.Getenv("CLUSTERTEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// --- trackers -------------------------------------------------------------

// trackerNode is an in-process tracker that can be stopped and started again
// on the same address and base_path.
type trackerNode struct {
	t     testing.TB
	addr  string // ip:port, fixed after the first start
	base  string
	lines []string
	srv   *tracker.Server
	in    *inproc.Tracker
}

// newTracker starts a tracker on ip:<ephemeral port> with tracker.conf lines.
func newTracker(t testing.TB, ip string, lines ...string) *trackerNode {
	t.Helper()
	n := &trackerNode{t: t, addr: ip + ":0", base: t.TempDir(), lines: lines}
	n.start()
	t.Cleanup(n.stop)
	return n
}

// trackerConfText is the tracker.conf of a test tracker with more lines.
func trackerConfText(base string, lines []string) string {
	return "base_path = " + base + "\nport = 22122\nconnect_timeout = 2\nnetwork_timeout = 5\n" +
		strings.Join(lines, "\n") + "\n"
}

// start runs the tracker in this process (inproc.Tracker), on the address of
// its first run.
func (n *trackerNode) start() {
	n.t.Helper()
	n.in = &inproc.Tracker{TB: n.t, Addr: n.addr, Dir: n.base, Text: trackerConfText(n.base, n.lines),
		Opts: []tracker.Option{tracker.WithLogger(logger()), tracker.WithLeaderInterval(100 * time.Millisecond)}}
	n.in.Start()
	n.srv, n.addr = n.in.Srv, n.in.Addr
}

func (n *trackerNode) stop() {
	if n.in == nil {
		return
	}
	n.in.Stop()
	n.srv = nil
}

// trackerProc is fdfs_trackerd run as a separate process (--foreground).
type trackerProc struct {
	addr string
	base string
	d    *testcluster.Daemon
}

func startTrackerProc(t testing.TB, ip string, lines ...string) *trackerProc {
	t.Helper()
	base := t.TempDir()
	port := sharedPort(t, ip)
	text := fmt.Sprintf("base_path = %s\nbind_addr = %s\nport = %d\nconnect_timeout = 2\nnetwork_timeout = 5\n%s\n",
		base, ip, port, strings.Join(lines, "\n"))
	path := writeFile(t, filepath.Join(base, "tracker.conf"), text)
	d := startProc(t, daemon(t, "fdfs_trackerd"), path)
	return &trackerProc{addr: d.Addr, base: base, d: d}
}

// --- storages -------------------------------------------------------------

// storageSpec describes one storage of a test cluster.
type storageSpec struct {
	group    string
	ip       string
	port     int
	trackers []string
	pathMB   []int // size of each store path's tmpfs; 0: a plain directory of the test's disk
	fillMB   []int // MiB written into each (tmpfs) path before the storage starts
	priority int   // upload_priority (0: the default 10)
	extra    []string
}

// storageConfText is a storage.conf with short intervals; store paths are
// created (and mounted) under base.
func storageConfText(t testing.TB, base string, sp storageSpec) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "group_name=%s\nbase_path=%s\nbind_addr=%s\nport=%d\n", sp.group, base, sp.ip, sp.port)
	fmt.Fprintf(&b, "heart_beat_interval=1\nstat_report_interval=1\nsubdir_count_per_path=2\n")
	fmt.Fprintf(&b, "connect_timeout=2\nnetwork_timeout=5\n")
	if sp.priority != 0 {
		fmt.Fprintf(&b, "upload_priority=%d\n", sp.priority)
	}
	for _, tr := range sp.trackers {
		fmt.Fprintf(&b, "tracker_server=%s\n", tr)
	}
	paths := sp.pathMB
	if len(paths) == 0 {
		paths = []int{0}
	}
	fmt.Fprintf(&b, "store_path_count=%d\n", len(paths))
	for i, mb := range paths {
		dir := filepath.Join(base, "sp"+strconv.Itoa(i))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if mb > 0 {
			mountTmpfs(t, dir, mb)
		}
		if i < len(sp.fillMB) && sp.fillMB[i] > 0 {
			fill(t, dir, sp.fillMB[i])
		}
		fmt.Fprintf(&b, "store_path%d=%s\n", i, dir)
	}
	b.WriteString(strings.Join(sp.extra, "\n"))
	b.WriteByte('\n')
	return b.String()
}

// seedSynced writes .data_init_flag as a storage that finished its first
// sync setup long ago: it joins with init_flag 0 and needs no full copy
// from a peer (replication is not what these tests are about).
func seedSynced(t testing.TB, base, ip string, port int) {
	t.Helper()
	flag := fmt.Sprintf("storage_join_time=%d\nsync_old_done=1\nsync_src_server=\nsync_until_timestamp=0\n"+
		"last_ip_addr=%s\nlast_server_port=%d\ncurrent_trunk_file_id=0\ntrunk_last_compress_time=0\n"+
		"trunk_binlog_compress_stage=0\n", time.Now().Unix()-3600, ip, port)
	writeFile(t, filepath.Join(base, "data", ".data_init_flag"), flag)
}

// startStorageNode runs an in-process storage.
func startStorageNode(t testing.TB, sp storageSpec) *storageNode {
	t.Helper()
	n := &storageNode{t: t, base: t.TempDir(), spec: sp}
	writeFile(t, filepath.Join(n.base, "storage.conf"), storageConfText(t, n.base, sp))
	seedSynced(t, n.base, sp.ip, sp.port)
	n.start()
	t.Cleanup(n.stop)
	return n
}

// storageNode is an in-process storage that can be restarted on its
// base_path, e.g. with another tracker list.
type storageNode struct {
	t    testing.TB
	base string
	spec storageSpec
	srv  *storage.Server
	in   *inproc.Storage
}

// start (re)starts the storage from base/storage.conf in this process
// (inproc.Storage).
func (n *storageNode) start() {
	n.t.Helper()
	n.in = &inproc.Storage{TB: n.t, Addr: net.JoinHostPort(n.spec.ip, strconv.Itoa(n.spec.port)),
		Conf: filepath.Join(n.base, "storage.conf"),
		Opts: []storage.Option{storage.WithLogger(logger()), storage.WithMulticore(false)}}
	n.in.Start()
	n.srv = n.in.Srv
}

func (n *storageNode) stop() {
	if n.in == nil {
		return
	}
	n.in.Stop()
	n.srv = nil
}

// reconfigure restarts the storage with another tracker list (store paths
// and data stay).
func (n *storageNode) reconfigure(trackers ...string) {
	n.t.Helper()
	n.stop()
	path := filepath.Join(n.base, "storage.conf")
	old, err := os.ReadFile(path)
	if err != nil {
		n.t.Fatal(err)
	}
	var keep []string
	for _, l := range strings.Split(strings.TrimSpace(string(old)), "\n") {
		if !strings.HasPrefix(l, "tracker_server=") {
			keep = append(keep, l)
		}
	}
	for _, tr := range trackers {
		keep = append(keep, "tracker_server="+tr)
	}
	writeFile(n.t, path, strings.Join(keep, "\n")+"\n")
	n.spec.trackers = trackers
	n.start()
}

// storageProc is fdfs_storaged run as a separate process (--foreground), for
// kill -9 and SIGSTOP.
type storageProc struct {
	spec storageSpec
	cmd  *testcluster.Daemon
}

func startStorageProc(t testing.TB, sp storageSpec) *storageProc {
	t.Helper()
	base := t.TempDir()
	path := writeFile(t, filepath.Join(base, "storage.conf"), storageConfText(t, base, sp))
	seedSynced(t, base, sp.ip, sp.port)
	return &storageProc{spec: sp, cmd: startProc(t, daemon(t, "fdfs_storaged"), path)}
}

func (p *storageProc) signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Signal(sig); err != nil {
		t.Fatalf("signal %v to storage %s: %v", sig, p.spec.ip, err)
	}
}

// startProc starts the daemon bin on the conf the test wrote, waits until it
// listens, and kills it when the test ends (SIGCONT first, in case the test
// left it stopped), printing its logs if the test failed.
func startProc(t testing.TB, bin, confPath string) *testcluster.Daemon {
	t.Helper()
	d, err := testcluster.FromConf(bin, confPath)
	if err != nil {
		t.Fatal(err)
	}
	return testcluster.Run(t, d)
}

// mountTmpfs mounts a tmpfs of sizeMB on dir, so that a store path has a
// free space of its own that the test chooses. Without the privilege to
// mount, the test is skipped: the space policies cannot be shown on one
// shared disk.
func mountTmpfs(t testing.TB, dir string, sizeMB int) {
	t.Helper()
	opts := "size=" + strconv.Itoa(sizeMB) + "m"
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, opts); err != nil {
		t.Skipf("mount tmpfs on %s: %v (needs CAP_SYS_ADMIN)", dir, err)
	}
	t.Cleanup(func() {
		for range 50 {
			if err := syscall.Unmount(dir, 0); err == nil || errors.Is(err, syscall.EINVAL) {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		syscall.Unmount(dir, syscall.MNT_DETACH)
	})
}

// fill writes a file of mb MiB into dir (a tmpfs store path), taking that
// space from what the storage reports as free.
func fill(t testing.TB, dir string, mb int) {
	t.Helper()
	writeFile(t, filepath.Join(dir, "filler"), strings.Repeat("x", mb<<20))
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

// --- clients and polling --------------------------------------------------

// newClient is the SDK talking to the given trackers, in that order.
func newClient(t testing.TB, trackers ...string) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{Trackers: trackers, MaxIdlePerServer: -1,
		ConnectTimeout: 2 * time.Second, NetworkTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// waitUntil is testcluster.WaitUntil: the shared poll-until-it-holds.
var waitUntil = testcluster.WaitUntil

// storages lists a group at a tracker by IP.
func storages(c *client.Client, group string) (map[string]codec.StorageStat, string) {
	cx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	list, err := c.ListStorages(cx, group, "")
	if err != nil {
		return nil, err.Error()
	}
	m := map[string]codec.StorageStat{}
	var b strings.Builder
	for _, st := range list {
		ip := string(codec.FixedBytes(st.IP))
		m[ip] = st
		fmt.Fprintf(&b, "%s=%d ", ip, st.Status)
	}
	return m, group + ": " + b.String()
}

// statusIs holds when every ip of the group has status want at the tracker.
func statusIs(c *client.Client, group string, want byte, ips ...string) func() (bool, string) {
	return func() (bool, string) {
		m, state := storages(c, group)
		for _, ip := range ips {
			if st, ok := m[ip]; !ok || st.Status != want {
				return false, state
			}
		}
		return true, state
	}
}

// ipOf is the host part of a storage address the tracker handed out.
func ipOf(s client.StorageServer) string {
	host, _, _ := net.SplitHostPort(s.Addr)
	return host
}

// restart starts the killed storage again on the same conf and base_path.
func (p *storageProc) restart(t testing.TB) {
	t.Helper()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
}
