package codec

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/gofdfs/gofdfs/codec/capture"
)

// ---- helpers shared by the cluster_*_test.go and binlog_test.go files ------

// clusterLayout is what every layout of the cluster files implements.
type clusterLayout interface {
	Size() int
	Append(dst []byte) []byte
	Decode(body []byte) error
}

// clusterRoundTrip decodes body into l, re-encodes it and compares the
// result with want (body itself, or body with garbage bytes masked).
func clusterRoundTrip(t *testing.T, e *capture.Exchange, what string, l clusterLayout, body, want []byte) bool {
	t.Helper()
	if err := l.Decode(body); err != nil {
		t.Errorf("%s: %s: %v", e, what, err)
		return false
	}
	got := l.Append(nil)
	if len(got) != l.Size() {
		t.Errorf("%s: %s: Size() %d, Append wrote %d", e, what, l.Size(), len(got))
	}
	sameBytes(t, what, e, got, want)
	return true
}

// clusterRequest round-trips the request body through l.
func clusterRequest(t *testing.T, e *capture.Exchange, l clusterLayout) bool {
	t.Helper()
	return clusterRoundTrip(t, e, "request", l, e.Request.Body, e.Request.Body)
}

// clusterReply round-trips a successful reply's body through l.
func clusterReply(t *testing.T, e *capture.Exchange, l clusterLayout) {
	t.Helper()
	if okReply(t, e) {
		clusterRoundTrip(t, e, "reply", l, e.Reply.Body, e.Reply.Body)
	}
}

// clusterEmptyRequest fails unless the request has no body and, through
// DecodeEmptyRequest, is accepted as such.
func clusterEmptyRequest(t *testing.T, e *capture.Exchange) {
	t.Helper()
	if err := DecodeEmptyRequest(e.Request.Cmd, e.Request.Body); err != nil {
		t.Errorf("%s: %v", e, err)
	}
}

// clusterEmptyReply fails when a successful reply has a body.
func clusterEmptyReply(t *testing.T, e *capture.Exchange) {
	t.Helper()
	if okReply(t, e) && len(e.Reply.Body) != 0 {
		t.Errorf("%s: reply with a %d-byte body, want none", e, len(e.Reply.Body))
	}
}

// clusterMaskGroup returns a copy of body whose bytes after the first NUL
// of the group field body[off:off+16] are zeroed: C sync senders leave
// garbage there and our encoder writes zeros. Nothing else is masked.
func clusterMaskGroup(body []byte, off int) []byte {
	out := bytes.Clone(body)
	if len(out) < off+GroupNameSize {
		return out
	}
	field := out[off : off+GroupNameSize]
	if i := bytes.IndexByte(field, 0); i >= 0 {
		clear(field[i:])
	}
	return out
}

