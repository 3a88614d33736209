package codec

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/gofdfs/gofdfs/codec/capture"
)

// A goldenFunc checks one captured exchange of its command: it decodes the
// request body (and the reply body, when there is a reply with status 0)
// into the typed layout and re-encodes it, failing unless the bytes are the
// same. Layout files register one per command from an init func.
type goldenFunc func(t *testing.T, e *capture.Exchange)

var golden = map[byte]goldenFunc{}

func registerGolden(cmd byte, f goldenFunc) {
	if _, dup := golden[cmd]; dup {
		panic(fmt.Sprintf("golden check for cmd %d registered twice", cmd))
	}
	golden[cmd] = f
}

var (
	capturesOnce sync.Once
	captures     []*capture.Exchange
	capturesErr  error
)

func loadCaptures(t testing.TB) []*capture.Exchange {
	t.Helper()
	capturesOnce.Do(func() {
		dir, err := capture.Dir()
		if err != nil {
			capturesErr = err
			return
		}
		captures, capturesErr = capture.LoadAll(dir)
	})
	if capturesErr != nil {
		t.Fatal(capturesErr)
	}
	return captures
}

// capturedBodies returns the distinct request bodies (or, with replies, the
// status-0 reply bodies) of the captured exchanges of cmd: fuzz seeds. Beats
// and list replies repeat hundreds of times; each distinct body comes once.
func capturedBodies(t testing.TB, cmd byte, replies bool) [][]byte {
	var out [][]byte
	seen := map[string]bool{}
	for _, e := range loadCaptures(t) {
		if e.Request.Cmd != cmd {
			continue
		}
		var b []byte
		switch {
		case !replies:
			b = e.Request.Body
		case e.Reply != nil && e.Reply.Status == 0:
			b = e.Reply.Body
		default:
			continue
		}
		if !seen[string(b)] {
			seen[string(b)] = true
			out = append(out, b)
		}
	}
	return out
}

// sameBytes fails t with a hex dump of both sides unless got equals want.
func sameBytes(t *testing.T, what string, e *capture.Exchange, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Errorf("%s: %s re-encoded differently\n got: %s\nwant: %s", e, what,
			hex.EncodeToString(got), hex.EncodeToString(want))
	}
}

// okReply reports whether e has a successful reply; an error reply must be
// header-only, which it checks.
func okReply(t *testing.T, e *capture.Exchange) bool {
	t.Helper()
	if e.Reply == nil {
		return false
	}
	if e.Reply.Status != 0 {
		if len(e.Reply.Body) != 0 {
			t.Errorf("%s: error reply with a body", e)
		}
		return false
	}
	return true
}

// TestGoldenCaptures round-trips every exchange the C servers were captured
// making: headers here, bodies through the check registered for the command.
// A command without a registered check fails the test.
func TestGoldenCaptures(t *testing.T) {
	all := loadCaptures(t)
	byCmd := map[byte][]*capture.Exchange{}
	for _, e := range all {
		byCmd[e.Request.Cmd] = append(byCmd[e.Request.Cmd], e)
	}
	cmds := make([]int, 0, len(byCmd))
	for c := range byCmd {
		cmds = append(cmds, int(c))
	}
	sort.Ints(cmds)
	for _, c := range cmds {
		cmd := byte(c)
		t.Run(fmt.Sprintf("%d_%s", cmd, CmdName(cmd)), func(t *testing.T) {
			check := golden[cmd]
			if check == nil {
				t.Fatalf("no golden check registered for %s (%d exchanges)", CmdName(cmd), len(byCmd[cmd]))
			}
			for _, e := range byCmd[cmd] {
				for _, m := range []*capture.Message{e.Request, e.Reply} {
					if m == nil {
						continue
					}
					raw := m.Raw()
					h, err := DecodeHeader(raw)
					if err != nil {
						t.Fatalf("%s: header: %v", e, err)
					}
					sameBytes(t, "header", e, h.Append(nil), raw[:HeaderSize])
					if m != e.Request && h.Cmd != CmdResp {
						t.Errorf("%s: reply cmd %d", e, h.Cmd)
					}
				}
				check(t, e)
			}
		})
	}
}

