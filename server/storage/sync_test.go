package storage

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/conf"
)

// TestSyncChildStorage is not a test: the kill -9 tests re-execute the test
// binary with it to run a storage in a process of its own.
func TestSyncChildStorage(t *testing.T) {
	path := os.Getenv("GOFDFS_SYNC_CHILD_CONF")
	if path == "" {
		t.Skip("only runs as the child of a replication test")
	}
	cfg, err := conf.LoadStorage(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, WithLogger(quietLogger()), WithMulticore(false))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	// the parent kills us; a parent that died first must not leave us behind
	time.Sleep(3 * time.Minute)
	os.Exit(0)
}

// syncGroup starts our tracker on 127.0.5.10 and returns its address and the
// port the storages share.
func syncGroup(t *testing.T) (tracker string, port int) {
	tt := &testTracker{t: t, dir: t.TempDir(), host: syncBlock + "10", port: freePort(t, syncBlock+"10")}
	tt.start()
	t.Cleanup(tt.stop)
	return tt.addr(), freePort(t, syncBlock+"2", syncBlock+"3", syncBlock+"4", syncBlock+"5")
}

// startMember starts a fresh storage and waits until the tracker has it ACTIVE.
func startMember(t *testing.T, cl *client.Client, host, port int, tracker string) *syncNode {
	n := newSyncNode(t, host, port, tracker)
	n.start()
	t.Cleanup(n.stop)
	waitUntil(t, n.ip+" ACTIVE", statusIs(cl, statusActive, n.ip))
	return n
}

