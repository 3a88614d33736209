package codec

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gofdfs/gofdfs/codec/capture"
)

func init() {
	registerGolden(CmdUploadFile, stgGoldenUpload(KindNormal))
	registerGolden(CmdUploadAppenderFile, stgGoldenUpload(KindAppender))
	registerGolden(CmdUploadSlaveFile, stgGoldenUploadSlave)
}

// stgGoldenUpload checks 11/23: fixed part re-encodes, content length
// follows the rules, and the returned name encodes the content.
func stgGoldenUpload(kind FileKind) goldenFunc {
	return func(t *testing.T, e *capture.Exchange) {
		body := e.Request.Body
		var r UploadRequest
		if err := r.DecodeFixed(body, e.Request.BodyLen); err != nil {
			t.Errorf("%s: %v", e, err)
			return
		}
		if r.BodyLen() != e.Request.BodyLen || int64(len(body)-r.Size()) != r.FileSize {
			t.Errorf("%s: body length %d, file size %d", e, e.Request.BodyLen, r.FileSize)
		}
		sameBytes(t, "request", e, r.Append(nil), body[:r.Size()])
		if !okReply(t, e) {
			return
		}
		var rep UploadReply
		if err := rep.Decode(e.Reply.Body); err != nil {
			t.Errorf("%s: %v", e, err)
			return
		}
		sameBytes(t, "reply", e, rep.Append(nil), e.Reply.Body)
		n := fidCheckNewName(t, e, rep.Name, body[r.Size():], kind)
		if _, ext, err := ParseExt7(n.Ext7[:]); err != nil || !bytes.Equal(ext, r.Ext) {
			t.Errorf("%s: EXT7 %q for extension %q", e, n.Ext7, r.Ext)
		}
	}
}

// stgGoldenUploadSlave checks 21: the reply is the slave name derived from
// the master with the request's prefix and extension.
func stgGoldenUploadSlave(t *testing.T, e *capture.Exchange) {
	body := e.Request.Body
	var r UploadSlaveRequest
	if got := r.FixedLen(body[:UploadSlaveHeadSize]); got != UploadSlaveHeadSize+NormalNameLen {
		t.Errorf("%s: FixedLen %d", e, got)
	}
	if err := r.DecodeFixed(body, e.Request.BodyLen); err != nil {
		t.Errorf("%s: %v", e, err)
		return
	}
	if r.BodyLen() != e.Request.BodyLen {
		t.Errorf("%s: BodyLen %d", e, r.BodyLen())
	}
	sameBytes(t, "request", e, r.Append(nil), body[:r.Size()])
	master, err := ParseRemoteFilename(r.Master, 1)
	if err != nil {
		t.Errorf("%s: %v", e, err)
		return
	}
	if !okReply(t, e) {
		return
	}
	var rep UploadReply
	if err := rep.Decode(e.Reply.Body); err != nil {
		t.Errorf("%s: %v", e, err)
		return
	}
	sameBytes(t, "reply", e, rep.Append(nil), e.Reply.Body)
	want, err := AppendSlaveName(nil, &master, r.Prefix, r.Ext)
	if err != nil || !bytes.Equal(want, rep.Name) {
		t.Errorf("%s: slave %s, derived %s (%v)", e, rep.Name, want, err)
	}
	slave, err := ParseRemoteFilename(rep.Name, 1)
	if err != nil {
		t.Errorf("%s: %v", e, err)
		return
	}
	f, err := slave.Fields()
	if err != nil || slave.Kind(f) != KindSlave || !bytes.Equal(slave.Name[:B64PartLen], master.Name[:B64PartLen]) {
		t.Errorf("%s: slave %s fields %+v %v", e, rep.Name, f, err)
	}
}

