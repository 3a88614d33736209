package codec

import (
	"bytes"
	"errors"
	"hash/crc32"
	"testing"

	"github.com/gofdfs/gofdfs/codec/capture"
)

func init() {
	registerGolden(CmdDownloadFile, stgGoldenDownload)
	registerGolden(CmdGetMetadata, stgGoldenGetMetadata)
	registerGolden(CmdQueryFileInfo, stgGoldenQueryFileInfo)
}

// stgGoldenDownload checks 14. The reply is the raw range: its length must
// be what Range gives for the size in the (normal) file's name, and its
// CRC the name's.
func stgGoldenDownload(t *testing.T, e *capture.Exchange) {
	var r DownloadRequest
	if err := r.Decode(e.Request.Body); err != nil {
		t.Errorf("%s: %v", e, err)
		return
	}
	sameBytes(t, "request", e, r.Append(nil), e.Request.Body)
	rf, err := ParseRemoteFilename(r.Name, 1)
	if err != nil {
		t.Errorf("%s: %v", e, err)
		return
	}
	if !okReply(t, e) {
		return
	}
	f, err := rf.Fields()
	if err != nil {
		t.Errorf("%s: %v", e, err)
		return
	}
	if rf.Kind(f) != KindNormal {
		if r.Bytes > 0 && int64(len(e.Reply.Body)) > r.Bytes {
			t.Errorf("%s: %d bytes for a request of %d", e, len(e.Reply.Body), r.Bytes)
		}
		return
	}
	_, n, err := r.Range(f.FileSize())
	if err != nil || n != int64(len(e.Reply.Body)) {
		t.Errorf("%s: reply of %d bytes, range rules give %d (%v)", e, len(e.Reply.Body), n, err)
	}
	if r.Offset == 0 && n == f.FileSize() && crc32.ChecksumIEEE(e.Reply.Body) != f.CRC32 {
		t.Errorf("%s: content crc differs from the name's", e)
	}
}

// stgGoldenGetMetadata checks 15: the reply is a stored metadata file,
// which C keeps sorted and canonical.
func stgGoldenGetMetadata(t *testing.T, e *capture.Exchange) {
	var r GetMetadataRequest
	if err := r.Decode(e.Request.Body); err != nil {
		t.Errorf("%s: %v", e, err)
		return
	}
	sameBytes(t, "request", e, r.Append(nil), e.Request.Body)
	if _, err := ParseRemoteFilename(r.Name, 1); err != nil {
		t.Errorf("%s: %v", e, err)
	}
	if !okReply(t, e) {
		return
	}
	sameBytes(t, "reply", e, AppendMetadata(nil, ParseMetadata(e.Reply.Body)), e.Reply.Body)
	sameBytes(t, "reply (normalized)", e, NormalizeMetadata(nil, e.Reply.Body), e.Reply.Body)
}

// stgGoldenQueryFileInfo checks 22 and its reply against the name: flags
// from the header, CRC from the name for normal files and 0 for
// appender/slave names under the no-CRC flag, the source IP printed from
// the name, and the sign-extended CRC.
func stgGoldenQueryFileInfo(t *testing.T, e *capture.Exchange) {
	r := QueryFileInfoRequest{Flags: e.Request.Status}
	if err := r.Decode(e.Request.Body); err != nil {
		t.Errorf("%s: %v", e, err)
		return
	}
	sameBytes(t, "request", e, r.Append(nil), e.Request.Body)
	sameBytes(t, "request header", e, r.Header().Append(nil), e.Request.Raw()[:HeaderSize])
	rf, err := ParseRemoteFilename(r.Name, 1)
	if err != nil {
		t.Errorf("%s: %v", e, err)
		return
	}
	if !okReply(t, e) {
		return
	}
	var rep FileInfoReply
	if err := rep.Decode(e.Reply.Body); err != nil {
		t.Errorf("%s: %v", e, err)
		return
	}
	sameBytes(t, "reply", e, rep.Append(nil), e.Reply.Body)
	f, err := rf.Fields()
	if err != nil {
		t.Errorf("%s: %v", e, err)
		return
	}
	if string(rep.SourceIP) != string(f.AppendSource(nil)) {
		t.Errorf("%s: source %s, name says %s", e, rep.SourceIP, f.AppendSource(nil))
	}
	switch k := rf.Kind(f); {
	case k == KindNormal || k == KindTrunk:
		if rep.CRC32 != f.CRC32 || rep.FileSize != f.FileSize() || rep.CreateTime != int64(f.Timestamp) {
			t.Errorf("%s: %+v, name says %+v", e, rep, f)
		}
	case r.NoCRC():
		if rep.CRC32 != 0 {
			t.Errorf("%s: crc %08x for a %v under the no-CRC flag", e, rep.CRC32, k)
		}
	}
}

