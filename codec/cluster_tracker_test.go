package codec

import (
	"bytes"
	"testing"

	"github.com/gofdfs/gofdfs/codec/capture"
)

func init() {
	registerGolden(CmdTrackerJoinLeader, func(t *testing.T, e *capture.Exchange) {
		var r TrackerJoinLeader
		if clusterRequest(t, e, &r) && (string(r.Version) != "6.16.1" || r.ServerPort != 22122) {
			t.Errorf("%s: version %q port %d", e, r.Version, r.ServerPort)
		}
		clusterEmptyReply(t, e)
	})
	registerGolden(CmdTrackerGetStatus, func(t *testing.T, e *capture.Exchange) {
		clusterEmptyRequest(t, e)
		var r TrackerStatus
		if okReply(t, e) && clusterRoundTrip(t, e, "reply", &r, e.Reply.Body, e.Reply.Body) &&
			(r.RunningTime%300 != 0 || r.RestartInterval%300 != 0) {
			t.Errorf("%s: running time %d / restart interval %d not rounded to 300 s", e, r.RunningTime, r.RestartInterval)
		}
	})
	registerGolden(CmdTrackerPingLeader, func(t *testing.T, e *capture.Exchange) {
		clusterRequest(t, e, &PingLeaderRequest{})
		var r PingLeaderReply
		if okReply(t, e) && clusterRoundTrip(t, e, "reply", &r, e.Reply.Body, e.Reply.Body) && r.Count() > 0 {
			if g := r.Group(0); string(g.Group) != "group1" || len(g.TrunkServerID) != 0 {
				t.Errorf("%s: first record %q %q", e, g.Group, g.TrunkServerID)
			}
		}
	})
	for _, cmd := range []byte{CmdTrackerNotifyNextLeader, CmdTrackerCommitNextLeader} {
		registerGolden(cmd, func(t *testing.T, e *capture.Exchange) {
			clusterRequest(t, e, &LeaderAnnounce{})
			clusterEmptyReply(t, e)
		})
	}
	for _, cmd := range []byte{CmdTrackerGetSysFilesStart, CmdTrackerGetSysFilesEnd} {
		registerGolden(cmd, func(t *testing.T, e *capture.Exchange) {
			clusterEmptyRequest(t, e)
			clusterEmptyReply(t, e)
		})
	}
	registerGolden(CmdTrackerGetOneSysFile, func(t *testing.T, e *capture.Exchange) {
		var req SysFileRequest
		clusterRequest(t, e, &req)
		var r SysFileReply
		if !okReply(t, e) || !clusterRoundTrip(t, e, "reply", &r, e.Reply.Body, e.Reply.Body) {
			return
		}
		// the captured files are small: one reply carries all of each
		if req.Offset != 0 || int64(len(r.Content)) != r.FileSize || len(r.Content) > SysFileMaxChunk {
			t.Errorf("%s: offset %d, file size %d, %d content bytes", e, req.Offset, r.FileSize, len(r.Content))
		}
		// the content is the state file verbatim
		switch req.Index {
		case SysFileGroups:
			if !bytes.HasPrefix(r.Content, []byte("[Global]\n\tgroup_count=")) {
				t.Errorf("%s: groups file %q", e, r.Content)
			}
		case SysFileServers:
			if !bytes.HasSuffix(r.Content, []byte("\n\n\n[Global]\n\tstorage_count=2\n")) {
				t.Errorf("%s: servers file ends %q", e, r.Content[max(0, len(r.Content)-40):])
			}
		case SysFileSyncTimestamp:
			if !bytes.HasPrefix(r.Content, []byte("group1,")) {
				t.Errorf("%s: sync timestamp file %q", e, r.Content)
			}
		case SysFileChangelog:
			for rest := r.Content; len(rest) > 0; {
				var l ChangelogLine
				n, err := l.Parse(rest)
				if err != nil {
					t.Errorf("%s: changelog %q: %v", e, rest, err)
					break
				}
				rest = rest[n:]
			}
		}
	})
}