// hx decodes hex written with spaces ("00 01 0a").
func hx(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// txt is s as an n-byte NUL-padded field.
func txt(s string, n int) []byte {
	if len(s) > n {
		panic("txt: " + s + " longer than the field")
	}
	return append([]byte(s), make([]byte, n-len(s))...)
}

// cat concatenates byte slices.
func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// clusterHandBuilt checks a layout against bytes built from the protocol
// tables: l encodes to want, and want decodes into a value that encodes to
// want again.
func clusterHandBuilt(t *testing.T, name string, l clusterLayout, fresh clusterLayout, want []byte) {
	t.Helper()
	got := l.Append(nil)
	if !bytes.Equal(got, want) {
		t.Errorf("%s: encoded\n got %x\nwant %x", name, got, want)
	}
	if l.Size() != len(want) {
		t.Errorf("%s: Size() %d, want %d", name, l.Size(), len(want))
	}
	if err := fresh.Decode(want); err != nil {
		t.Errorf("%s: decode: %v", name, err)
		return
	}
	if again := fresh.Append(nil); !bytes.Equal(again, want) {
		t.Errorf("%s: decode+encode\n got %x\nwant %x", name, again, want)
	}
}

// clusterRejects fails unless every body is refused with an *Error of errno.
func clusterRejects(t *testing.T, name string, l clusterLayout, errno Errno, bodies ...[]byte) {
	t.Helper()
	for _, b := range bodies {
		err := l.Decode(b)
		var ce *Error
		if !errors.As(err, &ce) || ce.Errno != errno {
			t.Errorf("%s: Decode(%x) = %v, want %s", name, b, err, errno.Name())
		}
	}
}

// clusterFuzz is the body of every cluster decoder's fuzz target: whatever
// decodes must re-encode to Size() bytes that decode again to the same
// encoding (garbage after NULs is dropped once, then stable).
func clusterFuzz(f *testing.F, fresh func() clusterLayout, seeds ...[]byte) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		l := fresh()
		if err := l.Decode(b); err != nil {
			var ce *Error
			if !errors.As(err, &ce) || ce.Errno == OK {
				t.Fatalf("error %v is not a *codec.Error with an errno", err)
			}
			return
		}
		enc := l.Append(nil)
		if len(enc) != l.Size() {
			t.Fatalf("Size() %d, Append wrote %d", l.Size(), len(enc))
		}
		if len(enc) != len(b) {
			t.Fatalf("decoded %d bytes, re-encoded %d", len(b), len(enc))
		}
		l2 := fresh()
		if err := l2.Decode(enc); err != nil {
			t.Fatalf("re-encoded %x does not decode: %v", enc, err)
		}
		if enc2 := l2.Append(nil); !bytes.Equal(enc, enc2) {
			t.Fatalf("unstable: %x then %x", enc, enc2)
		}
	})
}

// ---- golden checks against the captures ---------------------------------------

// clusterNoticeReply round-trips a change-notice reply and checks what
// cluster.md §1.4 says of it: the leader brief has status 0, the tracker
// port and the leader's IP as id; members come sorted by id.
func clusterNoticeReply(t *testing.T, e *capture.Exchange) {
	t.Helper()
	var n ChangeNotice
	if !okReply(t, e) || !clusterRoundTrip(t, e, "reply", &n, e.Reply.Body, e.Reply.Body) {
		return
	}
	if n.Flags&^(ChangeTrackerLeader|ChangeGroupServers) != 0 || n.IPSize != IPv6AddrSize {
		t.Errorf("%s: notice flags %#x, IP size %d", e, n.Flags, n.IPSize)
	}
	if l := n.Leader; n.Flags&ChangeTrackerLeader != 0 &&
		(l.Status != 0 || l.Port != 22122 || len(l.ID) == 0 || !bytes.Equal(l.ID, l.IP)) {
		t.Errorf("%s: leader brief %+v", e, l)
	}
	for i := 1; i < n.MemberCount(); i++ {
		if bytes.Compare(n.Member(i-1).ID, n.Member(i).ID) >= 0 {
			t.Errorf("%s: members not sorted by id: %q before %q", e, n.Member(i-1).ID, n.Member(i).ID)
		}
	}
}

