package tracker

import (
	"context"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
)

func TestJoinRules(t *testing.T) {
	s := startTracker(t, testConf(t, t.TempDir()))
	c := newClient(t, s)

	t.Run("tracker not in the list", func(t *testing.T) {
		p := dialPeer(t, s, "127.0.0.2")
		req := p.joinRequest(s, "group1", true, 0)
		req.TrackerList, req.TrackerCount = nil, 0
		req.AddTracker([]byte("127.0.0.77:22122"))
		if st, _ := p.call(codec.CmdStorageJoin, req.Append(nil)); st != codec.ENOENT {
			t.Fatalf("JOIN without us in the list: %s, want ENOENT", st.Name())
		}
	})
	t.Run("bad group name", func(t *testing.T) {
		p := dialPeer(t, s, "127.0.0.2")
		req := p.joinRequest(s, "group-1", true, 0)
		if st, _ := p.call(codec.CmdStorageJoin, req.Append(nil)); st != codec.EINVAL {
			t.Fatalf("JOIN of group-1: %s, want EINVAL", st.Name())
		}
	})
	for _, status := range []int8{-1, int8(StatusDeleted), int8(StatusIPChanged), int8(StatusNone)} {
		t.Run("unknown storage claims status "+statusName(byte(status)), func(t *testing.T) {
			p := dialPeer(t, s, "127.0.0.3")
			req := p.joinRequest(s, "group1", false, status)
			if st, _ := p.call(codec.CmdStorageJoin, req.Append(nil)); st != codec.EFAULT {
				t.Fatalf("JOIN: %s, want EFAULT", st.Name())
			}
		})
	}
	t.Run("unknown storage reported ACTIVE comes in ONLINE", func(t *testing.T) {
		p := dialPeer(t, s, "127.0.0.4")
		req := p.joinRequest(s, "group1", false, int8(StatusActive))
		st, body := p.call(codec.CmdStorageJoin, req.Append(nil))
		if st != codec.OK || body[0] != StatusOnline {
			t.Fatalf("JOIN: %s status %d, want ONLINE", st.Name(), body[0])
		}
	})
	t.Run("init flag gives INIT, a source, then WAIT_SYNC", func(t *testing.T) {
		a := dialPeer(t, s, "127.0.0.5")
		a.activate(s, "group2")
		b := dialPeer(t, s, "127.0.0.6")
		req := b.joinRequest(s, "group2", true, 0)
		st, body := b.call(codec.CmdStorageJoin, req.Append(nil))
		if st != codec.OK || body[0] != StatusInit {
			t.Fatalf("JOIN: %s status %d", st.Name(), body[0])
		}
		st, body = b.call(codec.CmdStorageSyncDestReq, nil)
		var src codec.SyncSourceReply
		if st != codec.OK || src.Decode(body) != nil || !src.Found || string(src.Source.SrcID) != "127.0.0.5" {
			t.Fatalf("SYNC_DEST_REQ: %s %x", st.Name(), body)
		}
		if got := statusOf(t, c, "group2", "127.0.0.6"); got != StatusWaitSync {
			t.Fatalf("status %s, want WAIT_SYNC", statusName(got))
		}
		// the source learns it through SYNC_SRC_REQ
		q := codec.SyncSourceRequest{Group: []byte("group2"), DestID: []byte("127.0.0.6")}
		st, body = a.call(codec.CmdStorageSyncSrcReq, q.Append(nil))
		if st != codec.OK || src.Decode(body) != nil || string(src.Source.SrcID) != "127.0.0.5" {
			t.Fatalf("SYNC_SRC_REQ: %s %x", st.Name(), body)
		}
		// the source pushes SYNCING then OFFLINE; the next beat makes it ACTIVE
		for _, pushed := range []byte{StatusSyncing, StatusOffline} {
			rs := codec.ReportStatusRequest{Group: []byte("group2"),
				Storage: codec.StorageBrief{Status: pushed, ID: []byte("127.0.0.6"), IP: []byte("127.0.0.6")}}
			if st, _ := a.call(codec.CmdStorageReportStatus, rs.Append(nil)); st != codec.OK {
				t.Fatalf("REPORT_STATUS: %s", st.Name())
			}
			if got := statusOf(t, c, "group2", "127.0.0.6"); got != pushed {
				t.Fatalf("status %s, want %s", statusName(got), statusName(pushed))
			}
		}
		b.beat()
		if got := statusOf(t, c, "group2", "127.0.0.6"); got != StatusActive {
			t.Fatalf("status %s after beat, want ACTIVE", statusName(got))
		}
	})
	t.Run("change status", func(t *testing.T) {
		p := dialPeer(t, s, "127.0.0.7")
		p.activate(s, "group3")
		// ACTIVE -> ONLINE is within the available set: ignored
		if st, _ := p.call(codec.CmdStorageChangeStatus, []byte{StatusOnline}); st != codec.OK {
			t.Fatalf("CHANGE_STATUS: %s", st.Name())
		}
		if got := statusOf(t, c, "group3", "127.0.0.7"); got != StatusActive {
			t.Fatalf("status %s, want ACTIVE", statusName(got))
		}
		if st, _ := p.call(codec.CmdStorageChangeStatus, []byte{StatusWaitSync}); st != codec.OK {
			t.Fatalf("CHANGE_STATUS: %s", st.Name())
		}
		if got := statusOf(t, c, "group3", "127.0.0.7"); got != StatusWaitSync {
			t.Fatalf("status %s, want WAIT_SYNC", statusName(got))
		}
	})
	t.Run("get my ip", func(t *testing.T) {
		p := dialPeer(t, s, "127.0.0.8")
		req := codec.GetMyIPRequest{Group: []byte("group1"), Port: 23000}
		st, body := p.call(codec.CmdStorageGetMyIP, req.Append(nil))
		if st != codec.OK || string(body) != "127.0.0.8" {
			t.Fatalf("GET_MY_IP: %s %q", st.Name(), body)
		}
	})
	t.Run("leader", func(t *testing.T) {
		got, err := c.Leader(context.Background())
		if err != nil || got != s.Addr() {
			t.Fatalf("Leader = %q, %v; want %s", got, err, s.Addr())
		}
	})
}

