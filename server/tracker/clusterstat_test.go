package tracker

import (
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

func TestClusterStats(t *testing.T) {
	all := startTrackers(t, 2)
	a, b := all[0], all[1]
	joinEverywhere(t, []*Server{b, a}, all, "127.0.0.2", "group1")
	joinEverywhere(t, []*Server{b, a}, all, "127.0.0.3", "group1")
	g2 := joinEverywhere(t, []*Server{b, a}, all, "127.0.0.4", "group2")
	waitLeader(t, all, b.Addr())
	atA, atB := dialPeer(t, a, "127.0.0.9"), dialPeer(t, b, "127.0.0.9")

	t.Run("trackers", func(t *testing.T) {
		req := codec.TrackerClusterStatRequest{}
		if st, _ := atA.call(codec.CmdServerTrackerClusterStat, req.Append(nil)); st != codec.EOPNOTSUPP {
			t.Fatalf("follower: %s, want EOPNOTSUPP", st.Name())
		}
		if st, _ := atB.call(codec.CmdServerTrackerClusterStat, nil); st != codec.EINVAL {
			t.Fatalf("empty body: %s", st.Name())
		}
		// the follower shows up active once its pings arrive
		var rep codec.TrackerClusterStatReply
		deadline := time.Now().Add(20 * time.Second)
		for {
			st, body := atB.call(codec.CmdServerTrackerClusterStat, req.Append(nil))
			if st != codec.OK || rep.Decode(body) != nil || len(rep.Trackers) != 2 {
				t.Fatalf("TRACKER_CLUSTER_STAT: %s %x", st.Name(), body)
			}
			if rep.Trackers[0].IsActive {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("follower never active: %+v", rep.Trackers[0])
			}
			time.Sleep(10 * time.Millisecond)
		}
		fa, fb := rep.Trackers[0], rep.Trackers[1]
		if string(fa.Host) != a.Addr() || fa.IsLeader || string(fa.Version) != serverVersion ||
			fa.UpTime != a.startTime().Unix() || fa.LastHeartbeatTime == 0 {
			t.Fatalf("follower record %+v", fa)
		}
		if string(fb.Host) != b.Addr() || !fb.IsLeader || !fb.IsActive || fb.UpTime != b.startTime().Unix() {
			t.Fatalf("leader record %+v", fb)
		}
		for _, c := range []struct {
			req  codec.TrackerClusterStatRequest
			want []string
		}{
			{codec.TrackerClusterStatRequest{FilterBy: codec.TrackerStatFilterLeader, IsLeader: true}, []string{b.Addr()}},
			{codec.TrackerClusterStatRequest{FilterBy: codec.TrackerStatFilterLeader}, []string{a.Addr()}},
			{codec.TrackerClusterStatRequest{FilterBy: codec.TrackerStatFilterActive}, nil},
		} {
			st, body := atB.call(codec.CmdServerTrackerClusterStat, c.req.Append(nil))
			if st != codec.OK || rep.Decode(body) != nil || len(rep.Trackers) != len(c.want) {
				t.Fatalf("filter %+v: %s %d records, want %v", c.req, st.Name(), len(rep.Trackers), c.want)
			}
			for i, w := range c.want {
				if string(rep.Trackers[i].Host) != w {
					t.Fatalf("filter %+v: record %d %s, want %s", c.req, i, rep.Trackers[i].Host, w)
				}
			}
		}
	})

	t.Run("volumes", func(t *testing.T) {
		g2[0].diskUsage(codec.PathUsage{TotalMB: 100000, FreeMB: 10}) // group2 at b is full
		var rep codec.VolumeStatReply
		st, body := atB.call(codec.CmdServerStorageVolumnStat, (&codec.VolumeStatRequest{}).Append(nil))
		if st != codec.OK || rep.Decode(body) != nil || len(rep.Groups) != 2 || rep.UseTrunkFile {
			t.Fatalf("STORAGE_VOLUMN_STAT: %s %x", st.Name(), body)
		}
		v1, v2 := rep.Groups[0], rep.Groups[1]
		reserved := reservedMB(b.cfg.ReservedStorageSpace, 100000)
		if string(v1.GroupName) != "group1" || v1.TotalMB != 100000 || v1.FreeMB != 50000 || v1.ReservedMB != reserved ||
			v1.AvailMB != 50000-reserved || !v1.IsDiskAvailable || v1.IsTrunkAvailable || v1.TrunkFreeMB != 0 {
			t.Fatalf("group1 %+v", v1)
		}
		if string(v2.GroupName) != "group2" || v2.FreeMB != 10 || v2.IsDiskAvailable || v2.AvailMB != 0 {
			t.Fatalf("group2 %+v", v2)
		}
		req := codec.VolumeStatRequest{FilterBy: codec.VolumeStatFilterSpace}
		st, body = atB.call(codec.CmdServerStorageVolumnStat, req.Append(nil))
		if st != codec.OK || rep.Decode(body) != nil || len(rep.Groups) != 1 || string(rep.Groups[0].GroupName) != "group2" {
			t.Fatalf("groups without space: %s %x", st.Name(), body)
		}
		if st, _ := atB.call(codec.CmdServerStorageVolumnStat, []byte{1}); st != codec.EINVAL {
			t.Fatalf("short body: %s", st.Name())
		}
	})

	t.Run("storages", func(t *testing.T) {
		g2[0].conn.Close() // 127.0.0.4 leaves b: OFFLINE there
		deadline := time.Now().Add(20 * time.Second)
		var rep codec.StorageClusterStatReply
		for {
			req := codec.StorageClusterStatRequest{FilterBy: codec.StorageStatFilterStatus,
				OpType: codec.StorageStatOpEqual, Status: StatusOffline}
			st, body := atB.call(codec.CmdServerStorageClusterStat, req.Append(nil))
			if st != codec.OK || rep.Decode(body) != nil {
				t.Fatalf("STORAGE_CLUSTER_STAT: %s %x", st.Name(), body)
			}
			if len(rep.Storages) == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d OFFLINE storages, want 1", len(rep.Storages))
			}
			time.Sleep(10 * time.Millisecond)
		}
		if string(rep.Storages[0].ID) != "127.0.0.4" {
			t.Fatalf("OFFLINE storage %+v", rep.Storages[0])
		}
		st, body := atB.call(codec.CmdServerStorageClusterStat, (&codec.StorageClusterStatRequest{}).Append(nil))
		if st != codec.OK || rep.Decode(body) != nil || len(rep.Storages) != 3 || rep.UseStorageID || rep.UseTrunkFile {
			t.Fatalf("all storages: %s %x", st.Name(), body)
		}
		// a storage whose connection closed has no up_time any more (C too)
		for i, want := range []struct {
			id     string
			upTime int64
		}{{"127.0.0.2", 1795298740}, {"127.0.0.3", 1795298740}, {"127.0.0.4", 0}} {
			m := rep.Storages[i]
			if string(m.ID) != want.id || string(m.Host) != want.id+":23000" || string(m.Version) != "6.16.1" ||
				m.UpTime != want.upTime || m.IsTrunkServer {
				t.Fatalf("record %d: %+v", i, m)
			}
		}
		if rep.Storages[0].Status != StatusActive || rep.Storages[0].LastHeartbeatTime == 0 {
			t.Fatalf("active storage %+v", rep.Storages[0])
		}
		for _, c := range []struct {
			req  codec.StorageClusterStatRequest
			want int
		}{
			{codec.StorageClusterStatRequest{FilterBy: codec.StorageStatFilterStatus, OpType: '!', Status: StatusOffline}, 2},
			{codec.StorageClusterStatRequest{FilterBy: codec.StorageStatFilterTrunk, IsTrunkServer: true}, 0},
			{codec.StorageClusterStatRequest{FilterBy: codec.StorageStatFilterTrunk}, 3},
		} {
			st, body := atB.call(codec.CmdServerStorageClusterStat, c.req.Append(nil))
			if st != codec.OK || rep.Decode(body) != nil || len(rep.Storages) != c.want {
				t.Fatalf("filter %+v: %s, %d records, want %d", c.req, st.Name(), len(rep.Storages), c.want)
			}
		}
		bad := codec.StorageClusterStatRequest{FilterBy: codec.StorageStatFilterStatus, OpType: '<'}
		if st, _ := atB.call(codec.CmdServerStorageClusterStat, bad.Append(nil)); st != codec.EINVAL {
			t.Fatalf("bad op: %s", st.Name())
		}
	})
}
