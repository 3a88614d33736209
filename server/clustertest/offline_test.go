package clustertest

import (
	"syscall"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
)

// startProcGroup runs n fdfs_storaged processes of group1 on the block's
// storage addresses (one shared port) and waits until all are ACTIVE.
func startProcGroup(t *testing.T, blk block, cl *client.Client, n int, trackers ...string) []*storageProc {
	t.Helper()
	var ips []string
	for i := range n {
		ips = append(ips, blk.storageIP(i))
	}
	port := sharedPort(t, ips...)
	var procs []*storageProc
	for _, ip := range ips {
		procs = append(procs, startStorageProc(t, storageSpec{group: "group1", ip: ip, port: port, trackers: trackers}))
	}
	waitUntil(t, "every storage ACTIVE", statusIs(cl, "group1", client.StatusActive, ips...))
	return procs
}

// handedOut asks QUERY_STORE for group1 n times and counts the storages named.
func handedOut(t *testing.T, cl *client.Client, n int) map[string]int {
	t.Helper()
	seen := map[string]int{}
	for range n {
		s, err := cl.QueryStore(ctx(t), "group1")
		if err != nil {
			t.Fatalf("QUERY_STORE group1: %v", err)
		}
		seen[ipOf(s)]++
	}
	return seen
}

// A storage killed with SIGKILL turns OFFLINE as soon as the kernel closes its
// connections, long before check_active_interval (04_storage_offline), is no
// longer handed out, and is ACTIVE again after a restart.
func TestStorageKilledTurnsOffline(t *testing.T) {
	t.Parallel()
	blk := newBlock(t)
	const checkActive = 60 * time.Second
	tr := newTracker(t, blk.trackerIP(0), "check_active_interval = 60", "reserved_storage_space = 1M",
		"download_server = 1")
	cl := newClient(t, tr.addr)
	procs := startProcGroup(t, blk, cl, 2, tr.addr)
	a, b := blk.storageIP(0), blk.storageIP(1)
	if seen := handedOut(t, cl, 4); seen[a] != 2 || seen[b] != 2 {
		t.Fatalf("before the kill QUERY_STORE named %v, want both twice", seen)
	}

	killed := time.Now()
	procs[1].signal(t, syscall.SIGKILL)
	waitUntil(t, b+" OFFLINE", statusIs(cl, "group1", client.StatusOffline, b))
	// the heartbeat check could not have fired yet: this was the closed
	// connection (no duration of ours is asserted, only C's rule)
	if since := time.Since(killed); since >= checkActive {
		t.Fatalf("OFFLINE only after %v, the heartbeat path; want it on connection close", since)
	}
	if m, state := storages(cl, "group1"); m[a].Status != client.StatusActive {
		t.Fatalf("the survivor is not ACTIVE: %s", state)
	}
	if seen := handedOut(t, cl, 6); seen[a] != 6 {
		t.Errorf("after the kill QUERY_STORE named %v, want only %s", seen, a)
	}
	// a file created on the dead storage: download_server 1 wants the source,
	// which is not readable, so the round robin picks the survivor; an update
	// goes to the group's store server
	old := fileIDAt("group1", b, time.Now().Add(-48*time.Hour), false)
	if s, err := cl.QueryFetch(ctx(t), old); err != nil || ipOf(s) != a {
		t.Errorf("QUERY_FETCH of a file of the dead storage: %v %v, want %s", s, err, a)
	}
	if s, err := cl.QueryUpdate(ctx(t), old); err != nil || ipOf(s) != a {
		t.Errorf("QUERY_UPDATE of a file of the dead storage: %v %v, want %s", s, err, a)
	}
	if all, err := cl.QueryFetchAll(ctx(t), old); err != nil || len(all) != 1 || ipOf(all[0]) != a {
		t.Errorf("QUERY_FETCH_ALL of a file of the dead storage: %v %v, want only %s", all, err, a)
	}

	procs[1].restart(t)
	waitUntil(t, b+" ACTIVE again", statusIs(cl, "group1", client.StatusActive, a, b))
	if seen := handedOut(t, cl, 4); seen[a] != 2 || seen[b] != 2 {
		t.Errorf("after the restart QUERY_STORE named %v, want both twice", seen)
	}
}

// A storage that hangs (SIGSTOP) keeps its connections open, so only the
// heartbeat check can notice: it turns OFFLINE once check_active_interval has
// passed since its last beat, is not handed out any more, and a beat after
// SIGCONT makes it ACTIVE again (04b_storage_hang_sigstop).
func TestStorageHangTurnsOfflineAfterCheckActive(t *testing.T) {
	t.Parallel()
	blk := newBlock(t)
	const checkActive = 3 // seconds
	tr := newTracker(t, blk.trackerIP(0), "check_active_interval = 3", "reserved_storage_space = 1M")
	cl := newClient(t, tr.addr)
	procs := startProcGroup(t, blk, cl, 2, tr.addr)
	a, b := blk.storageIP(0), blk.storageIP(1)

	procs[1].signal(t, syscall.SIGSTOP)
	var lastBeat int64
	var offAt time.Time
	waitUntil(t, b+" OFFLINE", func() (bool, string) {
		m, state := storages(cl, "group1")
		st, ok := m[b]
		if !ok {
			return false, state
		}
		if st.Status != client.StatusOffline {
			lastBeat = st.Stat.LastHeartBeatTime
			return false, state
		}
		offAt = time.Now()
		if st.Stat.LastHeartBeatTime != 0 {
			lastBeat = st.Stat.LastHeartBeatTime
		}
		return true, state
	})
	// the tracker turned it OFFLINE when now - last beat > check_active_interval
	if lastBeat == 0 {
		t.Fatal("no last heartbeat time listed for the hung storage")
	}
	if gap := offAt.Unix() - lastBeat; gap < checkActive {
		t.Errorf("OFFLINE seen %d s after the last beat, want >= check_active_interval %d s", gap, checkActive)
	}
	if seen := handedOut(t, cl, 6); seen[a] != 6 {
		t.Errorf("while hung QUERY_STORE named %v, want only %s", seen, a)
	}

	procs[1].signal(t, syscall.SIGCONT)
	waitUntil(t, b+" ACTIVE after SIGCONT", statusIs(cl, "group1", client.StatusActive, a, b))
	if seen := handedOut(t, cl, 4); seen[a] != 2 || seen[b] != 2 {
		t.Errorf("after SIGCONT QUERY_STORE named %v, want both twice", seen)
	}
}
