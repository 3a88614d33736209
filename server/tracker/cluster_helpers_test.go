package tracker

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
)

// testLeaderInterval is the election loop's period in tests: short, so
// elections and failovers take a fraction of a second.
const testLeaderInterval = 20 * time.Millisecond

// startMember runs one tracker of a test cluster on ip:<free port> with its
// own base_path; Stop in the test is fine, the cleanup stops it again.
func startMember(t testing.TB, ip, base string, opts ...Option) *Server {
	t.Helper()
	opts = append([]Option{WithListenAddr(ip + ":0"), WithLogger(testLogger(t)),
		WithLeaderInterval(testLeaderInterval)}, opts...)
	s, err := New(testConf(t, base, "connect_timeout = 2", "network_timeout = 5"), opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := s.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { stopTracker(t, s) })
	return s
}

func stopTracker(t testing.TB, s *Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Errorf("Stop: %v", err)
	}
}

// startTrackers runs n trackers on 127.0.0.10, .11, ...
func startTrackers(t testing.TB, n int) []*Server {
	t.Helper()
	var all []*Server
	for i := range n {
		all = append(all, startMember(t, memberIP(i), t.TempDir()))
	}
	return all
}

func memberIP(i int) string { return net.IPv4(127, 0, 0, byte(10+i)).String() }

// clusterJoinRequest is a JOIN to s whose tracker list names every tracker
// of the cluster, as a storage configured with all of them sends it.
func (p *peer) clusterJoinRequest(s *Server, all []*Server, group string) *codec.StorageJoinRequest {
	req := p.joinRequest(s, group, false, int8(StatusActive))
	req.TrackerList, req.TrackerCount = nil, 0
	for _, o := range all {
		req.AddTracker([]byte(o.Addr()))
	}
	return req
}

// clusterJoin joins s naming the whole cluster; the status is returned,
// EAGAIN included, for the caller to judge.
func (p *peer) clusterJoin(s *Server, all []*Server, group string) codec.Errno {
	p.t.Helper()
	st, _ := p.call(codec.CmdStorageJoin, p.clusterJoinRequest(s, all, group).Append(nil))
	return st
}

// leaderOf asks s for GET_LEADER on a fresh connection.
func leaderOf(t testing.TB, s *Server) (string, codec.Errno) {
	t.Helper()
	p := dialPeer(t, s, "127.0.0.9")
	defer p.conn.Close()
	st, body := p.call(codec.CmdServerGetLeader, nil)
	return string(body), st
}

// waitLeader polls GET_LEADER on every tracker until all name want; the
// deadline is generous and no duration is asserted.
func waitLeader(t testing.TB, trackers []*Server, want string) {
	t.Helper()
	agreedLeader(t, trackers, want)
}

// agreedLeader waits until every tracker names the same leader (want, if
// not "") and returns its address.
func agreedLeader(t testing.TB, trackers []*Server, want string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		agree := true
		var got []string
		var first string
		for i, s := range trackers {
			l, st := leaderOf(t, s)
			got = append(got, l+"/"+st.Name())
			if i == 0 {
				first = l
			}
			if st != codec.OK || l != first || want != "" && l != want {
				agree = false
			}
		}
		if agree {
			return first
		}
		if time.Now().After(deadline) {
			if want == "" {
				want = "one leader"
			}
			t.Fatalf("leaders %v, want %s everywhere", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// clusterClient is the SDK configured with every tracker.
func clusterClient(t testing.TB, trackers []*Server) *client.Client {
	t.Helper()
	var addrs []string
	for _, s := range trackers {
		addrs = append(addrs, s.Addr())
	}
	c, err := client.New(client.Config{Trackers: addrs, MaxIdlePerServer: -1,
		ConnectTimeout: 2 * time.Second, NetworkTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
