package client

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
)

// request is one request a scripted tracker received.
type request struct {
	cmd  byte
	body []byte
}

// newAnsweringServer serves requests one by one on each connection; answer
// returns the reply's status and body for each. It records every request.
func newAnsweringServer(t *testing.T, answer func(r request) (byte, []byte)) (*scriptedServer, func() []request) {
	var mu sync.Mutex
	var got []request
	s := newScriptedServer(t, func(c net.Conn) {
		var hdr [codec.HeaderSize]byte
		for {
			if _, err := io.ReadFull(c, hdr[:]); err != nil {
				return
			}
			body := make([]byte, binary.BigEndian.Uint64(hdr[:8]))
			if _, err := io.ReadFull(c, body); err != nil {
				return
			}
			r := request{cmd: hdr[8], body: body}
			mu.Lock()
			got = append(got, r)
			mu.Unlock()
			status, reply := answer(r)
			c.Write(append(codec.Reply(status, len(reply)).Append(nil), reply...))
		}
	})
	return s, func() []request { mu.Lock(); defer mu.Unlock(); return append([]request(nil), got...) }
}

// setTrunkBody is the SET_TRUNK_SERVER request of client.md §4.8 written out
// by hand: group str[16], then the id without NUL.
func setTrunkBody(group, id string) []byte {
	b := make([]byte, 16)
	copy(b, group)
	return append(b, id...)
}

func TestSetTrunkServerSkipsFollowersToTheLeader(t *testing.T) {
	follower, fReqs := newAnsweringServer(t, func(request) (byte, []byte) { return byte(codec.EOPNOTSUPP), nil })
	leader, lReqs := newAnsweringServer(t, func(request) (byte, []byte) { return 0, []byte("127.0.7.5\x00") })
	c := newTestClient(t, Config{Trackers: []string{follower.addr(), leader.addr()}})

	id, err := c.SetTrunkServer(context.Background(), "group1", "127.0.7.5")
	if err != nil || id != "127.0.7.5" {
		t.Fatalf("SetTrunkServer = %q, %v", id, err)
	}
	want := setTrunkBody("group1", "127.0.7.5")
	for _, reqs := range [][]request{fReqs(), lReqs()} {
		if len(reqs) != 1 || reqs[0].cmd != codec.CmdServerSetTrunkServer || string(reqs[0].body) != string(want) {
			t.Fatalf("requests %+v, want one cmd 94 with %q", reqs, want)
		}
	}

	// no id: the body is the group alone (16 bytes)
	if _, err := c.SetTrunkServer(context.Background(), "group1", ""); err != nil {
		t.Fatal(err)
	}
	if r := lReqs(); len(r[len(r)-1].body) != 16 {
		t.Fatalf("body without id: %d bytes", len(r[len(r)-1].body))
	}
}

func TestSetTrunkServerStopsAtARealAnswer(t *testing.T) {
	first, _ := newAnsweringServer(t, func(request) (byte, []byte) { return byte(codec.EALREADY), nil })
	second, sReqs := newAnsweringServer(t, func(request) (byte, []byte) { return 0, []byte("x\x00") })
	c := newTestClient(t, Config{Trackers: []string{first.addr(), second.addr()}})
	_, err := c.SetTrunkServer(context.Background(), "group1", "127.0.7.5")
	if !errors.Is(err, codec.EALREADY) {
		t.Fatalf("err = %v, want EALREADY", err)
	}
	if n := len(sReqs()); n != 0 {
		t.Fatalf("asked the next tracker after a real answer (%d requests)", n)
	}

	// every tracker refusing: the last refusal is the answer
	only, _ := newAnsweringServer(t, func(request) (byte, []byte) { return byte(codec.EOPNOTSUPP), nil })
	c2 := newTestClient(t, Config{Trackers: []string{only.addr()}})
	if _, err := c2.SetTrunkServer(context.Background(), "group1", ""); !errors.Is(err, codec.EOPNOTSUPP) {
		t.Fatalf("err = %v, want EOPNOTSUPP", err)
	}
}

func TestTrackerClusterStatFollowsTheLeader(t *testing.T) {
	stats := codec.TrackerClusterStatReply{Trackers: []codec.TrackerStat{
		{Host: []byte("127.0.7.1:22122"), IsLeader: true, IsActive: true, Version: []byte("6.16.1"), UpTime: 1795299424},
		{Host: []byte("127.0.7.2:22122"), IsActive: true, Version: []byte("6.16.1"), LastHeartbeatTime: 1795299425,
			Connection: codec.ConnectionStat{AllocCount: 256, CurrentCount: 2, MaxCount: 3}},
	}}
	leader, lReqs := newAnsweringServer(t, func(r request) (byte, []byte) {
		if r.cmd != codec.CmdServerTrackerClusterStat {
			return byte(codec.EINVAL), nil
		}
		return 0, stats.Append(nil)
	})
	follower, _ := newAnsweringServer(t, func(r request) (byte, []byte) {
		if r.cmd == codec.CmdServerGetLeader {
			return 0, []byte(leader.addr())
		}
		return byte(codec.EOPNOTSUPP), nil
	})
	c := newTestClient(t, Config{Trackers: []string{follower.addr()}})
	got, err := c.TrackerClusterStat(context.Background(),
		codec.TrackerClusterStatRequest{FilterBy: codec.TrackerStatFilterLeader, IsLeader: false})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || string(got[1].Host) != "127.0.7.2:22122" || got[1].Connection.MaxCount != 3 ||
		!got[0].IsLeader || got[1].LastHeartbeatTime != 1795299425 {
		t.Fatalf("trackers %+v", got)
	}
	// the filter goes out as client.md §4.11's 3 bytes
	if r := lReqs(); len(r) != 1 || string(r[0].body) != "\x02\x00\x00" {
		t.Fatalf("leader got %+v", r)
	}
}
