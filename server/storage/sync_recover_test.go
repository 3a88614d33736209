package storage

import (
	"bytes"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/server/storage/replica"
)

// recoverBlock is the loopback block of the source-recovery tests (shared
// with no other package's tests).
const recoverBlock = "127.0.12."

// recoverGroup starts our tracker on 127.0.12.10 and returns its address
// and the port the storages share.
func recoverGroup(t *testing.T) (tracker string, port int) {
	tt := &testTracker{t: t, dir: t.TempDir(), host: recoverBlock + "10", port: freePort(t, recoverBlock+"10")}
	tt.start()
	t.Cleanup(tt.stop)
	return tt.addr(), freePort(t, recoverBlock+"2", recoverBlock+"3", recoverBlock+"4")
}

func newRecoverNode(t *testing.T, host, port int, tracker string) *syncNode {
	return newSyncNodeAt(t, fmt.Sprintf("%s%d", recoverBlock, host), port, tracker)
}

// How the full-copy source vanishes in TestSyncSourceVanishes.
const (
	sourceReturns       = iota // killed, started again
	sourceDeleted              // killed, deleted; the new member hears it in the storage changelog
	sourceDeletedMissed        // killed, deleted while the new member was down: SYNC_NOTIFY finds it unknown
	sourceNeverBack            // killed for good: the new member gives up on it after sourceGraceBeats
	sourceVanishingModes
)

// TestSyncSourceVanishes: a new member's full-copy source is killed with
// SIGKILL while it copies. If the source comes back, it finishes the copy;
// if it is deleted from the group instead, the new member asks for another
// source (at once when the changelog or the member list says so; after
// GET_STATUS and SYNC_DEST_QUERY when every tracker refuses its
// SYNC_NOTIFY; after sourceGraceBeats heartbeats when the source just
// stays OFFLINE) and gets every file from it. Either way the member turns
// ACTIVE holding every file.
func TestSyncSourceVanishes(t *testing.T) {
	names := []string{"source returns", "source deleted", "source deleted while the member was down",
		"source never back"}
	for mode := range sourceVanishingModes {
		// in parallel: each group has a port of its own, and the
		// variants mostly wait for heartbeats
		t.Run(names[mode], func(t *testing.T) { t.Parallel(); testSourceVanishes(t, mode) })
	}
}

func testSourceVanishes(t *testing.T, mode int) {
	deleted := mode == sourceDeleted || mode == sourceDeletedMissed
	tracker, port := recoverGroup(t)
	cl := syncClient(t, tracker)
	// A (lowest id: the source the tracker picks) in a process of its own
	a := newRecoverNode(t, 2, port, tracker)
	a.startChild()
	t.Cleanup(a.kill)
	waitUntil(t, a.ip+" ACTIVE", statusIs(cl, statusActive, a.ip))
	b := newRecoverNode(t, 3, port, tracker)
	b.start()
	t.Cleanup(b.stop)
	waitUntil(t, b.ip+" ACTIVE", statusIs(cl, statusActive, b.ip))
	ctx := ctxT(t)

	// enough data on A that its copy to the new member takes a while
	files := map[string][]byte{}
	for i := range 120 {
		n := a
		if i%6 == 5 {
			n = b
		}
		data := randBytes(uint64(7000+i), 40<<10+i*97)
		id, err := cl.Upload(ctx, bytes.NewReader(data), int64(len(data)), "bin", client.OnStorage(n.storage()))
		if err != nil {
			t.Fatal(err)
		}
		files[id] = data
	}
	everyFile := func(n *syncNode) func() (bool, string) {
		return func() (bool, string) {
			have := 0
			for id, data := range files {
				if n.hasFile(id, data) {
					have++
				}
			}
			return have == len(files), fmt.Sprintf("%s has %d of %d files", n.ip, have, len(files))
		}
	}
	waitUntil(t, "every file on B", everyFile(b))

	// C, the new member: A is its source; A dies as soon as it copies
	c := newRecoverNode(t, 4, port, tracker)
	c.start()
	t.Cleanup(c.stop)
	deadline := time.Now().Add(30 * time.Second)
	for {
		m, state := storagesAt(cl)
		if st, ok := m[c.ip]; ok && st.Status == replica.StatusSyncing {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the new member never SYNCING: %s", state)
		}
		time.Sleep(2 * time.Millisecond)
	}
	a.kill()
	_, had := everyFile(c)()
	t.Logf("source killed during the copy: %s", had)
	if ok, _ := everyFile(c)(); ok {
		t.Skip("the copy finished before the kill: nothing to recover (machine too fast for this test)")
	}
	if done, src, _ := c.srv.SyncSource(); !done || src != a.ip {
		t.Fatalf("new member's source: done %v src %q, want %s", done, src, a.ip)
	}
	var taps tapRecorder
	if deleted {
		if mode == sourceDeletedMissed {
			c.stop()
		}
		waitUntil(t, a.ip+" OFFLINE", statusIs(cl, statusOffline, a.ip))
		if err := cl.DeleteStorage(ctx, testGroup, a.ip); err != nil {
			t.Fatalf("delete the source: %v", err)
		}
		if mode == sourceDeletedMissed {
			c.start(withRequestTap(taps.tap))
		}
	} else if mode == sourceReturns {
		time.Sleep(time.Second) // the new member waits with nothing to do
		a.startChild()
	}
	waitUntil(t, "every file on the new member", everyFile(c))
	waitUntil(t, c.ip+" ACTIVE", statusIs(cl, statusActive, c.ip))
	if mode == sourceDeletedMissed {
		// C's path: SYNC_NOTIFY refused, GET_STATUS, SYNC_DEST_QUERY, SYNC_DEST_REQ
		var seq []string
		want := []byte{codec.CmdStorageSyncNotify, codec.CmdStorageGetStatus, codec.CmdStorageSyncDestQuery,
			codec.CmdStorageSyncDestReq}
		next := 0
		for _, r := range taps.snapshot() {
			if next < len(want) && r.cmd == want[next] {
				seq = append(seq, codec.CmdName(r.cmd))
				next++
			}
		}
		if next != len(want) {
			t.Errorf("requests after the restart: found %v in order, want 88, 71, 79, 87", seq)
		}
	}
	if mode != sourceReturns {
		if _, src, _ := c.srv.SyncSource(); src != b.ip {
			t.Errorf("new member's source after losing the first: %q, want %s", src, b.ip)
		}
		if ok, state := treesEqual(b, c); !ok {
			t.Errorf("trees differ: %s", state)
		}
	} else if ok, state := treesEqual(a, b, c); !ok {
		t.Errorf("trees differ: %s", state)
	}
}