// TestSyncGroup: a group of three fresh storages; every kind of operation
// done on any member reaches the others byte for byte; QUERY_FETCH only
// names storages that have the file; a fourth member gets a full copy and
// turns ACTIVE; a wiped member resyncs.
func TestSyncGroup(t *testing.T) {
	tracker, port := syncGroup(t)
	cl := syncClient(t, tracker)
	var taps tapRecorder // what A, the full-copy source, asks the tracker
	a := newSyncNode(t, 2, port, tracker)
	a.start(withRequestTap(taps.tap))
	t.Cleanup(a.stop)
	waitUntil(t, a.ip+" ACTIVE", statusIs(cl, statusActive, a.ip))
	b := startMember(t, cl, 3, port, tracker)
	c := startMember(t, cl, 4, port, tracker)
	nodes := []*syncNode{a, b, c}
	ctx := ctxT(t)

	upload := func(n *syncNode, data []byte, ext string, opts ...client.UploadOption) string {
		t.Helper()
		id, err := cl.Upload(ctx, bytes.NewReader(data), int64(len(data)), ext,
			append([]client.UploadOption{client.OnStorage(n.storage())}, opts...)...)
		if err != nil {
			t.Fatalf("upload to %s: %v", n.ip, err)
		}
		return id
	}
	// on A: a file, one with metadata, metadata merged later (U), a slave
	f1 := upload(a, []byte("hello fastdfs: sync create file #1\n"), "txt")
	fm := upload(a, randBytes(1, 5000), "jpg", client.WithMetadata(client.Meta{Name: "w", Value: "100"}))
	if err := cl.SetMetadata(ctx, fm, []client.Meta{{Name: "h", Value: "200"}}, true); err != nil {
		t.Fatal(err)
	}
	slave, err := cl.UploadSlave(ctx, f1, "_big", "txt", bytes.NewReader([]byte("slave body")), 10)
	if err != nil {
		t.Fatal(err)
	}
	// on B: an appender through append, modify, truncate; one renamed;
	// a file larger than a network buffer (received by a worker). Each
	// step waits until it is everywhere, so that each goes on the wire by
	// itself (otherwise the pusher may find the final file and skip steps,
	// as C does).
	settle := func(ids ...string) {
		t.Helper()
		waitUntil(t, "the step on every member", func() (bool, string) {
			for _, id := range ids {
				want, werr := os.ReadFile(b.filePath(id))
				for _, n := range nodes {
					got, err := os.ReadFile(n.filePath(id))
					if (werr == nil) != (err == nil) || !bytes.Equal(got, want) {
						return false, n.ip + " differs on " + id
					}
				}
			}
			return true, ""
		})
	}
	ap, err := cl.UploadAppender(ctx, bytes.NewReader([]byte("0123456789012345678901234567890123456789")), 40, "log",
		client.OnStorage(b.storage()))
	if err != nil {
		t.Fatal(err)
	}
	settle(ap)
	if err := cl.Append(ctx, ap, bytes.NewReader([]byte("+appended-tail+\n")), 16); err != nil {
		t.Fatal(err)
	}
	settle(ap)
	if err := cl.Modify(ctx, ap, 10, bytes.NewReader([]byte("MODIFIED")), 8); err != nil {
		t.Fatal(err)
	}
	settle(ap)
	if err := cl.Truncate(ctx, ap, 50); err != nil {
		t.Fatal(err)
	}
	settle(ap)
	ap2, err := cl.UploadAppender(ctx, bytes.NewReader([]byte("to be renamed")), 13, "dat", client.OnStorage(b.storage()))
	if err != nil {
		t.Fatal(err)
	}
	settle(ap2)
	renamed, err := cl.Regenerate(ctx, ap2)
	if err != nil {
		t.Fatal(err)
	}
	settle(ap2, renamed)
	big := upload(b, randBytes(2, 3<<20), "bin")
	// on C: one file kept, one deleted
	keep := upload(c, []byte("kept"), "txt")
	gone := upload(c, []byte("deleted soon"), "txt")
	if err := cl.Delete(ctx, gone); err != nil {
		t.Fatal(err)
	}

	waitUntil(t, "the three trees identical", func() (bool, string) { return treesEqual(nodes...) })
	for _, n := range nodes {
		for _, id := range []string{f1, fm, slave, ap, renamed, big, keep} {
			if _, err := os.Lstat(n.filePath(id)); err != nil {
				t.Errorf("%s lacks %s: %v", n.ip, id, err)
			}
		}
		for _, id := range []string{gone, ap2} {
			if _, err := os.Lstat(n.filePath(id)); err == nil {
				t.Errorf("%s still has %s", n.ip, id)
			}
		}
		if !n.hasFile(ap, []byte("0123456789MODIFIED8901234567890123456789+appended-")) {
			b, _ := os.ReadFile(n.filePath(ap))
			t.Errorf("%s: appender content %q", n.ip, b)
		}
	}
	for _, n := range nodes {
		if got := binlogOps(t, n); got == "" {
			t.Errorf("%s: empty binlog", n.ip)
		}
	}
	// the replica lines of B's appender on A: c, a, m, t, and the rename r
	if ops := binlogOps(t, a); !containsAll(ops, "c", "a", "m", "t", "r", "C", "U") {
		t.Errorf("A's binlog ops %q lack some of c a m t r C U", ops)
	}

	// the sync counters reach the tracker with the beats
	waitUntil(t, "sync byte counters at the tracker", func() (bool, string) {
		m, state := storagesAt(cl)
		for _, n := range nodes {
			st := m[n.ip].Stat
			if st.SuccessSyncInBytes <= 0 || st.SuccessSyncOutBytes <= 0 || st.LastSyncUpdate <= 0 {
				return false, fmt.Sprintf("%s %s: in %d out %d last %d", state, n.ip, st.SuccessSyncInBytes,
					st.SuccessSyncOutBytes, st.LastSyncUpdate)
			}
		}
		return true, ""
	})

	// QUERY_FETCH names only storages that have the file
	for i := range 30 {
		n := nodes[i%3]
		data := randBytes(uint64(100+i), 100+i)
		id := upload(n, data, "q")
		st, err := cl.QueryFetch(ctx, id)
		if err != nil {
			t.Fatalf("QUERY_FETCH %s: %v", id, err)
		}
		var got bytes.Buffer
		if _, err := cl.DownloadFrom(ctx, st, id, &got, 0, 0); err != nil || !bytes.Equal(got.Bytes(), data) {
			t.Fatalf("QUERY_FETCH sent the client to %s for %s (uploaded to %s): %v", st.Addr, id, n.ip, err)
		}
	}

	// a fourth member gets everything and turns ACTIVE
	d := newSyncNode(t, 5, port, tracker)
	d.start()
	t.Cleanup(d.stop)
	waitUntil(t, "the new member ACTIVE", statusIs(cl, statusActive, d.ip))
	nodes = append(nodes, d)
	waitUntil(t, "the new member holds everything", func() (bool, string) { return treesEqual(nodes...) })
	if flag, _ := os.ReadFile(d.dir + "/data/.data_init_flag"); !bytes.Contains(flag, []byte("sync_old_done=1\n")) {
		t.Errorf(".data_init_flag of the new member: %s", flag)
	}
	// the source asked who copies to D (86), pushed D SYNCING then OFFLINE
	// (76, brief port 0 as C), in that order (cluster.md §4.4, §1.6)
	var seq []string
	for _, r := range taps.snapshot() {
		switch r.cmd {
		case codec.CmdStorageSyncSrcReq:
			var q codec.SyncSourceRequest
			if q.Decode(r.body) == nil && string(q.DestID) == d.ip {
				seq = append(seq, "86")
			}
		case codec.CmdStorageReportStatus:
			var q codec.ReportStatusRequest
			if q.Decode(r.body) == nil && string(q.Storage.ID) == d.ip && q.Storage.Port == 0 {
				seq = append(seq, fmt.Sprintf("76:%d", q.Storage.Status))
			}
		}
	}
	if got := strings.Join(seq, " "); !strings.HasPrefix(got, "86 76:2 76:5") {
		t.Errorf("the source's requests about the new member: %q, want 86 76:2 76:5", got)
	}

	// a member whose data was wiped resyncs fully (fastdfs#921)
	c.stop()
	c.wipe()
	c.start()
	waitUntil(t, "the wiped member ACTIVE", statusIs(cl, statusActive, c.ip))
	waitUntil(t, "the wiped member holds everything again", func() (bool, string) { return treesEqual(nodes...) })

	// a replaced disk (store path empty, the rest of base_path intact) is
	// told by its missing store path mark and filled again
	b.stop()
	if err := os.RemoveAll(b.dir + "/sp0"); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(b.dir+"/sp0", 0o755); err != nil {
		t.Fatal(err)
	}
	b.start()
	waitUntil(t, "the member with a new disk ACTIVE", statusIs(cl, statusActive, b.ip))
	waitUntil(t, "the new disk holds everything", func() (bool, string) { return treesEqual(nodes...) })

	// and normal sync goes on: a new file everywhere
	last := upload(d, []byte("after the resync"), "txt")
	waitUntil(t, "the last file everywhere", func() (bool, string) {
		for _, n := range nodes {
			if !n.hasFile(last, []byte("after the resync")) {
				return false, n.ip + " lacks it"
			}
		}
		return true, ""
	})
}

