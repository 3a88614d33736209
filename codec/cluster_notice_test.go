package codec

import (
	"bytes"
	"testing"
)

// The captured notices (flags 0, 4, 5) are checked by the BEAT, DISK_USAGE
// and SYNC_REPORT golden checks; these cover the trunk flag, which no
// capture has, the pre-V6.11 37-byte briefs and the accessors.

func TestChangeNoticeHandBuilt(t *testing.T) {
	leader := cat(hx("00 00 00 56 6a"), txt("127.0.2.11", 16), txt("127.0.2.11", 46))
	trunk := cat(hx("07 00 00 59 d8"), txt("127.0.2.21", 16), txt("127.0.2.21", 46))
	m1 := cat(hx("07 00 00 59 d8"), txt("127.0.2.21", 16), txt("127.0.2.21", 46))
	m2 := cat(hx("04 00 00 59 d8"), txt("127.0.2.22", 16), txt("127.0.2.22", 46))

	n := ChangeNotice{Flags: ChangeTrackerLeader | ChangeTrunkServer,
		Leader:      StorageBrief{Port: 22122, ID: []byte("127.0.2.11"), IP: []byte("127.0.2.11")},
		TrunkServer: StorageBrief{Status: 7, Port: 23000, ID: []byte("127.0.2.21"), IP: []byte("127.0.2.21")}}
	n.AddMember(&StorageBrief{Status: 7, Port: 23000, ID: []byte("127.0.2.21"), IP: []byte("127.0.2.21")})
	n.AddMember(&StorageBrief{Status: 4, Port: 23000, ID: []byte("127.0.2.22"), IP: []byte("127.0.2.22")})
	want := cat([]byte{0x07}, leader, trunk, m1, m2)
	clusterHandBuilt(t, "ChangeNotice 0x07", &n, &ChangeNotice{}, want)

	var got ChangeNotice
	if err := got.Decode(want); err != nil {
		t.Fatal(err)
	}
	if got.IPSize != IPv6AddrSize || got.MemberCount() != 2 || got.Member(1).Status != 4 ||
		string(got.Member(1).ID) != "127.0.2.22" || string(got.TrunkServer.IP) != "127.0.2.21" || got.Leader.Port != 22122 {
		t.Errorf("decoded %+v", got)
	}

	// trunk flag alone, an all-zero brief: "no trunk server"
	clusterHandBuilt(t, "ChangeNotice 0x02", &ChangeNotice{Flags: ChangeTrunkServer}, &ChangeNotice{},
		cat([]byte{0x02}, make([]byte, 67)))
	// a follower's answer
	clusterHandBuilt(t, "ChangeNotice follower", &ChangeNotice{}, &ChangeNotice{}, []byte{0})

	// pre-V6.11: 37-byte briefs
	old := ChangeNotice{Flags: ChangeTrackerLeader, IPSize: IPv4AddrSize,
		Leader: StorageBrief{Port: 22122, ID: []byte("10.0.0.1"), IP: []byte("10.0.0.1")}}
	old.AddMember(&StorageBrief{Status: 7, Port: 23000, ID: []byte("10.0.0.5"), IP: []byte("10.0.0.5")})
	wantOld := cat([]byte{0x05}, hx("00 00 00 56 6a"), txt("10.0.0.1", 16), txt("10.0.0.1", 16),
		hx("07 00 00 59 d8"), txt("10.0.0.5", 16), txt("10.0.0.5", 16))
	clusterHandBuilt(t, "ChangeNotice old", &old, &ChangeNotice{}, wantOld)
	if err := got.Decode(wantOld); err != nil || got.IPSize != IPv4AddrSize || string(got.Member(0).IP) != "10.0.0.5" {
		t.Errorf("old notice: %+v %v", got, err)
	}

	var b StorageBrief
	if err := b.DecodeOld(cat(hx("06 00 00 59 d8"), txt("10.0.0.5", 16), txt("10.0.0.5", 16))); err != nil ||
		b.Status != 6 || string(b.IP) != "10.0.0.5" {
		t.Errorf("DecodeOld: %+v %v", b, err)
	}
	if got := b.AppendOld(nil); len(got) != StorageBriefSizeOld {
		t.Errorf("AppendOld %d bytes", len(got))
	}
}

func TestChangeNoticeRejects(t *testing.T) {
	brief := make([]byte, StorageBriefSize)
	clusterRejects(t, "ChangeNotice", &ChangeNotice{}, EINVAL,
		nil,                                        // no flags byte
		cat([]byte{0x01}),                          // leader flag, no brief
		cat([]byte{0x00}, brief),                   // briefs without flags
		cat([]byte{0x03}, brief),                   // two flags, one brief
		cat([]byte{0x01}, brief, brief),            // extra brief without the group flag
		cat([]byte{0x04}, brief[:66]),              // cut brief
		cat([]byte{0x04}, bytes.Repeat(brief, 33)), // more members than a group has
	)
	if err := (&StorageBrief{}).Decode(brief[:66]); err == nil {
		t.Error("66-byte brief accepted")
	}
	if err := (&StorageBrief{}).DecodeOld(brief); err == nil {
		t.Error("67-byte brief accepted as old")
	}
}

func FuzzChangeNotice(f *testing.F) {
	seeds := capturedBodies(f, CmdStorageBeat, true)
	seeds = append(seeds, capturedBodies(f, CmdStorageReportDiskUsage, true)...)
	seeds = append(seeds, cat([]byte{0x07}, make([]byte, 4*67)), cat([]byte{0x05}, make([]byte, 2*37)))
	clusterFuzz(f, func() clusterLayout { return &ChangeNotice{} }, seeds...)
}