func TestClusterTrackerHandBuilt(t *testing.T) {
	clusterHandBuilt(t, "TrackerStatus", &TrackerStatus{IsLeader: true, RunningTime: 300}, &TrackerStatus{},
		hx("01 00 00 00 00 00 00 01 2c 00 00 00 00 00 00 00 00"))
	clusterHandBuilt(t, "TrackerJoinLeader", &TrackerJoinLeader{UpTime: 0x6b021a01, Version: []byte("6.16.1"), ServerPort: 22122},
		&TrackerJoinLeader{}, cat(hx("00 00 00 00 6b 02 1a 01"), txt("6.16.1", 8), hx("00 00 00 00 00 00 56 6a")))
	clusterHandBuilt(t, "PingLeaderRequest",
		&PingLeaderRequest{Connection: ConnectionStat{AllocCount: 256, CurrentCount: 3, MaxCount: 4}},
		&PingLeaderRequest{}, hx("00 00 01 00 00 00 00 03 00 00 00 04"))
	var ping PingLeaderReply
	ping.Add(GroupTrunk{Group: []byte("group1")})
	ping.Add(GroupTrunk{Group: []byte("group2"), TrunkServerID: []byte("100002")})
	clusterHandBuilt(t, "PingLeaderReply", &ping, &PingLeaderReply{},
		cat(txt("group1", 16), txt("", 16), txt("group2", 16), txt("100002", 16)))
	if g := ping.Group(1); ping.Count() != 2 || string(g.TrunkServerID) != "100002" {
		t.Errorf("PingLeaderReply.Group: %+v", g)
	}
	clusterHandBuilt(t, "PingLeaderReply empty", &PingLeaderReply{}, &PingLeaderReply{}, nil)
	clusterHandBuilt(t, "LeaderAnnounce", &LeaderAnnounce{Leader: []byte("127.0.2.11:22122")}, &LeaderAnnounce{},
		[]byte("127.0.2.11:22122"))
	clusterHandBuilt(t, "SysFileRequest", &SysFileRequest{Index: SysFileChangelog, Offset: 8173}, &SysFileRequest{},
		hx("03 00 00 00 00 00 00 1f ed"))
	clusterHandBuilt(t, "SysFileReply", &SysFileReply{FileSize: 32, Content: []byte("1795300421 group1 127.0.2.22 4 \n")},
		&SysFileReply{}, cat(hx("00 00 00 00 00 00 00 20"), []byte("1795300421 group1 127.0.2.22 4 \n")))
	// header-only both ways: 68 NOTIFY_RESELECT_LEADER (no capture), 61, 62,
	// and the requests of 64; storage side 72 FETCH_TRUNK_FID, 79
	// SYNC_DEST_QUERY and 87 SYNC_DEST_REQ
	for _, cmd := range []byte{CmdTrackerNotifyReselectLeader, CmdTrackerGetSysFilesStart, CmdTrackerGetSysFilesEnd,
		CmdTrackerGetStatus, CmdStorageFetchTrunkFID, CmdStorageSyncDestQuery, CmdStorageSyncDestReq} {
		if DecodeEmptyRequest(cmd, nil) != nil || DecodeEmptyRequest(cmd, []byte{0}) == nil {
			t.Errorf("%s: empty body rule", CmdName(cmd))
		}
	}
	if SysFileName(SysFileServers) != "storage_servers_new.dat" || SysFileName(4) != "" || SysFileMaxChunk != 8173 {
		t.Error("SysFileName / SysFileMaxChunk")
	}
}

// Pre-V6.15 trackers send NOTIFY/COMMIT_NEXT_LEADER as a NUL-padded field of
// 22 (16-byte IPs) or 52 bytes; HEAD accepts both.
func TestLeaderAnnounceOldFixed(t *testing.T) {
	for _, size := range []int{22, 52} {
		body := txt("10.0.0.1:22122", size)
		var r LeaderAnnounce
		if err := r.Decode(body); err != nil || string(r.Leader) != "10.0.0.1:22122" || r.Width != size {
			t.Errorf("%d-byte body: %q %d %v", size, r.Leader, r.Width, err)
		}
		if got := r.Append(nil); !bytes.Equal(got, body) || r.Size() != size {
			t.Errorf("Append with Width %d = %x", size, got)
		}
		r.Width = 0
		if got := r.Append(nil); string(got) != "10.0.0.1:22122" {
			t.Errorf("HEAD form %q", got)
		}
	}
}

func TestClusterTrackerRejects(t *testing.T) {
	clusterRejects(t, "TrackerStatus", &TrackerStatus{}, EINVAL, nil, make([]byte, 16), make([]byte, 18))
	clusterRejects(t, "TrackerJoinLeader", &TrackerJoinLeader{}, EINVAL, make([]byte, 23), make([]byte, 25))
	// before V6.15.5 the ping was empty: a HEAD leader refuses it
	clusterRejects(t, "PingLeaderRequest", &PingLeaderRequest{}, EINVAL, nil, make([]byte, 11), make([]byte, 13))
	clusterRejects(t, "PingLeaderReply", &PingLeaderReply{}, EINVAL, make([]byte, 31), make([]byte, 33), make([]byte, 32*513))
	clusterRejects(t, "LeaderAnnounce", &LeaderAnnounce{}, EINVAL, nil, make([]byte, 53), make([]byte, 22))
	clusterRejects(t, "SysFileRequest", &SysFileRequest{}, EINVAL, make([]byte, 8), make([]byte, 10),
		hx("04 00 00 00 00 00 00 00 00"), hx("00 ff ff ff ff ff ff ff ff"))
	clusterRejects(t, "SysFileReply", &SysFileReply{}, EINVAL, make([]byte, 7), cat(hx("00 00 00 00 00 00 00 01"), []byte("ab")),
		hx("ff ff ff ff ff ff ff ff"))
}

func FuzzTrackerStatus(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &TrackerStatus{} }, capturedBodies(f, CmdTrackerGetStatus, true)...)
}

func FuzzTrackerJoinLeader(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &TrackerJoinLeader{} }, capturedBodies(f, CmdTrackerJoinLeader, false)...)
}

func FuzzPingLeaderRequest(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &PingLeaderRequest{} }, capturedBodies(f, CmdTrackerPingLeader, false)...)
}

func FuzzPingLeaderReply(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &PingLeaderReply{} }, capturedBodies(f, CmdTrackerPingLeader, true)...)
}

func FuzzLeaderAnnounce(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &LeaderAnnounce{} },
		append(capturedBodies(f, CmdTrackerNotifyNextLeader, false), txt("10.0.0.1:22122", 22))...)
}

func FuzzSysFileRequest(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &SysFileRequest{} }, capturedBodies(f, CmdTrackerGetOneSysFile, false)...)
}

func FuzzSysFileReply(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &SysFileReply{} }, capturedBodies(f, CmdTrackerGetOneSysFile, true)...)
}
