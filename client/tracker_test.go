package client

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
)

const (
	cTracker  = "127.0.0.10:22122" // the C tracker in vectors/client
	cStorage2 = "127.0.0.2:23000"
	cStorage3 = "127.0.0.3:23000"
	toolHost  = "127.0.0.1" // where the C tools ran
)

// requestFileID returns the file ID carried by the first captured request of
// cmd whose body is group[16] + name.
func requestFileID(t *testing.T, capName string, cmd byte, skip int) string {
	t.Helper()
	for _, e := range loadCapture(t, capName) {
		if e.Request.Cmd != cmd {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		b := e.Request.Body
		return codec.FixedString(b[:16]) + "/" + string(b[16:])
	}
	t.Fatalf("%s has no request %d", capName, cmd)
	return ""
}

func TestListGroupsAndStoragesLikeFdfsMonitor(t *testing.T) {
	ex := loadCapture(t, "fdfs_monitor")
	rc := replayCluster{cTracker: newReplayPeer(t, ex, cTracker, toolHost)}
	c := rc.client(t, cTracker)
	ctx := context.Background()

	groups, err := c.ListGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 1 {
		t.Fatalf("%d groups", len(groups))
	}
	g := groups[0]
	// values as fdfs_monitor.out prints them
	if string(g.GroupName) != "group1" || g.StorageCount != 2 || g.ReadableServerCount != 2 ||
		g.WritableServerCount != 2 || g.StoragePort != 23000 || g.StorePathCount != 1 ||
		g.SubdirCountPerPath != 256 || g.CurrentWriteServer != 1 || g.TotalMB/1024 != 251 {
		t.Fatalf("group %+v", g)
	}
	st, err := c.ListStorages(ctx, "group1", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 2 {
		t.Fatalf("%d storages", len(st))
	}
	s := st[0]
	if string(s.ID) != "127.0.0.2" || string(s.IP) != "127.0.0.2" || s.Status != StatusActive ||
		string(s.Version) != "6.16.1" || string(s.SrcID) != "127.0.0.3" || s.UploadPriority != 10 ||
		s.Stat.Connection.AllocCount != 64 || s.Stat.Connection.MaxCount != 34 {
		t.Fatalf("storage 1 %+v", s)
	}
	if string(st[1].ID) != "127.0.0.3" {
		t.Fatalf("storage 2 id %q", st[1].ID)
	}
}

func TestQueryFetchAllLikeFdfsTest(t *testing.T) {
	ex := loadCapture(t, "fdfs_test_query_servers")
	rc := replayCluster{cTracker: newReplayPeer(t, ex, cTracker, toolHost)}
	c := rc.client(t, cTracker)
	id := requestFileID(t, "fdfs_test_query_servers", codec.CmdQueryFetchAll, 0)
	servers, err := c.QueryFetchAll(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	// fdfs_test_query_servers.out: "server list (1): 127.0.0.3:23000"
	if len(servers) != 1 || servers[0].Addr != cStorage3 || servers[0].Group != "group1" {
		t.Fatalf("servers %+v", servers)
	}
}

func TestTrackerFailover(t *testing.T) {
	ex := loadCapture(t, "fdfs_test_query_servers")
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	rc := replayCluster{cTracker: newReplayPeer(t, ex, cTracker, toolHost)}
	c, err := New(Config{Trackers: []string{"dead:22122", cTracker}, Dial: func(ctx context.Context, addr string) (net.Conn, error) {
		if addr == "dead:22122" {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", dead)
		}
		return rc.dial(ctx, addr)
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	id := requestFileID(t, "fdfs_test_query_servers", codec.CmdQueryFetchAll, 0)
	if _, err := c.QueryFetchAll(context.Background(), id); err != nil {
		t.Fatalf("no failover to the live tracker: %v", err)
	}
	if c.next.Load() != 1 {
		t.Fatalf("the live tracker is not tried first next time")
	}
}

func TestAllTrackersDown(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	c := newTestClient(t, Config{Trackers: []string{dead, dead}})
	_, err := c.QueryStore(context.Background(), "")
	if err == nil {
		t.Fatal("query against dead trackers succeeded")
	}
	var se *StatusError
	if errors.As(err, &se) {
		t.Fatalf("dial failure reported as a status: %v", err)
	}
}

func TestStatusAnswerDoesNotFailOver(t *testing.T) {
	var calls atomic.Int32
	s := newScriptedServer(t, func(c net.Conn) {
		var hdr [10]byte
		for {
			if _, err := readFull(c, hdr[:]); err != nil {
				return
			}
			h, _ := codec.DecodeHeader(hdr[:])
			if _, err := readFull(c, make([]byte, h.BodyLen)); err != nil {
				return
			}
			calls.Add(1)
			c.Write(codec.Reply(byte(codec.ENOENT), 0).Append(nil))
		}
	})
	c := newTestClient(t, Config{Trackers: []string{s.addr(), s.addr()}})
	_, err := c.QueryStore(context.Background(), "nogroup")
	if !errors.Is(err, codec.ENOENT) {
		t.Fatalf("err = %v", err)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("ENOENT answer retried on another tracker (%d calls): %v", n, err)
	}
}

func TestMalformedFileIDRejectedLocally(t *testing.T) {
	c := newTestClient(t, Config{})
	for _, id := range []string{"", "group1", "/M00/00/00/x", "group1/", "seventeen-chars-g/M00/00/00/x"} {
		if _, err := c.QueryFetch(context.Background(), id); !errors.Is(err, codec.EINVAL) {
			t.Errorf("file ID %q: err = %v, want EINVAL", id, err)
		}
	}
}