func init() {
	registerGolden(CmdStorageBeat, func(t *testing.T, e *capture.Exchange) {
		var beat StorageBeat
		if clusterRequest(t, e, &beat) && len(e.Request.Body) == StatBlockSize != beat.HasStats {
			t.Errorf("%s: HasStats %v", e, beat.HasStats)
		}
		clusterNoticeReply(t, e)
	})
	registerGolden(CmdStorageReportDiskUsage, func(t *testing.T, e *capture.Exchange) {
		var r DiskUsageReport
		if clusterRequest(t, e, &r) {
			// every captured storage has one store path
			if err := r.CheckPathCount(1); err != nil {
				t.Errorf("%s: %v", e, err)
			}
		}
		clusterNoticeReply(t, e)
	})
	registerGolden(CmdStorageReplicaChg, func(t *testing.T, e *capture.Exchange) {
		clusterRequest(t, e, &ReplicaChange{})
		clusterEmptyReply(t, e)
	})
	registerGolden(CmdStorageReportStatus, func(t *testing.T, e *capture.Exchange) {
		var r ReportStatusRequest
		if clusterRequest(t, e, &r) && r.Storage.Port != 0 {
			// cluster.md §1.6: C storages leave the port 0 in 76
			t.Errorf("%s: REPORT_STATUS brief port %d, C sends 0", e, r.Storage.Port)
		}
		clusterEmptyReply(t, e)
	})
	registerGolden(CmdStorageSyncReport, func(t *testing.T, e *capture.Exchange) {
		clusterRequest(t, e, &SyncReport{})
		clusterNoticeReply(t, e)
	})
	registerGolden(CmdStorageChangeStatus, func(t *testing.T, e *capture.Exchange) {
		clusterRequest(t, e, &ChangeStatusRequest{})
		clusterEmptyReply(t, e)
	})
	registerGolden(CmdStorageGetMyIP, func(t *testing.T, e *capture.Exchange) {
		var r GetMyIPRequest
		if clusterRequest(t, e, &r) && (string(r.Group) != "group1" || r.Port != 23000) {
			t.Errorf("%s: GET_MY_IP group %q port %d", e, r.Group, r.Port)
		}
		clusterReply(t, e, &MyIPReply{})
	})
	registerGolden(CmdStorageChangelogReq, func(t *testing.T, e *capture.Exchange) {
		clusterRequest(t, e, &ChangelogRequest{})
		if !okReply(t, e) {
			return
		}
		// the reply is raw storage_changelog.dat: every line parses and
		// formats back to the same bytes
		var out []byte
		rest := e.Reply.Body
		for len(rest) > 0 {
			var l ChangelogLine
			n, err := l.Parse(rest)
			if err != nil {
				t.Errorf("%s: changelog line %q: %v", e, rest, err)
				return
			}
			if l.Status != 4 || len(l.NewID) != 0 {
				t.Errorf("%s: captured changelog line %q: status %d new id %q", e, rest[:n], l.Status, l.NewID)
			}
			out = l.Append(out)
			rest = rest[n:]
		}
		sameBytes(t, "changelog reply", e, out, e.Reply.Body)
	})
	registerGolden(CmdStorageSyncSrcReq, func(t *testing.T, e *capture.Exchange) {
		clusterRequest(t, e, &SyncSourceRequest{})
		clusterReply(t, e, &SyncSourceReply{})
	})
	registerGolden(CmdStorageSyncDestReq, func(t *testing.T, e *capture.Exchange) {
		clusterEmptyRequest(t, e)
		clusterReply(t, e, &SyncSourceReply{})
	})
	registerGolden(CmdStorageSyncNotify, func(t *testing.T, e *capture.Exchange) {
		clusterRequest(t, e, &SyncSource{})
		clusterEmptyReply(t, e)
	})
}

// ---- hand-built bytes for layouts no capture covers ---------------------------

