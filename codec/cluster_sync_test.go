package codec

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gofdfs/gofdfs/codec/capture"
)

// Group field offsets in the sync bodies.
const (
	syncGroupOffTwoLens   = 8 + 8 + 4     // 16, 18, 19, 40
	syncGroupOffThreeLens = 8 + 8 + 8 + 4 // 25, 35, 37
	syncGroupOffDelete    = 4             // 17
)

// clusterSyncRequest round-trips a captured sync request through l. The C
// sync sender does not clear the group field: after "group1" and its NUL it
// leaves bytes of earlier buffers. Our encoder zero-fills, so the re-encoded
// body is compared with the capture whose group-field bytes after the first
// NUL are zeroed — exactly those bytes and no others are masked.
func clusterSyncRequest(t *testing.T, e *capture.Exchange, l clusterLayout, groupOff int) bool {
	t.Helper()
	if !clusterRoundTrip(t, e, "request (group garbage masked)", l, e.Request.Body, clusterMaskGroup(e.Request.Body, groupOff)) {
		return false
	}
	if g := FixedBytes(e.Request.Body[groupOff : groupOff+GroupNameSize]); string(g) != "group1" {
		t.Errorf("%s: group %q", e, g)
	}
	return true
}

// syncFileWithStatus adapts SyncFileRequest.Decode, whose meaning depends
// on the request header's status, to clusterLayout.
type syncFileWithStatus struct {
	SyncFileRequest
	status byte
}

func (s *syncFileWithStatus) Decode(body []byte) error {
	return s.SyncFileRequest.Decode(body, s.status)
}

func init() {
	registerGolden(CmdReportServerID, func(t *testing.T, e *capture.Exchange) {
		clusterRequest(t, e, &ReportServerID{})
		clusterEmptyReply(t, e)
	})
	for _, cmd := range []byte{CmdSyncCreateFile, CmdSyncUpdateFile} {
		registerGolden(cmd, func(t *testing.T, e *capture.Exchange) {
			r := syncFileWithStatus{status: e.Request.Status}
			if clusterSyncRequest(t, e, &r, syncGroupOffTwoLens) {
				if r.HeaderStatus() != e.Request.Status || r.NoContent != (e.Request.Status == byte(EEXIST)) {
					t.Errorf("%s: header status %d, NoContent %v", e, e.Request.Status, r.NoContent)
				}
				if r.NoContent && (len(r.Content) != 0 || r.FileSize == 0) {
					t.Errorf("%s: EEXIST create with %d content bytes, file size %d", e, len(r.Content), r.FileSize)
				}
			}
			clusterEmptyReply(t, e)
		})
	}
	registerGolden(CmdSyncDeleteFile, func(t *testing.T, e *capture.Exchange) {
		clusterSyncRequest(t, e, &SyncDeleteRequest{}, syncGroupOffDelete)
		clusterEmptyReply(t, e)
	})
	for _, cmd := range []byte{CmdSyncAppendFile, CmdSyncModifyFile} {
		registerGolden(cmd, func(t *testing.T, e *capture.Exchange) {
			clusterSyncRequest(t, e, &SyncAppendRequest{}, syncGroupOffThreeLens)
			clusterEmptyReply(t, e)
		})
	}
	registerGolden(CmdSyncTruncateFile, func(t *testing.T, e *capture.Exchange) {
		clusterSyncRequest(t, e, &SyncTruncateRequest{}, syncGroupOffThreeLens)
		clusterEmptyReply(t, e)
	})
	registerGolden(CmdSyncRenameFile, func(t *testing.T, e *capture.Exchange) {
		clusterSyncRequest(t, e, &SyncRenameRequest{}, syncGroupOffTwoLens)
		if !okReply(t, e) || len(e.Reply.Body) == 0 {
			return
		}
		// C bug: a successful rename is answered with the request echoed.
		// A Go sender must read it; it is the request, byte for byte.
		sameBytes(t, "echoed rename reply", e, e.Reply.Body, e.Request.Body)
		clusterRoundTrip(t, e, "echoed rename reply (group garbage masked)", &SyncRenameRequest{},
			e.Reply.Body, clusterMaskGroup(e.Reply.Body, syncGroupOffTwoLens))
	})
}

