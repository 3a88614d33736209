package codec

import (
	"bytes"
	"encoding/base64"
	"errors"
	"hash/crc32"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gofdfs/gofdfs/codec/capture"
)

// The worked example of client.md §7.2.
const (
	fidExampleID   = "group1/M00/00/00/wKgAZl9hKxOAV5bOAAAKmQ0oXv8683.png"
	fidExampleB64  = "wKgAZl9hKxOAV5bOAAAKmQ0oXv8"
	fidExampleByID = "oYYBAF9hKxOAV5bOAAAKmQ0oXv8" // storage id 100001
	fidExampleApp  = "wKgAZl9hKxOEV5bOAAAAAA0oXv8" // as an appender
	fidExampleTrk  = "wKgAZl9hKxOIV5bOAAAKmQ0oXv8" // as a trunk file
)

func fidExampleFields() NameFields {
	return NameFields{
		Source:    SourceFromIPv4([4]byte{192, 168, 0, 102}),
		Timestamp: 1600203539,
		SizeField: 0x805796CE00000A99,
		CRC32:     0x0D285EFF,
	}
}

func TestFileIDWorkedExample(t *testing.T) {
	group, remote, err := SplitFileID([]byte(fidExampleID))
	if err != nil || string(group) != "group1" {
		t.Fatalf("split: %q %v", group, err)
	}
	n, err := ParseFileName(remote)
	if err != nil {
		t.Fatal(err)
	}
	f := n.Fields
	if f != fidExampleFields() {
		t.Fatalf("fields %+v", f)
	}
	if f.Random() != 0x5796CE || f.FileSize() != 2713 || !f.HasRandom() || f.IsAppender() || f.IsTrunk() {
		t.Fatalf("random %x size %d", f.Random(), f.FileSize())
	}
	if got := string(f.AppendSource(nil)); got != "192.168.0.102" || f.SourceIsID() {
		t.Fatalf("source %q", got)
	}
	if string(n.Ext7[:]) != "683.png" || n.StorePath != 0 || n.High != 0 || n.Low != 0 {
		t.Fatalf("name %+v", n)
	}
	if got := n.Append(nil); string(got) != string(remote) {
		t.Fatalf("re-encode %q", got)
	}
	if k := ClassifyName(len(remote), f); k != KindNormal {
		t.Fatalf("kind %v", k)
	}

	// the same file written by storage id 100001, as appender, as trunk
	byID := f
	byID.Source = 100001
	if got := string(byID.AppendB64(nil)); got != fidExampleByID {
		t.Fatalf("id variant %s", got)
	}
	if d, err := DecodeNameFields([]byte(fidExampleByID)); err != nil || !d.SourceIsID() ||
		string(d.AppendSource(nil)) != "100001" {
		t.Fatalf("id variant decode %+v %v", d, err)
	}
	app := f
	app.SizeField = AppenderSizeField(f.Random())
	if got := string(app.AppendB64(nil)); got != fidExampleApp {
		t.Fatalf("appender variant %s", got)
	}
	if ClassifyName(NormalNameLen, app) != KindAppender || app.FileSize() != 0 {
		t.Fatal("appender variant kind/size")
	}
	trk := f
	trk.SizeField = TrunkSizeField(2713, f.Random())
	if got := string(trk.AppendB64(nil)); got != fidExampleTrk {
		t.Fatalf("trunk variant %s", got)
	}
	if NormalSizeField(2713, 0x5796CE) != f.SizeField {
		t.Fatal("NormalSizeField")
	}
}

