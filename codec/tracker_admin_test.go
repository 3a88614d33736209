package codec

import (
	"errors"
	"testing"

	"github.com/gofdfs/gofdfs/codec/capture"
)

func init() {
	headerOnlyReply := func(t *testing.T, e *capture.Exchange) {
		t.Helper()
		if okReply(t, e) && len(e.Reply.Body) != 0 {
			t.Errorf("%s: reply with a %d-byte body", e, len(e.Reply.Body))
		}
	}
	registerGolden(CmdServerDeleteStorage, func(t *testing.T, e *capture.Exchange) {
		var q DeleteStorageRequest
		tkGolden(t, e, "DeleteStorageRequest", &q, e.Request.Body)
		headerOnlyReply(t, e)
	})
	registerGolden(CmdServerDeleteGroup, func(t *testing.T, e *capture.Exchange) {
		var q GroupNameRequest
		tkGolden(t, e, "GroupNameRequest", &q, e.Request.Body)
		headerOnlyReply(t, e)
	})
	registerGolden(CmdServerSetTrunkServer, func(t *testing.T, e *capture.Exchange) {
		var q SetTrunkServerRequest
		tkGolden(t, e, "SetTrunkServerRequest", &q, e.Request.Body)
		if okReply(t, e) {
			var r SetTrunkServerReply
			tkGolden(t, e, "SetTrunkServerReply", &r, e.Reply.Body)
		}
	})
	registerGolden(CmdServerGetLeader, func(t *testing.T, e *capture.Exchange) {
		if err := DecodeEmptyRequest(e.Request.Cmd, e.Request.Body); err != nil {
			t.Errorf("%s: %v", e, err)
		}
		if okReply(t, e) {
			var r LeaderReply
			tkGolden(t, e, "LeaderReply", &r, e.Reply.Body)
		}
	})
	registerGolden(CmdServerTrackerClusterStat, func(t *testing.T, e *capture.Exchange) {
		var q TrackerClusterStatRequest
		tkGolden(t, e, "TrackerClusterStatRequest", &q, e.Request.Body)
		if okReply(t, e) {
			var r TrackerClusterStatReply
			tkGolden(t, e, "TrackerClusterStatReply", &r, e.Reply.Body)
		}
	})
	registerGolden(CmdServerStorageClusterStat, func(t *testing.T, e *capture.Exchange) {
		var q StorageClusterStatRequest
		tkGolden(t, e, "StorageClusterStatRequest", &q, e.Request.Body)
		if okReply(t, e) {
			var r StorageClusterStatReply
			tkGolden(t, e, "StorageClusterStatReply", &r, e.Reply.Body)
		}
	})
	registerGolden(CmdServerStorageVolumnStat, func(t *testing.T, e *capture.Exchange) {
		var q VolumeStatRequest
		tkGolden(t, e, "VolumeStatRequest", &q, e.Request.Body)
		if okReply(t, e) {
			var r VolumeStatReply
			tkGolden(t, e, "VolumeStatReply", &r, e.Reply.Body)
		}
	})
}

// Hand-built bytes from client.md §4.7–§4.13 (no capture covers 94–98, 108).

func TestDeleteStorageRequestBytes(t *testing.T) {
	want := tkCat(tkPad("group1", 16), []byte("127.0.2.22"))
	tkEncodes(t, "DeleteStorageRequest", &DeleteStorageRequest{GroupName: []byte("group1"),
		StorageID: []byte("127.0.2.22")}, &DeleteStorageRequest{}, want)
	for n, ok := range map[int]bool{16: false, 17: true, 31: true, 32: false} {
		body := tkCat(tkPad("group1", 16), []byte("123456789012345x")[:max(n-16, 0)])
		err := new(DeleteStorageRequest).Decode(body)
		if (err == nil) != ok || (err != nil && !errors.Is(err, EINVAL)) {
			t.Errorf("%d bytes: %v", n, err)
		}
	}
	// an id that is all NUL is no id
	if err := new(DeleteStorageRequest).Decode(make([]byte, 20)); !errors.Is(err, EINVAL) {
		t.Errorf("NUL id: %v", err)
	}
	// bytes after a NUL in the id are ignored
	var r DeleteStorageRequest
	if err := r.Decode(tkCat(tkPad("group1", 16), []byte("100001\x00zz"))); err != nil || string(r.StorageID) != "100001" {
		t.Errorf("id with NUL: %q %v", r.StorageID, err)
	}
	// an id longer than 15 bytes is cut when encoding
	long := DeleteStorageRequest{GroupName: []byte("g"), StorageID: []byte("0123456789abcdefgh")}
	if b := long.Append(nil); len(b) != 31 || long.Size() != 31 || string(b[16:]) != "0123456789abcde" {
		t.Errorf("long id: %q, Size %d", b, long.Size())
	}
}