// Hand-built bytes from the §5.10/§5.11 tables.
func TestReadRequestBytes(t *testing.T) {
	name := []byte(fidExampleID[7:])
	g := AppendFixed(nil, "group1", 16)
	d := DownloadRequest{Offset: 10, Bytes: 0x20, Group: []byte("group1"), Name: name}
	dw := bytes.Join([][]byte{AppendInt64(nil, 10), AppendInt64(nil, 0x20), g, name}, nil)
	if got := d.Append(nil); !bytes.Equal(got, dw) || d.Size() != 76 {
		t.Fatalf("download %x", got)
	}
	var dd DownloadRequest
	if err := dd.Decode(dw); err != nil || dd.Offset != 10 || dd.Bytes != 0x20 || string(dd.Group) != "group1" {
		t.Fatalf("%+v %v", dd, err)
	}

	q := QueryFileInfoRequest{Flags: QueryFlagNoCRC | QueryFlagSilent, Group: []byte("group1"), Name: name}
	if h := q.Header().Append(nil); !bytes.Equal(h, []byte{0, 0, 0, 0, 0, 0, 0, 60, 22, 3}) {
		t.Fatalf("query header %x", h) // storage_file_exist() sends 3
	}
	if !q.NoCRC() || !q.Silent() || (&QueryFileInfoRequest{Flags: 2}).NoCRC() {
		t.Fatal("flags")
	}

	// a 70-byte reply (ipsz 46) with a CRC >= 0x80000000, sign-extended
	rep := FileInfoReply{FileSize: 58, CreateTime: 0x6b021a4f, CRC32: 0xcaeb2739,
		SourceIP: []byte("fe80::1"), IPSize: IPv6AddrSize}
	want := bytes.Join([][]byte{AppendInt64(nil, 58), AppendInt64(nil, 0x6b021a4f),
		{0xff, 0xff, 0xff, 0xff, 0xca, 0xeb, 0x27, 0x39}, AppendFixed(nil, "fe80::1", 46)}, nil)
	if got := rep.Append(nil); !bytes.Equal(got, want) || rep.Size() != 70 {
		t.Fatalf("file info %x", got)
	}
	var rd FileInfoReply
	if err := rd.Decode(want); err != nil || rd.CRC32 != 0xcaeb2739 || rd.IPSize != 46 || string(rd.SourceIP) != "fe80::1" {
		t.Fatalf("%+v %v", rd, err)
	}
	// zero-extended CRC from a lax encoder decodes the same
	lax := bytes.Clone(want)
	copy(lax[16:20], []byte{0, 0, 0, 0})
	if err := rd.Decode(lax); err != nil || rd.CRC32 != 0xcaeb2739 {
		t.Fatalf("zero-extended crc: %+v %v", rd, err)
	}
	v4 := FileInfoReply{FileSize: 1, CRC32: 5}
	if v4.Size() != 40 || len(v4.Append(nil)) != 40 {
		t.Fatal("default ipsz 16")
	}
}

func TestDownloadRange(t *testing.T) {
	for _, c := range []struct {
		off, n, size int64
		wantOff      int64
		wantN        int64
		bad          bool
	}{
		{0, 0, 14, 0, 14, false},
		{4, 0, 14, 4, 10, false},
		{4, 5, 14, 4, 5, false},
		{4, 100, 14, 4, 10, false}, // clamped since V6.15.4
		{13, 1, 14, 13, 1, false},
		{14, 0, 14, 0, 0, true}, // offset at the end
		{0, 0, 0, 0, 0, true},   // 0-byte files cannot be downloaded
		{20, 0, 14, 0, 0, true},
	} {
		r := DownloadRequest{Offset: c.off, Bytes: c.n}
		off, n, err := r.Range(c.size)
		if c.bad != (err != nil) || !c.bad && (off != c.wantOff || n != c.wantN) {
			t.Errorf("%+v: %d %d %v", c, off, n, err)
		}
		if c.bad && !errors.Is(err, EINVAL) {
			t.Errorf("%+v: %v", c, err)
		}
	}
}