func TestFileNameTrunkRoundTrip(t *testing.T) {
	f := fidExampleFields()
	f.SizeField = TrunkSizeField(2713, f.Random())
	n := FileName{StorePath: 0x1A, High: 0xFF, Low: 0x0B, Fields: f,
		Trunk: TrunkSlot{ID: 7, Offset: 1 << 20, Size: 4096}, Ext7: [7]byte{'6', '8', '3', '.', 'p', 'n', 'g'}}
	logic := n.Append(nil)
	if len(logic) != TrunkNameLen || n.Len() != TrunkNameLen {
		t.Fatalf("trunk name %q", logic)
	}
	if !strings.HasPrefix(string(logic), "M1A/FF/0B/"+fidExampleTrk) {
		t.Fatalf("trunk name %q", logic)
	}
	back, err := ParseFileName(logic)
	if err != nil || back != n {
		t.Fatalf("parse %+v %v", back, err)
	}
	if ClassifyName(len(logic), back.Fields) != KindTrunk {
		t.Fatal("kind")
	}
	slot, err := DecodeTrunkSlot(logic[LogicPathLen+B64PartLen : LogicPathLen+B64PartLen+TrunkPartLen])
	if err != nil || slot != n.Trunk {
		t.Fatalf("slot %+v %v", slot, err)
	}
	// the 12 bytes are three big-endian int32
	want := base64.RawURLEncoding.EncodeToString([]byte{0, 0, 0, 7, 0, 0x10, 0, 0, 0, 0, 0x10, 0})
	if got := string(n.Trunk.AppendB64(nil)); got != want {
		t.Fatalf("slot b64 %s want %s", got, want)
	}
	for _, c := range []struct {
		id   int32
		want string
	}{{7, "000007"}, {0, "000000"}, {123456, "123456"}, {1234567, "1234567"}} {
		if got := string(AppendTrunkContainerName(nil, c.id)); got != c.want {
			t.Errorf("container %d: %q", c.id, got)
		}
	}
	// a 44-character name with the trunk flag, or 60 without, is not generated
	n.Fields.SizeField = NormalSizeField(10, 1)
	bad := append(n.Append(nil)[:NormalNameLen-Ext7Len], n.Trunk.AppendB64(nil)...)
	bad = append(bad, n.Ext7[:]...)
	if _, err := ParseFileName(bad); err == nil {
		t.Fatal("60-char name without trunk flag accepted")
	}
}

func TestNameFieldsB64MatchesStdlib(t *testing.T) {
	f := fidExampleFields()
	var raw [20]byte
	f.put(&raw)
	if got, want := string(f.AppendB64(nil)), base64.RawURLEncoding.EncodeToString(raw[:]); got != want {
		t.Fatalf("%s != %s", got, want)
	}
	if string(f.AppendB64(nil)) != fidExampleB64 {
		t.Fatal("example")
	}
}

