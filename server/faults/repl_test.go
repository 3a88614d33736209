package faults

import (
	"context"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/internal/testcluster"
)

// replicaGroup starts a tracker and n storages of group1 sharing one port
// on 127.0.10.2, .3, ... (members of a group listen on the same port).
func replicaGroup(t *testing.T, n int, extra ...string) (*cluster, []*daemon) {
	c := newCluster(t)
	c.addTracker("127.0.10.1")
	var ips []string
	for i := range n {
		ips = append(ips, net.IPv4(127, 0, 10, byte(2+i)).String())
	}
	port := testcluster.Shared(t, ips...) // free on every member's address
	var sts []*daemon
	for _, ip := range ips {
		sts = append(sts, c.addStorage(storageSpec{ip: ip, port: port, extra: extra}))
	}
	c.waitActive("group1", n)
	return c, sts
}

// onDisk says whether f is on the storage whose store path is root, with
// the bytes its ID promises.
func onDisk(root string, f sent) (present, intact bool) {
	_, remote, err := codec.SplitFileID([]byte(f.id))
	if err != nil {
		return false, false
	}
	b, err := os.ReadFile(filepath.Join(root, "data", string(remote[4:])))
	if err != nil {
		return false, false
	}
	return true, crc32.ChecksumIEEE(b) == f.crc && int64(len(b)) == f.size
}

