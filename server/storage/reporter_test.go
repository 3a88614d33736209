package storage

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/codec/capture"
	"github.com/gofdfs/gofdfs/conf"
	"github.com/gofdfs/gofdfs/internal/testcluster"
)

// freePort is testcluster.Shared: a port free on every one of hosts.
var freePort = testcluster.Shared

// trackerBin builds our fdfs_trackerd once for this test binary: the
// storage's tests talk to a real tracker process, so that storage and tracker
// never import each other, not even in test code.
var trackerBin testcluster.Builder

// testTracker is one of our trackers (a real fdfs_trackerd process) on
// host:port (host default 127.0.0.10) with its base_path in dir.
type testTracker struct {
	t     testing.TB
	dir   string
	host  string // default 127.0.0.10
	port  int
	extra string // more tracker.conf lines, written at every start
	d     *testcluster.Daemon
}

func (tt *testTracker) addr() string {
	host := tt.host
	if host == "" {
		host = "127.0.0.10"
	}
	return net.JoinHostPort(host, strconv.Itoa(tt.port))
}

// start writes the conf and runs the tracker until it listens; the first
// start makes the process the test's (killed at its end, logs shown if it
// failed).
func (tt *testTracker) start() {
	tt.t.Helper()
	host, _, _ := net.SplitHostPort(tt.addr())
	text := fmt.Sprintf("base_path = %s\nport = %d\nbind_addr = %s\nreserved_storage_space = 1%%\n"+
		"check_active_interval = 30\n%s", tt.dir, tt.port, host, tt.extra)
	cf := filepath.Join(tt.dir, "tracker.conf")
	if err := testcluster.WriteFile(cf, text); err != nil {
		tt.t.Fatalf("tracker conf: %v", err)
	}
	if tt.d == nil {
		tt.d = &testcluster.Daemon{Prog: "fdfs_trackerd", Bin: trackerBin.MustBin(tt.t, "fdfs_trackerd"),
			Conf: cf, Base: tt.dir, Addr: tt.addr()}
		testcluster.Watch(tt.t, tt.d)
	}
	if err := tt.d.Start(); err != nil {
		tt.t.Fatalf("tracker start: %v", err)
	}
}

// stop ends the tracker with SIGTERM, as an operator would.
func (tt *testTracker) stop() {
	if tt.d == nil || !tt.d.Running() {
		return
	}
	if err := tt.d.Stop(10 * time.Second); err != nil {
		tt.t.Errorf("tracker stop: %v", err)
	}
}

func startTestTracker(t *testing.T) *testTracker {
	tt := &testTracker{t: t, dir: t.TempDir(), port: freePort(t, "127.0.0.10")}
	tt.start()
	t.Cleanup(tt.stop)
	return tt
}

// reporterConf is a storage.conf for a storage bound to ip reporting to trackers.
func reporterConf(t testing.TB, dir, ip string, port int, trackers ...string) *conf.Storage {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "group_name=%s\nbase_path=%s\nbind_addr=%s\nport=%d\n", testGroup, dir, ip, port)
	fmt.Fprintf(&b, "heart_beat_interval=1\nstat_report_interval=1\nsubdir_count_per_path=4\n")
	for _, tr := range trackers {
		fmt.Fprintf(&b, "tracker_server=%s\n", tr)
	}
	sp := filepath.Join(dir, "sp0")
	if err := os.MkdirAll(sp, 0o755); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "store_path_count=1\nstore_path0=%s\n", sp)
	cfg, err := conf.ParseStorage("storage.conf", []byte(b.String()))
	if err != nil {
		t.Fatalf("parse conf: %v", err)
	}
	return cfg
}