// Hand-built from the cluster.md §4.5 and §1.10 tables: 19, 26–33.
func TestClusterSyncHandBuilt(t *testing.T) {
	group := txt("group1", 16)
	link := "M00/00/00/fwACFWsCHBWAUtM8AAAAKfB1Juc998_s.jpg"
	src := "M00/00/00/fwACFWsCHBWAUtM8AAAAKfB1Juc998.jpg"
	clusterHandBuilt(t, "SyncLinkRequest",
		&SyncLinkRequest{Timestamp: 0x6b021c15, Group: []byte("group1"), LinkName: []byte(link), SrcFilename: []byte(src)},
		&SyncLinkRequest{}, cat(hx("00 00 00 00 00 00 00 2e 00 00 00 00 00 00 00 2c 6b 02 1c 15"), group, []byte(link+src)))
	clusterHandBuilt(t, "SyncRenameRequest",
		&SyncRenameRequest{Timestamp: 1, Group: []byte("group1"), NewFilename: []byte("M00/00/00/b"), OldFilename: []byte("M00/00/00/a")},
		&SyncRenameRequest{}, cat(hx("00 00 00 00 00 00 00 0b 00 00 00 00 00 00 00 0b 00 00 00 01"), group, []byte("M00/00/00/bM00/00/00/a")))
	clusterHandBuilt(t, "FetchPathBinlogRequest", &FetchPathBinlogRequest{Group: []byte("group1"), StorePathIndex: 2},
		&FetchPathBinlogRequest{}, cat(group, []byte{2}))
	clusterHandBuilt(t, "TrunkAllocRequest", &TrunkAllocRequest{Group: []byte("group1"), FileSize: 4096, StorePathIndex: 1},
		&TrunkAllocRequest{}, cat(group, hx("00 00 10 00 01")))
	info := TrunkInfo{StorePathIndex: 0, SubPathHigh: 0x0a, SubPathLow: 0xe6, FileID: 7, Offset: 1024, SlotSize: 512}
	infoBytes := hx("00 0a e6 00 00 00 07 00 00 04 00 00 00 02 00")
	clusterHandBuilt(t, "TrunkInfo (TRUNK_ALLOC_SPACE reply)", &info, &TrunkInfo{}, infoBytes)
	clusterHandBuilt(t, "TrunkSpaceRequest (28/29)", &TrunkSpaceRequest{Group: []byte("group1"), Trunk: info},
		&TrunkSpaceRequest{}, cat(group, infoBytes))
	lines := "1795300000 A 0 10 230 7 1024 512\n1795300001 D 0 10 230 7 1024 512\n"
	clusterHandBuilt(t, "TrunkBinlogChunk (30)", &TrunkBinlogChunk{Lines: []byte(lines)}, &TrunkBinlogChunk{}, []byte(lines))
	clusterHandBuilt(t, "TrunkBinlogSize (31 reply)", &TrunkBinlogSize{BinlogSize: 0x1234}, &TrunkBinlogSize{},
		hx("00 00 00 00 00 00 12 34"))
	// 32 and 33 are header-only both ways
	for _, cmd := range []byte{CmdTrunkDeleteBinlogMarks, CmdTrunkTruncateBinlogFile, CmdTrunkGetBinlogSize} {
		if DecodeEmptyRequest(cmd, nil) != nil || DecodeEmptyRequest(cmd, []byte{0}) == nil {
			t.Errorf("%s: empty body rule", CmdName(cmd))
		}
	}
	if FetchPathBinlogReplyLen != 1<<58 {
		t.Error("INFINITE_FILE_SIZE")
	}
	clusterHandBuilt(t, "ReportServerID", &ReportServerID{ID: []byte("127.0.2.22")}, &ReportServerID{}, txt("127.0.2.22", 16))
	clusterHandBuilt(t, "SyncTruncateRequest",
		&SyncTruncateRequest{OldSize: 100, NewSize: 50, Timestamp: 2, Group: []byte("group1"), Filename: []byte("M00/00/00/x")},
		&SyncTruncateRequest{}, cat(hx("00 00 00 00 00 00 00 0b 00 00 00 00 00 00 00 64 00 00 00 00 00 00 00 32 00 00 00 02"),
			group, []byte("M00/00/00/x")))
}

