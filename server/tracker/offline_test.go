package tracker

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// A storage that stops beating goes OFFLINE after check_active_interval and
// is no longer handed out; its next beat brings it back.
func TestHeartbeatTimeout(t *testing.T) {
	c := startCluster(t, []string{"check_active_interval = 30", "store_lookup = 1", "store_group = group1"},
		[]memberSpec{defaultMembers()[0], defaultMembers()[1]})
	// 127.0.0.2 keeps beating, 127.0.0.3 falls silent
	c.clock.Advance(20 * time.Second)
	c.peers["127.0.0.2"].beat()
	c.clock.Advance(20 * time.Second)
	c.peers["127.0.0.2"].beat()
	waitStatus(t, c.cli, "group1", "127.0.0.3", StatusOffline)
	if got := statusOf(t, c.cli, "group1", "127.0.0.2"); got != StatusActive {
		t.Fatalf("beating storage is %s", statusName(got))
	}
	for _, got := range c.stores(t, "", 3) {
		if got != "group1 127.0.0.2/0" {
			t.Fatalf("store query handed out %s", got)
		}
	}
	c.peers["127.0.0.3"].beat()
	if got := statusOf(t, c.cli, "group1", "127.0.0.3"); got != StatusActive {
		t.Fatalf("after a new beat: %s", statusName(got))
	}
}

// QUIT or a closed connection of a joined storage makes it OFFLINE at once.
func TestDisconnectGoesOffline(t *testing.T) {
	for _, how := range []string{"quit", "close"} {
		t.Run(how, func(t *testing.T) {
			c := startCluster(t, []string{"store_lookup = 1", "store_group = group1"},
				[]memberSpec{defaultMembers()[0], defaultMembers()[1]})
			p := c.peers["127.0.0.3"]
			if how == "quit" {
				p.quit()
				if !p.closed() {
					t.Fatal("QUIT did not close the connection")
				}
			} else {
				p.conn.Close()
			}
			waitStatus(t, c.cli, "group1", "127.0.0.3", StatusOffline)
			list, err := c.cli.ListStorages(context.Background(), "group1", "127.0.0.3")
			if err != nil || list[0].UpTime != 0 {
				t.Fatalf("offline record: %v up_time %d", err, list[0].UpTime)
			}
			for _, got := range c.stores(t, "", 3) {
				if got != "group1 127.0.0.2/0" {
					t.Fatalf("store query handed out %s", got)
				}
			}
			// it comes back with a new connection
			q := dialPeer(t, c.srv, "127.0.0.3")
			if r := q.join(c.srv, "group1"); r.Status != StatusOnline {
				t.Fatalf("re-join status %s, want ONLINE", statusName(r.Status))
			}
			n := q.beat()
			if n.Flags&codec.ChangeTrackerLeader == 0 || n.Flags&codec.ChangeGroupServers == 0 {
				t.Fatalf("first notice on the new connection has flags %#x", n.Flags)
			}
			if n := q.beat(); n.Flags != 0 {
				t.Fatalf("second notice without changes has flags %#x", n.Flags)
			}
		})
	}
}

