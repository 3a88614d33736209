package tracker

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
)

// joinEverywhere joins storage ip to every tracker of all (in order) and
// makes it ACTIVE and writable there.
func joinEverywhere(t *testing.T, order, all []*Server, ip, group string) []*peer {
	t.Helper()
	var ps []*peer
	for _, s := range order {
		p := dialPeer(t, s, ip)
		if st := p.clusterJoin(s, all, group); st != codec.OK {
			t.Fatalf("JOIN %s at %s: %s", ip, s.Addr(), st.Name())
		}
		p.beat()
		p.diskUsage(codec.PathUsage{TotalMB: 100000, FreeMB: 50000})
		ps = append(ps, p)
	}
	return ps
}

// members lists group/id of every storage a tracker knows, in LIST order.
// DELETED records are history a tracker keeps in memory only (the servers
// file leaves them out, in C too), so they are not compared.
func members(t *testing.T, c *client.Client) []string {
	t.Helper()
	ctx := context.Background()
	groups, err := c.ListGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, g := range groups {
		list, err := c.ListStorages(ctx, string(g.GroupName), "")
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range list {
			if m.Status == StatusDeleted {
				continue
			}
			out = append(out, fmt.Sprintf("%s/%s:%d", g.GroupName, m.ID, m.StoragePort))
		}
	}
	return out
}