func TestSyncFileRequestForms(t *testing.T) {
	group := txt("group1", 16)
	name := "M00/00/00/fwACFWsCGkyAfP0KAAAANtOEMGs773.txt"
	fixed := cat(hx("00 00 00 00 00 00 00 2c 00 00 00 00 00 00 00 05 6b 02 1a 4c"), group, []byte(name))
	// status 0: content follows
	body := cat(fixed, []byte("hello"))
	var r SyncFileRequest
	if err := r.Decode(body, 0); err != nil || string(r.Content) != "hello" || r.NoContent || r.FileSize != 5 {
		t.Fatalf("with content: %+v %v", r, err)
	}
	if got := r.Append(nil); !bytes.Equal(got, body) || r.Size() != len(body) || r.FixedSize() != len(fixed) {
		t.Errorf("with content: re-encoded %x", got)
	}
	// status 17: no content although file_size is 5
	if err := r.Decode(fixed, byte(EEXIST)); err != nil || !r.NoContent || r.ContentLen() != 0 || r.FileSize != 5 {
		t.Fatalf("EEXIST form: %+v %v", r, err)
	}
	if got := r.Append(nil); !bytes.Equal(got, fixed) || r.Size() != len(fixed) || r.HeaderStatus() != 17 {
		t.Errorf("EEXIST form: re-encoded %x", got)
	}
	// streaming: DecodeFixed on the first bytes, then the header's length
	n, err := r.DecodeFixed(body[:len(fixed)+2])
	if err != nil || n != len(fixed) || r.Content != nil || r.CheckBodyLen(int64(len(body)), 0) != nil {
		t.Fatalf("DecodeFixed: %d %v", n, err)
	}
	if !bytes.Equal(r.AppendFixed(nil), fixed) {
		t.Error("AppendFixed")
	}
	for _, c := range []struct {
		bodyLen int64
		status  byte
	}{{int64(len(body)), 17}, {int64(len(fixed)), 0}, {int64(len(body)) + 1, 0}, {int64(len(body)), 2}} {
		if err := r.CheckBodyLen(c.bodyLen, c.status); !errors.Is(err, EINVAL) {
			t.Errorf("CheckBodyLen(%d, %d) = %v", c.bodyLen, c.status, err)
		}
	}
	if _, err := r.DecodeFixed(fixed[:40]); !errors.Is(err, EINVAL) {
		t.Error("DecodeFixed on a cut name")
	}
}

func TestSyncAppendRequestForms(t *testing.T) {
	fixed := cat(hx("00 00 00 00 00 00 00 0b 00 00 00 00 00 00 00 10 00 00 00 00 00 00 00 03 00 00 00 09"),
		txt("group1", 16), []byte("M00/00/00/x"))
	body := cat(fixed, []byte("abc"))
	var r SyncAppendRequest
	if err := r.Decode(body); err != nil || r.Offset != 16 || r.Length != 3 || string(r.Content) != "abc" {
		t.Fatalf("%+v %v", r, err)
	}
	if n, err := r.DecodeFixed(fixed); err != nil || n != len(fixed) || r.Content != nil {
		t.Fatalf("DecodeFixed %d %v", n, err)
	}
	if !bytes.Equal(r.AppendFixed(nil), fixed) || r.Size() != len(body) {
		t.Error("AppendFixed / Size")
	}
	clusterRejects(t, "SyncAppendRequest", &SyncAppendRequest{}, EINVAL, fixed, cat(body, []byte("d")))
}

