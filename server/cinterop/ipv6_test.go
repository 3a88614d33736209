package cinterop

import (
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/internal/testcluster"
)

// storageIDs writes a storage_ids.conf for group1 with bracketed IPv6
// addresses (C's form) and returns the tracker.conf lines that use it.
func storageIDs(t *testing.T, port int, ips ...string) []string {
	t.Helper()
	var b strings.Builder
	for i, ip := range ips {
		fmt.Fprintf(&b, "%d group1 [%s]:%d\n", 100001+i, ip, port) // without a port: 23000
	}
	path := writeFile(t, filepath.Join(t.TempDir(), "storage_ids.conf"), b.String())
	return []string{"use_storage_id = true", "id_type_in_filename = id", "storage_ids_filename = " + path}
}

// ipv6Workload uploads to each storage, checks replication and downloads
// from every storage, byte for byte, and returns the files.
func ipv6Workload(t *testing.T, cl *client.Client, storages ...*proc) []storedFile {
	t.Helper()
	var files []storedFile
	for i, s := range storages {
		for k := range 3 {
			body := bytes.Repeat([]byte(fmt.Sprintf("ipv6 %d %d|", i, k)), 500+k*999)
			id, err := cl.Upload(ctx(t), bytes.NewReader(body), int64(len(body)), "txt",
				client.OnStorage(client.StorageServer{Group: "group1", Addr: s.addr, StorePathIndex: k % 2}))
			if err != nil {
				t.Fatalf("upload to %s: %v", s.name, err)
			}
			files = append(files, storedFile{id: id, body: body, path: k % 2})
		}
	}
	for _, s := range storages {
		waitUntil(t, 60*time.Second, "replication to "+s.name, func() (bool, string) {
			for _, f := range files {
				var got bytes.Buffer
				if _, err := cl.DownloadFrom(ctx(t), client.StorageServer{Group: "group1", Addr: s.addr}, f.id, &got, 0, 0); err != nil {
					return false, fmt.Sprintf("%s from %s: %v", f.id, s.name, err)
				}
				if !bytes.Equal(got.Bytes(), f.body) {
					return false, f.id + " differs on " + s.name
				}
			}
			return true, ""
		})
	}
	for _, f := range files { // the tracker hands out IPv6 storages
		st, err := cl.QueryFetch(ctx(t), f.id)
		if err != nil {
			t.Fatalf("QUERY_FETCH %s: %v", f.id, err)
		}
		if h, _, _ := net.SplitHostPort(st.Addr); !strings.Contains(h, ":") {
			t.Fatalf("QUERY_FETCH %s gave %s, not an IPv6 storage", f.id, st.Addr)
		}
	}
	return files
}

// monitorHosts runs a fdfs_monitor and returns its "host = ... STATUS" lines.
func monitorHosts(t *testing.T, bin string, tr *proc) string {
	t.Helper()
	dir := t.TempDir()
	cf := writeFile(t, filepath.Join(dir, "client.conf"), "base_path = "+dir+"\ntracker_server = "+tr.addr+"\nconnect_timeout = 2\nnetwork_timeout = 10\n")
	out, err := exec.Command(bin, cf).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", bin, err, out)
	}
	var hosts []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "host = ") || strings.HasPrefix(l, "tracker server is ") {
			hosts = append(hosts, strings.TrimSpace(l))
		}
	}
	return strings.Join(hosts, "\n")
}

var hostLine = regexp.MustCompile(`host = \[fd00:17::\d\]:\d+  ACTIVE`)

// An all-IPv6 cluster of ours: tracker and storages on bracketed IPv6
// addresses in every conf key, storage ids as C requires for IPv6;
// upload, download, replication, QUERY_FETCH and fdfs_monitor.
func TestIPv6ClusterOurs(t *testing.T) {
	if !inNetns(t) {
		return
	}
	addIPv6(t, "fd00:17::1", "fd00:17::2", "fd00:17::3")
	c := newCluster(t)
	port := testcluster.Shared(t, "fd00:17::2", "fd00:17::3")
	tr := tracker(c, false, "[fd00:17::1]", storageIDs(t, port, "fd00:17::2", "fd00:17::3")...)
	a := storage(c, false, "fd00:17::2", port, []*proc{tr})
	b := storage(c, false, "[fd00:17::3]", port, []*proc{tr}) // bind_addr in brackets
	cl := newClient(t, tr)
	waitUntil(t, 60*time.Second, "both ACTIVE", allActive(t, cl, a, b))
	ipv6Workload(t, cl, a, b)
	mon := monitorHosts(t, ours(t, "fdfs_monitor"), tr)
	if n := len(hostLine.FindAllString(mon, -1)); n != 2 || !strings.Contains(mon, "tracker server is "+tr.addr) {
		t.Fatalf("our fdfs_monitor:\n%s", mon)
	}
	if cm, err := exec.LookPath("fdfs_monitor"); err == nil {
		if got := monitorHosts(t, cm, tr); got != mon {
			t.Fatalf("C's fdfs_monitor on our tracker:\n%s\nours:\n%s", got, mon)
		}
	}
	t.Logf("fdfs_monitor:\n%s", mon)
}

// A mixed IPv6 cluster: C tracker, a C storage and ours on IPv6 addresses;
// replication both ways, downloads from both, C's fdfs_monitor. The C
// storage's address list is read once at start: the address of ours is
// added after, or C would take ours for itself (is_local_host_ip) and
// never sync to it.
func TestIPv6ClusterMixed(t *testing.T) {
	needC(t)
	if !inNetns(t) {
		return
	}
	addIPv6(t, "fd00:17::1", "fd00:17::2")
	c := newCluster(t)
	port := testcluster.Shared(t, "fd00:17::2")
	tr := tracker(c, true, "fd00:17::1", storageIDs(t, port, "fd00:17::2", "fd00:17::3")...)
	cs := storage(c, true, "fd00:17::2", port, []*proc{tr})
	cl := newClient(t, tr)
	waitUntil(t, 60*time.Second, "C storage ACTIVE", allActive(t, cl, cs))
	addIPv6(t, "fd00:17::3")
	gs := storage(c, false, "[fd00:17::3]", port, []*proc{tr})
	waitUntil(t, 60*time.Second, "both ACTIVE", allActive(t, cl, cs, gs))
	ipv6Workload(t, cl, cs, gs)
	mon := monitorHosts(t, "fdfs_monitor", tr)
	if n := len(hostLine.FindAllString(mon, -1)); n != 2 {
		t.Fatalf("C's fdfs_monitor:\n%s", mon)
	}
	if got := monitorHosts(t, ours(t, "fdfs_monitor"), tr); got != mon {
		t.Fatalf("our fdfs_monitor on the C tracker:\n%s\nC's:\n%s", got, mon)
	}
	t.Logf("fdfs_monitor:\n%s", mon)
}