func TestDeleteGroupRequestBytes(t *testing.T) {
	tkEncodes(t, "DELETE_GROUP request", &GroupNameRequest{GroupName: []byte("group2")}, &GroupNameRequest{},
		tkPad("group2", 16))
}

func TestSetTrunkServerBytes(t *testing.T) {
	tkEncodes(t, "SetTrunkServerRequest", &SetTrunkServerRequest{GroupName: []byte("group1"), StorageID: []byte{}},
		&SetTrunkServerRequest{}, tkPad("group1", 16))
	tkEncodes(t, "SetTrunkServerRequest+id", &SetTrunkServerRequest{GroupName: []byte("group1"),
		StorageID: []byte("100001")}, &SetTrunkServerRequest{}, tkCat(tkPad("group1", 16), []byte("100001")))
	for _, n := range []int{15, 32} {
		if err := new(SetTrunkServerRequest).Decode(make([]byte, n)); !errors.Is(err, EINVAL) {
			t.Errorf("%d bytes: %v", n, err)
		}
	}
	// the reply: id + one NUL
	tkEncodes(t, "SetTrunkServerReply", &SetTrunkServerReply{StorageID: []byte("100001")},
		&SetTrunkServerReply{}, []byte("100001\x00"))
	for _, b := range [][]byte{nil, {0}, make([]byte, 17), []byte("0123456789abcdef")} {
		if err := new(SetTrunkServerReply).Decode(b); !errors.Is(err, EINVAL) {
			t.Errorf("reply %q: %v", b, err)
		}
	}
}

func TestLeaderReplyBytes(t *testing.T) {
	tkEncodes(t, "LeaderReply", &LeaderReply{Addr: []byte("127.0.2.10:22122")}, &LeaderReply{},
		[]byte("127.0.2.10:22122"))
	v6 := "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535"
	if len(v6) != 53 {
		t.Fatal(len(v6))
	}
	tkEncodes(t, "LeaderReply/v6", &LeaderReply{Addr: []byte(v6)}, &LeaderReply{}, []byte(v6))
	for _, b := range [][]byte{nil, []byte(v6 + "0")} {
		if err := new(LeaderReply).Decode(b); !errors.Is(err, EINVAL) {
			t.Errorf("%q: %v", b, err)
		}
	}
}

func TestTrackerClusterStatBytes(t *testing.T) {
	tkEncodes(t, "TrackerClusterStatRequest", &TrackerClusterStatRequest{FilterBy: TrackerStatFilterActive,
		IsActive: true}, &TrackerClusterStatRequest{}, []byte{1, 1, 0})
	tkEncodes(t, "TrackerClusterStatRequest/leader", &TrackerClusterStatRequest{
		FilterBy: TrackerStatFilterActive | TrackerStatFilterLeader, IsLeader: true},
		&TrackerClusterStatRequest{}, []byte{3, 0, 1})

	rec := func(host string, leader, active byte, up int64) []byte {
		return tkCat(tkPad(host, 52), []byte{leader, active}, tkI32(256), tkI32(3), tkI32(10),
			tkPad("6.16.1", 8), tkI64(up), tkI64(up+60))
	}
	want := tkCat([]byte{2}, rec("127.0.2.10:22122", 1, 1, 1700000000), rec("[::1]:22122", 0, 1, 1700000001))
	if len(want) != 1+2*90 || TrackerStatSize != 90 {
		t.Fatal(len(want))
	}
	r := &TrackerClusterStatReply{Trackers: []TrackerStat{
		{Host: []byte("127.0.2.10:22122"), IsLeader: true, IsActive: true,
			Connection: ConnectionStat{256, 3, 10}, Version: []byte("6.16.1"), UpTime: 1700000000,
			LastHeartbeatTime: 1700000060},
		{Host: []byte("[::1]:22122"), IsActive: true,
			Connection: ConnectionStat{256, 3, 10}, Version: []byte("6.16.1"), UpTime: 1700000001,
			LastHeartbeatTime: 1700000061},
	}}
	tkEncodes(t, "TrackerClusterStatReply", r, &TrackerClusterStatReply{}, want)
	tkEncodes(t, "TrackerClusterStatReply/empty", &TrackerClusterStatReply{},
		&TrackerClusterStatReply{}, []byte{0})
	for _, b := range [][]byte{nil, {1}, want[:90], {0, 0}} {
		if err := new(TrackerClusterStatReply).Decode(b); !errors.Is(err, EINVAL) {
			t.Errorf("%d bytes: %v", len(b), err)
		}
	}
	var one TrackerStat
	if err := one.Decode(want[1:91]); err != nil || !one.IsLeader || string(one.Host) != "127.0.2.10:22122" {
		t.Errorf("TrackerStat: %+v %v", one, err)
	}
}

