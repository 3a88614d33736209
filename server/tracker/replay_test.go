package tracker

import (
	"bytes"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/codec/capture"
)

// TestReplayClusterStartup replays every request a storage (and the
// monitor) sent to the lone C tracker in cluster_startup_fresh, each on its
// own connection from the same 127.0.0.x, and compares our replies with
// C's: status, length and every field that does not depend on the clock.
//
// One difference is C's, not a protocol rule: the C tracker ran for about
// 30 s without a leader (its election had not finished), so its first
// change notices are a bare 00; ours is the leader from the start. Those
// replies are checked for shape only; from C's first leader notice on, the
// member lists must agree.
func TestReplayClusterStartup(t *testing.T) {
	dir, err := capture.Dir()
	if err != nil {
		t.Fatal(err)
	}
	ex, err := capture.LoadFile(dir + "/cluster/cluster_startup_fresh.payload.txt")
	if err != nil {
		t.Fatal(err)
	}
	clock := newTestClock()
	s := startTracker(t, testConf(t, t.TempDir(), upstreamSampleConf...), WithClock(clock.Now))

	type connReplay struct {
		p          *peer
		cLeaderSaw bool // C sent its leader brief on this connection
	}
	conns := map[string]*connReplay{}
	replayed := map[byte]int{}
	for _, e := range ex {
		req := e.Request
		if !strings.HasSuffix(req.To, ":22122") || req.Partial {
			continue
		}
		clock.set(captureTime(t, req.Time))
		cr := conns[req.From]
		if cr == nil {
			host, _, _ := net.SplitHostPort(req.From)
			cr = &connReplay{p: dialPeer(t, s, host)}
			conns[req.From] = cr
		}
		body := req.Body
		if req.Cmd == codec.CmdStorageJoin {
			body = retargetJoin(t, body, s)
		}
		if req.Cmd == codec.CmdQuit {
			if _, err := cr.p.conn.Write(codec.Request(codec.CmdQuit, 0).Append(nil)); err != nil {
				t.Fatal(err)
			}
			if !cr.p.closed() {
				t.Fatalf("%s: QUIT did not close", e)
			}
			continue
		}
		if e.Reply == nil {
			continue
		}
		st, got := cr.p.call(req.Cmd, body)
		replayed[req.Cmd]++
		if byte(st) != e.Reply.Status {
			t.Fatalf("%s: status %d, C %d", e, st, e.Reply.Status)
		}
		if err := compareReply(req.Cmd, got, e.Reply.Body, &cr.cLeaderSaw); err != nil {
			t.Fatalf("%s: %v\n ours %x\n C    %x", e, err, got, e.Reply.Body)
		}
	}
	t.Logf("replayed per command: %v", replayed)
	for _, cmd := range []byte{60, 75, 81, 83, 84, 86, 87, 88, 76, 77, 91, 92} {
		if replayed[cmd] == 0 {
			t.Errorf("no cmd %d replayed", cmd)
		}
	}
}

func (c *testClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func captureTime(t *testing.T, s string) time.Time {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9))
}

// retargetJoin points the JOIN's tracker list at our tracker (same IP, our
// port); everything else is sent as C's storage sent it.
func retargetJoin(t *testing.T, body []byte, s *Server) []byte {
	var req codec.StorageJoinRequest
	if err := req.Decode(body); err != nil {
		t.Fatal(err)
	}
	req.TrackerList, req.TrackerCount = nil, 0
	req.AddTracker([]byte(s.Addr()))
	return req.Append(nil)
}

func compareReply(cmd byte, ours, c []byte, cLeaderSaw *bool) error {
	switch cmd {
	case codec.CmdStorageBeat, codec.CmdStorageReportDiskUsage, codec.CmdStorageSyncReport:
		return compareNotice(ours, c, cLeaderSaw)
	case codec.CmdServerListAllGroups, codec.CmdServerListOneGroup:
		return compareGroups(ours, c)
	case codec.CmdServerListStorage:
		return compareStorages(ours, c)
	case codec.CmdStorageSyncDestReq, codec.CmdStorageSyncSrcReq, codec.CmdStorageSyncDestQuery:
		// until is the tracker's clock: same length, same source
		if len(ours) != len(c) || len(c) == codec.SyncSourceSize && !bytes.Equal(ours[:16], c[:16]) {
			return fmt.Errorf("sync source differs")
		}
		return nil
	}
	if !bytes.Equal(ours, c) {
		return fmt.Errorf("body differs")
	}
	return nil
}

func compareNotice(ours, c []byte, cLeaderSaw *bool) error {
	var o, w codec.ChangeNotice
	if err := o.Decode(ours); err != nil {
		return err
	}
	if err := w.Decode(c); err != nil {
		return err
	}
	if w.Flags&codec.ChangeTrackerLeader != 0 {
		*cLeaderSaw = true
		if o.Flags&codec.ChangeTrackerLeader != 0 && !bytes.Equal(o.Leader.IP, w.Leader.IP) {
			return fmt.Errorf("leader %s, C %s", o.Leader.IP, w.Leader.IP)
		}
	}
	if !*cLeaderSaw {
		return nil // C had no leader yet
	}
	if o.Flags&codec.ChangeGroupServers != w.Flags&codec.ChangeGroupServers {
		return fmt.Errorf("flags %#x, C %#x", o.Flags, w.Flags)
	}
	if !bytes.Equal(o.Members, w.Members) {
		return fmt.Errorf("member briefs differ")
	}
	return nil
}

func compareGroups(ours, c []byte) error {
	o, err := codec.DecodeGroupStats(nil, ours, codec.ListV6_15)
	if err != nil {
		return err
	}
	w, err := codec.DecodeGroupStats(nil, c, codec.ListV6_15)
	if err != nil {
		return err
	}
	if len(o) != len(w) {
		return fmt.Errorf("%d groups, C %d", len(o), len(w))
	}
	for i := range o {
		a, b := o[i], w[i]
		if fmt.Sprint(a) != fmt.Sprint(b) {
			return fmt.Errorf("group %s:\n ours %+v\n C    %+v", b.GroupName, a, b)
		}
	}
	return nil
}

func compareStorages(ours, c []byte) error {
	o, err := codec.DecodeStorageStats(nil, ours, codec.ListV6_15)
	if err != nil {
		return err
	}
	w, err := codec.DecodeStorageStats(nil, c, codec.ListV6_15)
	if err != nil {
		return err
	}
	if len(o) != len(w) {
		return fmt.Errorf("%d storages, C %d", len(o), len(w))
	}
	for i := range o {
		a, b := o[i], w[i]
		// the heartbeat time is the tracker's (cached) clock
		a.Stat.LastHeartBeatTime, b.Stat.LastHeartBeatTime = 0, 0
		if fmt.Sprint(a) != fmt.Sprint(b) {
			return fmt.Errorf("storage %s:\n ours %+v\n C    %+v", b.ID, a, b)
		}
	}
	return nil
}
