package clustertest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
)

// trunkPeer is one storage of a two-storage trunk group: ours or C's.
type trunkPeer struct {
	ip, base string
	on       client.StorageServer
}

// startTrunkPeer runs our fdfs_storaged, or C's when c is set, with the
// given trunk binlog already in its base path (the larger one wins the
// trunk-server election).
func startTrunkPeer(t *testing.T, c bool, sp storageSpec, binlog string) trunkPeer {
	t.Helper()
	p := trunkPeer{ip: sp.ip, on: client.StorageServer{Group: sp.group,
		Addr: net.JoinHostPort(sp.ip, strconv.Itoa(sp.port)), StorePathIndex: -1}}
	if !c {
		_, p.base = startTrunkStorageProc(t, sp, binlog)
		return p
	}
	bin := cBinary(t, "fdfs_storaged")
	// C flushes its binlogs every sync_binlog_buff_interval (60 s when unset)
	sp.extra = append(sp.extra, "thread_stack_size = 512KB", "sync_binlog_buff_interval = 1")
	p.base = t.TempDir()
	confPath := writeFile(t, filepath.Join(p.base, "storage.conf"), storageConfText(t, p.base, sp))
	seedSynced(t, p.base, sp.ip, sp.port)
	writeFile(t, filepath.Join(p.base, "data", "trunk", "binlog"), binlog)
	startCProc(t, bin, confPath)
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(p.base, "logs", "storaged.log"))
			t.Logf("C storage %s log:\n%s", sp.ip, b)
		}
	})
	return p
}

// trunkGroup starts a tracker with the given keys and a group of two
// storages on one port, each ours or C's: the first, with a trunk binlog
// that has used container 9 already, becomes the trunk server. It returns
// once both are ACTIVE and the first is the trunk server.
func trunkGroup(t *testing.T, trunkIsC, memberIsC bool, trackerKeys ...string) (*client.Client, trunkPeer, trunkPeer) {
	t.Helper()
	blk := newBlock(t)
	tr := newTracker(t, blk.trackerIP(0), trackerKeys...)
	cl := newClient(t, tr.addr)
	tip, mip := blk.storageIP(0), blk.storageIP(1)
	port := sharedPort(t, tip, mip)
	spec := func(ip string) storageSpec {
		return storageSpec{group: "group1", ip: ip, port: port, trackers: []string{tr.addr}}
	}
	trunkSrv := startTrunkPeer(t, trunkIsC, spec(tip), "1796626377 A 0 0 0 9 0 256\n1796626377 D 0 0 0 9 0 256\n")
	member := startTrunkPeer(t, memberIsC, spec(mip), "")
	waitUntil(t, "both ACTIVE", statusIs(cl, "group1", client.StatusActive, tip, mip))
	waitUntil(t, tip+" the trunk server", trunkServerIs(cl, tip))
	return cl, trunkSrv, member
}

