package tracker

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// setTrunk sends SERVER_SET_TRUNK_SERVER with a raw body from a client on
// 127.0.6.9.
func setTrunk(t *testing.T, s *Server, body []byte) (codec.Errno, string) {
	t.Helper()
	p := dialPeer(t, s, "127.0.6.9")
	defer p.conn.Close()
	st, reply := p.call(codec.CmdServerSetTrunkServer, body)
	return st, string(reply)
}

func trunkBody(group, id string) []byte {
	return append(codec.AppendFixed(nil, group, codec.GroupNameSize), id...)
}

// With use_trunk_file off (the default) C checks the length and the group
// and then answers EOPNOTSUPP, leader or not (client.md §4.8).
func TestSetTrunkServerTrunkOff(t *testing.T) {
	s := startTracker(t, testConf(t, t.TempDir()), WithListenAddr("127.0.6.1:0"),
		WithLeaderInterval(testLeaderInterval))
	for _, ip := range []string{"127.0.6.2", "127.0.6.3"} {
		dialPeer(t, s, ip).activate(s, "group1")
	}
	waitLeader(t, []*Server{s}, s.Addr())
	cases := []struct {
		name string
		body []byte
		want codec.Errno
	}{
		{"15 bytes", make([]byte, 15), codec.EINVAL},
		{"32 bytes", trunkBody("group1", "0123456789abcdef"), codec.EINVAL},
		{"unknown group", trunkBody("group9", ""), codec.ENOENT},
		{"unknown group and id", trunkBody("group9", "127.0.6.2"), codec.ENOENT},
		{"group only", trunkBody("group1", ""), codec.EOPNOTSUPP},
		{"an ACTIVE storage", trunkBody("group1", "127.0.6.2"), codec.EOPNOTSUPP},
	}
	for _, c := range cases {
		if st, reply := setTrunk(t, s, c.body); st != c.want || reply != "" {
			t.Errorf("%s: %s %q, want %s and no body", c.name, st.Name(), reply, c.want.Name())
		}
	}
}

// startTrunkMember is startMember with use_trunk_file on.
func startTrunkMember(t *testing.T, ip string) *Server {
	t.Helper()
	s, err := New(testConf(t, t.TempDir(), "connect_timeout = 2", "network_timeout = 5", "use_trunk_file = true"),
		WithListenAddr(ip+":0"), WithLogger(testLogger(t)), WithLeaderInterval(testLeaderInterval))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopTracker(t, s) })
	return s
}

