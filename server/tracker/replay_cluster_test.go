package tracker

import (
	"bytes"
	"cmp"
	"net"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/codec/capture"
)

// TestReplayTwoTrackersStartup replays vectors/cluster/01_two_trackers_startup
// against two of our trackers: every request the storages and the C
// trackers sent to a tracker, in capture order, from the same last octet on
// 127.0.0.x (127.0.2.10 -> 127.0.0.10 ...), with the clock at capture time.
// The trackers' own election loops are held back so that the elections in
// the capture are the only ones: the replayed NOTIFY/COMMIT make tracker2
// the leader, as in C. Tracker-to-tracker replies must equal C's bytes
// (addresses mapped; state files by shape, since which storage had which
// status at that instant is the capture's timing); storage replies must
// have C's status, and change notices C's flags and length.
func TestReplayTwoTrackersStartup(t *testing.T) {
	dir, err := capture.Dir()
	if err != nil {
		t.Fatal(err)
	}
	ex, err := capture.LoadFile(dir + "/cluster/01_two_trackers_startup.payload.txt")
	if err != nil {
		t.Fatal(err)
	}
	clock := newTestClock()
	clock.set(captureTime(t, "1795299841.95")) // both C trackers started then (note.txt)
	hold := WithLeaderInterval(time.Hour)
	a := startMember(t, memberIP(0), t.TempDir(), WithClock(clock.Now), hold)
	b := startMember(t, memberIP(1), t.TempDir(), WithClock(clock.Now), hold)
	ours := map[string]*Server{"127.0.2.10:22122": a, "127.0.2.11:22122": b}
	addrMap := strings.NewReplacer("127.0.2.10:22122", a.Addr(), "127.0.2.11:22122", b.Addr())
	ipMap := func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("127.0.2."), []byte("127.0.0.")) }

	// Replayed in the order of the replies: a JOIN that made C pull the
	// state files was answered after the storage's requests to the other
	// tracker that the pull saw, and ours pulls while it handles the JOIN.
	done := func(e *capture.Exchange) string {
		if e.Reply != nil {
			return e.Reply.Time
		}
		return e.Request.Time
	}
	slices.SortStableFunc(ex, func(x, y *capture.Exchange) int {
		return cmp.Compare(captureTime(t, done(x)).UnixNano(), captureTime(t, done(y)).UnixNano())
	})
	conns := map[string]*peer{}
	replayed := map[byte]int{}
	for _, e := range ex {
		req := e.Request
		s := ours[req.To]
		if s == nil || req.Partial {
			continue
		}
		clock.set(captureTime(t, req.Time))
		key := req.From + ">" + req.To
		p := conns[key]
		if p == nil {
			host, _, _ := net.SplitHostPort(req.From)
			p = dialPeer(t, s, string(ipMap([]byte(host))))
			conns[key] = p
		}
		if req.Cmd == codec.CmdQuit {
			p.quit()
			continue
		}
		if e.Reply == nil {
			continue
		}
		body := req.Body
		switch req.Cmd {
		default: // storage ids and IPs in bodies: same length either way
			body = ipMap(body)
		case codec.CmdStorageJoin:
			var j codec.StorageJoinRequest
			if err := j.Decode(body); err != nil {
				t.Fatal(err)
			}
			j.TrackerList, j.TrackerCount = nil, 0
			j.AddTracker([]byte(a.Addr()))
			j.AddTracker([]byte(b.Addr()))
			host, _, _ := net.SplitHostPort(s.Addr())
			j.CurrentTrackerIP = []byte(host)
			body = j.Append(nil)
		case codec.CmdTrackerNotifyNextLeader, codec.CmdTrackerCommitNextLeader:
			body = []byte(addrMap.Replace(string(body)))
		case codec.CmdTrackerJoinLeader:
			var j codec.TrackerJoinLeader
			if err := j.Decode(body); err != nil {
				t.Fatal(err)
			}
			j.ServerPort = int64(a.port()) // the follower is tracker1
			body = j.Append(nil)
		}
		st, got := p.call(req.Cmd, body)
		replayed[req.Cmd]++
		if byte(st) != e.Reply.Status {
			t.Fatalf("%s: status %s, C %d", e, st.Name(), e.Reply.Status)
		}
		switch {
		case req.Cmd == codec.CmdStorageBeat || req.Cmd == codec.CmdStorageReportDiskUsage:
			// the follower answers 00, the leader its brief and lists
			// exactly when C's did
			if len(got) == 0 || len(e.Reply.Body) == 0 || got[0] != e.Reply.Body[0] || len(got) != len(e.Reply.Body) {
				t.Fatalf("%s: change notice\n ours %x\n C    %x", e, got, e.Reply.Body)
			}
		case req.Cmd == codec.CmdTrackerGetOneSysFile:
			// which storage had which status and beat time at that
			// instant is the capture's timing; the files' shape is ours
			if o, c := stateShape(t, got), stateShape(t, ipMap(e.Reply.Body)); o != c {
				t.Fatalf("%s: file shape\n ours %q\n C    %q", e, o, c)
			}
		case req.Cmd >= codec.CmdTrackerJoinLeader && req.Cmd <= codec.CmdTrackerNotifyReselectLeader:
			if want := ipMap(e.Reply.Body); !bytes.Equal(got, want) {
				t.Fatalf("%s:\n ours %q\n C    %q", e, got, want)
			}
		}
		if req.Cmd == codec.CmdTrackerCommitNextLeader && s == a {
			// tracker2 committed to itself inside C; ours does the same
			// part of its own election here
			b.cl.mu.Lock()
			b.cl.next = b.cl.self
			b.cl.setLeaderLocked(b.cl.self)
			b.cl.mu.Unlock()
		}
	}
	t.Logf("replayed per command: %v", replayed)
	for _, cmd := range []byte{58, 61, 62, 63, 64, 65, 66, 67, 81, 83} {
		if replayed[cmd] == 0 {
			t.Errorf("no cmd %d replayed", cmd)
		}
	}
	for _, s := range []*Server{a, b} {
		if l, st := leaderOf(t, s); st != codec.OK || l != b.Addr() {
			t.Errorf("GET_LEADER at %s: %q %s, want %s", s.Addr(), l, st.Name(), b.Addr())
		}
	}
}

var (
	iniValue = regexp.MustCompile(`=[^\n]*`)
	number   = regexp.MustCompile(`[0-9]+`)
)

// stateShape is a GET_ONE_SYS_FILE reply with its values masked: the keys,
// sections and CSV columns in order, after a size that must match the
// content.
func stateShape(t *testing.T, body []byte) string {
	t.Helper()
	var r codec.SysFileReply
	if err := r.Decode(body); err != nil || r.FileSize != int64(len(r.Content)) {
		t.Fatalf("GET_ONE_SYS_FILE reply %q: %v", body, err)
	}
	return string(number.ReplaceAll(iniValue.ReplaceAll(r.Content, []byte("=")), []byte("#")))
}