func containsAll(s string, subs ...string) bool {
	for _, x := range subs {
		if !bytes.Contains([]byte(s), []byte(x)) {
			return false
		}
	}
	return true
}

// binlogOps is the op letters of a node's binlog, in order.
func binlogOps(t *testing.T, n *syncNode) string {
	data, err := os.ReadFile(n.dir + "/data/sync/binlog.000")
	if err != nil {
		return ""
	}
	var ops []byte
	for _, line := range bytes.Split(data, []byte{'\n'}) {
		f := bytes.SplitN(line, []byte{' '}, 3)
		if len(f) == 3 && len(f[1]) == 1 {
			ops = append(ops, f[1][0])
		}
	}
	return string(ops)
}

// TestSyncSurvivesKill: a member killed with SIGKILL during a stream of
// uploads loses no file it acknowledged, and the group converges once it
// is back.
func TestSyncSurvivesKill(t *testing.T) {
	tracker, port := syncGroup(t)
	cl := syncClient(t, tracker)
	a := startMember(t, cl, 2, port, tracker)
	b := newSyncNode(t, 3, port, tracker)
	b.startChild()
	t.Cleanup(b.kill)
	waitUntil(t, "the child storage ACTIVE", statusIs(cl, statusActive, b.ip))
	c := startMember(t, cl, 4, port, tracker)
	ctx := ctxT(t)

	// one uploader per member, uploading without pause until told to stop
	var mu sync.Mutex
	acked := map[string][]byte{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for k, n := range []*syncNode{a, b, c} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				data := randBytes(uint64(k*100000+i), 200+i%50*37)
				id, err := cl.Upload(ctx, bytes.NewReader(data), int64(len(data)), "k", client.OnStorage(n.storage()))
				if err != nil {
					time.Sleep(20 * time.Millisecond) // B is down
					continue
				}
				mu.Lock()
				acked[id] = data
				mu.Unlock()
			}
		}()
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	waitUntil(t, "uploads acknowledged", func() (bool, string) { return count() >= 60, fmt.Sprint(count()) })
	b.kill() // SIGKILL in the middle of the stream
	before := count()
	waitUntil(t, "uploads to the others go on", func() (bool, string) { return count() >= before+30, fmt.Sprint(count()) })
	b.startChild()
	waitUntil(t, "the restarted storage ACTIVE", statusIs(cl, statusActive, b.ip))
	before = count()
	waitUntil(t, "more uploads", func() (bool, string) { return count() >= before+30, fmt.Sprint(count()) })
	close(stop)
	wg.Wait()
	t.Logf("%d uploads acknowledged", len(acked))
	waitUntil(t, "every acknowledged file on every member", func() (bool, string) {
		for id, data := range acked {
			for _, n := range []*syncNode{a, b, c} {
				if !n.hasFile(id, data) {
					return false, fmt.Sprintf("%s lacks %s", n.ip, id)
				}
			}
		}
		return true, ""
	})
	if ok, state := treesEqual(a, c); !ok {
		t.Errorf("trees differ: %s", state)
	}
	// B may hold one more file: an upload the kill cut between the file's
	// rename and its binlog line (C has the same window); it was never
	// acknowledged, so nobody knows its ID, and it is not replicated
	ta, tb := a.tree(), b.tree()
	for name := range tb {
		if _, ok := ta[name]; ok {
			continue
		}
		if _, wasAcked := acked[testGroup+"/M00/"+filepath.ToSlash(name)]; wasAcked {
			t.Errorf("%s holds acknowledged %s that the others lack", b.ip, name)
		} else {
			t.Logf("%s holds %s, an upload cut by the kill (never acknowledged)", b.ip, name)
		}
		delete(tb, name)
	}
	if d := treeDiff(ta, tb); d != "" {
		t.Errorf("trees differ: %s vs %s: %s", a.ip, b.ip, d)
	}
}