func TestClusterReportHandBuilt(t *testing.T) {
	group := txt("group1", 16)
	// 70 GET_SERVER_ID / 71 GET_STATUS: group[16] + "ip:port"
	clusterHandBuilt(t, "StorageLookupRequest",
		&StorageLookupRequest{Group: []byte("group1"), Addr: []byte("127.0.2.21:23000")}, &StorageLookupRequest{},
		cat(group, []byte("127.0.2.21:23000")))
	// 70 reply: the id text
	clusterHandBuilt(t, "StorageIDReply", &StorageIDReply{ID: []byte("100001")}, &StorageIDReply{}, []byte("100001"))
	// 71 reply: one brief
	clusterHandBuilt(t, "StorageBrief (GET_STATUS reply)",
		&StorageBrief{Status: 7, Port: 23000, ID: []byte("100001"), IP: []byte("127.0.2.21")}, &StorageBrief{},
		cat(hx("07 00 00 59 d8"), txt("100001", 16), txt("127.0.2.21", 46)))
	// 109 GET_GROUP_NAME: [ip] + int32 port; reply group[16]
	clusterHandBuilt(t, "GetGroupNameRequest port only", &GetGroupNameRequest{Port: 23000}, &GetGroupNameRequest{},
		hx("00 00 59 d8"))
	clusterHandBuilt(t, "GetGroupNameRequest ip+port",
		&GetGroupNameRequest{IP: []byte("10.0.0.7"), Port: 23001}, &GetGroupNameRequest{},
		cat([]byte("10.0.0.7"), hx("00 00 59 d9")))
	clusterHandBuilt(t, "GetGroupNameReply", &GetGroupNameReply{Group: []byte("group2")}, &GetGroupNameReply{},
		txt("group2", 16))
	// 78 REPORT_IP_CHANGED: group[16] + old_ip[46] + new_ip[46]
	clusterHandBuilt(t, "ReportIPChangedRequest",
		&ReportIPChangedRequest{Group: []byte("group1"), OldIP: []byte("10.0.0.1"), NewIP: []byte("10.0.0.2")},
		&ReportIPChangedRequest{}, cat(group, txt("10.0.0.1", 46), txt("10.0.0.2", 46)))
	// 72 reply / 73 request: int32; 74: int64 MB
	clusterHandBuilt(t, "TrunkFileID", &TrunkFileID{ID: 0x01020304}, &TrunkFileID{}, hx("01 02 03 04"))
	clusterHandBuilt(t, "TrunkFreeSpace", &TrunkFreeSpace{FreeMB: 1 << 33}, &TrunkFreeSpace{},
		hx("00 00 00 02 00 00 00 00"))
	// 79 SYNC_DEST_QUERY reply: 24 bytes or empty
	clusterHandBuilt(t, "SyncSourceReply found",
		&SyncSourceReply{Found: true, Source: SyncSource{SrcID: []byte("127.0.2.22"), Until: 1795299845}},
		&SyncSourceReply{}, cat(txt("127.0.2.22", 16), hx("00 00 00 00 6b 02 1a 05")))
	clusterHandBuilt(t, "SyncSourceReply empty", &SyncSourceReply{}, &SyncSourceReply{}, nil)
	// 77 with group + id, and the joined (empty) form
	clusterHandBuilt(t, "ChangelogRequest", &ChangelogRequest{Group: []byte("group1"), StorageID: []byte("127.0.2.21")},
		&ChangelogRequest{}, cat(group, txt("127.0.2.21", 16)))
	clusterHandBuilt(t, "ChangelogRequest joined", &ChangelogRequest{}, &ChangelogRequest{}, nil)
	// 84 two store paths
	var du DiskUsageReport
	du.Add(PathUsage{TotalMB: 258019, FreeMB: 78937})
	du.Add(PathUsage{TotalMB: 1, FreeMB: 0})
	clusterHandBuilt(t, "DiskUsageReport", &du, &DiskUsageReport{},
		hx("00 00 00 00 00 03 ef e3 00 00 00 00 00 01 34 59 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 00"))
	if du.Count() != 2 || du.Path(1) != (PathUsage{TotalMB: 1}) || du.CheckPathCount(1) == nil {
		t.Errorf("DiskUsageReport accessors: %d %+v", du.Count(), du.Path(1))
	}
	// 89 two entries
	var sr SyncReport
	sr.Add(SyncTimestamp{ID: []byte("127.0.0.2"), Timestamp: 0x6b02186b})
	sr.Add(SyncTimestamp{ID: []byte("127.0.0.3")})
	clusterHandBuilt(t, "SyncReport", &sr, &SyncReport{},
		cat(txt("127.0.0.2", 16), hx("6b 02 18 6b"), txt("127.0.0.3", 16), hx("00 00 00 00")))
	if e := sr.Entry(0); sr.Count() != 2 || string(e.ID) != "127.0.0.2" || e.Timestamp != 0x6b02186b {
		t.Errorf("SyncReport.Entry: %+v", e)
	}
	// 85 one brief
	var rc ReplicaChange
	rc.Add(&StorageBrief{Status: 1, Port: 23000, ID: []byte("127.0.2.23"), IP: []byte("127.0.2.23")})
	clusterHandBuilt(t, "ReplicaChange", &rc, &ReplicaChange{},
		cat(hx("01 00 00 59 d8"), txt("127.0.2.23", 16), txt("127.0.2.23", 46)))
	if b := rc.Brief(0); rc.Count() != 1 || b.Status != 1 || string(b.IP) != "127.0.2.23" {
		t.Errorf("ReplicaChange.Brief: %+v", b)
	}
	// 60: the port sits at offset 17, after a 17-byte group field
	clusterHandBuilt(t, "GetMyIPRequest", &GetMyIPRequest{Group: []byte("group1"), Port: 23000}, &GetMyIPRequest{},
		cat(txt("group1", 17), hx("00 00 59 d8")))
}

