package tracker

import (
	"net/netip"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
)

// benchTracker is a tracker that is not listening: requests go straight to
// dispatch, the function every packet of OnTraffic ends in. It holds one
// group of two ACTIVE storages with free space.
func benchTracker(tb testing.TB) (*Server, *connState) {
	tb.Helper()
	s, err := New(testConf(tb, tb.TempDir(), "store_lookup = 0", "store_server = 0", "store_path = 0"),
		WithLogger(testLogger(tb)))
	if err != nil {
		tb.Fatal(err)
	}
	s.reg.store = nil // no state files: this measures the query path only
	// dispatch is called directly, so OnTraffic never settles the state-file
	// pull question that a first JOIN raises; settle it as a lone tracker would
	s.sys.decided = true
	self := netip.MustParseAddr("127.0.0.10")
	for _, ip := range []string{"127.0.0.2", "127.0.0.3"} {
		cs := &connState{peer: ip, peerIP: netip.MustParseAddr(ip), localIP: self, out: new([]byte)}
		req := codec.StorageJoinRequest{GroupName: []byte("group1"), StoragePort: 23000, StorePathCount: 2,
			SubdirCountPerPath: 256, Version: []byte("6.16.1"), Status: int8(StatusActive),
			CurrentTrackerIP: []byte("127.0.0.10")}
		req.AddTracker([]byte("127.0.0.10:0"))
		// OnTraffic runs the state-file bootstrap before a JOIN reaches
		// dispatch; this tracker is not listening, so it is run here.
		if errno := s.bootstrap(ip, &req); errno != codec.OK {
			tb.Fatalf("bootstrap for %s: %d", ip, errno)
		}
		mustOK(tb, s, cs, codec.CmdStorageJoin, req.Append(nil))
		var stats codec.StatBlock
		mustOK(tb, s, cs, codec.CmdStorageBeat, stats.Append(nil))
		var du codec.DiskUsageReport
		du.Add(codec.PathUsage{TotalMB: 100000, FreeMB: 60000})
		du.Add(codec.PathUsage{TotalMB: 100000, FreeMB: 60000})
		mustOK(tb, s, cs, codec.CmdStorageReportDiskUsage, du.Append(nil))
	}
	client := &connState{peer: "127.0.0.1", peerIP: netip.MustParseAddr("127.0.0.1"), localIP: self}
	return s, client
}

func mustOK(tb testing.TB, s *Server, cs *connState, cmd byte, body []byte) []byte {
	tb.Helper()
	out := s.dispatch(cs, cmd, body, nil)
	if out[9] != 0 {
		tb.Fatalf("cmd %d: status %d", cmd, out[9])
	}
	return out[headerSize:]
}

// queryRequests are the three hot queries with realistic bodies.
func queryRequests() []struct {
	name string
	cmd  byte
	body []byte
} {
	old := fileID("group1", "127.0.0.3", newTestClock().Now().Add(-48*3600e9), false)
	fetch := []byte(old)
	fetchBody := append(codec.AppendFixed(nil, "group1", 16), fetch[len("group1/"):]...)
	return []struct {
		name string
		cmd  byte
		body []byte
	}{
		{"QUERY_STORE", codec.CmdQueryStoreWithoutGroupOne, nil},
		{"QUERY_STORE_WITH_GROUP", codec.CmdQueryStoreWithGroupOne, codec.AppendFixed(nil, "group1", 16)},
		{"QUERY_FETCH", codec.CmdQueryFetchOne, fetchBody},
		{"QUERY_UPDATE", codec.CmdQueryUpdate, fetchBody},
		{"QUERY_FETCH_ALL", codec.CmdQueryFetchAll, fetchBody},
	}
}

func BenchmarkQuery(b *testing.B) {
	s, cs := benchTracker(b)
	out := make([]byte, 0, 1024)
	for _, q := range queryRequests() {
		b.Run(q.name, func(b *testing.B) {
			mustOK(b, s, cs, q.cmd, q.body)
			b.ReportAllocs()
			for b.Loop() {
				out = s.dispatch(cs, q.cmd, q.body, out[:0])
			}
		})
	}
}

// The query path allocates nothing: the proof the benchmark reports, as a test.
func TestQueryPathAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	s, cs := benchTracker(t)
	out := make([]byte, 0, 1024)
	for _, q := range queryRequests() {
		mustOK(t, s, cs, q.cmd, q.body)
		if n := testing.AllocsPerRun(200, func() { out = s.dispatch(cs, q.cmd, q.body, out[:0]) }); n != 0 {
			t.Errorf("%s: %.1f allocations per request", q.name, n)
		}
	}
}