func TestClusterSyncRejects(t *testing.T) {
	group := txt("group1", 16)
	lens := func(vals ...int64) []byte {
		var b []byte
		for _, v := range vals {
			b = AppendInt64(b, v)
		}
		return b
	}
	ts := hx("00 00 00 01")
	clusterRejects(t, "ReportServerID", &ReportServerID{}, EINVAL, make([]byte, 16), make([]byte, 15), txt("x", 17))
	sf := &syncFileWithStatus{}
	clusterRejects(t, "SyncFileRequest", sf, EINVAL,
		make([]byte, 36),
		cat(lens(0, 0), ts, group),                      // empty name
		cat(lens(128, 0), ts, group, make([]byte, 128)), // name too long
		cat(lens(1, -1), ts, group, []byte("x")),        // negative size
		cat(lens(2, 0), ts, group, []byte("x")),         // cut name
		cat(lens(1, 2), ts, group, []byte("xa")),        // short content
	)
	clusterRejects(t, "SyncDeleteRequest", &SyncDeleteRequest{}, EINVAL, cat(ts, group), cat(ts, group, make([]byte, 128)))
	clusterRejects(t, "SyncAppendRequest", &SyncAppendRequest{}, EINVAL,
		cat(lens(1, -1, 0), ts, group, []byte("x")), cat(lens(1, 0, -1), ts, group, []byte("x")), make([]byte, 44))
	clusterRejects(t, "SyncTruncateRequest", &SyncTruncateRequest{}, EINVAL,
		cat(lens(1, 5, 3), ts, group, []byte("xy")), cat(lens(1, -5, 3), ts, group, []byte("x")), make([]byte, 45))
	for name, l := range map[string]clusterLayout{"SyncLinkRequest": &SyncLinkRequest{}, "SyncRenameRequest": &SyncRenameRequest{}} {
		clusterRejects(t, name, l, EINVAL,
			cat(lens(1, 0), ts, group, []byte("x")),
			cat(lens(0, 1), ts, group, []byte("x")),
			cat(lens(1, 1), ts, group, []byte("xyz")),
			cat(lens(1, 200), ts, group, []byte("x")),
			make([]byte, 35))
	}
	clusterRejects(t, "FetchPathBinlogRequest", &FetchPathBinlogRequest{}, EINVAL, make([]byte, 16), make([]byte, 18))
	clusterRejects(t, "TrunkAllocRequest", &TrunkAllocRequest{}, EINVAL, make([]byte, 20), make([]byte, 22))
	clusterRejects(t, "TrunkInfo", &TrunkInfo{}, EINVAL, make([]byte, 14), make([]byte, 16))
	clusterRejects(t, "TrunkSpaceRequest", &TrunkSpaceRequest{}, EINVAL, make([]byte, 30), make([]byte, 32))
	clusterRejects(t, "TrunkBinlogChunk", &TrunkBinlogChunk{}, EINVAL, nil, []byte("1 A 0 0 0 1 0 1"),
		append(bytes.Repeat([]byte("x"), 64*1024), '\n'))
	clusterRejects(t, "TrunkBinlogSize", &TrunkBinlogSize{}, EINVAL, make([]byte, 7), hx("ff 00 00 00 00 00 00 00"))
}

// The sync receiver's hot path: decoding the fixed part of a create.
func TestSyncFileRequestZeroAlloc(t *testing.T) {
	req := SyncFileRequest{FileSize: 4096, Timestamp: 1795299916, Group: []byte("group1"),
		Filename: []byte("M00/00/00/fwACFWsCGkyAfP0KAAAANtOEMGs773.txt")}
	head := req.AppendFixed(nil)
	body := append(bytes.Clone(head), make([]byte, 4096)...)
	buf := make([]byte, 0, 256)
	var r SyncFileRequest
	n := testing.AllocsPerRun(1000, func() {
		if _, err := r.DecodeFixed(head); err != nil {
			t.Fatal(err)
		}
		if err := r.CheckBodyLen(int64(len(body)), 0); err != nil {
			t.Fatal(err)
		}
		if err := r.Decode(body, 0); err != nil {
			t.Fatal(err)
		}
		buf = r.AppendFixed(buf[:0])
	})
	if n != 0 {
		t.Fatalf("%v allocations per sync-create decode+encode", n)
	}
}

