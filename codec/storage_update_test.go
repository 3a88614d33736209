package codec

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gofdfs/gofdfs/codec/capture"
)

func init() {
	registerGolden(CmdAppendFile, stgGoldenAppend)
	registerGolden(CmdModifyFile, stgGoldenModify)
	registerGolden(CmdTruncateFile, stgGoldenTruncate)
	registerGolden(CmdRegenerateAppenderFilename, stgGoldenRegenerate)
	registerGolden(CmdDeleteFile, stgGoldenDelete)
	registerGolden(CmdSetMetadata, stgGoldenSetMetadata)
}

// stgAppenderName parses a name an appender command succeeded on: it must
// be valid and carry the appender flag (C checks that before writing).
func stgAppenderName(t *testing.T, e *capture.Exchange, name []byte) (RemoteFilename, NameFields) {
	t.Helper()
	rf, err := ParseRemoteFilename(name, 1)
	if err != nil {
		t.Errorf("%s: %v", e, err)
		return rf, NameFields{}
	}
	f, err := rf.Fields()
	if err != nil || !f.IsAppender() {
		t.Errorf("%s: %s is not an appender name (%v)", e, name, err)
	}
	return rf, f
}

// stgHeaderOnly checks that a successful reply has no body (pitfall 15).
func stgHeaderOnly(t *testing.T, e *capture.Exchange) {
	if okReply(t, e) && len(e.Reply.Body) != 0 {
		t.Errorf("%s: success reply with a body", e)
	}
}

func stgGoldenAppend(t *testing.T, e *capture.Exchange) {
	body := e.Request.Body
	var r AppendRequest
	if n := r.FixedLen(body); n != AppendHeadSize+NormalNameLen {
		t.Errorf("%s: FixedLen %d", e, n)
	}
	if err := r.DecodeFixed(body, e.Request.BodyLen); err != nil {
		t.Errorf("%s: %v", e, err)
		return
	}
	if r.BodyLen() != e.Request.BodyLen || int64(len(body)-r.Size()) != r.FileSize {
		t.Errorf("%s: lengths %d/%d", e, r.BodyLen(), r.FileSize)
	}
	sameBytes(t, "request", e, r.Append(nil), body[:r.Size()])
	stgAppenderName(t, e, r.Name)
	stgHeaderOnly(t, e)
}

func stgGoldenModify(t *testing.T, e *capture.Exchange) {
	body := e.Request.Body
	var r ModifyRequest
	if n := r.FixedLen(body); n != ModifyHeadSize+NormalNameLen {
		t.Errorf("%s: FixedLen %d", e, n)
	}
	if err := r.DecodeFixed(body, e.Request.BodyLen); err != nil {
		t.Errorf("%s: %v", e, err)
		return
	}
	if r.BodyLen() != e.Request.BodyLen || int64(len(body)-r.Size()) != r.FileSize {
		t.Errorf("%s: lengths %d/%d", e, r.BodyLen(), r.FileSize)
	}
	sameBytes(t, "request", e, r.Append(nil), body[:r.Size()])
	stgAppenderName(t, e, r.Name)
	stgHeaderOnly(t, e)
}

func stgGoldenTruncate(t *testing.T, e *capture.Exchange) {
	var r TruncateRequest
	if err := r.Decode(e.Request.Body); err != nil {
		t.Errorf("%s: %v", e, err)
		return
	}
	sameBytes(t, "request", e, r.Append(nil), e.Request.Body)
	stgAppenderName(t, e, r.Name)
	stgHeaderOnly(t, e)
}

func stgGoldenRegenerate(t *testing.T, e *capture.Exchange) {
	var r RegenerateRequest
	if err := r.Decode(e.Request.Body); err != nil {
		t.Errorf("%s: %v", e, err)
		return
	}
	sameBytes(t, "request", e, r.Append(nil), e.Request.Body)
	old, _ := stgAppenderName(t, e, r.Name)
	if !okReply(t, e) {
		return
	}
	var rep UploadReply
	if err := rep.Decode(e.Reply.Body); err != nil {
		t.Errorf("%s: %v", e, err)
		return
	}
	sameBytes(t, "reply", e, rep.Append(nil), e.Reply.Body)
	// a normal name from this storage and this second, in the same
	// directory with the same EXT7 (content checked in TestCapturedFileIDs)
	n := fidCheckNewName(t, e, rep.Name, nil, KindNormal)
	if n.StorePath != old.StorePath || n.High != old.High || n.Low != old.Low ||
		!bytes.Equal(n.Ext7[:], old.Name[B64PartLen:]) {
		t.Errorf("%s: %s does not keep the place and EXT7 of %s", e, rep.Name, r.Name)
	}
}

