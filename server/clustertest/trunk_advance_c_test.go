package clustertest

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
)

// trunkAdvanceConf is a tracker.conf tail with trunk_create_file_advance
// every second, up to 10 MB of free trunk space in 4 MB trunk files.
const trunkAdvanceConf = "use_trunk_file = true\nslot_min_size = 256\nslot_max_size = 1MB\ntrunk_file_size = 4MB\n" +
	"trunk_create_file_advance = true\ntrunk_create_file_time_base = 00:00\ntrunk_create_file_interval = 1\n" +
	"trunk_create_file_space_threshold = 10MB\n"

// trunkFilesAndBinlog waits for want trunk files under a store path and
// returns the trunk binlog's lines without timestamps.
func trunkFilesAndBinlog(t *testing.T, storePath, base string, want int) []string {
	t.Helper()
	waitUntil(t, strconv.Itoa(want)+" trunk files made in advance", func() (bool, string) {
		m, _ := filepath.Glob(filepath.Join(storePath, "data", "*", "*", "0000*"))
		return len(m) == want, fmt.Sprint(m)
	})
	var b []byte
	waitUntil(t, "the trunk binlog written (C flushes it in its own time)", func() (bool, string) {
		b, _ = os.ReadFile(filepath.Join(base, "data", "trunk", "binlog"))
		return strings.Count(string(b), "\n") >= want, string(b)
	})
	var ops []string
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		_, rest, _ := strings.Cut(l, " ")
		ops = append(ops, rest)
	}
	return ops
}

// trunk_create_file_advance, C 6.16 and ours side by side: a trunk server
// with no free trunk space makes (10 MB - 0) / 4 MB = 2 trunk files, each
// logged "A <path> <high> <low> <id> 0 4194304", and no more.
func TestTrunkCreateFileAdvanceC(t *testing.T) {
	bin := cBinary(t, "fdfs_trackerd")
	blk := newBlock(t)
	ip := blk.trackerIP(0)
	base := t.TempDir()
	port := sharedPort(t, ip)
	tracker := net.JoinHostPort(ip, strconv.Itoa(port))
	text := fmt.Sprintf("base_path = %s\nbind_addr = %s\nport = %d\nconnect_timeout = 2\nnetwork_timeout = 5\n"+
		"thread_stack_size = 512KB\nstore_server = 1\ncheck_active_interval = 2\n%s", base, ip, port, trunkAdvanceConf)
	startCProc(t, bin, writeFile(t, filepath.Join(base, "tracker.conf"), text))
	cl := newClient(t, tracker)

	var got [2][]string
	var stores [2]string
	for i, c := range []bool{true, false} {
		sip := blk.storageIP(i)
		sp := storageSpec{group: "group" + strconv.Itoa(i+1), ip: sip, port: sharedPort(t, sip), trackers: []string{tracker},
			extra: []string{"thread_stack_size = 512KB", "sync_binlog_buff_interval = 1"}}
		sbase := t.TempDir()
		confPath := writeFile(t, filepath.Join(sbase, "storage.conf"), storageConfText(t, sbase, sp))
		seedSynced(t, sbase, sip, sp.port)
		if c {
			startCProc(t, cBinary(t, "fdfs_storaged"), confPath)
		} else {
			n := &storageNode{t: t, base: sbase, spec: sp}
			n.start()
			t.Cleanup(n.stop)
		}
		waitUntil(t, "storage ACTIVE", statusIs(cl, sp.group, client.StatusActive, sip))
		stores[i] = filepath.Join(sbase, "sp0")
		got[i] = trunkFilesAndBinlog(t, stores[i], sbase, 2)
	}
	time.Sleep(2 * time.Second) // two more runs: 10 MB - 8 MB free is less than a trunk file
	for i, sp := range stores {
		if m, _ := filepath.Glob(filepath.Join(sp, "data", "*", "*", "0000*")); len(m) != 2 {
			t.Errorf("storage %d: trunk files %v, want 2", i, m)
		}
	}
	for i, who := range []string{"C", "ours"} {
		if len(got[i]) != 2 || !strings.HasPrefix(got[i][0], "A 0 ") || !strings.HasSuffix(got[i][0], " 1 0 4194304") ||
			!strings.HasSuffix(got[i][1], " 2 0 4194304") {
			t.Errorf("%s trunk binlog %q", who, got[i])
		}
	}
}