// TestSyncMarkRenamedToStorageID: a cluster that switches to storage ids
// (use_storage_id) keeps its replication progress: the pusher's mark
// <ip>_<port>.mark becomes <id>.mark, as C renames it, and nothing already
// copied is sent again.
func TestSyncMarkRenamedToStorageID(t *testing.T) {
	host := recoverBlock + "10"
	tt := &testTracker{t: t, dir: t.TempDir(), host: host, port: freePort(t, host)}
	tt.start()
	t.Cleanup(tt.stop)
	taddr := tt.addr()
	port := freePort(t, recoverBlock+"2", recoverBlock+"3")
	cl := syncClient(t, taddr)
	// B first: A, the one whose mark we follow, is not B's full-copy
	// source (a source's mark would start a new copy episode anyway when
	// the restarted tracker hands out new until timestamps)
	b := newRecoverNode(t, 3, port, taddr)
	b.start()
	t.Cleanup(b.stop)
	waitUntil(t, "B ACTIVE", statusIs(cl, statusActive, b.ip))
	a := newRecoverNode(t, 2, port, taddr)
	a.start()
	t.Cleanup(a.stop)
	waitUntil(t, "both ACTIVE", statusIs(cl, statusActive, a.ip, b.ip))
	ctx := ctxT(t)
	upload := func(data []byte) {
		t.Helper()
		id, err := cl.Upload(ctx, bytes.NewReader(data), int64(len(data)), "bin", client.OnStorage(a.storage()))
		if err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "the file on B", func() (bool, string) { return b.hasFile(id, data), "" })
	}
	for i := range 5 {
		upload(randBytes(uint64(900+i), 5000))
	}
	ipMark := fmt.Sprintf("%s/data/sync/%s_%d.mark", a.dir, b.ip, port)
	idMark := a.dir + "/data/sync/100002.mark"
	waitUntil(t, "A's mark for B saved past the 5 files", func() (bool, string) {
		m, ok, err := replica.LoadMark(ipMark)
		return ok && m.SyncRows >= 5, fmt.Sprint(m, ok, err)
	})
	sentBefore, _ := a.srv.stats.SyncOutBytes() // kept in storage_stat.dat
	a.stop()
	b.stop()
	old, _, _ := replica.LoadMark(ipMark)
	tt.stop()

	// the tracker now with storage ids; its state is dropped so that only
	// the storages' side of the switch is under test here (the tracker's
	// conversion of IP-keyed state: TestStateFilesConvertedToStorageIDs)
	if err := os.RemoveAll(tt.dir + "/data"); err != nil {
		t.Fatal(err)
	}
	ids := fmt.Sprintf("100001 %s %s:%d\n100002 %s %s:%d\n", testGroup, a.ip, port, testGroup, b.ip, port)
	if err := os.WriteFile(tt.dir+"/storage_ids.conf", []byte(ids), 0o644); err != nil {
		t.Fatal(err)
	}
	tt.extra = fmt.Sprintf("use_storage_id = true\nstorage_ids_filename = %s/storage_ids.conf\n"+
		"id_type_in_filename = id\n", tt.dir)
	tt.start() // the same process slot, so the test's cleanup stops it
	a.start()
	b.start()
	waitUntil(t, "both ACTIVE again", statusIs(cl, statusActive, a.ip, b.ip))
	upload([]byte("after the switch"))
	waitUntil(t, "A's mark for B under B's id", func() (bool, string) {
		m, ok, err := replica.LoadMark(idMark)
		return ok && m.SyncRows > old.SyncRows, fmt.Sprint(m, ok, err)
	})
	if _, err := os.Stat(ipMark); !os.IsNotExist(err) {
		t.Errorf("the IP mark is still there (%v)", err)
	}
	m, _, _ := replica.LoadMark(idMark)
	if m.SyncRows != old.SyncRows+1 || m.BinlogOffset <= old.BinlogOffset {
		t.Errorf("mark after the switch %+v, before %+v: want the old position plus the one new file", m, old)
	}
	sentAfter, _ := a.srv.stats.SyncOutBytes()
	if sent := sentAfter - sentBefore; sent != int64(len("after the switch")) {
		t.Errorf("A sent %d content bytes to B after the switch, want only the new file's %d", sent,
			len("after the switch"))
	}
}