// startReportingStorage starts a storage on ip:port reporting to the
// trackers. synced pre-sets .data_init_flag as a storage that finished its
// first sync setup long ago (JOIN init_flag 0: no sync source needed; a
// fresh second member waits for a full copy from its source, which needs
// replication).
func startReportingStorage(t testing.TB, ip string, port int, synced bool, opts []Option, trackers ...string) *Server {
	t.Helper()
	dir := t.TempDir()
	cfg := reporterConf(t, dir, ip, port, trackers...)
	if synced {
		if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
			t.Fatal(err)
		}
		flag := fmt.Sprintf("storage_join_time=%d\nsync_old_done=1\nsync_src_server=\nsync_until_timestamp=0\n"+
			"last_ip_addr=%s\nlast_server_port=%d\ncurrent_trunk_file_id=0\ntrunk_last_compress_time=0\n"+
			"trunk_binlog_compress_stage=0\n", time.Now().Unix()-3600, ip, port)
		if err := os.WriteFile(filepath.Join(dir, "data", dataInitFlagName), []byte(flag), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	opts = append([]Option{WithLogger(quietLogger()), WithMulticore(false)}, opts...)
	s, err := New(cfg, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := s.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { stopServer(t, s) })
	return s
}

// waitUntil is testcluster.WaitUntil: the shared poll-until-it-holds.
var waitUntil = testcluster.WaitUntil

// storagesAt lists the group's storages at the tracker by IP.
func storagesAt(cl *client.Client) (map[string]codec.StorageStat, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	list, err := cl.ListStorages(ctx, testGroup, "")
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
	return m, b.String()
}

func statusIs(cl *client.Client, want byte, ips ...string) func() (bool, string) {
	return func() (bool, string) {
		m, state := storagesAt(cl)
		for _, ip := range ips {
			if st, ok := m[ip]; !ok || st.Status != want {
				return false, state
			}
		}
		return true, state
	}
}

func TestReporterCluster(t *testing.T) {
	tt := startTestTracker(t)
	port := freePort(t, "127.0.0.2", "127.0.0.3", "127.0.0.4")
	cl, err := client.New(client.Config{Trackers: []string{tt.addr()}, MaxIdlePerServer: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()

	// a fresh first member: JOIN init_flag 1, SYNC_DEST_REQ -> ONLINE, BEAT -> ACTIVE
	changes := make(chan ChangelogEntry, 16)
	a := startReportingStorage(t, "127.0.0.2", port, false,
		[]Option{OnChangelog(func(e ChangelogEntry) { changes <- e })}, tt.addr())
	waitUntil(t, "the first storage ACTIVE", statusIs(cl, statusActive, "127.0.0.2"))
	if done, _, _ := a.SyncSource(); !done {
		t.Errorf(".data_init_flag sync_old_done is not 1 after SYNC_DEST_REQ")
	}
	b := startReportingStorage(t, "127.0.0.3", port, true, nil, tt.addr())
	waitUntil(t, "both storages ACTIVE", statusIs(cl, statusActive, "127.0.0.2", "127.0.0.3"))

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	data := bytes.Repeat([]byte("reporter "), 1000)
	id, err := cl.Upload(ctx, bytes.NewReader(data), int64(len(data)), "txt")
	if err != nil {
		t.Fatalf("upload through the tracker: %v", err)
	}
	var got bytes.Buffer
	if _, err := cl.Download(ctx, id, &got, 0, 0); err != nil {
		t.Fatalf("download %s: %v", id, err)
	}
	if !bytes.Equal(got.Bytes(), data) {
		t.Fatalf("downloaded %d bytes, want the %d uploaded", got.Len(), len(data))
	}
	// the source field of the name is the IP the tracker told the storage
	name := id[len(testGroup)+1:]
	rf, err := codec.ParseRemoteFilename([]byte(name), 1)
	if err != nil {
		t.Fatal(err)
	}
	f, err := rf.Fields()
	if err != nil {
		t.Fatal(err)
	}
	src := f.Source
	if src != codec.SourceFromIPv4([4]byte{127, 0, 0, 2}) && src != codec.SourceFromIPv4([4]byte{127, 0, 0, 3}) {
		t.Errorf("file %s: source %#x is neither storage's IP", id, src)
	}

	// BEAT and DISK_USAGE reached the tracker
	waitUntil(t, "upload counters and disk space at the tracker", func() (bool, string) {
		m, state := storagesAt(cl)
		var uploads, dl, bytesUp int64
		var maxConns int32
		for _, st := range m {
			uploads += st.Stat.SuccessUploadCount
			dl += st.Stat.SuccessDownloadCount
			bytesUp += st.Stat.SuccessUploadBytes
			maxConns = max(maxConns, st.Stat.Connection.MaxCount)
			if st.Stat.SuccessUploadCount > 0 && st.Stat.LastSourceUpdate == 0 {
				return false, state + " (no last_source_update)"
			}
			if st.TotalMB <= 0 || st.FreeMB <= 0 {
				return false, state + " (no disk space yet)"
			}
		}
		return uploads == 1 && dl == 1 && bytesUp == int64(len(data)) && maxConns >= 1,
			fmt.Sprintf("%s uploads=%d downloads=%d bytes=%d max_conns=%d", state, uploads, dl, bytesUp, maxConns)
	})

	// both storages see both in the leader's member list
	for _, s := range []*Server{a, b} {
		waitUntil(t, "member list from change notices", func() (bool, string) {
			members, _ := s.Members()
			ids := map[string]bool{}
			for _, m := range members {
				ids[m.ID] = true
			}
			return ids["127.0.0.2"] && ids["127.0.0.3"], fmt.Sprint(members)
		})
		if l, ok := s.Leader(); !ok || l.IP != "127.0.0.10" || l.Port != tt.port {
			t.Errorf("leader = %+v, %v; want 127.0.0.10:%d", l, ok, tt.port)
		}
	}

	// tracker down: the storages keep serving clients
	tt.stop()
	direct := client.StorageServer{Group: testGroup, Addr: a.Addr().String()}
	id2, err := cl.Upload(ctx, bytes.NewReader(data[:100]), 100, "bin", client.OnStorage(direct))
	if err != nil {
		t.Fatalf("upload while the tracker is down: %v", err)
	}
	tt.start()
	waitUntil(t, "both storages ACTIVE after the tracker restart", statusIs(cl, statusActive, "127.0.0.2", "127.0.0.3"))
	got.Reset()
	if _, err := cl.Download(ctx, id2, &got, 0, 0); err != nil || !bytes.Equal(got.Bytes(), data[:100]) {
		t.Fatalf("download %s after the restart: %v (%d bytes)", id2, err, got.Len())
	}

	// a fresh member of a group with an ACTIVE storage gets a sync source
	// (SYNC_DEST_REQ) and its full copy (WAIT_SYNC, SYNCING, OFFLINE, then
	// ACTIVE: the copy of a few files may pass the first states quickly)
	c := startReportingStorage(t, "127.0.0.4", port, false, nil, tt.addr())
	waitUntil(t, "the new member WAIT_SYNC or later", func() (bool, string) {
		m, state := storagesAt(cl)
		st, ok := m["127.0.0.4"]
		return ok && st.Status != statusInit && st.Status != statusOnline, state
	})
	waitUntil(t, "the sync source in .data_init_flag", func() (bool, string) {
		f, err := os.ReadFile(filepath.Join(c.cfg.BasePath, "data", dataInitFlagName))
		return err == nil && bytes.Contains(f, []byte("sync_old_done=1\n")) &&
			(bytes.Contains(f, []byte("sync_src_server=127.0.0.2\n")) || bytes.Contains(f, []byte("sync_src_server=127.0.0.3\n"))), string(f)
	})

	// a's pusher to b has its mark file before b goes: the retirement
	// checked below needs one (on a loaded machine the pusher's setup can
	// still be retrying when the test gets here)
	mark := filepath.Join(a.cfg.BasePath, "data", "sync", fmt.Sprintf("127.0.0.3_%d.mark", port))
	waitUntil(t, "a's mark file for b", func() (bool, string) {
		_, err := os.Stat(mark)
		return err == nil, fmt.Sprint(err)
	})

	// a stopped storage goes OFFLINE at once (QUIT / close on its report connection)
	stopServer(t, b)
	waitUntil(t, "the stopped storage OFFLINE", statusIs(cl, statusOffline, "127.0.0.3"))
	if m, state := storagesAt(cl); m["127.0.0.2"].Status != statusActive {
		t.Errorf("the running storage is not ACTIVE: %s", state)
	}

	// deleting it reaches the others through CHANGELOG_REQ after a beat
	if err := cl.DeleteStorage(ctx, testGroup, "127.0.0.3"); err != nil {
		t.Fatalf("DELETE_STORAGE: %v", err)
	}
	select {
	case e := <-changes:
		if e.ID != "127.0.0.3" || e.Status != 4 || e.Timestamp == 0 {
			t.Errorf("changelog entry %+v", e)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("no changelog entry for the deleted storage")
	}
	// and its mark file on the other storage is retired as C does
	waitUntil(t, "the deleted peer's mark retired", func() (bool, string) {
		old, _ := filepath.Glob(mark + ".2*")
		_, err := os.Stat(mark)
		return len(old) == 1 && err != nil, fmt.Sprint(old, err)
	})
}

// TestReporterTrackerDown: a storage whose tracker does not answer serves
// clients anyway and stops promptly.
func TestReporterTrackerDown(t *testing.T) {
	port := freePort(t, "127.0.0.4")
	dead := net.JoinHostPort("127.0.0.10", strconv.Itoa(freePort(t, "127.0.0.10")))
	s := startReportingStorage(t, "127.0.0.4", port, false, nil, dead)
	cl, err := client.New(client.Config{Trackers: []string{dead}, MaxIdlePerServer: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st := client.StorageServer{Group: testGroup, Addr: s.Addr().String()}
	if _, err := cl.Upload(ctx, strings.NewReader("x"), 1, "", client.OnStorage(st)); err != nil {
		t.Fatalf("upload without a tracker: %v", err)
	}
}

// tapRecorder collects what a reporter sends.
type tapRecorder struct {
	mu   sync.Mutex
	reqs []tapReq
}

type tapReq struct {
	cmd  byte
	body []byte
}

func (r *tapRecorder) tap(cmd byte, body []byte) {
	r.mu.Lock()
	r.reqs = append(r.reqs, tapReq{cmd, bytes.Clone(body)})
	r.mu.Unlock()
}

func (r *tapRecorder) snapshot() []tapReq {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]tapReq(nil), r.reqs...)
}

// WithRequestTap is for tests: fn sees every request a reporter sends.
func withRequestTap(fn func(cmd byte, body []byte)) Option {
	return func(s *Server) { s.tap = fn }
}

// TestReporterReplayStartupFresh compares the requests a fresh storage's
// reporter sends with those of the C storage 127.0.0.3 in capture
// cluster_startup_fresh (one tracker, first member of the group): the
// command sequence up to the first DISK_USAGE, and every body field except
// times, ports and disk sizes.
func TestReporterReplayStartupFresh(t *testing.T) {
	dir, err := capture.Dir()
	if err != nil {
		t.Skip(err)
	}
	ex, err := capture.LoadFile(filepath.Join(dir, "cluster", "cluster_startup_fresh.payload.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var want []*capture.Message
	for _, e := range ex {
		if strings.HasPrefix(e.Request.From, "127.0.0.3:") && e.Request.To == "127.0.0.10:22122" {
			want = append(want, e.Request)
		}
	}
	// 60, 82, 75, 81, 87, 88, 83, 77, 84
	const n = 9
	if len(want) < n {
		t.Fatalf("capture holds %d requests of 127.0.0.3", len(want))
	}
	want = want[:n]

	tt := startTestTracker(t)
	var rec tapRecorder
	port := freePort(t, "127.0.0.3")
	startReportingStorage(t, "127.0.0.3", port, false, []Option{withRequestTap(rec.tap)}, tt.addr())
	var got []tapReq
	waitUntil(t, "the first DISK_USAGE", func() (bool, string) {
		got = rec.snapshot()
		return len(got) >= n, fmt.Sprint(len(got), " requests")
	})
	got = got[:n]
	for i := range n {
		w, g := want[i], got[i]
		if g.cmd != w.Cmd || len(g.body) != len(w.Body) {
			t.Fatalf("request %d: cmd %d with %d bytes, C sent cmd %d with %d bytes", i, g.cmd, len(g.body), w.Cmd, len(w.Body))
		}
		switch g.cmd {
		case codec.CmdStorageGetMyIP:
			// group[17] the same; the port is ours
			if !bytes.Equal(g.body[:codec.GroupNameStatSize], w.Body[:codec.GroupNameStatSize]) {
				t.Errorf("GET_MY_IP group field %x, C %x", g.body[:17], w.Body[:17])
			}
			if p := codec.Int32(g.body[codec.GroupNameStatSize:]); int(p) != port {
				t.Errorf("GET_MY_IP port %d, listening on %d", p, port)
			}
		case codec.CmdStorageJoin:
			var gj, wj codec.StorageJoinRequest
			if err := gj.Decode(g.body); err != nil {
				t.Fatal(err)
			}
			if err := wj.Decode(w.Body); err != nil {
				t.Fatal(err)
			}
			if int(gj.StoragePort) != port || gj.SubdirCountPerPath != 4 || gj.JoinTime == 0 || gj.UpTime == 0 {
				t.Errorf("JOIN port %d subdirs %d join %d up %d", gj.StoragePort, gj.SubdirCountPerPath, gj.JoinTime, gj.UpTime)
			}
			if string(gj.TrackerList) != tt.addr()+"\n" {
				t.Errorf("JOIN tracker list %q", gj.TrackerList)
			}
			// the rest as C
			gj.StoragePort, gj.SubdirCountPerPath, gj.JoinTime, gj.UpTime, gj.TrackerList = 0, 0, 0, 0, nil
			wj.StoragePort, wj.SubdirCountPerPath, wj.JoinTime, wj.UpTime, wj.TrackerList = 0, 0, 0, 0, nil
			if fmt.Sprintf("%+v", gj) != fmt.Sprintf("%+v", wj) {
				t.Errorf("JOIN body\n ours %+v\n C    %+v", gj, wj)
			}
		case codec.CmdStorageReportDiskUsage:
			// sizes are this machine's
		default:
			if !bytes.Equal(g.body, w.Body) {
				t.Errorf("request %d (cmd %d): body\n ours %x\n C    %x", i, g.cmd, g.body, w.Body)
			}
		}
	}
}

// TestReporterTwoTrackers: one reporter per tracker_server; both trackers
// list the storages ACTIVE, and the member list comes from the leader.
func TestReporterTwoTrackers(t *testing.T) {
	port := freePort(t, "127.0.0.10", "127.0.0.11")
	t1 := &testTracker{t: t, dir: t.TempDir(), port: port}
	t2 := &testTracker{t: t, dir: t.TempDir(), port: port}
	t1.start()
	t.Cleanup(t1.stop)
	t2.host = "127.0.0.11"
	t2.start()
	t.Cleanup(t2.stop)

	sport := freePort(t, "127.0.0.2", "127.0.0.3")
	// a is fresh (JOIN init_flag 1: SYNC_DEST_REQ to the first tracker
	// that accepts, SYNC_NOTIFY to both), b finished its setup long ago
	var rec tapRecorder
	a := startReportingStorage(t, "127.0.0.2", sport, false, []Option{withRequestTap(rec.tap)}, t1.addr(), t2.addr())
	cl1, err := client.New(client.Config{Trackers: []string{t1.addr()}, MaxIdlePerServer: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer cl1.Close()
	waitUntil(t, "the first storage ACTIVE", statusIs(cl1, statusActive, "127.0.0.2"))
	startReportingStorage(t, "127.0.0.3", sport, true, nil, t1.addr(), t2.addr())
	for _, tr := range []*testTracker{t1, t2} {
		cl, err := client.New(client.Config{Trackers: []string{tr.addr()}, MaxIdlePerServer: -1})
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		waitUntil(t, "both storages ACTIVE at "+tr.addr(), statusIs(cl, statusActive, "127.0.0.2", "127.0.0.3"))
	}
	waitUntil(t, "member list from the leader", func() (bool, string) {
		members, _ := a.Members()
		l, ok := a.Leader()
		return len(members) == 2 && ok && (l.IP == "127.0.0.10" || l.IP == "127.0.0.11"), fmt.Sprint(members, l)
	})
	// the one SYNC_DEST_REQ of the storage's life; a CHANGE_STATUS (sent
	// when a tracker's view of us differs from the leader's) is followed by
	// a re-JOIN, and does not repeat in a loop
	var reqs []tapReq
	waitUntil(t, "a JOIN after every CHANGE_STATUS", func() (bool, string) {
		reqs = rec.snapshot()
		pending := false
		for _, r := range reqs {
			switch r.cmd {
			case codec.CmdStorageChangeStatus:
				pending = true
			case codec.CmdStorageJoin:
				pending = false
			}
		}
		return !pending, fmt.Sprint(len(reqs), " requests")
	})
	dest, changes := 0, 0
	for _, r := range reqs {
		switch r.cmd {
		case codec.CmdStorageSyncDestReq:
			dest++
		case codec.CmdStorageChangeStatus:
			changes++
		}
	}
	if dest != 1 {
		t.Errorf("%d SYNC_DEST_REQ, want 1", dest)
	}
	if changes > 2 {
		t.Errorf("%d CHANGE_STATUS: a status loop", changes)
	}
}

// setMembers gives s the member list a leader's change notice would (tests
// that drive the replication without a tracker).
func setMembers(s *Server, list []Peer) { s.peers.SetMembers(list) }
