package clustertest

// Tests that moved here from server/storage: they need a tracker and a
// storage together and look at the storage through its Go API or its files,
// so both run in this process (internal/testcluster/inproc). server/storage's
// own tests only talk to tracker processes.

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
	"github.com/gofdfs/gofdfs/internal/testcluster"
	"github.com/gofdfs/gofdfs/internal/testcluster/inproc"
	"github.com/gofdfs/gofdfs/server/storage"
)

// TestReporterMyIPInFileNames: a storage that listens on every address
// learns its IP from the tracker (the address it connects from, its
// bind_addr) and puts that IP, not the one a client reached it on, into the
// names of the files it stores.
func TestReporterMyIPInFileNames(t *testing.T) {
	blk := newBlock(t)
	tr := inproc.StartTracker(t, testcluster.TrackerSpec{IP: blk.trackerIP(0)})
	port := testcluster.Port(t, "0.0.0.0")
	mine, other := blk.storageIP(0), blk.storageIP(1)
	s := inproc.StartStorage(t, "", testcluster.StorageSpec{IP: mine, Port: port, Trackers: []string{tr.Addr}},
		storage.WithListenAddr(net.JoinHostPort("0.0.0.0", strconv.Itoa(port))))
	waitUntil(t, "my IP from the tracker", func() (bool, string) {
		ip, ok := s.Srv.MyIP()
		return ok, ip.String()
	})
	if ip, _ := s.Srv.MyIP(); ip.String() != mine {
		t.Fatalf("my IP %s, want the bound %s", ip, mine)
	}
	cl := newClient(t, tr.Addr)
	st := client.StorageServer{Group: "group1", Addr: net.JoinHostPort(other, strconv.Itoa(port))}
	id, err := cl.Upload(ctx(t), strings.NewReader("wildcard"), 8, "txt", client.OnStorage(st))
	if err != nil {
		t.Fatal(err)
	}
	rf, err := codec.ParseRemoteFilename([]byte(strings.TrimPrefix(id, "group1/")), 1)
	if err != nil {
		t.Fatal(err)
	}
	f, err := rf.Fields()
	if err != nil {
		t.Fatal(err)
	}
	if want := codec.SourceFromIPv4([4]byte(net.ParseIP(mine).To4())); f.Source != want {
		t.Errorf("file %s: source %#x, want %s (%#x)", id, f.Source, mine, want)
	}
}

// TestSyncStorageIDs: with use_storage_id the storages learn their ids
// from the tracker (FETCH_STORAGE_IDS), name files and mark files by id,
// and replicate to the peers the leader lists by id.
func TestSyncStorageIDs(t *testing.T) {
	blk := newBlock(t)
	ipA, ipB := blk.storageIP(0), blk.storageIP(1)
	port := sharedPort(t, ipA, ipB)
	idsDir := t.TempDir()
	ids := fmt.Sprintf("100001 group1 %s:%d\n100002 group1 %s:%d\n", ipA, port, ipB, port)
	idsPath := writeFile(t, filepath.Join(idsDir, "storage_ids.conf"), ids)
	tr := inproc.StartTracker(t, testcluster.TrackerSpec{IP: blk.trackerIP(0), Extra: []string{
		"use_storage_id = true", "storage_ids_filename = " + idsPath, "id_type_in_filename = id"}})
	cl := newClient(t, tr.Addr)
	member := func(ip string) string { // base_path of a storage, once ACTIVE
		base := t.TempDir()
		inproc.StartStorage(t, base, testcluster.StorageSpec{IP: ip, Port: port, Trackers: []string{tr.Addr},
			Extra: []string{"write_mark_file_freq = 10", "network_timeout = 10"}})
		waitUntil(t, ip+" ACTIVE", statusIs(cl, "group1", testcluster.StorageActive, ip))
		return base
	}
	a := member(ipA)
	b := member(ipB)
	data := []byte("named by id")
	id, err := cl.Upload(ctx(t), bytes.NewReader(data), int64(len(data)), "txt",
		client.OnStorage(client.StorageServer{Group: "group1", Addr: net.JoinHostPort(ipA, strconv.Itoa(port))}))
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(id, "group1/")
	onB := filepath.Join(b, "sp0", "data", filepath.FromSlash(name[4:])) // M00/HH/HH/NAME
	waitUntil(t, "the file on the peer", func() (bool, string) {
		got, err := os.ReadFile(onB)
		return err == nil && bytes.Equal(got, data), fmt.Sprint(err)
	})
	rf, err := codec.ParseRemoteFilename([]byte(name), 1)
	if err != nil {
		t.Fatal(err)
	}
	if f, err := rf.Fields(); err != nil || f.Source != 100001 {
		t.Errorf("file %s: source field %#x (%v), want storage id 100001", id, f.Source, err)
	}
	waitUntil(t, "mark files named by id", func() (bool, string) {
		_, errA := os.Stat(a + "/data/sync/100002.mark")
		_, errB := os.Stat(b + "/data/sync/100001.mark")
		_, self := os.Stat(a + "/data/sync/100001.mark")
		return errA == nil && errB == nil && self != nil, fmt.Sprint(errA, errB, self)
	})
}