func stgGoldenDelete(t *testing.T, e *capture.Exchange) {
	var r DeleteRequest
	if err := r.Decode(e.Request.Body); err != nil {
		t.Errorf("%s: %v", e, err)
		return
	}
	sameBytes(t, "request", e, r.Append(nil), e.Request.Body)
	if _, err := ParseRemoteFilename(r.Name, 1); err != nil || string(r.Group) != "group1" {
		t.Errorf("%s: %q %v", e, r.Group, err)
	}
	stgHeaderOnly(t, e)
}

func stgGoldenSetMetadata(t *testing.T, e *capture.Exchange) {
	var r SetMetadataRequest
	if err := r.Decode(e.Request.Body); err != nil {
		t.Errorf("%s: %v", e, err)
		return
	}
	sameBytes(t, "request", e, r.Append(nil), e.Request.Body)
	if _, err := ParseRemoteFilename(r.Name, 1); err != nil {
		t.Errorf("%s: %v", e, err)
	}
	// the C client sends its records in the caller's order, re-encodable
	sameBytes(t, "metadata", e, AppendMetadata(nil, ParseMetadata(r.Metadata)), r.Metadata)
	stgHeaderOnly(t, e)
}

// Hand-built bytes from the §5.3-5.8 tables.
func TestUpdateRequestBytes(t *testing.T) {
	name := []byte(fidExampleID[7:])
	i64 := func(v int64) []byte { return AppendInt64(nil, v) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

	a := AppendRequest{FileSize: 5, Name: name}
	aw := cat(i64(44), i64(5), name)
	if got := a.Append(nil); !bytes.Equal(got, aw) || a.BodyLen() != 16+44+5 {
		t.Fatalf("append %x", got)
	}
	var ad AppendRequest
	if err := ad.DecodeFixed(cat(aw, []byte("hello")), 65); err != nil || ad.FileSize != 5 || !bytes.Equal(ad.Name, name) {
		t.Fatalf("append decode %+v %v", ad, err)
	}

	m := ModifyRequest{Offset: 150, FileSize: 100, Name: name}
	mw := cat(i64(44), i64(150), i64(100), name)
	if got := m.Append(nil); !bytes.Equal(got, mw) || m.BodyLen() != 24+44+100 {
		t.Fatalf("modify %x", got)
	}
	var md ModifyRequest
	if err := md.DecodeFixed(mw, 168); err != nil || md.Offset != 150 || md.FileSize != 100 {
		t.Fatalf("modify decode %+v %v", md, err)
	}

	tr := TruncateRequest{TruncatedSize: 0, Name: name}
	tw := cat(i64(44), i64(0), name)
	if got := tr.Append(nil); !bytes.Equal(got, tw) || tr.Size() != 60 {
		t.Fatalf("truncate %x", got)
	}
	var td TruncateRequest
	if err := td.Decode(cat(tw, []byte("ignored"))); err != nil || !bytes.Equal(td.Name, name) {
		t.Fatalf("truncate with trailing bytes (C ignores them): %v", err)
	}

	d := DeleteRequest{Group: []byte("group1"), Name: name}
	dw := cat(AppendFixed(nil, "group1", 16), name)
	if got := d.Append(nil); !bytes.Equal(got, dw) || d.Size() != 60 {
		t.Fatalf("delete %x", got)
	}
	full := DeleteRequest{Group: []byte("0123456789abcdef"), Name: name} // 16 chars, no NUL
	var dd DeleteRequest
	if err := dd.Decode(full.Append(nil)); err != nil || string(dd.Group) != "0123456789abcdef" {
		t.Fatalf("16-char group: %q %v", dd.Group, err)
	}

	s := SetMetadataRequest{Op: MetaOverwrite, Group: []byte("group1"), Name: name}
	sw := cat(i64(44), i64(0), []byte{'O'}, AppendFixed(nil, "group1", 16), name)
	if got := s.Append(nil); !bytes.Equal(got, sw) || s.Size() != 77 {
		t.Fatalf("setmeta O with no metadata (deletes the -m file) %x", got)
	}
	var sd SetMetadataRequest
	if err := sd.Decode(sw); err != nil || sd.Op != 'O' || len(sd.Metadata) != 0 {
		t.Fatalf("%+v %v", sd, err)
	}
}

func TestUpdateRequestRejects(t *testing.T) {
	name := []byte(fidExampleID[7:])
	i64 := func(v int64) []byte { return AppendInt64(nil, v) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	pad := bytes.Repeat([]byte("M"), 128)

	for _, c := range []struct {
		name    string
		b       []byte
		bodyLen int64
	}{
		{"body 16", cat(i64(44), i64(0)), 16},
		{"name 43", cat(i64(43), i64(0), pad), 59},
		{"name 128", cat(i64(128), i64(0), pad), 144},
		{"size mismatch", cat(i64(44), i64(2), pad), 61},
		{"negative size", cat(i64(44), i64(-1), pad), 59},
		{"name not buffered", cat(i64(44), i64(0), name[:20]), 60},
	} {
		var r AppendRequest
		if err := r.DecodeFixed(c.b, c.bodyLen); !errors.Is(err, EINVAL) {
			t.Errorf("append %s: %v", c.name, err)
		}
	}
	for _, c := range []struct {
		name    string
		b       []byte
		bodyLen int64
	}{
		{"body 24", cat(i64(44), i64(0), i64(0)), 24},
		{"name 10", cat(i64(10), i64(0), i64(1), pad), 35},
		{"negative offset", cat(i64(44), i64(-1), i64(1), pad), 69},
		{"size mismatch", cat(i64(44), i64(0), i64(1), pad), 70},
		{"negative size", cat(i64(44), i64(0), i64(-1), pad), 67},
	} {
		var r ModifyRequest
		if err := r.DecodeFixed(c.b, c.bodyLen); !errors.Is(err, EINVAL) {
			t.Errorf("modify %s: %v", c.name, err)
		}
	}
	for _, c := range []struct {
		name string
		b    []byte
	}{
		{"body 16", cat(i64(44), i64(0))},
		{"name 200", cat(i64(200), i64(0), pad)},
		{"negative size", cat(i64(44), i64(-5), name)},
		{"body shorter than name", cat(i64(44), i64(0), name[:43])},
	} {
		var r TruncateRequest
		if err := r.Decode(c.b); !errors.Is(err, EINVAL) {
			t.Errorf("truncate %s: %v", c.name, err)
		}
	}
	for _, n := range []int{0, 43, 128} {
		var r RegenerateRequest
		if err := r.Decode(pad[:n]); !errors.Is(err, EINVAL) {
			t.Errorf("regenerate %d: %v", n, err)
		}
	}
	for _, n := range []int{0, 16} {
		var r DeleteRequest
		if err := r.Decode(make([]byte, n)); !errors.Is(err, EINVAL) {
			t.Errorf("delete %d: %v", n, err)
		}
	}
	g := AppendFixed(nil, "group1", 16)
	for _, c := range []struct {
		name string
		b    []byte
	}{
		{"body 33", cat(i64(1), i64(0), []byte{'O'}, g)},
		{"name 0", cat(i64(0), i64(1), []byte{'O'}, g, []byte("x"))},
		{"name 128", cat(i64(128), i64(0), []byte{'O'}, g, pad)},
		{"op X", cat(i64(1), i64(0), []byte{'X'}, g, []byte("x"))},
		{"op o", cat(i64(1), i64(0), []byte{'o'}, g, []byte("x"))},
		{"meta mismatch", cat(i64(1), i64(3), []byte{'M'}, g, []byte("xab"))},
		{"negative meta", cat(i64(1), i64(-1), []byte{'M'}, g, []byte("x"))},
		{"name beyond body", cat(i64(50), i64(0), []byte{'M'}, g, []byte("x"))},
	} {
		var r SetMetadataRequest
		if err := r.Decode(c.b); !errors.Is(err, EINVAL) {
			t.Errorf("setmeta %s: %v", c.name, err)
		}
	}
}

func TestCmdCarriesGroup(t *testing.T) {
	for cmd := 0; cmd < 256; cmd++ {
		want := cmd == 12 || cmd == 13 || cmd == 14 || cmd == 15 || cmd == 22
		if CmdCarriesGroup(byte(cmd)) != want {
			t.Errorf("cmd %d", cmd)
		}
	}
}

func TestUpdateZeroAlloc(t *testing.T) {
	name := []byte(fidExampleID[7:])
	app := (&AppendRequest{FileSize: 10, Name: name}).Append(nil)
	mod := (&ModifyRequest{Offset: 1, FileSize: 10, Name: name}).Append(nil)
	del := (&DeleteRequest{Group: []byte("group1"), Name: name}).Append(nil)
	set := (&SetMetadataRequest{Op: 'M', Group: []byte("group1"), Name: name, Metadata: []byte("a\x02b")}).Append(nil)
	buf := make([]byte, 0, 512)
	n := testing.AllocsPerRun(500, func() {
		var a AppendRequest
		var m ModifyRequest
		var d DeleteRequest
		var s SetMetadataRequest
		if a.DecodeFixed(app, int64(len(app))+10) != nil || m.DecodeFixed(mod, int64(len(mod))+10) != nil ||
			d.Decode(del) != nil || s.Decode(set) != nil {
			t.Fatal("decode")
		}
		_ = s.Append(a.Append(m.Append(d.Append(buf[:0]))))
	})
	if n != 0 {
		t.Fatalf("%v allocs", n)
	}
}

func FuzzAppendRequest(f *testing.F) {
	for _, b := range capturedBodies(f, CmdAppendFile, false) {
		f.Add(b, int64(len(b)))
	}
	f.Fuzz(func(t *testing.T, b []byte, bodyLen int64) {
		var r AppendRequest
		need := r.FixedLen(b)
		if err := r.DecodeFixed(b, bodyLen); err != nil {
			return
		}
		if r.Size() != need || r.BodyLen() != bodyLen || len(r.Name) < MinAppenderNameLen {
			t.Fatalf("%+v need %d", r, need)
		}
		enc := r.Append(nil)
		var again AppendRequest
		if again.DecodeFixed(enc, bodyLen) != nil || !bytes.Equal(again.Append(nil), enc) {
			t.Fatal("re-decode")
		}
	})
}

func FuzzModifyRequest(f *testing.F) {
	for _, b := range capturedBodies(f, CmdModifyFile, false) {
		f.Add(b, int64(len(b)))
	}
	f.Fuzz(func(t *testing.T, b []byte, bodyLen int64) {
		var r ModifyRequest
		need := r.FixedLen(b)
		if err := r.DecodeFixed(b, bodyLen); err != nil {
			return
		}
		if r.Size() != need || r.BodyLen() != bodyLen || r.Offset < 0 {
			t.Fatalf("%+v need %d", r, need)
		}
		enc := r.Append(nil)
		var again ModifyRequest
		if again.DecodeFixed(enc, bodyLen) != nil || !bytes.Equal(again.Append(nil), enc) {
			t.Fatal("re-decode")
		}
	})
}

// stgFuzzWhole is the body of the fuzz targets of whole-body layouts:
// decode, re-encode, decode again to the same bytes.
func stgFuzzWhole[T any, P interface {
	*T
	Decode([]byte) error
	Append([]byte) []byte
	Size() int
}](t *testing.T, b []byte, exact bool) {
	var r T
	if err := P(&r).Decode(b); err != nil {
		var e *Error
		if !errors.As(err, &e) || e.Errno != EINVAL {
			t.Fatalf("%x: %v", b, err)
		}
		return
	}
	enc := P(&r).Append(nil)
	if len(enc) != P(&r).Size() {
		t.Fatalf("Size %d, encoded %d", P(&r).Size(), len(enc))
	}
	if exact && len(enc) != len(b) {
		t.Fatalf("%x re-encodes to %d bytes", b, len(enc))
	}
	var again T
	if err := P(&again).Decode(enc); err != nil || !bytes.Equal(P(&again).Append(nil), enc) {
		t.Fatalf("re-decode of %x: %v", enc, err)
	}
}

func FuzzTruncateRequest(f *testing.F) {
	for _, b := range capturedBodies(f, CmdTruncateFile, false) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) { stgFuzzWhole[TruncateRequest](t, b, false) })
}

func FuzzRegenerateRequest(f *testing.F) {
	for _, b := range capturedBodies(f, CmdRegenerateAppenderFilename, false) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) { stgFuzzWhole[RegenerateRequest](t, b, true) })
}

func FuzzDeleteRequest(f *testing.F) {
	for _, b := range capturedBodies(f, CmdDeleteFile, false) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) { stgFuzzWhole[DeleteRequest](t, b, true) })
}

func FuzzSetMetadataRequest(f *testing.F) {
	for _, b := range capturedBodies(f, CmdSetMetadata, false) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) { stgFuzzWhole[SetMetadataRequest](t, b, true) })
}
