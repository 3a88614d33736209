package tracker

import (
	"context"
	"errors"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/server/internal/engine"
)

func TestJoinBeatAndQueryStore(t *testing.T) {
	s := startTracker(t, testConf(t, t.TempDir(), "reserved_storage_space = 10%"))
	p := dialPeer(t, s, "127.0.0.2")
	st, body := p.call(codec.CmdStorageJoin, p.joinRequest(s, "group1", true, 0).Append(nil))
	var r codec.StorageJoinReply
	if st != codec.OK || r.Decode(body) != nil {
		t.Fatalf("JOIN: %s %x", st.Name(), body)
	}
	if r.Status != StatusInit || len(r.SrcID) != 0 {
		t.Fatalf("first join reply %+v, want INIT and no source", r)
	}
	// a lone storage asks for a source: none, so it goes ONLINE
	if st, body := p.call(codec.CmdStorageSyncDestReq, nil); st != codec.OK || len(body) != 0 {
		t.Fatalf("SYNC_DEST_REQ: %s %d bytes", st.Name(), len(body))
	}
	n := p.beat()
	if n.Flags != codec.ChangeTrackerLeader|codec.ChangeGroupServers || n.MemberCount() != 1 {
		t.Fatalf("first beat notice flags %#x members %d", n.Flags, n.MemberCount())
	}
	if m := n.Member(0); string(m.ID) != "127.0.0.2" || m.Status != StatusActive || m.Port != 23000 {
		t.Fatalf("member brief %+v", m)
	}
	if string(n.Leader.IP) != "127.0.0.10" || n.Leader.Port != int32(s.port()) {
		t.Fatalf("leader brief %+v", n.Leader)
	}
	p.diskUsage(codec.PathUsage{TotalMB: 1000, FreeMB: 500})

	c := newClient(t, s)
	got, err := c.QueryStore(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if got.Addr != "127.0.0.2:23000" || got.Group != "group1" {
		t.Fatalf("QueryStore = %+v", got)
	}
}

// A second tracker on the address of a running one fails to start, as a C
// tracker does ("address in use"), although the loops listen with
// SO_REUSEPORT (which would let it share the port).
func TestSecondTrackerOnSameAddressFails(t *testing.T) {
	first := startTracker(t, testConf(t, t.TempDir()), WithMulticore(true))
	second, err := New(testConf(t, t.TempDir()), WithListenAddr(first.Addr()), WithLogger(testLogger(t)),
		WithMulticore(true))
	if err != nil {
		t.Fatal(err)
	}
	err = second.Start()
	if !errors.Is(err, engine.ErrAddrInUse) {
		t.Fatalf("second tracker on %s: %v, want address in use", first.Addr(), err)
	}
}
