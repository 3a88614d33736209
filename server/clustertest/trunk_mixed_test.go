package clustertest

import (
	"bytes"
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

// A mixed group, our trunk server with a C storage: the C storage's trunk
// uploads take their slots from our storage (TRUNK_ALLOC_SPACE and
// TRUNK_ALLOC_CONFIRM), which logs them in its trunk binlog as C's trunk
// server would, and the files are served.
func TestTrunkMixedOurTrunkServerCStorage(t *testing.T) {
	cBin := cBinary(t, "fdfs_storaged")
	blk := newBlock(t)
	tr := newTracker(t, blk.trackerIP(0), "use_trunk_file = true", "slot_min_size = 256",
		"trunk_file_size = 4MB", "check_active_interval = 2", "reserved_storage_space = 1M")
	cl := newClient(t, tr.addr)
	ours, theirs := blk.storageIP(0), blk.storageIP(1)
	port := sharedPort(t, ours, theirs)

	// ours has a trunk binlog (an allocation taken back), so it outranks the
	// C storage's empty one
	_, oursBase := startTrunkStorageProc(t, storageSpec{group: "group1", ip: ours, port: port, trackers: []string{tr.addr}},
		"1796626377 A 0 0 0 9 0 256\n1796626377 D 0 0 0 9 0 256\n")
	csp := storageSpec{group: "group1", ip: theirs, port: port, trackers: []string{tr.addr},
		extra: []string{"thread_stack_size = 512KB"}}
	cBase := t.TempDir()
	confPath := writeFile(t, filepath.Join(cBase, "storage.conf"), storageConfText(t, cBase, csp))
	seedSynced(t, cBase, theirs, port)
	startCProc(t, cBin, confPath)
	waitUntil(t, "both ACTIVE", statusIs(cl, "group1", client.StatusActive, ours, theirs))
	waitUntil(t, "ours the trunk server", trunkServerIs(cl, ours))

	cAddr := net.JoinHostPort(theirs, strconv.Itoa(port))
	on := client.StorageServer{Group: "group1", Addr: cAddr, StorePathIndex: -1}
	before, _ := os.ReadFile(filepath.Join(oursBase, "data", "trunk", "binlog"))
	for i := range 20 {
		data := bytes.Repeat([]byte(fmt.Sprintf("file %d ", i)), 10+i*13)
		var id string
		waitUntil(t, "trunk upload to the C storage", func() (bool, string) {
			var err error
			id, err = cl.Upload(ctx(t), bytes.NewReader(data), int64(len(data)), "txt", client.OnStorage(on))
			return err == nil, fmt.Sprint(err)
		})
		if !isTrunkID(t, id) {
			t.Fatalf("upload %d: %s is not in a trunk file", i, id)
		}
		var buf bytes.Buffer
		if _, err := cl.DownloadFrom(ctx(t), on, id, &buf, 0, 0); err != nil || !bytes.Equal(buf.Bytes(), data) {
			t.Fatalf("download %s from the C storage: %v", id, err)
		}
	}
	after, _ := os.ReadFile(filepath.Join(oursBase, "data", "trunk", "binlog"))
	var confirms int
	for _, l := range strings.Split(strings.TrimSuffix(string(after[len(before):]), "\n"), "\n") {
		var r codec.TrunkBinlogRecord
		if _, err := r.Parse([]byte(l + "\n")); err != nil {
			t.Fatalf("trunk binlog line %q: %v", l, err)
		}
		if r.Op == codec.TrunkBinlogDelete {
			confirms++
		}
	}
	// per upload: D of the free slot it was cut from, D of the confirmed piece
	if confirms < 40 {
		t.Fatalf("our trunk binlog logged %d D lines for 20 C uploads:\n%s", confirms, after[len(before):])
	}

	// a slave of a trunk master, on the C storage and on ours: the same
	// name shape (the master's whole name, trunk part included, then the
	// prefix), a plain file that downloads
	oursOn := client.StorageServer{Group: "group1", Addr: net.JoinHostPort(ours, strconv.Itoa(port)), StorePathIndex: -1}
	for _, at := range []client.StorageServer{on, oursOn} {
		var master string
		waitUntil(t, "trunk master upload to "+at.Addr, func() (bool, string) {
			var err error
			master, err = cl.Upload(ctx(t), strings.NewReader("trunk master"), 12, "txt", client.OnStorage(at))
			return err == nil, fmt.Sprint(err)
		})
		if !isTrunkID(t, master) {
			t.Fatalf("master %s on %s is not in a trunk file", master, at.Addr)
		}
		slave, err := cl.UploadSlave(ctx(t), master, "_s", "txt", strings.NewReader("slave"), 5)
		if err != nil || slave != strings.TrimSuffix(master, ".txt")+"_s.txt" {
			t.Fatalf("slave of trunk master %s on %s: %s %v", master, at.Addr, slave, err)
		}
		var buf bytes.Buffer
		if _, err := cl.DownloadFrom(ctx(t), at, slave, &buf, 0, 0); err != nil || buf.String() != "slave" {
			t.Fatalf("download slave %s from %s: %q %v", slave, at.Addr, buf.String(), err)
		}
	}
}