// TestSyncReplicationLag measures upload acknowledged -> file on a peer
// (logged, not asserted: speed is for benchmarks).
func TestSyncReplicationLag(t *testing.T) {
	tracker, port := syncGroup(t)
	cl := syncClient(t, tracker)
	a := startMember(t, cl, 2, port, tracker)
	b := startMember(t, cl, 3, port, tracker)
	ctx := ctxT(t)
	n := 200
	if testing.Short() {
		n = 50
	}
	// warm-up: the pusher is connected once the first file is across
	warm := []byte("warm-up")
	wid, err := cl.Upload(ctx, bytes.NewReader(warm), int64(len(warm)), "lag", client.OnStorage(a.storage()))
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the first file on the peer", func() (bool, string) { return b.hasFile(wid, warm), "" })
	measure := func(n, size int) {
		lags := make([]time.Duration, 0, n)
		for i := range n {
			data := randBytes(uint64(i), size)
			id, err := cl.Upload(ctx, bytes.NewReader(data), int64(len(data)), "lag", client.OnStorage(a.storage()))
			if err != nil {
				t.Fatal(err)
			}
			acked := time.Now()
			p := b.filePath(id)
			for {
				// the file appears under its name only whole (rename)
				if _, err := os.Stat(p); err == nil {
					break
				}
				if time.Since(acked) > 20*time.Second {
					t.Fatalf("%s not on the peer after 20 s", id)
				}
				time.Sleep(100 * time.Microsecond)
			}
			lags = append(lags, time.Since(acked))
		}
		sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
		t.Logf("replication lag over %d uploads of %d bytes: p50 %v, p90 %v, p99 %v, max %v",
			n, size, lags[n/2], lags[n*9/10], lags[n*99/100], lags[n-1])
	}
	measure(n, 1024)
	measure(n/10, 1<<20)
}
