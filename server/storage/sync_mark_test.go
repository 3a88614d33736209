package storage

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/server/storage/replica"
)

// TestSyncCorruptMarkSetAside: a pusher that finds its mark file unreadable
// syncs the peer from the start, as C does, but keeps the damaged file as
// <mark>.corrupt.<time> instead of saving the new mark over it.
func TestSyncCorruptMarkSetAside(t *testing.T) {
	host := recoverBlock + "40"
	tt := &testTracker{t: t, dir: t.TempDir(), host: host, port: freePort(t, host)}
	tt.start()
	t.Cleanup(tt.stop)
	port := freePort(t, recoverBlock+"41", recoverBlock+"42")
	cl := syncClient(t, tt.addr())
	b := newRecoverNode(t, 42, port, tt.addr())
	b.start()
	t.Cleanup(b.stop)
	waitUntil(t, "B ACTIVE", statusIs(cl, statusActive, b.ip))
	a := newRecoverNode(t, 41, port, tt.addr())
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
	upload(randBytes(4100, 3000))
	mark := fmt.Sprintf("%s/data/sync/%s_%d.mark", a.dir, b.ip, port)
	waitUntil(t, "A's mark for B saved", func() (bool, string) {
		_, ok, err := replica.LoadMark(mark)
		return ok, fmt.Sprint(err)
	})
	a.stop()
	garbage := []byte("binlog_index=x\nbinlog_offset=-5\n")
	if err := os.WriteFile(mark, garbage, 0o644); err != nil {
		t.Fatal(err)
	}
	a.start()
	upload(randBytes(4101, 3000))
	waitUntil(t, "a fresh mark beside the damaged one", func() (bool, string) {
		kept, _ := filepath.Glob(mark + ".corrupt.*")
		_, ok, err := replica.LoadMark(mark)
		return len(kept) == 1 && ok, fmt.Sprint(kept, ok, err)
	})
	kept, _ := filepath.Glob(mark + ".corrupt.*")
	if got, err := os.ReadFile(kept[0]); err != nil || !bytes.Equal(got, garbage) {
		t.Fatalf("%s: %q, %v; want the damaged mark as it was", kept[0], got, err)
	}
}