// waitConverged waits until every file is on every storage, and gives the
// time it took and, at the limit, what is still missing or corrupt.
func waitConverged(t *testing.T, sts []*daemon, files []sent, limit time.Duration) (took time.Duration, missing, corrupt int64) {
	t.Helper()
	start := time.Now()
	pending := map[int][]sent{}
	for i := range sts {
		pending[i] = files
	}
	for {
		missing, corrupt = 0, 0
		for i, d := range sts {
			var still []sent
			for _, f := range pending[i] {
				present, intact := onDisk(d.Base, f)
				switch {
				case !present:
					still = append(still, f)
					missing++
				case !intact:
					corrupt++
					if corrupt <= 5 {
						t.Errorf("%s on %s: bytes do not match the ID", f.id, d.Addr)
					}
				}
			}
			pending[i] = still
		}
		if missing == 0 || time.Since(start) > limit {
			if missing > 0 {
				for i, d := range sts {
					for k, f := range pending[i] {
						if k < 3 {
							t.Errorf("%s not on %s after %v", f.id, d.Addr, limit)
						}
					}
				}
			}
			return time.Since(start), missing, corrupt
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestReplicaKill9UnderUpload SIGKILLs one of two replicas under upload
// load and restarts it: every acknowledged file must end up on both, with
// the bytes its ID promises.
func TestReplicaKill9UnderUpload(t *testing.T) {
	parallelWhenShort(t)
	c, sts := replicaGroup(t, 2)
	cl := c.client()
	l := ledger{log: t}
	var lastOK atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	load := uploadLoad(ctx, cl, &l, 6, 11, &lastOK)
	phase := 1500 * time.Millisecond
	if *fullRun {
		phase = 5 * time.Second
	}
	for _, victim := range []int{0, 1} {
		time.Sleep(phase)
		sts[victim].Kill()
		time.Sleep(300 * time.Millisecond)
		restart(t, sts[victim])
	}
	time.Sleep(phase)
	cancel()
	load.Wait()
	files, ops, fails := l.snapshot()
	took, missing, corrupt := waitConverged(t, sts, files, 120*time.Second)
	results.add(row{Scenario: "replica SIGKILL under upload", Ops: ops, Failures: fails, Lost: missing, Corrupt: corrupt,
		Converge: took, Note: fmt.Sprintf("%d files x 2 replicas; %s", len(files), l.kinds())})
	if missing+corrupt > 0 {
		t.Fatalf("%d missing, %d corrupt replicas of %d files", missing, corrupt, len(files))
	}
}

// TestPeerStallsMidSync freezes one replica (SIGSTOP) while the other
// takes uploads and pushes them to it, so the push stalls mid-file; after
// the stall (longer than network_timeout) the replica resumes and must
// catch up with every file.
func TestPeerStallsMidSync(t *testing.T) {
	parallelWhenShort(t)
	c, sts := replicaGroup(t, 2, "network_timeout = 3")
	cl := c.client()
	l := ledger{log: t}
	ctx, cancel := context.WithCancel(context.Background())
	load := uploadLoad(ctx, cl, &l, 4, 12, nil)
	time.Sleep(time.Second)
	stalled := sts[1]
	if err := syscall.Kill(stalled.Pid(), syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stall := 5 * time.Second
	if *fullRun {
		stall = 20 * time.Second
	}
	time.Sleep(stall)
	if err := syscall.Kill(stalled.Pid(), syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	cancel()
	load.Wait()
	files, ops, fails := l.snapshot()
	took, missing, corrupt := waitConverged(t, sts, files, 120*time.Second)
	results.add(row{Scenario: fmt.Sprintf("peer stalls %v mid-sync", stall), Ops: ops, Failures: fails, Lost: missing,
		Corrupt: corrupt, Converge: took, Note: fmt.Sprintf("%d files x 2 replicas; %s", len(files), l.kinds())})
	if missing+corrupt > 0 {
		t.Fatalf("%d missing, %d corrupt replicas of %d files", missing, corrupt, len(files))
	}
}

// TestCorruptBinlogLine stops a storage, damages its binlog (a garbage
// line, a truncated line), and restarts it: the pusher must skip what it
// cannot read (as C with file_sync_skip_invalid_record... and as ours
// always) and every file before and after the damage must reach the peer.
func TestCorruptBinlogLine(t *testing.T) {
	parallelWhenShort(t)
	c, sts := replicaGroup(t, 2)
	cl := c.client()
	l := ledger{log: t}
	// the first storage is the one damaged; its peer is stopped so that
	// nothing has been pushed past the damage when it comes back
	stopDaemon(t, sts[1])
	ctx := context.Background()
	for range 20 {
		uploadRetry(t, cl, []byte(fmt.Sprintf("before the damage %d", time.Now().UnixNano())))
	}
	stopDaemon(t, sts[0])
	binlog := filepath.Join(sts[0].Base, "data", "sync", "binlog.000")
	old, err := os.ReadFile(binlog)
	if err != nil {
		t.Fatal(err)
	}
	damage := "this is not a binlog line\n1763700000 C\n\x00\x00\x00garbage\n1763700000 X group1/M00/00/00/short\n"
	if err := os.WriteFile(binlog, append(old, damage...), 0o644); err != nil {
		t.Fatal(err)
	}
	restart(t, sts[0])
	restart(t, sts[1])
	c.waitActive("group1", 2)
	// uploads after the damage
	rng := rand.New(rand.NewPCG(13, 13))
	for range 20 {
		_, _ = uploadOne(ctx, cl, &l, payload(rng, 1+rng.IntN(32<<10)))
	}
	files, ops, fails := l.snapshot()
	// the ones made before the damage are on sts[0]'s disk: collect them
	before := listFiles(t, sts[0].Base)
	took, missing, corrupt := waitConverged(t, sts, append(files, before...), 60*time.Second)
	if !sts[0].Running() || !sts[1].Running() {
		t.Fatal("a storage died on a damaged binlog")
	}
	results.add(row{Scenario: "corrupt binlog lines", Ops: ops + 20, Failures: fails, Lost: missing, Corrupt: corrupt,
		Converge: took, Note: fmt.Sprintf("%d files before the damage, %d after", len(before), len(files))})
	if missing+corrupt > 0 {
		t.Fatalf("%d missing, %d corrupt replicas", missing, corrupt)
	}
}

// listFiles lists the generated files under root/data as sent records
// (CRC32 and size from their names).
func listFiles(t *testing.T, root string) []sent {
	t.Helper()
	var out []sent
	for hi := range 4 {
		for lo := range 4 {
			dir := filepath.Join(root, "data", fmt.Sprintf("%02X", hi), fmt.Sprintf("%02X", lo))
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				if strings.HasSuffix(e.Name(), "-m") {
					continue
				}
				id := fmt.Sprintf("group1/M00/%02X/%02X/%s", hi, lo, e.Name())
				nf, err := idFields(id)
				if err != nil {
					continue
				}
				out = append(out, sent{id: id, crc: nf.CRC32, size: nf.FileSize()})
			}
		}
	}
	return out
}