// runTrunkGroupSync checks replication in a group of a trunk server and a
// member (each ours or C's, as asked): files uploaded to either are in
// trunk slots and served by both; the member's trunk binlog becomes the
// trunk server's byte for byte, and the trunk server's mark for it
// records the whole binlog; files deleted on the trunk server go from the
// member's slots too.
func runTrunkGroupSync(t *testing.T, trunkIsC, memberIsC bool) {
	cl, trunkSrv, member := trunkGroup(t, trunkIsC, memberIsC, "use_trunk_file = true", "slot_min_size = 256",
		"trunk_file_size = 4MB", "check_active_interval = 2", "reserved_storage_space = 1M")
	t.Logf("group up, %s trunk server", trunkSrv.ip)

	type file struct {
		id   string
		data []byte
	}
	var files []file
	for i := range 24 {
		on := trunkSrv.on
		if i%2 == 1 {
			on = member.on // the member takes its slots from the trunk server
		}
		data := bytes.Repeat([]byte(fmt.Sprintf("trunk sync %d ", i)), 5+i*37)
		var id string
		waitUntil(t, "trunk upload", func() (bool, string) {
			var err error
			id, err = cl.Upload(ctx(t), bytes.NewReader(data), int64(len(data)), "txt", client.OnStorage(on))
			return err == nil, fmt.Sprint(err)
		})
		if !isTrunkID(t, id) {
			t.Fatalf("upload %d to %s: %s is not in a trunk file", i, on.Addr, id)
		}
		files = append(files, file{id, data})
	}
	serves := func(p trunkPeer, f file) func() (bool, string) {
		return func() (bool, string) {
			var buf bytes.Buffer
			_, err := cl.DownloadFrom(ctx(t), p.on, f.id, &buf, 0, 0)
			return err == nil && bytes.Equal(buf.Bytes(), f.data), fmt.Sprintf("%s from %s: %v", f.id, p.ip, err)
		}
	}
	t.Logf("%d files uploaded", len(files))
	for _, f := range files {
		waitUntil(t, "served by the trunk server", serves(trunkSrv, f))
		waitUntil(t, "served by the member", serves(member, f))
	}
	t.Logf("all served by both")

	binlogOf := func(p trunkPeer) []byte {
		b, _ := os.ReadFile(filepath.Join(p.base, "data", "trunk", "binlog"))
		return b
	}
	waitUntil(t, "the member's trunk binlog is the trunk server's", func() (bool, string) {
		a, b := binlogOf(trunkSrv), binlogOf(member)
		return len(a) > 0 && bytes.Equal(a, b), fmt.Sprintf("trunk server %d bytes, member %d", len(a), len(b))
	})
	mark := filepath.Join(trunkSrv.base, "data", "trunk", strings.Replace(member.on.Addr, ":", "_", 1)+".mark")
	waitUntil(t, "the trunk server's mark for the member", func() (bool, string) {
		b, err := os.ReadFile(mark)
		want := "binlog_offset=" + strconv.Itoa(len(binlogOf(trunkSrv))) + "\n"
		return string(b) == want, fmt.Sprintf("%q %v, want %q", b, err, want)
	})

	t.Logf("trunk binlog synced")

	// the trunk server reports its last container id and free space to
	// the tracker (fdfs_monitor's current_trunk_file_id and trunk_free_mb):
	// one 4 MB container, a few KB of it used
	waitUntil(t, "the trunk server's reports listed", func() (bool, string) {
		g, err := cl.ListGroup(ctx(t), "group1")
		return err == nil && g.CurrentTrunkFileID == 1 && g.TrunkFreeMB == 3,
			fmt.Sprintf("current_trunk_file_id %d trunk_free_mb %d %v", g.CurrentTrunkFileID, g.TrunkFreeMB, err)
	})
	waitUntil(t, "current_trunk_file_id in the trunk server's .data_init_flag", func() (bool, string) {
		b, _ := os.ReadFile(filepath.Join(trunkSrv.base, "data", ".data_init_flag"))
		return bytes.Contains(b, []byte("\ncurrent_trunk_file_id=1\n")), string(b)
	})
	// deletes on the trunk server reach the member's slots
	for i := 0; i < 6; i += 2 {
		f := files[i]
		if err := cl.Delete(ctx(t), f.id); err != nil {
			t.Fatalf("delete %s: %v", f.id, err)
		}
		waitUntil(t, "deleted on the member", func() (bool, string) {
			_, err := cl.DownloadFrom(ctx(t), member.on, f.id, &bytes.Buffer{}, 0, 0)
			return errors.Is(err, codec.ENOENT), fmt.Sprint(err)
		})
	}
	for _, f := range files[6:] {
		if ok, why := serves(member, f)(); !ok {
			t.Fatalf("after the deletes: %s", why)
		}
	}
}

// Our trunk server and our member.
func TestTrunkSyncOursToOurs(t *testing.T) { runTrunkGroupSync(t, false, false) }

// Our trunk server, a C member: C takes our trunk binlog (TRUNK_SYNC_BINLOG
// after a truncate) and our files, which it writes into its own slots.
func TestTrunkSyncOursToC(t *testing.T) { runTrunkGroupSync(t, false, true) }

// A C trunk server, our member: our storage takes C's trunk binlog, C's
// trunk files into its slots, and allocates its own uploads at C's trunk
// server (TRUNK_ALLOC_SPACE / TRUNK_ALLOC_CONFIRM as a client).
func TestTrunkSyncCToOurs(t *testing.T) { runTrunkGroupSync(t, true, false) }