// With trunk files on, only the leader sets a trunk server, by C's rules:
// the target must exist (ENOENT), be ACTIVE (ENONET); an ACTIVE trunk server
// stays (EALREADY for itself, EEXIST for another) and is what a request
// without an id gets. The group's storages hear of it in their next change
// notice, the followers from their next PING reply, and every tracker lists
// it.
func TestSetTrunkServer(t *testing.T) {
	all := []*Server{startTrunkMember(t, "127.0.6.11"), startTrunkMember(t, "127.0.6.12")}
	peers := map[*Server]*peer{} // each tracker's connection of 127.0.6.2
	for _, s := range all {
		for _, ip := range []string{"127.0.6.2", "127.0.6.3", "127.0.6.4"} {
			p := dialPeer(t, s, ip)
			if st := p.clusterJoin(s, all, "group1"); st != codec.OK {
				t.Fatalf("JOIN %s at %s: %s", ip, s.Addr(), st.Name())
			}
			if ip != "127.0.6.4" { // .4 stays ONLINE: joined, never beat
				p.beat()
				p.diskUsage(codec.PathUsage{TotalMB: 100000, FreeMB: 50000})
			}
			if ip == "127.0.6.2" {
				peers[s] = p
			}
		}
	}
	// which one leads is the election's business (on a loaded machine the
	// first may elect itself before the second listens); this test needs
	// only to know
	follower, leader := all[0], all[1]
	if agreedLeader(t, all, "") == follower.Addr() {
		follower, leader = leader, follower
	}
	leaderPeer := peers[leader]

	if st, _ := setTrunk(t, follower, trunkBody("group1", "127.0.6.3")); st != codec.EOPNOTSUPP {
		t.Errorf("a follower: %s, want EOPNOTSUPP", st.Name())
	}
	steps := []struct {
		name, id  string
		want      codec.Errno
		wantReply string
	}{
		{"unknown storage", "127.0.6.99", codec.ENOENT, ""},
		{"not ACTIVE", "127.0.6.4", codec.ENONET, ""},
		{"set", "127.0.6.3", codec.OK, "127.0.6.3\x00"},
		{"the same again", "127.0.6.3", codec.EALREADY, ""},
		{"another while it is ACTIVE", "127.0.6.2", codec.EEXIST, ""},
		{"no id: the current one", "", codec.OK, "127.0.6.3\x00"},
	}
	for _, c := range steps {
		if st, reply := setTrunk(t, leader, trunkBody("group1", c.id)); st != c.want || reply != c.wantReply {
			t.Errorf("%s: %s %q, want %s %q", c.name, st.Name(), reply, c.want.Name(), c.wantReply)
		}
	}
	// the group's storages hear of it with their next change notice (0x02),
	// once
	n := leaderPeer.beat()
	if n.Flags&codec.ChangeTrunkServer == 0 || string(n.TrunkServer.ID) != "127.0.6.3" ||
		string(n.TrunkServer.IP) != "127.0.6.3" || n.TrunkServer.Status != StatusActive {
		t.Errorf("notice after the trunk server was set: flags %#x trunk %+v", n.Flags, n.TrunkServer)
	}
	if n := leaderPeer.beat(); n.Flags&codec.ChangeTrunkServer != 0 {
		t.Errorf("trunk server told twice: flags %#x", n.Flags)
	}
	for _, s := range all {
		deadline := time.Now().Add(20 * time.Second)
		for {
			list, err := newClient(t, s).ListStorages(context.Background(), "group1", "")
			trunks := []string{}
			for _, st := range list {
				if st.IfTrunkServer {
					trunks = append(trunks, string(codec.FixedBytes(st.ID)))
				}
			}
			if err == nil && len(trunks) == 1 && trunks[0] == "127.0.6.3" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s lists trunk servers %v (%v), want 127.0.6.3", s.Addr(), trunks, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// the trunk server's reports (72-74): only it may report; the group
	// keeps the largest container id, saves it, and lists it with the free
	// trunk space
	var trunkPeer *peer
	for _, ip := range []string{"127.0.6.3"} {
		trunkPeer = dialPeer(t, leader, ip)
		if st := trunkPeer.clusterJoin(leader, all, "group1"); st != codec.OK {
			t.Fatalf("JOIN %s: %s", ip, st.Name())
		}
	}
	unjoined := dialPeer(t, leader, "127.0.6.3")
	if st, _ := unjoined.call(codec.CmdStorageReportTrunkFree, codec.AppendInt64(nil, 5)); st != codec.EACCES {
		t.Errorf("REPORT_TRUNK_FREE before JOIN: %s, want EACCES", st.Name())
	}
	reports := []struct {
		name string
		p    *peer
		cmd  byte
		body []byte
		want codec.Errno
	}{
		{"free from a member", leaderPeer, codec.CmdStorageReportTrunkFree, codec.AppendInt64(nil, 9), codec.EINVAL},
		{"fid from a member", leaderPeer, codec.CmdStorageReportTrunkFID, codec.AppendInt32(nil, 9), codec.EINVAL},
		{"free, 7 bytes", trunkPeer, codec.CmdStorageReportTrunkFree, make([]byte, 7), codec.EINVAL},
		{"negative free", trunkPeer, codec.CmdStorageReportTrunkFree, codec.AppendInt64(nil, -1), codec.EINVAL},
		{"free", trunkPeer, codec.CmdStorageReportTrunkFree, codec.AppendInt64(nil, 123), codec.OK},
		{"fid", trunkPeer, codec.CmdStorageReportTrunkFID, codec.AppendInt32(nil, 17), codec.OK},
		{"a smaller fid", trunkPeer, codec.CmdStorageReportTrunkFID, codec.AppendInt32(nil, 3), codec.OK},
		{"fetch with a body", leaderPeer, codec.CmdStorageFetchTrunkFID, []byte{0}, codec.EINVAL},
	}
	for _, c := range reports {
		if st, reply := c.p.call(c.cmd, c.body); st != c.want || len(reply) != 0 {
			t.Errorf("%s: %s %x, want %s", c.name, st.Name(), reply, c.want.Name())
		}
	}
	if st, reply := leaderPeer.call(codec.CmdStorageFetchTrunkFID, nil); st != codec.OK || string(reply) != "\x00\x00\x00\x11" {
		t.Errorf("FETCH_TRUNK_FID: %s %x, want 17", st.Name(), reply)
	}
	if g, err := newClient(t, leader).ListGroup(context.Background(), "group1"); err != nil ||
		g.TrunkFreeMB != 123 || g.CurrentTrunkFileID != 17 {
		t.Errorf("group after the reports: %+v %v", g, err)
	}
	// C's logs/trunk_server_change.log: one line for the change
	changes, err := os.ReadFile(filepath.Join(leader.cfg.BasePath, "logs", "trunk_server_change.log"))
	if lines := strings.Split(strings.TrimSuffix(string(changes), "\n"), "\n"); err != nil || len(lines) != 1 ||
		!regexp.MustCompile(`^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] group1  -  =>  127\.0\.6\.3:\d+$`).MatchString(lines[0]) {
		t.Errorf("trunk_server_change.log %q %v", changes, err)
	}
	groups, err := os.ReadFile(filepath.Join(leader.cfg.BasePath, "data", "storage_groups_new.dat"))
	if err != nil || !strings.Contains(string(groups), "trunk_server=127.0.6.3\n") ||
		!strings.Contains(string(groups), "last_trunk_server=127.0.6.3\n") ||
		!strings.Contains(string(groups), "current_trunk_file_id=17\n") {
		t.Errorf("groups file %v:\n%s", err, groups)
	}
}