func TestStorageClusterStatBytes(t *testing.T) {
	tkEncodes(t, "StorageClusterStatRequest", &StorageClusterStatRequest{FilterBy: StorageStatFilterStatus,
		OpType: StorageStatOpNotEqual, Status: 7}, &StorageClusterStatRequest{}, []byte{2, '!', 7, 0})
	tkEncodes(t, "StorageClusterStatRequest/trunk", &StorageClusterStatRequest{FilterBy: StorageStatFilterTrunk,
		OpType: StorageStatOpEqual, IsTrunkServer: true}, &StorageClusterStatRequest{}, []byte{1, '=', 0, 1})

	rec := tkCat(tkPad("100001", 16), tkPad("127.0.2.21:23000", 52), []byte{1, 7}, tkI32(64), tkI32(2),
		tkI32(34), tkPad("6.16.1", 8), tkI64(1700000000), tkI64(1700000030))
	if len(rec) != 106 || StorageClusterStatSize != 106 {
		t.Fatal(len(rec))
	}
	want := tkCat([]byte{1, 0}, tkI32(1), rec)
	r := &StorageClusterStatReply{UseStorageID: true, Storages: []StorageClusterStat{{
		ID: []byte("100001"), Host: []byte("127.0.2.21:23000"), IsTrunkServer: true, Status: 7,
		Connection: ConnectionStat{64, 2, 34}, Version: []byte("6.16.1"), UpTime: 1700000000,
		LastHeartbeatTime: 1700000030}}}
	tkEncodes(t, "StorageClusterStatReply", r, &StorageClusterStatReply{}, want)
	bad := [][]byte{nil, {1, 0, 0, 0, 0}, tkCat([]byte{0, 0}, tkI32(2), rec), tkCat([]byte{0, 0}, tkI32(-1)),
		tkCat([]byte{0, 0}, tkI32(0), rec)}
	for _, b := range bad {
		if err := new(StorageClusterStatReply).Decode(b); !errors.Is(err, EINVAL) {
			t.Errorf("%d bytes: %v", len(b), err)
		}
	}
}

func TestVolumeStatBytes(t *testing.T) {
	tkEncodes(t, "VolumeStatRequest", &VolumeStatRequest{FilterBy: VolumeStatFilterDisk | VolumeStatFilterSpace,
		IsDiskAvailable: true, IsSpaceAvailable: true}, &VolumeStatRequest{}, []byte{5, 1, 0, 1})
	rec := tkCat(tkPad("group1", 17), tkI64(258019), tkI64(66186), tkI64(51603), tkI64(14583), tkI64(0),
		[]byte{1, 0})
	if len(rec) != 59 || VolumeStatSize != 59 {
		t.Fatal(len(rec))
	}
	want := tkCat([]byte{0}, tkI32(1), rec)
	r := &VolumeStatReply{Groups: []VolumeStat{{GroupName: []byte("group1"), TotalMB: 258019, FreeMB: 66186,
		ReservedMB: 51603, AvailMB: 14583, IsDiskAvailable: true}}}
	tkEncodes(t, "VolumeStatReply", r, &VolumeStatReply{}, want)
	tkEncodes(t, "VolumeStatReply/empty", &VolumeStatReply{UseTrunkFile: true},
		&VolumeStatReply{}, []byte{1, 0, 0, 0, 0})
	for _, b := range [][]byte{nil, {0, 0, 0, 0}, tkCat([]byte{0}, tkI32(2), rec), tkCat([]byte{0}, tkI32(-5))} {
		if err := new(VolumeStatReply).Decode(b); !errors.Is(err, EINVAL) {
			t.Errorf("%d bytes: %v", len(b), err)
		}
	}
	for _, n := range []int{3, 5} {
		if err := new(VolumeStatRequest).Decode(make([]byte, n)); !errors.Is(err, EINVAL) {
			t.Errorf("request %d bytes: %v", n, err)
		}
	}
}

