package tracker

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
)

// cluster2x2 is the test cluster of the selection tables: group1 holds
// 127.0.0.2 and 127.0.0.3, group2 holds 127.0.0.4 and 127.0.0.5.
type cluster2x2 struct {
	srv   *Server
	clock *testClock
	cli   *client.Client
	peers map[string]*peer
}

// memberSpec is one storage of the test cluster.
type memberSpec struct {
	ip       string
	group    string
	priority int64
	paths    []codec.PathUsage
}

func defaultMembers() []memberSpec {
	roomy := []codec.PathUsage{{TotalMB: 100000, FreeMB: 60000}}
	return []memberSpec{
		{"127.0.0.2", "group1", 10, roomy},
		{"127.0.0.3", "group1", 10, roomy},
		{"127.0.0.4", "group2", 10, roomy},
		{"127.0.0.5", "group2", 10, roomy},
	}
}

func startCluster(t *testing.T, confLines []string, members []memberSpec) *cluster2x2 {
	t.Helper()
	clock := newTestClock()
	s := startTracker(t, testConf(t, t.TempDir(), confLines...), WithClock(clock.Now))
	c := &cluster2x2{srv: s, clock: clock, cli: newClient(t, s), peers: map[string]*peer{}}
	for _, m := range members {
		p := dialPeer(t, s, m.ip)
		req := p.joinRequest(s, m.group, false, int8(StatusActive))
		req.UploadPriority = m.priority
		req.StorePathCount = int64(len(m.paths))
		if st, _ := p.call(codec.CmdStorageJoin, req.Append(nil)); st != codec.OK {
			t.Fatalf("JOIN %s: %s", m.ip, st.Name())
		}
		p.beat()
		p.diskUsage(m.paths...)
		c.peers[m.ip] = p
	}
	return c
}

// stores runs n QUERY_STORE calls and returns "group ip:port/path" each.
func (c *cluster2x2) stores(t *testing.T, group string, n int) []string {
	t.Helper()
	var out []string
	for range n {
		got, err := c.cli.QueryStore(context.Background(), group)
		if err != nil {
			out = append(out, errName(err))
			continue
		}
		out = append(out, got.Group+" "+strings.TrimSuffix(got.Addr, ":23000")+"/"+string(rune('0'+got.StorePathIndex)))
	}
	return out
}

func errName(err error) string {
	var se *client.StatusError
	if errors.As(err, &se) {
		return se.Status.Name()
	}
	return err.Error()
}

