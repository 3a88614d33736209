package tracker

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// The election's candidate is the last tracker in C's sort order: leader
// flag, running time, then the shorter downtime, then IP text and port.
func TestElectionRanking(t *testing.T) {
	tr := func(ip string, port int, leader bool, run, restart int64) rankedTracker {
		return rankedTracker{addr: trackerAddr{ips: []netip.Addr{netip.MustParseAddr(ip)}, port: port},
			status: codec.TrackerStatus{IsLeader: leader, RunningTime: run, RestartInterval: restart}}
	}
	cases := []struct {
		name string
		in   []rankedTracker
		want string
	}{
		{"fresh trackers: the highest IP", []rankedTracker{
			tr("127.0.0.11", 22122, false, 0, 0), tr("127.0.0.10", 22122, false, 0, 0)}, "127.0.0.11:22122"},
		{"IP compared as text", []rankedTracker{
			tr("127.0.0.9", 22122, false, 0, 0), tr("127.0.0.10", 22122, false, 0, 0)}, "127.0.0.9:22122"},
		{"same IP: the higher port", []rankedTracker{
			tr("127.0.0.10", 22123, false, 0, 0), tr("127.0.0.10", 22122, false, 0, 0)}, "127.0.0.10:22123"},
		{"a current leader always wins", []rankedTracker{
			tr("127.0.0.10", 22122, true, 0, 9000), tr("127.0.0.11", 22122, false, 3000, 0)}, "127.0.0.10:22122"},
		{"the longest running", []rankedTracker{
			tr("127.0.0.10", 22122, false, 600, 0), tr("127.0.0.11", 22122, false, 300, 0)}, "127.0.0.10:22122"},
		{"then the shortest downtime", []rankedTracker{
			tr("127.0.0.10", 22122, false, 300, 0), tr("127.0.0.11", 22122, false, 300, 600)}, "127.0.0.10:22122"},
		{"downtime before address", []rankedTracker{
			tr("127.0.0.12", 22122, false, 0, 300), tr("127.0.0.10", 22122, false, 0, 0),
			tr("127.0.0.11", 22122, false, 0, 300)}, "127.0.0.10:22122"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, perm := range [][]rankedTracker{c.in, reversed(c.in)} {
				got := slices.Clone(perm)
				slices.SortStableFunc(got, compareRanked)
				if a := got[len(got)-1].addr.String(); a != c.want {
					t.Fatalf("candidate %s, want %s", a, c.want)
				}
			}
		})
	}
}

func reversed[T any](s []T) []T {
	r := slices.Clone(s)
	slices.Reverse(r)
	return r
}

// Two trackers with the same storages elect the one C would (equal running
// status: the higher IP), agree on GET_LEADER, and only the leader sends
// lists and the leader brief.
func TestTwoTrackerElection(t *testing.T) {
	all := startTrackers(t, 2)
	a, b := all[0], all[1]
	peersOf := map[*Server][]*peer{}
	// the higher tracker hears the storages first, so whichever way the
	// loops interleave, C's rules name it
	for _, s := range []*Server{b, a} {
		for _, ip := range []string{"127.0.0.2", "127.0.0.3"} {
			p := dialPeer(t, s, ip)
			if st := p.clusterJoin(s, all, "group1"); st != codec.OK {
				t.Fatalf("JOIN %s at %s: %s", ip, s.Addr(), st.Name())
			}
			peersOf[s] = append(peersOf[s], p)
		}
	}
	waitLeader(t, all, b.Addr())

	n := peersOf[b][0].beat()
	if n.Flags&codec.ChangeTrackerLeader == 0 || string(n.Leader.IP) != "127.0.0.11" ||
		n.Leader.Port != int32(b.port()) || n.Flags&codec.ChangeGroupServers == 0 || n.MemberCount() != 2 {
		t.Fatalf("leader's first notice: flags %#x leader %+v members %d", n.Flags, n.Leader, n.MemberCount())
	}
	if n := peersOf[b][0].beat(); n.Flags != 0 {
		t.Fatalf("leader's second notice flags %#x", n.Flags)
	}
	// a follower answers the single byte 0
	st, body := peersOf[a][0].call(codec.CmdStorageBeat, make([]byte, codec.StatBlockSize))
	if st != codec.OK || len(body) != 1 || body[0] != 0 {
		t.Fatalf("follower BEAT reply %s %x", st.Name(), body)
	}
	if !b.cl.isLeader() || a.cl.isLeader() {
		t.Fatal("leader flags disagree with GET_LEADER")
	}
}

// Stopping the leader: the follower's pings fail, it elects itself, and a
// client configured with both trackers keeps getting answers.
func TestLeaderFailover(t *testing.T) {
	all := startTrackers(t, 2)
	a, b := all[0], all[1]
	for _, s := range []*Server{b, a} {
		p := dialPeer(t, s, "127.0.0.2")
		if st := p.clusterJoin(s, all, "group1"); st != codec.OK {
			t.Fatalf("JOIN at %s: %s", s.Addr(), st.Name())
		}
		p.beat()
		p.diskUsage(codec.PathUsage{TotalMB: 100000, FreeMB: 50000})
	}
	waitLeader(t, all, b.Addr())
	c := clusterClient(t, all)
	ctx := context.Background()
	if _, err := c.ListGroups(ctx); err != nil {
		t.Fatal(err)
	}

	stopTracker(t, b)
	waitLeader(t, []*Server{a}, a.Addr())
	for range 4 { // every tracker of the client's rotation
		got, err := c.QueryStore(ctx, "")
		if err != nil || got.Addr != "127.0.0.2:23000" {
			t.Fatalf("QueryStore after failover = %+v, %v", got, err)
		}
		if l, err := c.Leader(ctx); err != nil || l != a.Addr() {
			t.Fatalf("Leader after failover = %q, %v", l, err)
		}
	}
	// the new leader tells its storages with a fresh brief
	p := dialPeer(t, a, "127.0.0.3")
	if st := p.clusterJoin(a, all, "group1"); st != codec.OK {
		t.Fatalf("JOIN: %s", st.Name())
	}
	if n := p.beat(); n.Flags&codec.ChangeTrackerLeader == 0 || string(n.Leader.IP) != "127.0.0.10" {
		t.Fatalf("new leader's notice flags %#x leader %+v", n.Flags, n.Leader)
	}
}