func TestClusterReportRejects(t *testing.T) {
	clusterRejects(t, "StorageBeat", &StorageBeat{}, EINVAL, make([]byte, 1), make([]byte, 347), make([]byte, 349), make([]byte, 336))
	clusterRejects(t, "DiskUsageReport", &DiskUsageReport{}, EINVAL, nil, make([]byte, 15), make([]byte, 17), make([]byte, 16*257))
	clusterRejects(t, "ReplicaChange", &ReplicaChange{}, EINVAL, nil, make([]byte, 66), make([]byte, 37), make([]byte, 67*33))
	clusterRejects(t, "ReportStatusRequest", &ReportStatusRequest{}, EINVAL, make([]byte, 82), make([]byte, 84), make([]byte, 16+37))
	clusterRejects(t, "SyncReport", &SyncReport{}, EINVAL, nil, make([]byte, 19), make([]byte, 41))
	clusterRejects(t, "ChangeStatusRequest", &ChangeStatusRequest{}, EINVAL, nil, make([]byte, 2))
	clusterRejects(t, "GetMyIPRequest", &GetMyIPRequest{}, EINVAL, make([]byte, 16), make([]byte, 20), make([]byte, 22))
	clusterRejects(t, "MyIPReply", &MyIPReply{}, EINVAL, nil, make([]byte, 92))
	clusterRejects(t, "StorageLookupRequest", &StorageLookupRequest{}, EINVAL, make([]byte, 16), make([]byte, 69))
	clusterRejects(t, "StorageIDReply", &StorageIDReply{}, EINVAL, nil, make([]byte, 16))
	clusterRejects(t, "GetGroupNameRequest", &GetGroupNameRequest{}, EINVAL, make([]byte, 3), make([]byte, 50))
	clusterRejects(t, "GetGroupNameReply", &GetGroupNameReply{}, EINVAL, make([]byte, 15), make([]byte, 17))
	clusterRejects(t, "ChangelogRequest", &ChangelogRequest{}, EINVAL, make([]byte, 16), make([]byte, 31), make([]byte, 33))
	clusterRejects(t, "ReportIPChangedRequest", &ReportIPChangedRequest{}, EINVAL, make([]byte, 48), make([]byte, 107))
	clusterRejects(t, "TrunkFileID", &TrunkFileID{}, EINVAL, make([]byte, 3), hx("ff ff ff ff"))
	clusterRejects(t, "TrunkFreeSpace", &TrunkFreeSpace{}, EINVAL, make([]byte, 4), hx("80 00 00 00 00 00 00 00"))
	clusterRejects(t, "SyncSource", &SyncSource{}, EINVAL, nil, make([]byte, 23), make([]byte, 25))
	clusterRejects(t, "SyncSourceReply", &SyncSourceReply{}, EINVAL, make([]byte, 16), make([]byte, 25))
	clusterRejects(t, "SyncSourceRequest", &SyncSourceRequest{}, EINVAL, make([]byte, 31), make([]byte, 33))
}

// A tracker reads a group name with garbage after the NUL up to the NUL.
func TestClusterReportGarbageAfterNUL(t *testing.T) {
	body := cat([]byte("group1\x00\x7f\x00\x00\\\xbf\x8c\xbd\xd8\x55"), txt("127.0.2.21", 16))
	var r SyncSourceRequest
	if err := r.Decode(body); err != nil || string(r.Group) != "group1" || string(r.DestID) != "127.0.2.21" {
		t.Fatalf("%q %q %v", r.Group, r.DestID, err)
	}
}