func BenchmarkSyncFileRequestDecodeFixed(b *testing.B) {
	req := SyncFileRequest{FileSize: 4096, Timestamp: 1795299916, Group: []byte("group1"),
		Filename: []byte("M00/00/00/fwACFWsCGkyAfP0KAAAANtOEMGs773.txt")}
	head := req.AppendFixed(nil)
	var r SyncFileRequest
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.DecodeFixed(head); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSyncFileRequestAppendFixed(b *testing.B) {
	req := SyncFileRequest{FileSize: 4096, Timestamp: 1795299916, Group: []byte("group1"),
		Filename: []byte("M00/00/00/fwACFWsCGkyAfP0KAAAANtOEMGs773.txt")}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = req.AppendFixed(buf[:0])
	}
}

// ---- fuzz targets: what a storage decodes from its peers -------------------------

func FuzzReportServerID(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &ReportServerID{} }, capturedBodies(f, CmdReportServerID, false)...)
}

func FuzzSyncFileRequest(f *testing.F) {
	seeds := append(capturedBodies(f, CmdSyncCreateFile, false), capturedBodies(f, CmdSyncUpdateFile, false)...)
	for _, s := range seeds {
		f.Add(s, byte(0))
		f.Add(s, byte(EEXIST))
	}
	f.Fuzz(func(t *testing.T, b []byte, status byte) {
		var r SyncFileRequest
		n, errFixed := r.DecodeFixed(b)
		err := r.Decode(b, status)
		if err != nil {
			if !errors.Is(err, EINVAL) {
				t.Fatalf("error %v is not EINVAL", err)
			}
			return
		}
		if errFixed != nil || n != r.FixedSize() || int64(len(b)) != int64(n)+r.ContentLen() {
			t.Fatalf("Decode ok but DecodeFixed %d %v, fixed %d content %d of %d", n, errFixed, r.FixedSize(), r.ContentLen(), len(b))
		}
		enc := r.Append(nil)
		if len(enc) != len(b) || len(enc) != r.Size() {
			t.Fatalf("re-encoded %d bytes (Size %d) from %d", len(enc), r.Size(), len(b))
		}
		var again SyncFileRequest
		if err := again.Decode(enc, r.HeaderStatus()); err != nil || !bytes.Equal(again.Append(nil), enc) {
			t.Fatalf("unstable: %v", err)
		}
	})
}

func FuzzSyncDeleteRequest(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &SyncDeleteRequest{} }, capturedBodies(f, CmdSyncDeleteFile, false)...)
}

func FuzzSyncAppendRequest(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &SyncAppendRequest{} },
		append(capturedBodies(f, CmdSyncAppendFile, false), capturedBodies(f, CmdSyncModifyFile, false)...)...)
}

func FuzzSyncTruncateRequest(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &SyncTruncateRequest{} }, capturedBodies(f, CmdSyncTruncateFile, false)...)
}

func FuzzSyncLinkRequest(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &SyncLinkRequest{} },
		cat(hx("00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 01 00 00 00 00"), txt("group1", 16), []byte("ab")))
}

func FuzzSyncRenameRequest(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &SyncRenameRequest{} }, capturedBodies(f, CmdSyncRenameFile, false)...)
}

func FuzzFetchPathBinlogRequest(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &FetchPathBinlogRequest{} }, cat(txt("group1", 16), []byte{0}))
}

func FuzzTrunkAllocRequest(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &TrunkAllocRequest{} }, cat(txt("group1", 16), hx("00 00 10 00 01")))
}

func FuzzTrunkInfo(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &TrunkInfo{} }, hx("00 0a e6 00 00 00 07 00 00 04 00 00 00 02 00"))
}

func FuzzTrunkSpaceRequest(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &TrunkSpaceRequest{} },
		cat(txt("group1", 16), hx("00 0a e6 00 00 00 07 00 00 04 00 00 00 02 00")))
}

func FuzzTrunkBinlogChunk(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &TrunkBinlogChunk{} }, []byte("1795300000 A 0 10 230 7 1024 512\n"))
}

func FuzzTrunkBinlogSize(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &TrunkBinlogSize{} }, hx("00 00 00 00 00 00 12 34"))
}