func TestDeleteStorageAndGroup(t *testing.T) {
	c := startCluster(t, nil, []memberSpec{defaultMembers()[0], defaultMembers()[1]})
	ctx := context.Background()
	if err := c.cli.DeleteStorage(ctx, "group1", "127.0.0.3"); !errors.Is(err, codec.EBUSY) {
		t.Fatalf("delete of an ACTIVE storage: %v, want EBUSY", err)
	}
	admin := dialPeer(t, c.srv, "127.0.0.8")
	deleteBody := func(id string) []byte { return append(codec.AppendFixed(nil, "group1", 16), id...) }
	if st, _ := admin.call(codec.CmdServerDeleteStorage, deleteBody("127.0.0.99")); st != codec.ENOENT {
		t.Fatalf("delete of an unknown storage: %s, want ENOENT", st.Name())
	}
	p := c.peers["127.0.0.3"]
	p.conn.Close()
	waitStatus(t, c.cli, "group1", "127.0.0.3", StatusOffline)
	if err := c.cli.DeleteStorage(ctx, "group1", "127.0.0.3"); err != nil {
		t.Fatalf("delete of an OFFLINE storage: %v", err)
	}
	if got := statusOf(t, c.cli, "group1", "127.0.0.3"); got != StatusDeleted {
		t.Fatalf("status %s, want DELETED", statusName(got))
	}
	// the client tool treats EALREADY as done; the tracker says it
	if st, _ := admin.call(codec.CmdServerDeleteStorage, deleteBody("127.0.0.3")); st != codec.EALREADY {
		t.Fatalf("second delete: %s, want EALREADY", st.Name())
	}
	// the remaining member reads the deletion from the changelog
	st, log := c.peers["127.0.0.2"].call(codec.CmdStorageChangelogReq, nil)
	var line codec.ChangelogLine
	if _, err := line.Parse(log); st != codec.OK || err != nil ||
		string(line.Group) != "group1" || string(line.StorageID) != "127.0.0.3" || line.Status != StatusDeleted {
		t.Fatalf("changelog: %s %q %v", st.Name(), log, err)
	}
	if line.Timestamp != c.clock.Now().Unix() || len(log) != len("1795298744 group1 127.0.0.3 4 \n") {
		t.Fatalf("changelog line %q", log)
	}
	if st, log := c.peers["127.0.0.2"].call(codec.CmdStorageChangelogReq, nil); st != codec.OK || len(log) != 0 {
		t.Fatalf("second changelog read: %s %q", st.Name(), log)
	}
	// a deleted storage that comes back claiming its old status is refused
	q := dialPeer(t, c.srv, "127.0.0.3")
	req := q.joinRequest(c.srv, "group1", false, int8(StatusActive))
	if st, body := q.call(codec.CmdStorageJoin, req.Append(nil)); st != codec.OK || body[0] != StatusInit {
		t.Fatalf("re-join of a deleted storage: %s, want INIT", st.Name())
	}
	if err := c.cli.DeleteGroup(ctx, "group1"); !errors.Is(err, codec.EBUSY) {
		t.Fatalf("delete of a group with storages: %v, want EBUSY", err)
	}
	if st, _ := admin.call(codec.CmdServerDeleteGroup, codec.AppendFixed(nil, "group5", 16)); st != codec.ENOENT {
		t.Fatalf("delete of an unknown group: %s, want ENOENT", st.Name())
	}
	// a group whose storages are all deleted can go
	empty := dialPeer(t, c.srv, "127.0.0.6")
	empty.activate(c.srv, "group6")
	empty.conn.Close()
	waitStatus(t, c.cli, "group6", "127.0.0.6", StatusOffline)
	if st, _ := admin.call(codec.CmdServerDeleteStorage, append(codec.AppendFixed(nil, "group6", 16), "127.0.0.6"...)); st != codec.OK {
		t.Fatalf("delete 127.0.0.6: %s", st.Name())
	}
	if err := c.cli.DeleteGroup(ctx, "group6"); err != nil {
		t.Fatalf("delete of a group of deleted storages: %v", err)
	}
	if _, err := c.cli.ListGroup(ctx, "group6"); !errors.Is(err, codec.ENOENT) {
		t.Fatalf("deleted group still listed: %v", err)
	}
}

// A storage back on a new IP takes its record along; the old IP stays as
// IP_CHANGED and the changelog tells the peers.
func TestReportIPChanged(t *testing.T) {
	c := startCluster(t, nil, []memberSpec{defaultMembers()[0], defaultMembers()[1]})
	c.peers["127.0.0.3"].conn.Close()
	waitStatus(t, c.cli, "group1", "127.0.0.3", StatusOffline)
	moved := dialPeer(t, c.srv, "127.0.0.7")
	report := func(oldIP, newIP string) codec.Errno {
		req := codec.ReportIPChangedRequest{Group: []byte("group1"), OldIP: []byte(oldIP), NewIP: []byte(newIP)}
		st, _ := moved.call(codec.CmdStorageReportIPChanged, req.Append(nil))
		return st
	}
	for _, tc := range []struct {
		oldIP, newIP string
		want         codec.Errno
	}{
		{"127.0.0.3", "127.0.0.8", codec.EINVAL}, // not the sender's address
		{"127.0.0.2", "127.0.0.7", codec.EBUSY},  // still ACTIVE
		{"127.0.0.9", "127.0.0.7", codec.ENOENT},
		{"127.0.0.3", "127.0.0.7", codec.OK},
		{"127.0.0.3", "127.0.0.7", codec.EALREADY},
	} {
		if st := report(tc.oldIP, tc.newIP); st != tc.want {
			t.Fatalf("%s -> %s: %s, want %s", tc.oldIP, tc.newIP, st.Name(), tc.want.Name())
		}
	}
	if got := statusOf(t, c.cli, "group1", "127.0.0.3"); got != StatusIPChanged {
		t.Fatalf("old IP record: %s", statusName(got))
	}
	list, err := c.cli.ListStorages(context.Background(), "group1", "127.0.0.7")
	if err != nil || list[0].Status != StatusOffline || list[0].TotalMB != 100000 || string(list[0].IP) != "127.0.0.7" {
		t.Fatalf("new IP record: %v %+v", err, list)
	}
	st, log := c.peers["127.0.0.2"].call(codec.CmdStorageChangelogReq, nil)
	if st != codec.OK || string(log) != "1795298744 group1 127.0.0.3 3 127.0.0.7\n" {
		t.Fatalf("changelog: %s %q", st.Name(), log)
	}
	// the moved storage joins under its new IP and is served again
	moved.activate(c.srv, "group1")
	if got := statusOf(t, c.cli, "group1", "127.0.0.7"); got != StatusActive {
		t.Fatalf("after the join: %s", statusName(got))
	}
}