func TestChangelogLine(t *testing.T) {
	cases := []struct {
		line string
		want ChangelogLine
	}{
		{"1795300422 group1 127.0.2.22 4 \n", ChangelogLine{Timestamp: 1795300422, Group: []byte("group1"),
			StorageID: []byte("127.0.2.22"), Status: 4, NewID: []byte{}}},
		{"1795300500 group1 10.0.0.1 3 10.0.0.2\n", ChangelogLine{Timestamp: 1795300500, Group: []byte("group1"),
			StorageID: []byte("10.0.0.1"), Status: 3, NewID: []byte("10.0.0.2")}},
	}
	for _, c := range cases {
		var l ChangelogLine
		n, err := l.Parse([]byte(c.line + "next"))
		if err != nil || n != len(c.line) {
			t.Fatalf("%q: n=%d err=%v", c.line, n, err)
		}
		if l.Timestamp != c.want.Timestamp || string(l.Group) != string(c.want.Group) ||
			string(l.StorageID) != string(c.want.StorageID) || l.Status != c.want.Status || string(l.NewID) != string(c.want.NewID) {
			t.Errorf("%q: %+v", c.line, l)
		}
		if got := string(l.Append(nil)); got != c.line || l.Size() != len(c.line) {
			t.Errorf("%q: formatted %q (Size %d)", c.line, got, l.Size())
		}
	}
	for _, bad := range []string{"1795300422 group1 127.0.2.22 4\n", "1795300422 group1 127.0.2.22 4 x y\n",
		"x group1 127.0.2.22 4 \n", "1795300422 gr-1 127.0.2.22 4 \n", "1795300422 group1  4 \n",
		"1795300422 group1 id 256 \n", "1795300422 group1 id  \n"} {
		var l ChangelogLine
		n, err := l.Parse([]byte(bad))
		if n != len(bad) || !errors.Is(err, EINVAL) {
			t.Errorf("%q: n=%d err=%v, want the line's length and EINVAL", bad, n, err)
		}
	}
	var l ChangelogLine
	if n, err := l.Parse([]byte("1795300422 group1 127.0")); n != 0 || err != ErrChangelogPartial {
		t.Errorf("partial: %d %v", n, err)
	}
}

func TestStorageBeatZeroAlloc(t *testing.T) {
	beat := StorageBeat{HasStats: true}
	beat.Stats.TotalUploadCount = 7
	beat.Stats.LastSourceUpdate = 1795299919
	buf := make([]byte, 0, StatBlockSize)
	var got StorageBeat
	n := testing.AllocsPerRun(1000, func() {
		buf = beat.Append(buf[:0])
	})
	if n != 0 {
		t.Fatalf("%v allocations per BEAT encode", n)
	}
	n = testing.AllocsPerRun(1000, func() {
		if err := got.Decode(buf); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Fatalf("%v allocations per BEAT decode", n)
	}
	if got.Stats != beat.Stats {
		t.Fatal("BEAT round trip")
	}
}

func BenchmarkStorageBeatAppend(b *testing.B) {
	beat := StorageBeat{HasStats: true}
	beat.Stats.TotalUploadCount = 7
	buf := make([]byte, 0, StatBlockSize)
	b.ReportAllocs()
	b.SetBytes(StatBlockSize)
	for b.Loop() {
		buf = beat.Append(buf[:0])
	}
}

func BenchmarkStorageBeatDecode(b *testing.B) {
	beat := StorageBeat{HasStats: true}
	body := beat.Append(nil)
	var got StorageBeat
	b.ReportAllocs()
	b.SetBytes(StatBlockSize)
	for b.Loop() {
		if err := got.Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}

// ---- fuzz targets: what a tracker decodes from storages, and the replies a
// storage decodes from trackers ----------------------------------------------

func FuzzStorageBeat(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &StorageBeat{} },
		append(capturedBodies(f, CmdStorageBeat, false), nil)...)
}

