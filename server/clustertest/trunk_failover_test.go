package clustertest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/gofdfs/gofdfs/client"
)

// startTrunkStorageProc runs our fdfs_storaged with a trunk binlog of the
// given lines (and sync mark files) already in its base path.
func startTrunkStorageProc(t *testing.T, sp storageSpec, binlog string, marks ...string) (*storageProc, string) {
	t.Helper()
	base := t.TempDir()
	path := writeFile(t, filepath.Join(base, "storage.conf"), storageConfText(t, base, sp))
	seedSynced(t, base, sp.ip, sp.port)
	writeFile(t, filepath.Join(base, "data", "trunk", "binlog"), binlog)
	for _, m := range marks {
		writeFile(t, filepath.Join(base, "data", "trunk", m), "binlog_offset=0\n")
	}
	return &storageProc{spec: sp, cmd: startProc(t, daemon(t, "fdfs_storaged"), path)}, base
}

// trunkServerIs holds when the tracker lists exactly ip as group1's trunk server.
func trunkServerIs(cl *client.Client, ip string) func() (bool, string) {
	return func() (bool, string) {
		m, state := storages(cl, "group1")
		var trunks []string
		for sip, st := range m {
			if st.IfTrunkServer {
				trunks = append(trunks, sip)
			}
		}
		return len(trunks) == 1 && trunks[0] == ip, state + " trunk servers " + strings.Join(trunks, ",")
	}
}

// With use_trunk_file on, our tracker elects a trunk server per group by
// C's ranking (TRUNK_GET_BINLOG_SIZE: the store server is asked first, a
// strictly larger trunk binlog wins), and when the trunk server is killed
// with SIGKILL it drops it after C's idle threshold and elects another,
// which is told TRUNK_DELETE_BINLOG_MARKS first and then sends its trunk
// binlog to the other member; uploads go on.
func TestTrunkServerElectionAndFailover(t *testing.T) {
	t.Parallel()
	blk := newBlock(t)
	tr := newTracker(t, blk.trackerIP(0), "use_trunk_file = true", "check_active_interval = 2",
		"reserved_storage_space = 1M")
	cl := newClient(t, tr.addr)
	ips := []string{blk.storageIP(0), blk.storageIP(1), blk.storageIP(2)}
	port := sharedPort(t, ips...)
	spec := func(ip string) storageSpec {
		return storageSpec{group: "group1", ip: ip, port: port, trackers: []string{tr.addr}}
	}
	line := func(off int) string { return "1796626377 A 0 0 0 1 " + strconv.Itoa(off) + " 4096\n" }

	// alone, the first storage is elected (an empty trunk binlog is a size)
	first, _ := startTrunkStorageProc(t, spec(ips[0]), "")
	waitUntil(t, ips[0]+" ACTIVE", statusIs(cl, "group1", client.StatusActive, ips[0]))
	waitUntil(t, ips[0]+" trunk server", trunkServerIs(cl, ips[0]))

	// the store server after it (lowest id) has a smaller trunk binlog than
	// the third storage
	_, secondBase := startTrunkStorageProc(t, spec(ips[1]), line(0))
	_, thirdBase := startTrunkStorageProc(t, spec(ips[2]), line(0)+line(4096)+line(8192), "127.0.0.9_23000.mark")
	waitUntil(t, "all ACTIVE", statusIs(cl, "group1", client.StatusActive, ips...))
	waitUntil(t, ips[0]+" still trunk server", trunkServerIs(cl, ips[0]))

	first.signal(t, syscall.SIGKILL)
	waitUntil(t, ips[2]+" trunk server after the kill", trunkServerIs(cl, ips[2]))
	// TRUNK_DELETE_BINLOG_MARKS removed the new trunk server's old marks;
	// it then sends its trunk binlog to the member from the start
	if _, err := os.Stat(filepath.Join(thirdBase, "data", "trunk", "127.0.0.9_23000.mark")); !os.IsNotExist(err) {
		t.Fatalf("old mark kept after TRUNK_DELETE_BINLOG_MARKS: %v", err)
	}
	waitUntil(t, "the member has the new trunk server's trunk binlog", func() (bool, string) {
		a, _ := os.ReadFile(filepath.Join(thirdBase, "data", "trunk", "binlog"))
		b, _ := os.ReadFile(filepath.Join(secondBase, "data", "trunk", "binlog"))
		return bytes.Equal(a, b), fmt.Sprintf("trunk server:\n%s\nmember:\n%s", a, b)
	})

	for i := range 5 {
		data := bytes.Repeat([]byte{byte('a' + i)}, 100+i)
		// the storages hear of the new trunk server with their next beat;
		// until then C's storages fail trunk uploads too
		var id string
		waitUntil(t, "upload after the failover", func() (bool, string) {
			var err error
			id, err = cl.Upload(ctx(t), bytes.NewReader(data), int64(len(data)), "txt")
			return err == nil, fmt.Sprint(err)
		})
		if !isTrunkID(t, id) {
			t.Fatalf("%s after the failover is not in a trunk file", id)
		}
		var buf bytes.Buffer
		if _, err := cl.Download(ctx(t), id, &buf, 0, 0); err != nil || !bytes.Equal(buf.Bytes(), data) {
			t.Fatalf("download %s: %v", id, err)
		}
	}

	// the killed storage comes back; the trunk server stays
	first.restart(t)
	waitUntil(t, ips[0]+" ACTIVE again", statusIs(cl, "group1", client.StatusActive, ips[0]))
	if ok, state := trunkServerIs(cl, ips[2])(); !ok {
		t.Fatalf("trunk server moved after the restart: %s", state)
	}
	// SET_TRUNK_SERVER without an id names the elected one
	if got, err := cl.SetTrunkServer(ctx(t), "group1", ""); err != nil || got != ips[2] {
		t.Fatalf("SET_TRUNK_SERVER: %q %v", got, err)
	}
}