// Steps 7 and 10 of JOIN: port, store path and subdir counts must agree
// with the group unless every other member moved too.
func TestJoinGroupConsistency(t *testing.T) {
	s := startTracker(t, testConf(t, t.TempDir()))
	c := newClient(t, s)
	a := dialPeer(t, s, "127.0.0.2")
	a.join(s, "group1")
	b := dialPeer(t, s, "127.0.0.3")
	try := func(edit func(*codec.StorageJoinRequest)) codec.Errno {
		req := b.joinRequest(s, "group1", false, int8(StatusActive))
		edit(req)
		st, _ := b.call(codec.CmdStorageJoin, req.Append(nil))
		return st
	}
	if st := try(func(r *codec.StorageJoinRequest) { r.StoragePort = 23001 }); st != codec.EINVAL {
		t.Fatalf("other port: %s, want EINVAL", st.Name())
	}
	if st := try(func(r *codec.StorageJoinRequest) { r.SubdirCountPerPath = 128 }); st != codec.EINVAL {
		t.Fatalf("other subdir count: %s, want EINVAL", st.Name())
	}
	if st := try(func(r *codec.StorageJoinRequest) { r.StorePathCount = 2 }); st != codec.OK {
		t.Fatalf("more store paths: %s, want OK (tolerated)", st.Name())
	}
	g, err := c.ListGroup(context.Background(), "group1")
	if err != nil || g.StorePathCount != 1 || g.StoragePort != 23000 {
		t.Fatalf("group after the joins: %+v %v", g, err)
	}
	// a lone member may move: the group follows it
	lone := dialPeer(t, s, "127.0.0.4")
	lone.join(s, "group2")
	req := lone.joinRequest(s, "group2", false, int8(StatusActive))
	req.StoragePort, req.StorePathCount = 23009, 3
	if st, _ := lone.call(codec.CmdStorageJoin, req.Append(nil)); st != codec.OK {
		t.Fatalf("lone member moving: %s", st.Name())
	}
	g, err = c.ListGroup(context.Background(), "group2")
	if err != nil || g.StoragePort != 23009 || g.StorePathCount != 3 {
		t.Fatalf("group2 after the move: %+v %v", g, err)
	}
}
