package capture

import (
	"strings"
	"testing"
)

const sample = `1795299435.472120 127.0.0.1:54742 > 127.0.0.10:22122 len=10  [hdr pkg_len=0 cmd=101 status=0]
  0000  00 00 00 00 00 00 00 00 65 00                    ........e.
1795299435.472271 127.0.0.10:22122 > 127.0.0.1:54742 len=50  [hdr pkg_len=40 cmd=100 status=0]
  0000  00 00 00 00 00 00 00 28 64 00 67 72 6f 75 70 31  .......(d.group1
  0010  00 00 00 00 00 00 00 00 00 00 31 32 37 2e 30 2e  ..........127.0.
  0020  30 2e 32 00 00 00 00 00 00 00 00 00 00 00 00 59  0.2............Y
  0030  d8 00                                            ..
1795299435.472415 127.0.0.1:33202 > 127.0.0.2:23000 len=25  [hdr pkg_len=29 cmd=11 status=0]
  0000  00 00 00 00 00 00 00 1d 0b 00 00 00 00 00 00 00  ................
  0010  00 00 0e 74 78 74 00 00 00                       ...txt...
1795299435.472443 127.0.0.1:33202 > 127.0.0.2:23000 len=14
  0000  68 65 6c 6c 6f 20 66 61 73 74 64 66 73 0a        hello fastdfs.
1795299435.472725 127.0.0.2:23000 > 127.0.0.1:33202 len=20  [hdr pkg_len=10 cmd=100 status=0]
  0000  00 00 00 00 00 00 00 0a 64 00 30 31 32 33 34 35  ........d.012345
  0010  36 37 38 39                                      6789
`

func TestParseAndPair(t *testing.T) {
	segs, err := ParsePayload(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	ex := Pair("sample", Messages(segs))
	if len(ex) != 2 {
		t.Fatalf("got %d exchanges, want 2", len(ex))
	}
	if ex[0].Request.Cmd != 101 || ex[0].Reply == nil || len(ex[0].Reply.Body) != 40 {
		t.Fatalf("first exchange wrong: %v", ex[0])
	}
	up := ex[1]
	if up.Request.Cmd != 11 || len(up.Request.Body) != 29 || string(up.Request.Body[15:]) != "hello fastdfs\n" {
		t.Fatalf("upload body %q", up.Request.Body)
	}
	if up.Reply == nil || string(up.Reply.Body) != "0123456789" {
		t.Fatalf("upload reply %v", up.Reply)
	}
	if got := up.Request.Raw(); len(got) != 39 || got[8] != 11 {
		t.Fatalf("raw %x", got)
	}
}

func TestBadDump(t *testing.T) {
	bad := "1 a > b len=3  [hdr pkg_len=0 cmd=1 status=0]\n  0000  00 zz 00\n"
	if _, err := ParsePayload(strings.NewReader(bad)); err == nil {
		t.Fatal("bad hex accepted")
	}
	short := "1 a > b len=3  [hdr pkg_len=0 cmd=1 status=0]\n  0000  00 00\n"
	if _, err := ParsePayload(strings.NewReader(short)); err == nil {
		t.Fatal("short segment accepted")
	}
}

func TestAllVectorsLoad(t *testing.T) {
	dir, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	all, err := LoadAll(dir)
	if err != nil {
		t.Fatal(err)
	}
	partial := 0
	for _, e := range all {
		if e.Request.Partial {
			partial++
		}
	}
	t.Logf("%d exchanges, %d with a partial request", len(all), partial)
	if len(all) < 500 {
		t.Fatalf("only %d exchanges loaded", len(all))
	}
}