func FuzzDiskUsageReport(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &DiskUsageReport{} }, capturedBodies(f, CmdStorageReportDiskUsage, false)...)
}

func FuzzReplicaChange(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &ReplicaChange{} }, capturedBodies(f, CmdStorageReplicaChg, false)...)
}

func FuzzReportStatusRequest(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &ReportStatusRequest{} }, capturedBodies(f, CmdStorageReportStatus, false)...)
}

func FuzzSyncReport(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &SyncReport{} }, capturedBodies(f, CmdStorageSyncReport, false)...)
}

func FuzzChangeStatusRequest(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &ChangeStatusRequest{} }, []byte{7}, nil)
}

func FuzzGetMyIPRequest(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &GetMyIPRequest{} }, capturedBodies(f, CmdStorageGetMyIP, false)...)
}

func FuzzMyIPReply(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &MyIPReply{} }, capturedBodies(f, CmdStorageGetMyIP, true)...)
}

func FuzzStorageLookupRequest(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &StorageLookupRequest{} },
		cat(txt("group1", 16), []byte("127.0.2.21:23000")), cat([]byte("g\x00xx"), make([]byte, 12), []byte("x")))
}

func FuzzStorageIDReply(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &StorageIDReply{} }, []byte("100001"), []byte("127.0.2.21"))
}

func FuzzStorageBrief(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &StorageBrief{} },
		cat(hx("07 00 00 59 d8"), txt("100001", 16), txt("127.0.2.21", 46)))
}

func FuzzGetGroupNameRequest(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &GetGroupNameRequest{} }, hx("00 00 59 d8"),
		cat([]byte("10.0.0.7"), hx("00 00 59 d9")))
}

func FuzzGetGroupNameReply(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &GetGroupNameReply{} }, txt("group2", 16), []byte("0123456789abcdef"))
}

func FuzzChangelogRequest(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &ChangelogRequest{} }, capturedBodies(f, CmdStorageChangelogReq, false)...)
}

func FuzzChangelogLine(f *testing.F) {
	for _, b := range capturedBodies(f, CmdStorageChangelogReq, true) {
		f.Add(b)
	}
	f.Add([]byte("1795300500 group1 10.0.0.1 3 10.0.0.2\n"))
	f.Add([]byte("1795300422 group1 127.0"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var l ChangelogLine
		n, err := l.Parse(b)
		if n < 0 || n > len(b) || (n == 0) != (err == ErrChangelogPartial) {
			t.Fatalf("Parse(%q) = %d, %v", b, n, err)
		}
		if n > 0 && b[n-1] != '\n' {
			t.Fatalf("Parse(%q) consumed %d bytes, not up to the newline", b, n)
		}
		if err != nil {
			return
		}
		line := l.Append(nil)
		if len(line) != l.Size() {
			t.Fatalf("Size %d, formatted %d", l.Size(), len(line))
		}
		var again ChangelogLine
		if m, err := again.Parse(line); err != nil || m != len(line) || !bytes.Equal(again.Append(nil), line) {
			t.Fatalf("formatted %q does not parse back: %d %v", line, m, err)
		}
	})
}

func FuzzReportIPChangedRequest(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &ReportIPChangedRequest{} },
		cat(txt("group1", 16), txt("10.0.0.1", 46), txt("10.0.0.2", 46)))
}

func FuzzTrunkFileID(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &TrunkFileID{} }, hx("00 00 00 01"), hx("ff ff ff ff"))
}

func FuzzTrunkFreeSpace(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &TrunkFreeSpace{} }, hx("00 00 00 00 00 00 04 00"))
}

func FuzzSyncSourceRequest(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &SyncSourceRequest{} }, capturedBodies(f, CmdStorageSyncSrcReq, false)...)
}

func FuzzSyncSource(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &SyncSource{} }, capturedBodies(f, CmdStorageSyncNotify, false)...)
}

func FuzzSyncSourceReply(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &SyncSourceReply{} },
		append(capturedBodies(f, CmdStorageSyncSrcReq, true), capturedBodies(f, CmdStorageSyncDestReq, true)...)...)
}
