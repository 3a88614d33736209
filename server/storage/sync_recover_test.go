package storage

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
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
	sourceVanishingModes
)

// TestSyncSourceVanishes: a new member's full-copy source is killed with
// SIGKILL while it copies. If the source comes back, it finishes the copy;
// if it is deleted from the group instead, the new member asks for another
// source (at once when the changelog says so; after GET_STATUS and
// SYNC_DEST_QUERY when every tracker refuses its SYNC_NOTIFY) and gets
// every file from it. Either way the member turns ACTIVE holding every file.
func TestSyncSourceVanishes(t *testing.T) {
	names := []string{"source returns", "source deleted", "source deleted while the member was down"}
	for mode := range sourceVanishingModes {
		t.Run(names[mode], func(t *testing.T) { testSourceVanishes(t, mode) })
	}
}

func testSourceVanishes(t *testing.T, mode int) {
	deleted := mode != sourceReturns
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
		if st, ok := m[c.ip]; ok && st.Status == statusSyncing {
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
	} else {
		time.Sleep(time.Second) // C waits with nothing to do
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
	if deleted {
		if _, src, _ := c.srv.SyncSource(); src != b.ip {
			t.Errorf("new member's source after the deletion: %q, want %s", src, b.ip)
		}
		if ok, state := treesEqual(b, c); !ok {
			t.Errorf("trees differ: %s", state)
		}
	} else if ok, state := treesEqual(a, b, c); !ok {
		t.Errorf("trees differ: %s", state)
	}
}