func TestHeaderRoundTrip(t *testing.T) {
	h := Header{BodyLen: 0x0102030405060708, Cmd: CmdUploadFile, Status: 2}
	b := h.Append(nil)
	want := []byte{1, 2, 3, 4, 5, 6, 7, 8, 11, 2}
	if !bytes.Equal(b, want) {
		t.Fatalf("got %x", b)
	}
	var p [HeaderSize]byte
	h.Put(p[:])
	if !bytes.Equal(p[:], want) {
		t.Fatalf("Put got %x", p)
	}
	got, err := DecodeHeader(b)
	if err != nil || got != h {
		t.Fatalf("decode %+v %v", got, err)
	}
	if _, err := DecodeHeader(b[:9]); err == nil {
		t.Fatal("short header accepted")
	}
	neg := Header{BodyLen: -1}.Append(nil)
	if _, err := DecodeHeader(neg); err == nil {
		t.Fatal("negative length accepted")
	}
}

func TestHeaderZeroAlloc(t *testing.T) {
	buf := make([]byte, 0, 64)
	b := Request(CmdDownloadFile, 60).Append(nil)
	n := testing.AllocsPerRun(1000, func() {
		h, err := DecodeHeader(b)
		if err != nil || h.BodyLen != 60 {
			t.Fatal("decode")
		}
		_ = Reply(0, 40).Append(buf[:0])
	})
	if n != 0 {
		t.Fatalf("%v allocations per header decode+encode", n)
	}
}

func BenchmarkHeaderDecode(b *testing.B) {
	raw := Request(CmdUploadFile, 4096+15).Append(nil)
	b.ReportAllocs()
	for b.Loop() {
		h, err := DecodeHeader(raw)
		if err != nil || h.Cmd != CmdUploadFile {
			b.Fatal("decode")
		}
	}
}

func FuzzDecodeHeader(f *testing.F) {
	f.Add(Request(CmdUploadFile, 15).Append(nil))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 100, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := DecodeHeader(b)
		if err != nil {
			return
		}
		if h.BodyLen < 0 || !bytes.Equal(h.Append(nil), b[:HeaderSize]) {
			t.Fatalf("header %x decoded to %+v", b[:HeaderSize], h)
		}
	})
}

func TestFixedFields(t *testing.T) {
	f := make([]byte, 16)
	for i := range f {
		f[i] = 0xEE
	}
	PutFixed(f, "group1")
	if FixedString(f) != "group1" || f[6] != 0 || f[15] != 0 {
		t.Fatalf("PutFixed: %x", f)
	}
	// garbage after the NUL is ignored, as C sync senders need
	garbage := append([]byte("group1\x00\x7f\x00\x00\\"), make([]byte, 6)...)
	if string(FixedBytes(garbage)) != "group1" {
		t.Fatal("FixedBytes with garbage")
	}
	full := []byte("0123456789abcdef")
	if string(FixedBytes(full)) != "0123456789abcdef" {
		t.Fatal("16-char field without NUL")
	}
	if got := AppendFixed(nil, "toolongforthefield!", 16); string(got) != "toolongforthefie" {
		t.Fatalf("AppendFixed cut: %q", got)
	}
	if !ValidGroupName([]byte("group1")) || ValidGroupName([]byte("grp-1")) || ValidGroupName(nil) ||
		ValidGroupName([]byte("12345678901234567")) {
		t.Fatal("ValidGroupName")
	}
}

func TestErrnoText(t *testing.T) {
	if ENOENT.Error() != "no such file or directory (2)" || EINVAL.Name() != "EINVAL" {
		t.Fatalf("%q %q", ENOENT.Error(), EINVAL.Name())
	}
	if Errno(200).Name() != "errno 200" {
		t.Fatal("unknown errno name")
	}
	var err error = invalid("X", "bad")
	if e, ok := err.(*Error); !ok || e.Errno != EINVAL {
		t.Fatal("invalid()")
	}
}