func dataFile(t *testing.T, s *Server, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.cfg.BasePath, "data", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A third tracker started later with an empty base_path copies the state
// files from the others at its first JOIN, writes them verbatim, and lists
// the same groups and storages.
func TestNewTrackerPullsStateFiles(t *testing.T) {
	all := startTrackers(t, 3)
	old := all[:2]
	for _, m := range []struct{ ip, group string }{
		{"127.0.0.2", "group1"}, {"127.0.0.3", "group1"}, {"127.0.0.4", "group2"},
	} {
		joinEverywhere(t, []*Server{old[1], old[0]}, old, m.ip, m.group)
	}
	waitLeader(t, old, old[1].Addr())
	// a storage that left and was deleted: a changelog line on both
	for _, s := range old {
		p := dialPeer(t, s, "127.0.0.5")
		if st := p.clusterJoin(s, old, "group2"); st != codec.OK {
			t.Fatal(st.Name())
		}
		p.conn.Close()
		c := newClient(t, s)
		deadline := time.Now().Add(20 * time.Second)
		for {
			err := c.DeleteStorage(context.Background(), "group2", "127.0.0.5")
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("DeleteStorage at %s: %v", s.Addr(), err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	third := all[2]
	p := dialPeer(t, third, "127.0.0.2")
	if st := p.clusterJoin(third, all, "group1"); st != codec.OK {
		t.Fatalf("first JOIN at the new tracker: %s", st.Name())
	}
	want := members(t, newClient(t, old[0]))
	if got := members(t, newClient(t, third)); !slices.Equal(got, want) {
		t.Fatalf("new tracker lists %v, want %v", got, want)
	}
	if !bytes.Contains(third.reg.stateFile(codec.SysFileChangelog), []byte(" group2 127.0.0.5 4 \n")) {
		t.Fatalf("changelog not copied: %q", third.reg.stateFile(codec.SysFileChangelog))
	}
	// files on disk are the source's bytes: the leader's, which sorts
	// above the follower
	for i := range codec.SysFileCount {
		name := codec.SysFileName(i)
		if got, want := dataFile(t, third, name), old[1].reg.stateFile(i); !bytes.Equal(got, want) {
			t.Errorf("%s:\n%s\nwant\n%s", name, got, want)
		}
	}
	// and it takes part in the cluster: the leader stays the leader
	waitLeader(t, all, old[1].Addr())
}

// Without any other tracker answering, the first JOIN of an empty tracker
// is refused with EAGAIN; once one answers, the JOIN goes through.
func TestBootstrapEAGAIN(t *testing.T) {
	s := startMember(t, memberIP(0), t.TempDir())
	p := dialPeer(t, s, "127.0.0.2")
	req := p.joinRequest(s, "group1", false, int8(StatusActive))
	req.AddTracker([]byte("127.0.0.13:1")) // nobody listens there
	if st, _ := p.call(codec.CmdStorageJoin, req.Append(nil)); st != codec.EAGAIN {
		t.Fatalf("JOIN with no other tracker up: %s, want EAGAIN", st.Name())
	}
	// the other tracker comes up, without groups: start empty
	other := startMember(t, "127.0.0.13", t.TempDir())
	req = p.joinRequest(s, "group1", false, int8(StatusActive))
	req.AddTracker([]byte(other.Addr()))
	if st, _ := p.call(codec.CmdStorageJoin, req.Append(nil)); st != codec.OK {
		t.Fatalf("JOIN with an empty other tracker: %s", st.Name())
	}
}

// The serving side of 61/63/62: ENOENT without groups, one puller at a
// time, chunks from the requested offset.
func TestServeSysFiles(t *testing.T) {
	s := startTracker(t, testConf(t, t.TempDir()))
	a, b := dialPeer(t, s, "127.0.0.7"), dialPeer(t, s, "127.0.0.8")
	if st, _ := a.call(codec.CmdTrackerGetSysFilesStart, nil); st != codec.ENOENT {
		t.Fatalf("START without groups: %s", st.Name())
	}
	dialPeer(t, s, "127.0.0.2").activate(s, "group1")
	if st, body := a.call(codec.CmdTrackerGetSysFilesStart, nil); st != codec.OK || len(body) != 0 {
		t.Fatalf("START: %s %x", st.Name(), body)
	}
	if st, _ := b.call(codec.CmdTrackerGetSysFilesStart, nil); st != codec.EBUSY {
		t.Fatalf("second START: %s, want EBUSY", st.Name())
	}
	want := s.reg.stateFile(codec.SysFileServers)
	req := codec.SysFileRequest{Index: codec.SysFileServers, Offset: 10}
	st, body := a.call(codec.CmdTrackerGetOneSysFile, req.Append(nil))
	var r codec.SysFileReply
	if st != codec.OK || r.Decode(body) != nil || r.FileSize != int64(len(want)) || !bytes.Equal(r.Content, want[10:]) {
		t.Fatalf("GET_ONE_SYS_FILE: %s size %d content %q", st.Name(), r.FileSize, r.Content)
	}
	if st, _ := a.call(codec.CmdTrackerGetOneSysFile, []byte{4, 0, 0, 0, 0, 0, 0, 0, 0}); st != codec.EINVAL {
		t.Fatalf("file index 4: %s", st.Name())
	}
	if st, _ := a.call(codec.CmdTrackerGetSysFilesEnd, nil); st != codec.OK {
		t.Fatalf("END: %s", st.Name())
	}
	if st, _ := b.call(codec.CmdTrackerGetSysFilesStart, nil); st != codec.OK {
		t.Fatalf("START after END: %s", st.Name())
	}
	b.conn.Close() // a disconnect releases the lock too
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, _ := a.call(codec.CmdTrackerGetSysFilesStart, nil)
		if st == codec.OK {
			break
		}
		if st != codec.EBUSY || time.Now().After(deadline) {
			t.Fatalf("START after the holder left: %s", st.Name())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Chunks are at most 8173 bytes: a changelog larger than one chunk comes
// over in several requests and arrives whole.
func TestPullLargeChangelog(t *testing.T) {
	src := startMember(t, memberIP(0), t.TempDir())
	joinEverywhere(t, []*Server{src}, []*Server{src}, "127.0.0.2", "group1")
	var line bytes.Buffer
	for i := range 400 {
		fmt.Fprintf(&line, "%d group1 127.0.9.%d 4 \n", 1795298000+i, i%250)
	}
	src.reg.mu.Lock()
	if err := src.reg.appendChangelog(line.Bytes()); err != nil {
		t.Fatal(err)
	}
	src.reg.mu.Unlock()

	p, err := src.dialTracker(trackerAddr{ips: src.cl.trackers[0].ips, port: src.port()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	files, err := pullFiles(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(files[codec.SysFileChangelog]) <= codec.SysFileMaxChunk ||
		!bytes.Equal(files[codec.SysFileChangelog], src.reg.stateFile(codec.SysFileChangelog)) {
		t.Fatalf("changelog of %d bytes arrived as %d", len(src.reg.stateFile(codec.SysFileChangelog)),
			len(files[codec.SysFileChangelog]))
	}
}

// Trackers restarted on their data directories: a follower comes back with
// its groups from the .dat files and follows the leader again; a stopped
// leader's place is taken and, back, it follows the new leader (as in
// vectors/cluster/07b_tracker_restart_rejoin).
func TestRestartedTrackerRejoins(t *testing.T) {
	all := startTrackers(t, 2)
	a, b := all[0], all[1]
	for _, ip := range []string{"127.0.0.2", "127.0.0.3"} {
		joinEverywhere(t, []*Server{b, a}, all, ip, "group1")
	}
	waitLeader(t, all, b.Addr())
	want := members(t, newClient(t, b))

	stopTracker(t, a)
	a = startMember(t, memberIP(0), a.cfg.BasePath, WithListenAddr(a.Addr()))
	all = []*Server{a, b}
	if got := members(t, newClient(t, a)); !slices.Equal(got, want) {
		t.Fatalf("restarted follower lists %v, want %v", got, want)
	}
	joinEverywhere(t, []*Server{a}, all, "127.0.0.2", "group1")
	waitLeader(t, all, b.Addr())

	stopTracker(t, b)
	waitLeader(t, []*Server{a}, a.Addr())
	b = startMember(t, memberIP(1), b.cfg.BasePath, WithListenAddr(b.Addr()))
	all = []*Server{a, b}
	joinEverywhere(t, []*Server{b}, all, "127.0.0.3", "group1")
	waitLeader(t, all, a.Addr())
	if got := members(t, newClient(t, b)); !slices.Equal(got, want) {
		t.Fatalf("restarted leader lists %v, want %v", got, want)
	}
}

// A tracker that was down for longer than 2 x 300 s trusts a tracker that
// ran meanwhile: at its first JOIN it copies that tracker's files, which
// know a group it never saw.
func TestLongStoppedTrackerPulls(t *testing.T) {
	all := startTrackers(t, 2)
	a, b := all[0], all[1]
	joinEverywhere(t, []*Server{b, a}, all, "127.0.0.2", "group1")
	waitLeader(t, all, b.Addr())
	stopTracker(t, a)
	joinEverywhere(t, []*Server{b}, all, "127.0.0.4", "group3")
	// the last .tracker_status the stopped tracker wrote is 15 minutes old
	stamp := time.Now().Unix() - 900
	if err := os.WriteFile(filepath.Join(a.cfg.BasePath, "data", trackerStatusFile),
		formatTrackerStatus(stamp-3600, stamp), 0o644); err != nil {
		t.Fatal(err)
	}
	a = startMember(t, memberIP(0), a.cfg.BasePath, WithListenAddr(a.Addr()))
	if st := a.runningStatus(); st.RestartInterval != 900 {
		t.Fatalf("restart_interval %d, want 900", st.RestartInterval)
	}
	all = []*Server{a, b}
	joinEverywhere(t, []*Server{a}, all, "127.0.0.2", "group1")
	want := members(t, newClient(t, b))
	if got := members(t, newClient(t, a)); !slices.Equal(got, want) || len(got) != 2 {
		t.Fatalf("long-stopped tracker lists %v, want %v", got, want)
	}
}

// Two fresh trackers get their first JOINs at the same moment and each asks
// the other for its status while handling them: the pulls run off the
// event loops, so both answer (ENOENT: no groups) and both JOINs succeed
// without waiting for a timeout to break a loop-on-loop wait.
func TestSimultaneousFirstJoins(t *testing.T) {
	for round := range 5 {
		all := startTrackers(t, 2)
		ps := []*peer{dialPeer(t, all[0], "127.0.0.2"), dialPeer(t, all[1], "127.0.0.3")}
		reqs := [][]byte{ps[0].clusterJoinRequest(all[0], all, "group1").Append(nil),
			ps[1].clusterJoinRequest(all[1], all, "group1").Append(nil)}
		errs := make(chan string, 2)
		start := make(chan struct{})
		for i, p := range ps {
			go func() {
				<-start
				st, _, err := p.try(codec.CmdStorageJoin, reqs[i])
				if err != nil || st != codec.OK {
					errs <- fmt.Sprintf("round %d: JOIN at %s: %v %s", round, all[i].Addr(), err, st.Name())
					return
				}
				errs <- ""
			}()
		}
		close(start)
		for range ps {
			if e := <-errs; e != "" {
				t.Fatal(e)
			}
		}
	}
}