func TestReadRequestRejects(t *testing.T) {
	g := AppendFixed(nil, "group1", 16)
	for _, c := range []struct {
		name string
		b    []byte
	}{
		{"body 32", bytes.Join([][]byte{AppendInt64(nil, 0), AppendInt64(nil, 0), g}, nil)},
		{"negative offset", bytes.Join([][]byte{AppendInt64(nil, -1), AppendInt64(nil, 0), g, []byte("x")}, nil)},
		{"negative bytes", bytes.Join([][]byte{AppendInt64(nil, 0), AppendInt64(nil, -1), g, []byte("x")}, nil)},
	} {
		var r DownloadRequest
		if err := r.Decode(c.b); !errors.Is(err, EINVAL) {
			t.Errorf("download %s: %v", c.name, err)
		}
	}
	var gm GetMetadataRequest
	if err := gm.Decode(g); !errors.Is(err, EINVAL) {
		t.Error("getmeta without name")
	}
	var q QueryFileInfoRequest
	if err := q.Decode(append(bytes.Clone(g), bytes.Repeat([]byte("a"), 132)...)); !errors.Is(err, EINVAL) {
		t.Error("query name of 132 accepted")
	}
	if err := q.Decode(append(bytes.Clone(g), bytes.Repeat([]byte("a"), 131)...)); err != nil {
		t.Errorf("query name of 131: %v", err)
	}
	for _, n := range []int{0, 24, 39, 41, 69, 71} {
		var r FileInfoReply
		if err := r.Decode(make([]byte, n)); !errors.Is(err, EINVAL) {
			t.Errorf("file info of %d bytes: %v", n, err)
		}
	}
}

func stgDownloadSample() []byte {
	r := DownloadRequest{Group: []byte("group1"), Name: []byte(fidExampleID[7:])}
	return r.Append(nil)
}

func TestReadZeroAlloc(t *testing.T) {
	dl := stgDownloadSample()
	q := (&QueryFileInfoRequest{Group: []byte("group1"), Name: []byte(fidExampleID[7:])}).Append(nil)
	info := (&FileInfoReply{FileSize: 1, SourceIP: []byte("127.0.0.1")}).Append(nil)
	buf := make([]byte, 0, 256)
	n := testing.AllocsPerRun(500, func() {
		var d DownloadRequest
		var qr QueryFileInfoRequest
		var g GetMetadataRequest
		var fi FileInfoReply
		if d.Decode(dl) != nil || qr.Decode(q) != nil || g.Decode(q) != nil || fi.Decode(info) != nil {
			t.Fatal("decode")
		}
		if _, _, err := d.Range(100); err != nil {
			t.Fatal(err)
		}
		_ = fi.Append(qr.Append(g.Append(d.Append(buf[:0]))))
	})
	if n != 0 {
		t.Fatalf("%v allocs", n)
	}
}

func BenchmarkDownloadRequestDecode(b *testing.B) {
	body := stgDownloadSample()
	b.ReportAllocs()
	for b.Loop() {
		var r DownloadRequest
		if err := r.Decode(body); err != nil {
			b.Fatal(err)
		}
		if _, err := ParseRemoteFilename(r.Name, 1); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDownloadRequestEncode(b *testing.B) {
	r := DownloadRequest{Group: []byte("group1"), Name: []byte(fidExampleID[7:])}
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	for b.Loop() {
		if len(r.Append(buf[:0])) != 76 {
			b.Fatal("size")
		}
	}
}

func FuzzDownloadRequest(f *testing.F) {
	for _, b := range capturedBodies(f, CmdDownloadFile, false) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		stgFuzzWhole[DownloadRequest](t, b, false) // bytes after a group NUL are not kept
		var r DownloadRequest
		if r.Decode(b) == nil && (r.Offset < 0 || r.Bytes < 0) {
			t.Fatalf("%+v", r)
		}
	})
}

func FuzzGetMetadataRequest(f *testing.F) {
	for _, b := range capturedBodies(f, CmdGetMetadata, false) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) { stgFuzzWhole[GetMetadataRequest](t, b, true) })
}

func FuzzQueryFileInfoRequest(f *testing.F) {
	for _, b := range capturedBodies(f, CmdQueryFileInfo, false) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		stgFuzzWhole[QueryFileInfoRequest](t, b, true)
		var r QueryFileInfoRequest
		if r.Decode(b) == nil && len(r.Name) > MaxQueryNameLen {
			t.Fatalf("name of %d", len(r.Name))
		}
	})
}

func FuzzFileInfoReply(f *testing.F) {
	for _, b := range capturedBodies(f, CmdQueryFileInfo, true) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r FileInfoReply
		if r.Decode(b) != nil {
			return
		}
		enc := r.Append(nil)
		if len(enc) != len(b) || !bytes.Equal(enc[:16], b[:16]) || !bytes.Equal(enc[20:24], b[20:24]) {
			t.Fatalf("%x re-encodes as %x", b, enc)
		}
		var again FileInfoReply
		if again.Decode(enc) != nil || !bytes.Equal(again.Append(nil), enc) {
			t.Fatal("re-decode")
		}
	})
}