func TestAdminZeroAlloc(t *testing.T) {
	trackers := TrackerClusterStatReply{Trackers: []TrackerStat{{Host: []byte("127.0.2.10:22122")},
		{Host: []byte("127.0.2.11:22122")}}}
	tBody := trackers.Append(nil)
	storages := StorageClusterStatReply{Storages: []StorageClusterStat{{ID: []byte("1")}, {ID: []byte("2")}}}
	sBody := storages.Append(nil)
	volumes := VolumeStatReply{Groups: []VolumeStat{{GroupName: []byte("g1")}}}
	vBody := volumes.Append(nil)
	del := DeleteStorageRequest{GroupName: []byte("group1"), StorageID: []byte("100001")}
	dBody := del.Append(nil)
	buf := make([]byte, 0, 1024)
	tr := TrackerClusterStatReply{Trackers: make([]TrackerStat, 0, 4)}
	sr := StorageClusterStatReply{Storages: make([]StorageClusterStat, 0, 4)}
	vr := VolumeStatReply{Groups: make([]VolumeStat, 0, 4)}
	var dr DeleteStorageRequest
	n := testing.AllocsPerRun(500, func() {
		_ = trackers.Append(buf[:0])
		_ = storages.Append(buf[:0])
		_ = volumes.Append(buf[:0])
		if tr.Decode(tBody) != nil || sr.Decode(sBody) != nil || vr.Decode(vBody) != nil || dr.Decode(dBody) != nil {
			t.Fatal("decode")
		}
	})
	if n != 0 {
		t.Fatalf("%v allocations", n)
	}
}

func FuzzDeleteStorageRequest(f *testing.F) {
	for _, b := range tkUnique(capturedBodies(f, CmdServerDeleteStorage, false)) {
		f.Add(b)
	}
	f.Add(tkCat(tkPad("group1", 16), []byte("1\x00")))
	f.Fuzz(func(t *testing.T, body []byte) {
		tkStable(t, body, &DeleteStorageRequest{}, &DeleteStorageRequest{}, false)
	})
}

func FuzzSetTrunkServerRequest(f *testing.F) {
	f.Add(tkPad("group1", 16))
	f.Add(tkCat(tkPad("group1", 16), []byte("100001")))
	f.Fuzz(func(t *testing.T, body []byte) {
		tkStable(t, body, &SetTrunkServerRequest{}, &SetTrunkServerRequest{}, false)
	})
}

func FuzzSetTrunkServerReply(f *testing.F) {
	f.Add([]byte("100001\x00"))
	f.Add([]byte("0123456789abcdef"))
	f.Fuzz(func(t *testing.T, body []byte) {
		tkStable(t, body, &SetTrunkServerReply{}, &SetTrunkServerReply{}, false)
	})
}

func FuzzLeaderReply(f *testing.F) {
	f.Add([]byte("127.0.2.10:22122"))
	f.Fuzz(func(t *testing.T, body []byte) {
		tkStable(t, body, &LeaderReply{}, &LeaderReply{}, true)
	})
}

// FuzzClusterStatRequests feeds the three filter requests the leader decodes.
func FuzzClusterStatRequests(f *testing.F) {
	f.Add([]byte{1, 1, 0})
	f.Add([]byte{2, '=', 7, 1})
	f.Fuzz(func(t *testing.T, body []byte) {
		tkStable(t, body, &TrackerClusterStatRequest{}, &TrackerClusterStatRequest{}, true)
		tkStable(t, body, &StorageClusterStatRequest{}, &StorageClusterStatRequest{}, true)
		tkStable(t, body, &VolumeStatRequest{}, &VolumeStatRequest{}, true)
	})
}

func FuzzTrackerClusterStatReply(f *testing.F) {
	r := TrackerClusterStatReply{Trackers: []TrackerStat{{Host: []byte("127.0.2.10:22122"), IsLeader: true}}}
	f.Add(r.Append(nil))
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, body []byte) {
		tkStable(t, body, &TrackerClusterStatReply{}, &TrackerClusterStatReply{}, true)
	})
}

func FuzzStorageClusterStatReply(f *testing.F) {
	r := StorageClusterStatReply{UseStorageID: true, Storages: []StorageClusterStat{{ID: []byte("100001"),
		Host: []byte("127.0.2.21:23000"), Status: 7}}}
	f.Add(r.Append(nil))
	f.Add(tkCat([]byte{0, 0}, tkI32(0x7fffffff)))
	f.Fuzz(func(t *testing.T, body []byte) {
		tkStable(t, body, &StorageClusterStatReply{}, &StorageClusterStatReply{}, true)
	})
}

func FuzzVolumeStatReply(f *testing.F) {
	r := VolumeStatReply{Groups: []VolumeStat{{GroupName: []byte("group1"), TotalMB: 1}}}
	f.Add(r.Append(nil))
	f.Add(tkCat([]byte{0}, tkI32(-1)))
	f.Fuzz(func(t *testing.T, body []byte) {
		tkStable(t, body, &VolumeStatReply{}, &VolumeStatReply{}, true)
	})
}