// The receiving rules of NOTIFY/COMMIT_NEXT_LEADER, NOTIFY_RESELECT_LEADER,
// JOIN_LEADER and PING_LEADER, on a tracker whose own election loop is held
// back so that only these requests decide.
func TestLeaderCommandRules(t *testing.T) {
	s := startMember(t, memberIP(0), t.TempDir(), WithLeaderInterval(time.Hour))
	other := "127.0.0.13:22122" // listed, never started
	st := dialPeer(t, s, "127.0.0.2")
	req := st.joinRequest(s, "group1", false, int8(StatusActive))
	req.AddTracker([]byte(other))
	if code, _ := st.call(codec.CmdStorageJoin, req.Append(nil)); code != codec.EAGAIN {
		// the other tracker does not answer: the first JOIN waits for it
		t.Fatalf("first JOIN: %s", code.Name())
	}
	s.sys.mu.Lock()
	s.sys.decided = true // as if the pull had been settled
	s.sys.mu.Unlock()
	if code, _ := st.call(codec.CmdStorageJoin, req.Append(nil)); code != codec.OK {
		t.Fatalf("JOIN: %s", code.Name())
	}
	if _, code := leaderOf(t, s); code != codec.ENOENT {
		t.Fatalf("GET_LEADER before any election: %s", code.Name())
	}
	p := dialPeer(t, s, "127.0.0.13")
	call := func(cmd byte, body string) codec.Errno {
		t.Helper()
		code, _ := p.call(cmd, []byte(body))
		return code
	}
	me := s.Addr()
	for _, c := range []struct {
		name string
		cmd  byte
		body string
		want codec.Errno
	}{
		{"notify for an unknown tracker", codec.CmdTrackerNotifyNextLeader, "127.0.0.14:22122", codec.ENOENT},
		{"commit without notify", codec.CmdTrackerCommitNextLeader, me, codec.EINVAL},
		{"reselect on a follower", codec.CmdTrackerNotifyReselectLeader, "", codec.EOPNOTSUPP},
		{"join a follower", codec.CmdTrackerJoinLeader, string(joinLeaderBody(22122)), codec.EOPNOTSUPP},
		{"notify me", codec.CmdTrackerNotifyNextLeader, me, codec.OK},
		{"commit another", codec.CmdTrackerCommitNextLeader, other, codec.EINVAL},
		{"commit me", codec.CmdTrackerCommitNextLeader, me, codec.OK},
		{"ping before join", codec.CmdTrackerPingLeader, string(make([]byte, 12)), codec.EINVAL},
		{"join from an unlisted port", codec.CmdTrackerJoinLeader, string(joinLeaderBody(22123)), codec.ENOENT},
		{"join", codec.CmdTrackerJoinLeader, string(joinLeaderBody(22122)), codec.OK},
		{"join twice", codec.CmdTrackerJoinLeader, string(joinLeaderBody(22122)), codec.EEXIST},
		{"ping", codec.CmdTrackerPingLeader, string(make([]byte, 12)), codec.OK},
	} {
		if got := call(c.cmd, c.body); got != c.want {
			t.Fatalf("%s: %s, want %s", c.name, got.Name(), c.want.Name())
		}
	}
	if l, code := leaderOf(t, s); code != codec.OK || l != me {
		t.Fatalf("GET_LEADER after commit: %q %s", l, code.Name())
	}
	// a notice naming another tracker makes the leader step down
	if got := call(codec.CmdTrackerNotifyNextLeader, other); got != codec.EINVAL {
		t.Fatalf("notify another while leading: %s", got.Name())
	}
	if _, code := leaderOf(t, s); code != codec.ENOENT {
		t.Fatalf("GET_LEADER after stepping down: %s", code.Name())
	}
	// leader again, then a storage's reselect request
	for _, cmd := range []byte{codec.CmdTrackerNotifyNextLeader, codec.CmdTrackerCommitNextLeader} {
		if got := call(cmd, me); got != codec.OK {
			t.Fatalf("cmd %d: %s", cmd, got.Name())
		}
	}
	n := st.beat()
	if n.Flags&codec.ChangeTrackerLeader == 0 || n.Leader.Port != int32(s.port()) {
		t.Fatalf("leader brief after becoming leader: flags %#x %+v", n.Flags, n.Leader)
	}
	if got := call(codec.CmdTrackerNotifyReselectLeader, ""); got != codec.OK {
		t.Fatalf("reselect on the leader: %s", got.Name())
	}
	if _, code := leaderOf(t, s); code != codec.ENOENT {
		t.Fatalf("GET_LEADER after reselect: %s", code.Name())
	}
	if code, body := st.call(codec.CmdStorageBeat, nil); code != codec.OK || len(body) != 1 || body[0] != 0 {
		t.Fatalf("BEAT without a leader: %s %x", code.Name(), body)
	}
}

func joinLeaderBody(port int64) []byte {
	j := codec.TrackerJoinLeader{UpTime: 1795299841, Version: []byte("6.16.1"), ServerPort: port}
	return j.Append(nil)
}
