package clustertest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
)

// The C reference for TestTrunkMergeDeletesUnusedTrunkFile (package
// storage): a C 6.16 trunk server with trunk_free_space_merge and
// delete_unused_trunk_files, whose first trunk file's files are all
// deleted, removes that trunk file when it becomes trunk server again
// (a restart: its free space is merged while storage_trunk.dat is saved)
// and keeps the second; the merge adds nothing to its trunk binlog.
func TestTrunkMergeDeleteUnusedC(t *testing.T) {
	bin := cBinary(t, "fdfs_trackerd")
	blk := newBlock(t)
	ip := blk.trackerIP(0)
	base := t.TempDir()
	port := sharedPort(t, ip)
	tracker := net.JoinHostPort(ip, strconv.Itoa(port))
	text := fmt.Sprintf("base_path = %s\nbind_addr = %s\nport = %d\nconnect_timeout = 2\nnetwork_timeout = 5\n"+
		"thread_stack_size = 512KB\nuse_trunk_file = true\nslot_min_size = 256\nslot_max_size = 1MB\n"+
		"trunk_file_size = 4MB\nstore_server = 1\ncheck_active_interval = 2\n"+
		"trunk_free_space_merge = true\ndelete_unused_trunk_files = true\n", base, ip, port)
	startCProc(t, bin, writeFile(t, filepath.Join(base, "tracker.conf"), text))
	sip := blk.storageIP(0)
	sp := storageSpec{group: "group1", ip: sip, port: sharedPort(t, sip), trackers: []string{tracker},
		extra: []string{"thread_stack_size = 512KB", "sync_binlog_buff_interval = 1"}}
	sbase := t.TempDir()
	confPath := writeFile(t, filepath.Join(sbase, "storage.conf"), storageConfText(t, sbase, sp))
	seedSynced(t, sbase, sip, sp.port)
	sbin := cBinary(t, "fdfs_storaged")
	cStorage := startCProc(t, sbin, confPath)
	cl := newClient(t, tracker)
	waitUntil(t, "C storage ACTIVE", statusIs(cl, "group1", client.StatusActive, sip))
	waitUntil(t, "C storage the trunk server", trunkServerIs(cl, sip))

	byFile := map[int32][]string{}
	for i := range 24 { // 200 KB files: 20 per 4 MB trunk file
		data := bytes.Repeat([]byte{byte(i)}, 200<<10)
		var id string
		waitUntil(t, "upload to the C storage", func() (bool, string) {
			var err error
			id, err = cl.Upload(ctx(t), bytes.NewReader(data), int64(len(data)), "bin")
			return err == nil, fmt.Sprint(err)
		})
		_, remote, _ := codec.SplitFileID([]byte(id))
		rf, _ := codec.ParseRemoteFilename(remote, 1)
		ref, ok, err := codec.TrunkRefOf(&rf)
		if !ok || err != nil {
			t.Fatalf("%s is not in a trunk file", id)
		}
		byFile[ref.Slot.ID] = append(byFile[ref.Slot.ID], id)
	}
	if len(byFile) != 2 {
		t.Fatalf("files by trunk file: %d trunk files", len(byFile))
	}
	for _, id := range byFile[1] {
		if err := cl.Delete(ctx(t), id); err != nil {
			t.Fatal(err)
		}
	}
	first, _ := filepath.Glob(filepath.Join(sbase, "sp0", "data", "*", "*", "000001"))
	second, _ := filepath.Glob(filepath.Join(sbase, "sp0", "data", "*", "*", "000002"))
	if len(first) != 1 || len(second) != 1 {
		t.Fatalf("trunk files 1 %v, 2 %v", first, second)
	}
	time.Sleep(2 * time.Second) // C flushes its trunk binlog every second
	stopProc(t, cStorage)
	binlog := filepath.Join(sbase, "data", "trunk", "binlog")
	before, _ := os.ReadFile(binlog)

	startCProc(t, sbin, confPath)
	waitUntil(t, "C storage the trunk server again", trunkServerIs(cl, sip))
	waitUntil(t, "C removes its unused trunk file 1", func() (bool, string) {
		_, err := os.Stat(first[0])
		return os.IsNotExist(err), fmt.Sprint(err)
	})
	if _, err := os.Stat(second[0]); err != nil {
		t.Fatalf("trunk file 2: %v", err)
	}
	if after, _ := os.ReadFile(binlog); !bytes.Equal(after, before) {
		t.Fatalf("C's merge wrote its trunk binlog:\n%s", after[len(before):])
	}
	snap, _ := os.ReadFile(filepath.Join(sbase, "data", "storage_trunk.dat"))
	t.Logf("C storage_trunk.dat after the merge:\n%s", snap)
}