func TestDecodeNameFieldsStrict(t *testing.T) {
	for _, bad := range []string{
		"",
		fidExampleB64[:26],
		fidExampleB64 + "A",
		"=" + fidExampleB64[1:],
		fidExampleB64[:26] + "9", // '9' = 61 = 0b111101: unused low bits set
		fidExampleB64[:5] + "." + fidExampleB64[6:],
		fidExampleB64[:5] + "+" + fidExampleB64[6:], // std alphabet, not ours
	} {
		if _, err := DecodeNameFields([]byte(bad)); !errors.Is(err, EINVAL) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// fidStd decodes with encoding/base64 (the URL alphabet, no padding, into 21
// bytes) to give the C-lenient decoder expectations derived independently.
func fidStd(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("stdlib decode %q: %v", s, err)
	}
	return b
}

func TestDecodeNameFieldsC(t *testing.T) {
	ok := []byte(fidExampleB64)
	if DecodeNameFieldsC(ok) != fidExampleFields() {
		t.Fatal("well-formed name")
	}
	cases := []struct {
		name string
		in   string
		want func() [20]byte
	}{
		{"one ignored char: uneven, first byte zeroed", "=" + fidExampleB64[1:], func() [20]byte {
			var w [20]byte
			copy(w[:], fidStd(t, fidExampleB64[1:25])) // 6 whole groups of 4 survive
			w[0] = 0
			return w
		}},
		{"two ignored chars", "=" + fidExampleB64[1:13] + "*" + fidExampleB64[14:], func() [20]byte {
			var w [20]byte
			copy(w[:], fidStd(t, fidExampleB64[1:13]+fidExampleB64[14:26]))
			w[0] = 0
			return w
		}},
		{"four ignored chars: even again, one short", fidExampleB64[:23] + "\x00 +/", func() [20]byte {
			var w [20]byte
			copy(w[:], fidStd(t, fidExampleB64[:23]+"A")) // the pad '.' decodes as 0
			w[17] = 0                                     // 18 bytes less 1 dummy: the terminator
			return w
		}},
		{"a '.' inside is a zero and a dummy", fidExampleB64[:5] + "." + fidExampleB64[6:], func() [20]byte {
			var w [20]byte
			copy(w[:], fidStd(t, fidExampleB64[:5]+"A"+fidExampleB64[6:]+"A"))
			w[19] = 0 // 21 bytes less 2 dummies
			return w
		}},
		{"short input reads as NULs", fidExampleB64[:24], func() [20]byte {
			var w [20]byte
			copy(w[:], fidStd(t, fidExampleB64[:24])) // 24 chars + pad: uneven
			w[0] = 0
			return w
		}},
	}
	for _, c := range cases {
		w := c.want()
		want := nameFieldsFrom(&w)
		if got := DecodeNameFieldsC([]byte(c.in)); got != want {
			t.Errorf("%s: got %+v want %+v", c.name, got, want)
		}
	}
}

func TestExt7(t *testing.T) {
	seq := []byte("9876543")
	next := func() func() byte {
		i := 0
		return func() byte { c := seq[i%len(seq)]; i++; return c }
	}
	for _, c := range []struct{ ext, want string }{
		{"jpg", "987.jpg"}, {"tar.gz", ".tar.gz"}, {"", "9876543"}, {"a", "98765.a"}, {"A-_.9", "9.A-_.9"},
	} {
		got, err := AppendExt7(nil, []byte(c.ext), next())
		if err != nil || string(got) != c.want {
			t.Errorf("ext %q: %q %v", c.ext, got, err)
			continue
		}
		digits, ext, err := ParseExt7(got)
		if err != nil || string(ext) != c.ext || len(digits)+len(ext)+btoi(len(ext) > 0) != Ext7Len {
			t.Errorf("parse %q: %q %q %v", got, digits, ext, err)
		}
	}
	for _, bad := range []string{"toolong", "a/b", "x y", "é"} {
		if _, err := AppendExt7(nil, []byte(bad), next()); err == nil {
			t.Errorf("ext %q accepted", bad)
		}
	}
	if _, err := AppendExt7(nil, []byte("jpg"), func() byte { return ':' }); err == nil {
		t.Error("non-digit from the digit source accepted")
	}
	if _, ext, err := ParseExt7([]byte("12:.txt")); err != nil || string(ext) != "txt" {
		t.Errorf("C's rare ':' digit: %v", err)
	}
	for _, bad := range []string{"123456.", "12a.jpg", "123.j/g", "1234", "12345678"} {
		if _, _, err := ParseExt7([]byte(bad)); err == nil {
			t.Errorf("ext7 %q accepted", bad)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestClassifyName(t *testing.T) {
	normal := NameFields{SizeField: NormalSizeField(10, 5)}
	appender := NameFields{SizeField: AppenderSizeField(5)}
	trunk := NameFields{SizeField: TrunkSizeField(10, 5)}
	for _, c := range []struct {
		n    int
		f    NameFields
		want FileKind
	}{
		{44, normal, KindNormal}, {44, appender, KindAppender}, {48, appender, KindAppender},
		{60, trunk, KindTrunk}, {60, normal, KindSlave}, {46, normal, KindSlave}, // "-m" names
		{48, normal, KindSlave}, {61, trunk, KindSlave}, {45, trunk, KindNormal}, {64, trunk, KindSlave},
	} {
		if got := ClassifyName(c.n, c.f); got != c.want {
			t.Errorf("len %d size %#x: %v want %v", c.n, c.f.SizeField, got, c.want)
		}
	}
	big := NameFields{SizeField: uint64(5) << 32} // a normal file of 20 GiB
	if big.HasRandom() || big.FileSize() != 5<<32 || NormalSizeField(5<<32, 77) != big.SizeField {
		t.Fatal(">= 4 GiB size field")
	}
}

func TestParseRemoteFilename(t *testing.T) {
	good := "M00/0A/E6/fwAAA2sCGFuAMQHWAAAADg4Qul0474.txt"
	rf, err := ParseRemoteFilename([]byte(good), 1)
	if err != nil || rf.StorePath != 0 || rf.High != 0x0A || rf.Low != 0xE6 || rf.Legacy ||
		string(rf.TrueName) != good[4:] || string(rf.Name) != good[10:] {
		t.Fatalf("%+v %v", rf, err)
	}
	if rf, err := ParseRemoteFilename([]byte("M0a/00/00/x"), 11); err != nil || rf.StorePath != 10 {
		t.Errorf("lower-case Mxx (C parses it with strtol): %+v %v", rf, err)
	}
	if rf, err := ParseRemoteFilename([]byte("0A/E6/fwAAA2sCGFuAMQ"), 1); err != nil || !rf.Legacy ||
		rf.StorePath != 0 || string(rf.Name) != "fwAAA2sCGFuAMQ" {
		t.Errorf("pre-V1.12 name: %+v %v", rf, err)
	}
	if _, err := ParseRemoteFilename([]byte(good+"-m"), 1); err != nil {
		t.Errorf("metadata name: %v", err)
	}
	long := "M00/00/00/" + strings.Repeat("a", MaxFilenameLen-10)
	if _, err := ParseRemoteFilename([]byte(long), 1); err != nil {
		t.Errorf("127 bytes: %v", err)
	}
	for _, c := range []struct {
		name  string
		paths int
	}{
		{"M00/00/00/", 1}, {"M00/00/00", 1}, {"", 1}, {"..", 1},
		{"M00/00/00/..", 1}, {"M00/00/00/.", 1}, {"M00/00/00/.hidden", 1},
		{"M00/00/00/../../etc/passwd", 1}, {"M00/00/../../x", 1}, {"M00/../00/xxxx", 1},
		{"M00/00/00/a/b", 1}, {"M00/0a/00/xxxx", 1}, {"M00/00/e6/xxxx", 1}, {"M00/0G/00/xxxx", 1},
		{"M0G/00/00/xxxx", 1}, {"M-1/00/00/xxxx", 1}, {"M 1/00/00/xxxx", 1}, {"M+1/00/00/xxxx", 1},
		{"M01/00/00/xxxx", 1}, {"M00/00/00/xxxx", 0}, {"M00x00/00/xxxx", 1}, {"M00/00x00/xxxx", 1},
		{"M00/00/00/a\x00b", 1}, {"M00/00/00/a b", 1}, {"M00/00/00/a\\b", 1}, {"M00/00/00/é", 1},
		{"00/00/../etc", 1}, {"0/00/000/xxxx", 1},
		{long + "a", 1},
	} {
		_, err := ParseRemoteFilename([]byte(c.name), c.paths)
		var e *Error
		if !errors.As(err, &e) || e.Errno != EINVAL || e.Layout != "RemoteFilename" {
			t.Errorf("%q (paths %d) accepted or wrong error: %v", c.name, c.paths, err)
			continue
		}
		if len(c.name) < 100 && !strings.Contains(e.Reason, strconv.Quote(c.name)) {
			t.Errorf("%q: error does not name it: %v", c.name, err)
		}
	}
}

func TestSplitFileID(t *testing.T) {
	g, r, err := SplitFileID([]byte("group1/M00/00/00/x/y"))
	if err != nil || string(g) != "group1" || string(r) != "M00/00/00/x/y" {
		t.Fatalf("%q %q %v", g, r, err)
	}
	if got := AppendFileID(nil, g, r); string(got) != "group1/M00/00/00/x/y" {
		t.Fatalf("%q", got)
	}
	for _, bad := range []string{"", "group1", "/M00/00/00/x", "group1/", "grp-1/M00/00/00/x",
		"12345678901234567/M00/00/00/x"} {
		if _, _, err := SplitFileID([]byte(bad)); !errors.Is(err, EINVAL) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestAppendSlaveName(t *testing.T) {
	master := func(s string) *RemoteFilename {
		rf, err := ParseRemoteFilename([]byte(s), MaxStorePaths)
		if err != nil {
			t.Fatal(err)
		}
		return &rf
	}
	ex := master(fidExampleID[7:])
	for _, c := range []struct{ master, prefix, ext, want string }{
		{fidExampleID[7:], "_150x150", "png", "M00/00/00/wKgAZl9hKxOAV5bOAAAKmQ0oXv8683_150x150.png"},
		{fidExampleID[7:], "_s", ".webp", "M00/00/00/wKgAZl9hKxOAV5bOAAAKmQ0oXv8683_s.webp"},
		{fidExampleID[7:], "_s", "", "M00/00/00/wKgAZl9hKxOAV5bOAAAKmQ0oXv8683_s"}, // master ext not inherited
		{fidExampleID[7:], "", "jpg", "M00/00/00/wKgAZl9hKxOAV5bOAAAKmQ0oXv8683.jpg"},
		{"M00/0A/E6/fwAAA2sCGFuAMQHWAAAADg4Qul0474.txt", "_big", "txt",
			"M00/0A/E6/fwAAA2sCGFuAMQHWAAAADg4Qul0474_big.txt"}, // captured (fdfs_test_upload)
		{"M03/00/01/wKgAZl9hKxOAV5bOAAAKmQ0oXv88364019", "-m", "x",
			"M03/00/01/wKgAZl9hKxOAV5bOAAAKmQ0oXv88364019-m.x"}, // no dot: whole name is the base
		{"M00/00/00/wKgAZl9hKxOAV5bOAAAKmQ0oXv8.tar.gz", "_t", "gz",
			"M00/00/00/wKgAZl9hKxOAV5bOAAAKmQ0oXv8_t.gz"}, // first dot of the last 7
	} {
		got, err := AppendSlaveName(nil, master(c.master), []byte(c.prefix), []byte(c.ext))
		if err != nil || string(got) != c.want {
			t.Errorf("%s + %q + %q: %q %v", c.master, c.prefix, c.ext, got, err)
		}
	}
	for _, c := range []struct{ prefix, ext string }{
		{"-m", ""},                // would be the metadata file
		{"", "png"}, {"", ".png"}, // empty prefix keeps the master's name
		{"a/b", "png"}, {"_s", "p g"}, // characters
		{"12345678901234567", "png"}, {"_s", "1234567"},
	} {
		if _, err := AppendSlaveName(nil, ex, []byte(c.prefix), []byte(c.ext)); !errors.Is(err, EINVAL) {
			t.Errorf("prefix %q ext %q: %v", c.prefix, c.ext, err)
		}
	}
	short := master("M00/00/00/wKgAZl9hKxOAV5bOAAAKmQ.png") // true name 32 < 34
	if _, err := AppendSlaveName(nil, short, []byte("_s"), nil); !errors.Is(err, EINVAL) {
		t.Error("short master accepted")
	}
	long := master("M00/00/00/" + strings.Repeat("a", 110) + ".png")
	if _, err := AppendSlaveName(nil, long, []byte("_0123456789abcde"), []byte("png")); !errors.Is(err, EINVAL) {
		t.Error("slave name over 127 accepted")
	}
}

// fidCaptureTime is a capture's epoch seconds.
func fidCaptureTime(t *testing.T, m *capture.Message) int64 {
	f, err := strconv.ParseFloat(m.Time, 64)
	if err != nil {
		t.Fatalf("capture time %q: %v", m.Time, err)
	}
	return int64(f)
}

// fidPeerSource is the Source a storage at addr ("ip:port") writes.
func fidPeerSource(t *testing.T, addr string) uint32 {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().Is4() {
		t.Fatalf("address %q: %v", addr, err)
	}
	return SourceFromIPv4(ap.Addr().As4())
}

// fidCheckNewName checks a name a C storage just generated for content it
// received in e: strict parse, source = that storage, time = the request's
// (its cached clock may lag a second), CRC and size of the content.
func fidCheckNewName(t *testing.T, e *capture.Exchange, name, content []byte, want FileKind) FileName {
	t.Helper()
	n, err := ParseFileName(name)
	if err != nil {
		t.Errorf("%s: %v", e, err)
		return n
	}
	f := n.Fields
	if f != DecodeNameFieldsC(name[LogicPathLen:]) {
		t.Errorf("%s: lenient decode differs on %s", e, name)
	}
	if k := ClassifyName(len(name), f); k != want {
		t.Errorf("%s: %s is %v, want %v", e, name, k, want)
	}
	if f.Source != fidPeerSource(t, e.Request.To) {
		t.Errorf("%s: %s has source %s", e, name, f.AppendSource(nil))
	}
	if d := fidCaptureTime(t, e.Request) - int64(f.Timestamp); d < -1 || d > 2 {
		t.Errorf("%s: %s has timestamp %d", e, name, f.Timestamp)
	}
	if !f.HasRandom() {
		t.Errorf("%s: %s has no random part", e, name)
	}
	if content != nil {
		if c := crc32.ChecksumIEEE(content); f.CRC32 != c {
			t.Errorf("%s: %s has crc %08x, content %08x", e, name, f.CRC32, c)
		}
		wantSize := int64(len(content))
		if want == KindAppender {
			wantSize = 0
		}
		if f.FileSize() != wantSize {
			t.Errorf("%s: %s has size %d, want %d", e, name, f.FileSize(), wantSize)
		}
	}
	return n
}

// TestCapturedFileIDs decodes the file ids the C tools printed and checks
// them against the uploaded inputs kept in vectors/cluster/files.
func TestCapturedFileIDs(t *testing.T) {
	dir, err := capture.Dir()
	if err != nil {
		t.Fatal(err)
	}
	read := func(names ...string) []byte {
		var b []byte
		for _, n := range names {
			d, err := os.ReadFile(filepath.Join(dir, "cluster", "files", n))
			if err != nil {
				t.Fatal(err)
			}
			b = append(b, d...)
		}
		return b
	}
	hello := []byte("hello fastdfs\n") // the client captures' upload body
	var outs strings.Builder
	for _, g := range []string{"client/*.out", "cluster/*.out"} {
		files, _ := filepath.Glob(filepath.Join(dir, g))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			outs.Write(b)
		}
	}
	a, b := "127.0.2.21", "127.0.0.2"
	for _, c := range []struct {
		id      string
		src     string
		kind    FileKind
		content []byte
	}{
		{"group1/M00/0A/E6/fwAAAmsCGGuAbSORAAAADg4Qul0046.txt", b, KindNormal, hello},
		{"group1/M00/0A/E6/fwAAA2sCGHOEEXSnAAAAAA4Qul0199.txt", "127.0.0.3", KindAppender, hello},
		{"M00/0A/E6/fwAAA2sCGFuAMQHWAAAADg4Qul0474.txt", "127.0.0.3", KindNormal, hello},
		{"M00/0A/E6/fwAAA2sCGFuAMQHWAAAADg4Qul0474_big.txt", "127.0.0.3", KindSlave, hello},
		{"group1/M00/00/00/fwACFWsCGkyAfP0KAAAANtOEMGs773.txt", a, KindNormal, read("f1_upload.txt")},
		{"M00/00/00/fwACFWsCGk-AbbJmAAAAOsrrJzk491.jpg", a, KindNormal, read("f2_master.jpg")},
		{"M00/00/00/fwACFWsCGk-AbbJmAAAAOsrrJzk491_big.jpg", a, KindSlave, read("f2_master.jpg")},
		{"group1/M00/00/00/fwACFWsCGliEMkJ_AAAAAOO0a4Y504.txt", a, KindAppender, read("f3_appender.txt")},
		{"group1/M00/00/00/fwACFWsCGmCAG1o-AAAAM4y_Rpo504.txt", a, KindNormal,
			read("f3_appender.txt", "f3_append.txt")}, // regenerated: CRC of the whole content
		{"M00/00/00/fwACFWsCGl6EYhzbAAAAAFfjwi0333.bin", a, KindAppender, read("f4_appender_test.bin")},
		{"group1/M00/00/00/fwACFWsCGmSAQmVoAAAAIWg20u4484.txt", a, KindNormal, read("f5_delete.txt")},
		{"group1/M00/00/00/fwACFWsCGpOEHg3XAAAAAGMoKLE878.txt", a, KindAppender, read("f6_appender.txt")},
		{"M00/00/00/fwACFWsCHBWAR0cIAAAAKfB1Juc947.jpg", a, KindNormal, read("f7_master_link.jpg")},
		{"M00/00/00/fwACFWsCHBWAR0cIAAAAKfB1Juc947_big.jpg", a, KindSlave, read("f7_master_link.jpg")},
	} {
		if !strings.Contains(outs.String(), c.id) {
			t.Errorf("%s is not in the captured tool output", c.id)
			continue
		}
		// ids printed with the group; "M00/..." alone would split as group "M00"
		remote := []byte(strings.TrimPrefix(c.id, "group1/"))
		rf, err := ParseRemoteFilename(remote, 1)
		if err != nil {
			t.Errorf("%s: %v", c.id, err)
			continue
		}
		f, err := rf.Fields()
		if err != nil {
			t.Errorf("%s: %v", c.id, err)
			continue
		}
		if got := string(f.AppendSource(nil)); got != c.src {
			t.Errorf("%s: source %s want %s", c.id, got, c.src)
		}
		if k := rf.Kind(f); k != c.kind {
			t.Errorf("%s: kind %v want %v", c.id, k, c.kind)
		}
		if got, want := f.CRC32, crc32.ChecksumIEEE(c.content); got != want {
			t.Errorf("%s: crc %08x want %08x", c.id, got, want)
		}
		switch c.kind {
		case KindNormal, KindSlave: // slaves carry their master's fields
			if f.FileSize() != int64(len(c.content)) {
				t.Errorf("%s: size %d want %d", c.id, f.FileSize(), len(c.content))
			}
		case KindAppender:
			if f.FileSize() != 0 || !f.HasRandom() {
				t.Errorf("%s: appender size field %#x", c.id, f.SizeField)
			}
		}
	}
}

var fidNameInText = regexp.MustCompile(`M[0-9A-F]{2}/[0-9A-F]{2}/[0-9A-F]{2}/[A-Za-z0-9_.:-]+`)

// TestEveryCapturedName decodes every name the tools printed and every name
// in the C storages' binlogs.
func TestEveryCapturedName(t *testing.T) {
	dir, err := capture.Dir()
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, g := range []string{"client/*.out", "cluster/*.out", "cluster/sync_files*/*/binlog.*"} {
		m, _ := filepath.Glob(filepath.Join(dir, g))
		files = append(files, m...)
	}
	seen := map[string]bool{}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range fidNameInText.FindAll(b, -1) {
			if seen[string(name)] {
				continue
			}
			seen[string(name)] = true
			rf, err := ParseRemoteFilename(name, 1)
			if err != nil {
				t.Errorf("%s: %v", file, err)
				continue
			}
			f, err := rf.Fields()
			if err != nil {
				t.Errorf("%s: %v", file, err)
				continue
			}
			if f != DecodeNameFieldsC(name[LogicPathLen:]) {
				t.Errorf("%s: lenient decode differs", name)
			}
			ip := f.SourceIPv4()
			if f.SourceIsID() || ip[0] != 127 || ip[1] != 0 {
				t.Errorf("%s: source %s", name, f.AppendSource(nil))
			}
			if f.Timestamp < 1795299000 || f.Timestamp > 1795301000 || !f.HasRandom() {
				t.Errorf("%s: timestamp %d size field %#x", name, f.Timestamp, f.SizeField)
			}
			k := rf.Kind(f)
			switch {
			case len(name) == NormalNameLen:
				if _, err := ParseFileName(name); err != nil || k != KindNormal && k != KindAppender {
					t.Errorf("%s: %v %v", name, k, err)
				}
			case bytes.HasSuffix(name, []byte("-m")) || bytes.Contains(name, []byte("_big")):
				want := KindSlave
				if f.IsAppender() { // the flag wins: an appender's "-m" file counts as appender
					want = KindAppender
				}
				if k != want {
					t.Errorf("%s: %v, want %v", name, k, want)
				}
			default:
				t.Errorf("%s: unexpected name shape", name)
			}
		}
	}
	if len(seen) < 15 {
		t.Fatalf("only %d names found in %d files", len(seen), len(files))
	}

	// Names inside every captured body (requests, replies, sync traffic):
	// there they run into the content, so only their 27 characters are
	// certain; each must decode strictly to a plausible source and time.
	inBodies := 0
	for _, e := range loadCaptures(t) {
		for _, m := range []*capture.Message{e.Request, e.Reply} {
			if m == nil {
				continue
			}
			for _, name := range fidNameInText.FindAll(m.Body, -1) {
				if len(name) < LogicPathLen+B64PartLen {
					continue // e.g. a trunk binlog or a cut payload line
				}
				f, err := DecodeNameFields(name[LogicPathLen : LogicPathLen+B64PartLen])
				ip := f.SourceIPv4()
				if err != nil || ip[0] != 127 || f.Timestamp < 1795299000 || f.Timestamp > 1795301000 {
					t.Errorf("%s: name %q decodes to %+v (%v)", e, name, f, err)
				}
				inBodies++
			}
		}
	}
	if inBodies < 50 {
		t.Fatalf("only %d names found in captured bodies", inBodies)
	}
}

func TestFileIDZeroAlloc(t *testing.T) {
	n, err := ParseFileName([]byte(fidExampleID[7:]))
	if err != nil {
		t.Fatal(err)
	}
	id := []byte(fidExampleID)
	buf := make([]byte, 0, 256)
	group := []byte("group1")
	allocs := testing.AllocsPerRun(500, func() {
		b := AppendFileID(buf[:0], group, nil)
		b = n.Append(b)
		b = n.Fields.AppendSource(b)
		if len(b) == 0 {
			t.Fatal("empty")
		}
	})
	if allocs != 0 {
		t.Fatalf("encode: %v allocs", allocs)
	}
	allocs = testing.AllocsPerRun(500, func() {
		_, remote, err := SplitFileID(id)
		if err != nil {
			t.Fatal(err)
		}
		rf, err := ParseRemoteFilename(remote, 1)
		if err != nil {
			t.Fatal(err)
		}
		f, err := rf.Fields()
		if err != nil || f.CRC32 != 0x0D285EFF {
			t.Fatal(err)
		}
		if DecodeNameFieldsC(rf.Name) != f {
			t.Fatal("lenient")
		}
		if _, err := ParseFileName(remote); err != nil {
			t.Fatal(err)
		}
		s, err := AppendSlaveName(buf[:0], &rf, []byte("_s"), []byte("jpg"))
		if err != nil || len(s) == 0 {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("decode: %v allocs", allocs)
	}
}

func BenchmarkFileIDEncode(b *testing.B) {
	n := FileName{StorePath: 0, High: 0x0A, Low: 0xE6, Fields: fidExampleFields()}
	copy(n.Ext7[:], "683.png")
	group := []byte("group1")
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	for b.Loop() {
		out := append(append(buf[:0], group...), FileIDSeparator)
		out = n.Append(out)
		if len(out) != len(fidExampleID) {
			b.Fatal(len(out))
		}
	}
}

func BenchmarkFileIDDecode(b *testing.B) {
	id := []byte(fidExampleID)
	b.ReportAllocs()
	for b.Loop() {
		_, remote, err := SplitFileID(id)
		if err != nil {
			b.Fatal(err)
		}
		rf, err := ParseRemoteFilename(remote, 1)
		if err != nil {
			b.Fatal(err)
		}
		f, err := rf.Fields()
		if err != nil || rf.Kind(f) != KindNormal {
			b.Fatal(err)
		}
	}
}

// fidNameSeeds are fuzz seeds: every name in the captures plus edge cases.
func fidNameSeeds(t testing.TB) [][]byte {
	seeds := [][]byte{[]byte(fidExampleID[7:]), []byte("M00/00/00/.."), []byte("M00/00/00/a/../b"),
		[]byte("00/00/legacyname"), []byte("M0a/00/00/x"), []byte("M00/00/00/" + fidExampleTrk + "AAAAAAAAAAAAAAAA683.png")}
	for _, cmd := range []byte{CmdDeleteFile, CmdGetMetadata, CmdQueryFileInfo} {
		for _, body := range capturedBodies(t, cmd, false) {
			if len(body) > GroupNameSize {
				seeds = append(seeds, body[GroupNameSize:])
			}
		}
	}
	return seeds
}

func FuzzParseRemoteFilename(f *testing.F) {
	for _, s := range fidNameSeeds(f) {
		f.Add(s, 1)
	}
	f.Fuzz(func(t *testing.T, name []byte, paths int) {
		rf, err := ParseRemoteFilename(name, paths)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Errno != EINVAL {
				t.Fatalf("%q: %v", name, err)
			}
			return
		}
		// nothing a path could escape with
		if len(name) > MaxFilenameLen || bytes.IndexByte(rf.Name, '/') >= 0 || len(rf.Name) == 0 ||
			rf.Name[0] == '.' || bytes.IndexByte(name, 0) >= 0 || rf.StorePath >= paths {
			t.Fatalf("%q accepted as %+v", name, rf)
		}
		parts := bytes.Split(rf.TrueName, []byte("/"))
		if len(parts) != 3 || len(parts[0]) != 2 || len(parts[1]) != 2 || string(parts[2]) != string(rf.Name) {
			t.Fatalf("%q: true name %q", name, rf.TrueName)
		}
		var rebuilt []byte
		if !rf.Legacy {
			rebuilt = append(rebuilt, name[:4]...)
		}
		rebuilt = append(rebuilt, rf.TrueName...)
		if !bytes.Equal(rebuilt, name) {
			t.Fatalf("%q rebuilt as %q", name, rebuilt)
		}
		if fl, err := rf.Fields(); err == nil {
			_ = rf.Kind(fl)
		}
	})
}

func FuzzDecodeNameFields(f *testing.F) {
	for _, s := range fidNameSeeds(f) {
		if len(s) >= LogicPathLen {
			f.Add(s[LogicPathLen:])
		}
	}
	f.Add([]byte(fidExampleB64[:5] + "." + fidExampleB64[6:]))
	f.Fuzz(func(t *testing.T, b64 []byte) {
		lenient := DecodeNameFieldsC(b64)
		strict, err := DecodeNameFields(b64)
		if err != nil {
			return
		}
		if got := strict.AppendB64(nil); !bytes.Equal(got, b64) {
			t.Fatalf("%q re-encodes as %q", b64, got)
		}
		if lenient != strict {
			t.Fatalf("%q: C decode %+v, strict %+v", b64, lenient, strict)
		}
	})
}

func FuzzParseFileName(f *testing.F) {
	for _, s := range fidNameSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, logic []byte) {
		n, err := ParseFileName(logic)
		if err != nil {
			return
		}
		if got := n.Append(nil); !bytes.Equal(got, logic) || n.Len() != len(logic) {
			t.Fatalf("%q re-encodes as %q", logic, got)
		}
	})
}
