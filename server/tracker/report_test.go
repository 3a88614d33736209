package tracker

import (
	"context"
	"strings"
	"testing"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
)

// last_synced_timestamp is the minimum of the accepted entries with
// store_server 0 and the running maximum otherwise (cluster.md §1.7).
func TestSyncReportTimestamp(t *testing.T) {
	members := []memberSpec{defaultMembers()[0], defaultMembers()[1],
		{"127.0.0.4", "group1", 10, defaultMembers()[0].paths}}
	report := func(c *cluster2x2, from3, from4 int32) {
		var rep codec.SyncReport
		rep.Add(codec.SyncTimestamp{ID: []byte("127.0.0.2"), Timestamp: 999}) // itself: ignored
		rep.Add(codec.SyncTimestamp{ID: []byte("127.0.0.3"), Timestamp: from3})
		rep.Add(codec.SyncTimestamp{ID: []byte("127.0.0.4"), Timestamp: from4})
		rep.Add(codec.SyncTimestamp{ID: []byte("127.0.0.99"), Timestamp: 5}) // unknown: ignored
		c.peers["127.0.0.2"].notice(codec.CmdStorageSyncReport, rep.Append(nil))
	}
	synced := func(c *cluster2x2) int64 {
		list, err := c.cli.ListStorages(context.Background(), "group1", "127.0.0.2")
		if err != nil {
			t.Fatal(err)
		}
		return list[0].Stat.LastSyncedTimestamp
	}
	for _, tc := range []struct {
		storeServer string
		want1       int64 // after reporting 300 from .3 and 200 from .4
		want2       int64 // after reporting 100 and 0 (0 is ignored)
	}{
		{"store_server = 0", 200, 100},
		{"store_server = 1", 300, 300},
	} {
		t.Run(tc.storeServer, func(t *testing.T) {
			c := startCluster(t, []string{tc.storeServer}, members)
			report(c, 300, 200)
			if got := synced(c); got != tc.want1 {
				t.Fatalf("after the first report: %d, want %d", got, tc.want1)
			}
			report(c, 100, 0)
			if got := synced(c); got != tc.want2 {
				t.Fatalf("after the second report: %d, want %d", got, tc.want2)
			}
		})
	}
}

func TestBeatBodies(t *testing.T) {
	s := startTracker(t, testConf(t, t.TempDir()))
	p := dialPeer(t, s, "127.0.0.2")
	p.join(s, "group1")
	if st, _ := p.call(codec.CmdStorageBeat, make([]byte, 100)); st != codec.EINVAL {
		t.Fatalf("BEAT of 100 bytes: %s, want EINVAL", st.Name())
	}
	n := p.notice(codec.CmdStorageBeat, nil) // empty: nothing changed
	if n.Flags&codec.ChangeTrackerLeader == 0 {
		t.Fatalf("first notice flags %#x", n.Flags)
	}
	if st, _ := p.call(codec.CmdStorageReportDiskUsage, make([]byte, 32)); st != codec.EINVAL {
		t.Fatalf("disk usage for 2 paths of a 1-path group: %s, want EINVAL", st.Name())
	}
	var ch codec.ReplicaChange
	ch.Add(&codec.StorageBrief{Status: StatusOnline, Port: 23000, ID: []byte("127.0.0.2"), IP: []byte("127.0.0.2")})
	if st, _ := p.call(codec.CmdStorageReplicaChg, ch.Append(nil)); st != codec.OK {
		t.Fatalf("REPLICA_CHG: %s", st.Name())
	}
}

// Old client SDKs get the record layouts of their release.
func TestListDialects(t *testing.T) {
	for _, tc := range []struct {
		conf      []string
		dialect   string
		groupSize int
		statSize  int
		storeSize int
	}{
		{nil, "v6.16", 113, 487, 40},
		{[]string{"response_ip_addr_size = IPv6"}, "v6.16", 113, 517, 70},
		{[]string{"response_list_dialect = v5.04"}, "v5.04", 105, 612, 40},
		{[]string{"response_list_dialect = v6.13"}, "v6.13", 113, 517, 70},
	} {
		t.Run(tc.dialect+" "+strings.Join(tc.conf, " "), func(t *testing.T) {
			s := startTracker(t, testConf(t, t.TempDir(), tc.conf...))
			p := dialPeer(t, s, "127.0.0.2")
			p.activate(s, "group1")
			q := dialPeer(t, s, "127.0.0.9")
			if st, body := q.call(codec.CmdServerListAllGroups, nil); st != codec.OK || len(body) != tc.groupSize {
				t.Fatalf("LIST_ALL_GROUPS: %s %d bytes, want %d", st.Name(), len(body), tc.groupSize)
			}
			if st, body := q.call(codec.CmdServerListStorage, codec.AppendFixed(nil, "group1", 16)); st != codec.OK || len(body) != tc.statSize {
				t.Fatalf("LIST_STORAGE: %s %d bytes, want %d", st.Name(), len(body), tc.statSize)
			}
			if st, body := q.call(codec.CmdQueryStoreWithoutGroupOne, nil); st != codec.OK || len(body) != tc.storeSize {
				t.Fatalf("QUERY_STORE: %s %d bytes, want %d", st.Name(), len(body), tc.storeSize)
			}
			d, err := codec.ParseDialect(tc.dialect)
			if err != nil {
				t.Fatal(err)
			}
			c, err := client.New(client.Config{Trackers: []string{s.Addr()}, Dialect: d, MaxIdlePerServer: -1})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			list, err := c.ListStorages(context.Background(), "group1", "")
			if err != nil || len(list) != 1 || string(list[0].ID) != "127.0.0.2" || list[0].Status != StatusActive {
				t.Fatalf("client in dialect %s: %v %+v", tc.dialect, err, list)
			}
		})
	}
}