func TestStoreSelection(t *testing.T) {
	full := []codec.PathUsage{{TotalMB: 100000, FreeMB: 100}}
	roomy := []codec.PathUsage{{TotalMB: 100000, FreeMB: 60000}}
	roomier := []codec.PathUsage{{TotalMB: 100000, FreeMB: 90000}}
	twoPaths := []codec.PathUsage{{TotalMB: 100000, FreeMB: 30000}, {TotalMB: 100000, FreeMB: 70000}}
	cases := []struct {
		name    string
		conf    []string
		members []memberSpec
		group   string
		want    []string
	}{
		{"lookup 0 round robin over groups", []string{"store_lookup = 0"}, nil, "",
			[]string{"group1 127.0.0.2/0", "group2 127.0.0.4/0", "group1 127.0.0.3/0", "group2 127.0.0.5/0"}},
		{"lookup 1 specified group", []string{"store_lookup = 1", "store_group = group2"}, nil, "",
			[]string{"group2 127.0.0.4/0", "group2 127.0.0.5/0", "group2 127.0.0.4/0"}},
		{"lookup 1 unknown group", []string{"store_lookup = 1", "store_group = group9"}, nil, "",
			[]string{"ENOENT"}},
		{"lookup 2 most free space", []string{"store_lookup = 2"}, []memberSpec{
			{"127.0.0.2", "group1", 10, roomy}, {"127.0.0.3", "group1", 10, roomy},
			{"127.0.0.4", "group2", 10, roomier}, {"127.0.0.5", "group2", 10, roomier}}, "",
			[]string{"group2 127.0.0.4/0", "group2 127.0.0.5/0", "group2 127.0.0.4/0"}},
		{"lookup 0 skips a full group", []string{"store_lookup = 0", "reserved_storage_space = 10%"}, []memberSpec{
			{"127.0.0.2", "group1", 10, full}, {"127.0.0.3", "group1", 10, roomy},
			{"127.0.0.4", "group2", 10, roomy}, {"127.0.0.5", "group2", 10, roomy}}, "",
			[]string{"group2 127.0.0.4/0", "group2 127.0.0.5/0", "group2 127.0.0.4/0"}},
		{"every group full", []string{"reserved_storage_space = 1000MB"}, []memberSpec{
			{"127.0.0.2", "group1", 10, full}, {"127.0.0.4", "group2", 10, full}}, "",
			[]string{"ENOSPC", "ENOSPC"}},
		{"explicit group", []string{"store_lookup = 1", "store_group = group2"}, nil, "group1",
			[]string{"group1 127.0.0.2/0", "group1 127.0.0.3/0"}},
		{"explicit unknown group", nil, nil, "group7", []string{"ENOENT"}},
		{"no storages", nil, []memberSpec{}, "", []string{"ENOENT"}},
		{"server 1 first by ip", []string{"store_lookup = 1", "store_group = group1", "store_server = 1"}, nil, "",
			[]string{"group1 127.0.0.2/0", "group1 127.0.0.2/0", "group1 127.0.0.2/0"}},
		{"server 2 first by priority", []string{"store_lookup = 1", "store_group = group1", "store_server = 2"},
			[]memberSpec{{"127.0.0.2", "group1", 10, roomy}, {"127.0.0.3", "group1", 5, roomy}}, "",
			[]string{"group1 127.0.0.3/0", "group1 127.0.0.3/0"}},
		{"path 0 round robin", []string{"store_server = 1", "store_path = 0"},
			[]memberSpec{{"127.0.0.2", "group1", 10, twoPaths}}, "",
			[]string{"group1 127.0.0.2/0", "group1 127.0.0.2/1", "group1 127.0.0.2/0"}},
		{"path 2 most free", []string{"store_server = 1", "store_path = 2"},
			[]memberSpec{{"127.0.0.2", "group1", 10, twoPaths}}, "",
			[]string{"group1 127.0.0.2/1", "group1 127.0.0.2/1"}},
		{"path reserve in MB is per path", []string{"store_path = 0", "reserved_storage_space = 80000MB"},
			[]memberSpec{{"127.0.0.2", "group1", 10, twoPaths}}, "",
			// group free 100000 > 80000, per path 40000: only path 1 qualifies
			[]string{"group1 127.0.0.2/1", "group1 127.0.0.2/1"}},
		{"path reserve as ratio", []string{"store_path = 0", "reserved_storage_space = 40%"},
			[]memberSpec{{"127.0.0.2", "group1", 10, twoPaths}}, "",
			[]string{"group1 127.0.0.2/1", "group1 127.0.0.2/1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			members := tc.members
			if members == nil {
				members = defaultMembers()
			}
			c := startCluster(t, tc.conf, members)
			got := c.stores(t, tc.group, len(tc.want))
			if strings.Join(got, ", ") != strings.Join(tc.want, ", ") {
				t.Fatalf("stores:\n got %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestQueryStoreAll(t *testing.T) {
	c := startCluster(t, []string{"store_lookup = 1", "store_group = group2"}, defaultMembers())
	all, err := c.cli.QueryStoreAll(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].Addr != "127.0.0.4:23000" || all[1].Addr != "127.0.0.5:23000" || all[0].Group != "group2" {
		t.Fatalf("QueryStoreAll = %+v", all)
	}
}

// fileID builds a normal (or appender) file id created by source at ts.
func fileID(group, source string, ts time.Time, appender bool) string {
	var ip [4]byte
	for i, part := range strings.Split(source, ".") {
		n := 0
		for _, c := range part {
			n = n*10 + int(c-'0')
		}
		ip[i] = byte(n)
	}
	f := codec.NameFields{Source: codec.SourceFromIPv4(ip), Timestamp: uint32(ts.Unix()),
		SizeField: codec.NormalSizeField(1234, 77), CRC32: 0xdeadbeef}
	if appender {
		f.SizeField = codec.AppenderSizeField(77)
	}
	return group + "/M00/00/00/" + string(f.AppendB64(nil)) + ".txt"
}

func TestFetchSelection(t *testing.T) {
	type step struct {
		op   string // fetch, update, all
		file string // old, recent, appender, foreign
		want string
	}
	cases := []struct {
		name  string
		conf  []string
		synch bool // 127.0.0.2 reports having applied 127.0.0.3's files up to recent+5
		steps []step
	}{
		{"old file round robin", []string{"download_server = 0"}, false, []step{
			{"fetch", "old", "127.0.0.2"}, {"fetch", "old", "127.0.0.3"}, {"fetch", "old", "127.0.0.2"}}},
		{"recent file only at its source", []string{"download_server = 0"}, false, []step{
			{"fetch", "recent", "127.0.0.3"}, {"fetch", "recent", "127.0.0.3"}, {"all", "recent", "127.0.0.3"}}},
		{"recent file after sync report", []string{"download_server = 0", "store_server = 1"}, true, []step{
			{"fetch", "recent", "127.0.0.2"}, {"fetch", "recent", "127.0.0.3"},
			{"all", "recent", "127.0.0.2 127.0.0.3"}}},
		{"source first", []string{"download_server = 1"}, false, []step{
			{"fetch", "old", "127.0.0.3"}, {"fetch", "old", "127.0.0.3"}, {"all", "old", "127.0.0.2 127.0.0.3"}}},
		{"appender goes to its source", []string{"download_server = 0"}, false, []step{
			{"fetch", "appender", "127.0.0.3"}, {"fetch", "appender", "127.0.0.3"}, {"all", "appender", "127.0.0.3"}}},
		{"update goes to the source", []string{"store_server = 0"}, false, []step{
			{"update", "recent", "127.0.0.3"}, {"update", "old", "127.0.0.3"}}},
		{"update of a foreign file by store_server", []string{"store_server = 1"}, false, []step{
			{"update", "foreign", "127.0.0.2"}, {"update", "foreign", "127.0.0.2"}}},
		{"recent foreign file falls back to the store server", []string{"store_server = 2"}, false, []step{
			{"fetch", "foreignRecent", "127.0.0.2"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := startCluster(t, tc.conf, defaultMembers())
			now := c.clock.Now()
			recent := now.Add(-10 * time.Second)
			files := map[string]string{
				"old":           fileID("group1", "127.0.0.3", now.Add(-48*time.Hour), false),
				"recent":        fileID("group1", "127.0.0.3", recent, false),
				"appender":      fileID("group1", "127.0.0.3", recent, true),
				"foreign":       fileID("group1", "127.0.0.9", now.Add(-48*time.Hour), false),
				"foreignRecent": fileID("group1", "127.0.0.9", recent, false),
			}
			if tc.synch {
				var rep codec.SyncReport
				rep.Add(codec.SyncTimestamp{ID: []byte("127.0.0.2"), Timestamp: 0})
				rep.Add(codec.SyncTimestamp{ID: []byte("127.0.0.3"), Timestamp: int32(recent.Unix() + 5)})
				c.peers["127.0.0.2"].notice(codec.CmdStorageSyncReport, rep.Append(nil))
			}
			ctx := context.Background()
			for i, st := range tc.steps {
				id := files[st.file]
				var got string
				switch st.op {
				case "fetch", "update":
					f := c.cli.QueryFetch
					if st.op == "update" {
						f = c.cli.QueryUpdate
					}
					s, err := f(ctx, id)
					if err != nil {
						got = errName(err)
					} else {
						got = strings.TrimSuffix(s.Addr, ":23000")
					}
				case "all":
					list, err := c.cli.QueryFetchAll(ctx, id)
					if err != nil {
						got = errName(err)
					}
					var ips []string
					for _, s := range list {
						ips = append(ips, strings.TrimSuffix(s.Addr, ":23000"))
					}
					if err == nil {
						got = strings.Join(ips, " ")
					}
				}
				if got != st.want {
					t.Fatalf("step %d %s %s: got %s, want %s", i, st.op, st.file, got, st.want)
				}
			}
		})
	}
}

func TestFetchUnknownGroup(t *testing.T) {
	c := startCluster(t, nil, defaultMembers())
	_, err := c.cli.QueryFetch(context.Background(), fileID("group9", "127.0.0.3", c.clock.Now(), false))
	if !errors.Is(err, codec.ENOENT) {
		t.Fatalf("QueryFetch in an unknown group: %v, want ENOENT", err)
	}
}