// Hand-built bytes from the §5.1/§5.2 tables.
func TestUploadRequestBytes(t *testing.T) {
	r := UploadRequest{StorePathIndex: StorePathAuto, FileSize: 0x0102, Ext: []byte("tar.gz")}
	want := []byte{0xFF, 0, 0, 0, 0, 0, 0, 1, 2, 't', 'a', 'r', '.', 'g', 'z'}
	if got := r.Append(nil); !bytes.Equal(got, want) || r.Size() != 15 || r.BodyLen() != 15+0x102 {
		t.Fatalf("%x", got)
	}
	var d UploadRequest
	if err := d.DecodeFixed(want, 15+0x102); err != nil || d.StorePathIndex != -1 || string(d.Ext) != "tar.gz" {
		t.Fatalf("%+v %v", d, err)
	}
	if d.CheckStorePath(1) != nil || (&UploadRequest{StorePathIndex: 1}).CheckStorePath(1) == nil ||
		(&UploadRequest{StorePathIndex: 0}).CheckStorePath(1) != nil {
		t.Fatal("CheckStorePath")
	}
	// garbage after the extension's NUL is ignored, as C's strlen does
	garbage := append([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0}, 't', 'x', 't', 0, 0xEE, 0xEE)
	if err := d.DecodeFixed(garbage, 15); err != nil || string(d.Ext) != "txt" {
		t.Fatalf("garbage after NUL: %v", err)
	}
	empty := make([]byte, 15)
	if err := d.DecodeFixed(empty, 15); err != nil || len(d.Ext) != 0 || d.FileSize != 0 {
		t.Fatalf("empty upload: %v", err)
	}

	s := UploadSlaveRequest{FileSize: 3, Prefix: []byte("_big"), Ext: nil, Master: []byte("M00/00/00/x")}
	sw := append([]byte{0, 0, 0, 0, 0, 0, 0, 11, 0, 0, 0, 0, 0, 0, 0, 3, '_', 'b', 'i', 'g'}, make([]byte, 12+6)...)
	sw = append(sw, "M00/00/00/x"...)
	if got := s.Append(nil); !bytes.Equal(got, sw) || s.Size() != 49 || s.BodyLen() != 52 {
		t.Fatalf("slave %x", got)
	}
	var sd UploadSlaveRequest
	if n := sd.FixedLen(sw[:10]); n != UploadSlaveHeadSize {
		t.Fatalf("FixedLen on a short head %d", n)
	}
	if n := sd.FixedLen(sw); n != 49 {
		t.Fatalf("FixedLen %d", n)
	}
	if err := sd.DecodeFixed(append(sw, "abc"...), 52); err != nil || string(sd.Master) != "M00/00/00/x" ||
		string(sd.Prefix) != "_big" || len(sd.Ext) != 0 {
		t.Fatalf("%+v %v", sd, err)
	}

	rep := UploadReply{Group: []byte("group1"), Name: []byte(fidExampleID[7:])}
	rw := append([]byte("group1\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), fidExampleID[7:]...)
	if got := rep.Append(nil); !bytes.Equal(got, rw) || len(got) != 60 {
		t.Fatalf("reply %q", got)
	}
}

func TestUploadRequestRejects(t *testing.T) {
	fixed := func(idx byte, size int64, ext string) []byte {
		b := append([]byte{idx}, AppendInt64(nil, size)...)
		return AppendFixed(b, ext, ExtSize)
	}
	for _, c := range []struct {
		name    string
		b       []byte
		bodyLen int64
	}{
		{"short body", fixed(0, 0, "txt"), 14},
		{"size mismatch", fixed(0, 5, "txt"), 19},
		{"size beyond body", fixed(0, 1<<40, "txt"), 16},
		{"negative size", fixed(0, -1, "txt"), 14},
		{"index -2", fixed(0xFE, 0, "txt"), 15},
		{"index -128", fixed(0x80, 0, "txt"), 15},
		{"ext with slash", fixed(0, 0, "a/b"), 15},
		{"ext with space", fixed(0, 0, "a b"), 15},
		{"ext with ':'", fixed(0, 0, "a:b"), 15},
		{"truncated fixed part", fixed(0, 0, "txt")[:10], 15},
	} {
		var r UploadRequest
		if err := r.DecodeFixed(c.b, c.bodyLen); !errors.Is(err, EINVAL) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if err := (&UploadRequest{StorePathIndex: 5}).CheckStorePath(5); !errors.Is(err, EINVAL) {
		t.Error("index 5 of 5 paths accepted")
	}

	slave := func(n, size int64, prefix, ext string) []byte {
		b := AppendInt64(nil, n)
		b = AppendInt64(b, size)
		b = AppendFixed(b, prefix, PrefixSize)
		b = AppendFixed(b, ext, ExtSize)
		return append(b, bytes.Repeat([]byte("M"), 200)...)
	}
	for _, c := range []struct {
		name    string
		b       []byte
		bodyLen int64
	}{
		{"body 38", slave(44, 0, "_s", ""), 38},
		{"master 10", slave(10, 0, "_s", ""), 48},
		{"master 128", slave(128, 0, "_s", ""), 166},
		{"master negative", slave(-1, 0, "_s", ""), 50},
		{"size mismatch", slave(44, 1, "_s", ""), 38 + 44},
		{"negative size", slave(44, -1, "_s", ""), 38 + 43},
		{"empty prefix", slave(44, 0, "", "jpg"), 38 + 44},
		{"bad prefix", slave(44, 0, "a b", "jpg"), 38 + 44},
		{"bad ext", slave(44, 0, "_s", "j/g"), 38 + 44},
		{"master not buffered", slave(44, 0, "_s", "")[:50], 38 + 44},
	} {
		var r UploadSlaveRequest
		if err := r.DecodeFixed(c.b, c.bodyLen); !errors.Is(err, EINVAL) {
			t.Errorf("slave %s: %v", c.name, err)
		}
	}

	for _, n := range []int{0, 16, 128, 200} {
		var r UploadReply
		if err := r.Decode(make([]byte, n)); !errors.Is(err, EINVAL) {
			t.Errorf("reply of %d bytes: %v", n, err)
		}
	}
	var r UploadReply
	if err := r.Decode(make([]byte, 127)); err != nil {
		t.Errorf("reply of 127 bytes: %v", err)
	}
}

func stgUploadSample() []byte {
	r := UploadRequest{StorePathIndex: 0, FileSize: 14, Ext: []byte("txt")}
	return append(r.Append(nil), "hello fastdfs\n"...)
}

func TestUploadZeroAlloc(t *testing.T) {
	body := stgUploadSample()
	slave := UploadSlaveRequest{FileSize: 14, Prefix: []byte("_big"), Ext: []byte("txt"),
		Master: []byte(fidExampleID[7:])}
	sbody := slave.Append(nil)
	buf := make([]byte, 0, 128)
	n := testing.AllocsPerRun(500, func() {
		var r UploadRequest
		if err := r.DecodeFixed(body, int64(len(body))); err != nil {
			t.Fatal(err)
		}
		_ = r.Append(buf[:0])
		var s UploadSlaveRequest
		if err := s.DecodeFixed(sbody, int64(len(sbody))+14); err != nil {
			t.Fatal(err)
		}
		_ = s.Append(buf[:0])
	})
	if n != 0 {
		t.Fatalf("%v allocs", n)
	}
}

func BenchmarkUploadRequestDecode(b *testing.B) {
	body := stgUploadSample()
	b.ReportAllocs()
	for b.Loop() {
		var r UploadRequest
		if err := r.DecodeFixed(body, int64(len(body))); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUploadRequestEncode(b *testing.B) {
	r := UploadRequest{StorePathIndex: StorePathAuto, FileSize: 1 << 20, Ext: []byte("jpg")}
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		if len(r.Append(buf[:0])) != UploadFixedSize {
			b.Fatal("size")
		}
	}
}

func FuzzUploadRequest(f *testing.F) {
	for _, b := range capturedBodies(f, CmdUploadFile, false) {
		f.Add(b, int64(len(b)))
	}
	for _, b := range capturedBodies(f, CmdUploadAppenderFile, false) {
		f.Add(b, int64(len(b)))
	}
	f.Add(make([]byte, 15), int64(15))
	f.Fuzz(func(t *testing.T, b []byte, bodyLen int64) {
		var r UploadRequest
		if err := r.DecodeFixed(b, bodyLen); err != nil {
			return
		}
		if r.BodyLen() != bodyLen || r.StorePathIndex < StorePathAuto || len(r.Ext) > ExtSize {
			t.Fatalf("%+v from %d", r, bodyLen)
		}
		enc := r.Append(nil)
		var again UploadRequest
		if err := again.DecodeFixed(enc, bodyLen); err != nil || !bytes.Equal(again.Append(nil), enc) {
			t.Fatalf("re-decode %v", err)
		}
		if !bytes.Equal(enc[:9], b[:9]) {
			t.Fatalf("fixed fields changed: %x vs %x", enc, b[:15])
		}
	})
}

func FuzzUploadSlaveRequest(f *testing.F) {
	for _, b := range capturedBodies(f, CmdUploadSlaveFile, false) {
		f.Add(b, int64(len(b)))
	}
	f.Fuzz(func(t *testing.T, b []byte, bodyLen int64) {
		var r UploadSlaveRequest
		need := r.FixedLen(b)
		if err := r.DecodeFixed(b, bodyLen); err != nil {
			return
		}
		if r.Size() != need || r.BodyLen() != bodyLen || len(r.Prefix) == 0 {
			t.Fatalf("%+v: FixedLen %d, body %d", r, need, bodyLen)
		}
		enc := r.Append(nil)
		var again UploadSlaveRequest
		if err := again.DecodeFixed(enc, bodyLen); err != nil || !bytes.Equal(again.Append(nil), enc) {
			t.Fatalf("re-decode %v", err)
		}
	})
}

func FuzzUploadReply(f *testing.F) {
	for _, b := range capturedBodies(f, CmdUploadFile, true) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r UploadReply
		if err := r.Decode(b); err != nil {
			return
		}
		if r.Size() != len(b) || !bytes.Equal(r.Append(nil)[GroupNameSize:], b[GroupNameSize:]) {
			t.Fatalf("%q", b)
		}
	})
}
