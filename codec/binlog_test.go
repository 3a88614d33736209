package codec

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofdfs/gofdfs/codec/capture"
)

// capturedBinlogs returns every binlog file the C storages left in the
// cluster vectors (sync_files*/<storage>/binlog.NNN).
func capturedBinlogs(t testing.TB) map[string][]byte {
	t.Helper()
	dir, err := capture.Dir()
	if err != nil {
		t.Fatal(err)
	}
	paths, err := filepath.Glob(filepath.Join(dir, "cluster", "sync_files*", "*", "binlog.*"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		if strings.HasSuffix(p, ".dat") { // binlog_index.dat is not a binlog
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel] = b
	}
	if len(out) < 5 {
		t.Fatalf("found %d binlogs under %s", len(out), dir)
	}
	return out
}

// Every line of every captured binlog parses and formats back to the same
// bytes, except C's broken symlink line, which must be reported as
// ErrBinlogEmptyName with its exact length so a reader can step over it.
func TestBinlogCapturedFiles(t *testing.T) {
	ops := map[BinlogOp]int{}
	malformed := 0
	for name, data := range capturedBinlogs(t) {
		var out []byte
		rest := data
		for len(rest) > 0 {
			var r BinlogRecord
			n, err := r.Parse(rest)
			if n <= 0 || n > len(rest) || rest[n-1] != '\n' {
				t.Fatalf("%s: Parse consumed %d of %q (err %v)", name, n, rest, err)
			}
			line := rest[:n]
			rest = rest[n:]
			if err != nil {
				if !errors.Is(err, ErrBinlogEmptyName) || !bytes.Contains(line, []byte(" L  M00/")) {
					t.Errorf("%s: %q: %v", name, line, err)
				}
				if n != 59 { // cluster.md §4.2: the C reader fell 59 bytes short
					t.Errorf("%s: broken L line length %d, want 59", name, n)
				}
				malformed++
				out = append(out, line...)
				continue
			}
			ops[r.Op]++
			if got := r.Append(nil); !bytes.Equal(got, line) || r.Size() != n {
				t.Errorf("%s: %q formatted back as %q (Size %d)", name, line, got, r.Size())
			}
			out = r.Append(out)
		}
		if !bytes.Equal(out, data) {
			t.Errorf("%s: file not reproduced", name)
		}
	}
	if malformed != 1 {
		t.Errorf("%d malformed lines, want the one broken L line of 07c", malformed)
	}
	for _, op := range "CUAMTRDcuamrd" {
		if ops[BinlogOp(op)] == 0 {
			t.Errorf("no %c line in the captured binlogs", op)
		}
	}
}

func TestBinlogEveryOp(t *testing.T) {
	const name = "M00/00/00/fwACFWsCGnmAR8_5AAAAEGMoKLE123.txt"
	const old = "M00/00/00/fwACFWsCGmCAG1o-AAAAM4y_Rpo504.txt"
	cases := []struct {
		line string
		want BinlogRecord
	}{
		{"1795299916 C " + name + "\n", BinlogRecord{Timestamp: 1795299916, Op: BinlogCreate}},
		{"1795299916 c " + name + "\n", BinlogRecord{Timestamp: 1795299916, Op: BinlogReplicaCreate}},
		{"1795299917 D " + name + "\n", BinlogRecord{Timestamp: 1795299917, Op: BinlogDelete}},
		{"1795299917 d " + name + "\n", BinlogRecord{Timestamp: 1795299917, Op: BinlogReplicaDelete}},
		{"1795299918 U " + name + "-m\n", BinlogRecord{Timestamp: 1795299918, Op: BinlogUpdate}},
		{"1795299918 u " + name + "-m\n", BinlogRecord{Timestamp: 1795299918, Op: BinlogReplicaUpdate}},
		{"1795299919 A " + name + " 16 35\n", BinlogRecord{Timestamp: 1795299919, Op: BinlogAppend, Offset: 16, Length: 35}},
		{"1795299919 a " + name + " 0 16\n", BinlogRecord{Timestamp: 1795299919, Op: BinlogReplicaAppend, Length: 16}},
		{"1795299920 M " + name + " 150 100\n", BinlogRecord{Timestamp: 1795299920, Op: BinlogModify, Offset: 150, Length: 100}},
		{"1795299920 m " + name + " 150 100\n", BinlogRecord{Timestamp: 1795299920, Op: BinlogReplicaModify, Offset: 150, Length: 100}},
		{"1795299921 T " + name + " 100 50\n", BinlogRecord{Timestamp: 1795299921, Op: BinlogTruncate, Offset: 100, Length: 50}},
		{"1795299921 t " + name + " 100 0\n", BinlogRecord{Timestamp: 1795299921, Op: BinlogReplicaTruncate, Offset: 100}},
		{"1795299922 L " + name + " " + old + "\n", BinlogRecord{Timestamp: 1795299922, Op: BinlogLink, SrcFilename: []byte(old)}},
		{"1795299922 l " + name + " " + old + "\n", BinlogRecord{Timestamp: 1795299922, Op: BinlogReplicaLink, SrcFilename: []byte(old)}},
		{"1795299923 R " + name + " " + old + "\n", BinlogRecord{Timestamp: 1795299923, Op: BinlogRename, SrcFilename: []byte(old)}},
		{"1795299923 r " + name + " " + old + "\n", BinlogRecord{Timestamp: 1795299923, Op: BinlogReplicaRename, SrcFilename: []byte(old)}},
		{"376 d " + name + "\n", BinlogRecord{Timestamp: 376, Op: BinlogReplicaDelete}}, // absurd but well-formed
	}
	seen := map[BinlogOp]bool{}
	for _, c := range cases {
		var r BinlogRecord
		n, err := r.Parse([]byte(c.line + "1795299999 C next"))
		if err != nil || n != len(c.line) {
			t.Errorf("%q: n=%d err=%v", c.line, n, err)
			continue
		}
		seen[r.Op] = true
		wantName := strings.Fields(c.line)[2]
		if r.Timestamp != c.want.Timestamp || r.Op != c.want.Op || string(r.Filename) != wantName ||
			r.Offset != c.want.Offset || r.Length != c.want.Length ||
			string(r.SrcFilename) != string(c.want.SrcFilename) {
			t.Errorf("%q: parsed %+v", c.line, r)
		}
		if got := string(r.Append(nil)); got != c.line || r.Size() != len(c.line) {
			t.Errorf("%q: formatted %q, Size %d", c.line, got, r.Size())
		}
		if r.Op.IsSource() != (r.Op >= 'A' && r.Op <= 'Z') || r.Op.Source().Replica() != r.Op.Replica() ||
			!r.Op.Source().IsSource() || r.Op.Replica().IsSource() {
			t.Errorf("%c: case helpers", r.Op)
		}
	}
	if len(seen) != 16 {
		t.Errorf("covered %d op letters, want 16", len(seen))
	}
	if BinlogOp('X').Valid() || BinlogOp('x').Valid() || !BinlogReplicaRename.Valid() {
		t.Error("Valid")
	}
}

func TestBinlogMalformed(t *testing.T) {
	name := "M00/00/00/fwACFWsCGnmAR8_5AAAAEGMoKLE123.txt"
	cases := []struct {
		line string
		want error
	}{
		{"1795300373 L  " + name + "\n", ErrBinlogEmptyName}, // C's broken slave-link line
		{"1795300373 l  " + name + "\n", ErrBinlogEmptyName}, // C's broken SYNC_CREATE_LINK replica line
		{"1795300373 C \n", ErrBinlogEmptyName},
		{"1795300373 C\n", errBinlogFields},
		{"1795300373\n", errBinlogFields},
		{"\n", errBinlogFields},
		{"17953x0373 C " + name + "\n", errBinlogTimestamp},
		{"-1 C " + name + "\n", errBinlogTimestamp},
		{" C " + name + "\n", errBinlogTimestamp},
		{"99999999999999999999 C " + name + "\n", errBinlogTimestamp},
		{"1795300373 X " + name + "\n", errBinlogOp},
		{"1795300373 CC " + name + "\n", errBinlogOp},
		{"1795300373 C " + name + " extra\n", errBinlogSpace},
		{"1795300373 C " + name + " \n", errBinlogSpace},
		{"1795300373 A " + name + " 16\n", errBinlogExtraInts},
		{"1795300373 A " + name + "\n", errBinlogExtraInts},
		{"1795300373 T " + name + " 16 x\n", errBinlogExtraInts},
		{"1795300373 M " + name + " 1 2 3\n", errBinlogExtraInts},
		{"1795300373 R " + name + "\n", errBinlogSrcMissing},
		{"1795300373 L " + name + " \n", errBinlogSrcMissing},
		{"1795300373 R " + name + " a b\n", errBinlogSpace},
		{"1795300373 C " + strings.Repeat("x", 128) + "\n", errBinlogRestLen},
		{"1795300373 L " + name + " " + strings.Repeat("y", 127-len(name)) + "\n", errBinlogRestLen},
		{strings.Repeat("1", 255) + "\n", errBinlogTooLong},
	}
	for _, c := range cases {
		var r BinlogRecord
		n, err := r.Parse([]byte(c.line + "1795300374 C " + name + "\n"))
		if err != c.want || n != len(c.line) {
			t.Errorf("%q: n=%d err=%v, want n=%d %v", c.line, n, err, len(c.line), c.want)
		}
		if !errors.Is(err, EINVAL) {
			t.Errorf("%q: %v is not EINVAL", c.line, err)
		}
	}
	// the longest line C reads: 254 bytes + '\n' (its buffer is 256 with the NUL)
	var r BinlogRecord
	long := []byte("1795300373 C " + strings.Repeat("x", 127) + "\n")
	if n, err := r.Parse(long); err != nil || n != len(long) {
		t.Errorf("127-byte name: %d %v", n, err)
	}
	if n, err := r.Parse([]byte("1795300373 C M00/00")); n != 0 || err != ErrBinlogPartial {
		t.Errorf("partial: %d %v", n, err)
	}
	if n, err := r.Parse(bytes.Repeat([]byte("x"), 300)); n != 0 || !errors.Is(err, EINVAL) {
		t.Errorf("no newline in 300 bytes: %d %v", n, err)
	}
	if n, err := r.Parse(nil); n != 0 || err != ErrBinlogPartial {
		t.Errorf("empty: %d %v", n, err)
	}
}

func TestBinlogZeroAlloc(t *testing.T) {
	line := []byte("1795299937 R M00/00/00/fwACFWsCGmCAG1o-AAAAM4y_Rpo504.txt M00/00/00/fwACFWsCGliEMkJ_AAAAAOO0a4Y504.txt\n")
	bad := []byte("1795300373 L  M00/00/00/fwACFWsCHBWAUtM8AAAAKfB1Juc998.jpg\n")
	buf := make([]byte, 0, BinlogMaxLine)
	var r BinlogRecord
	n := testing.AllocsPerRun(1000, func() {
		if _, err := r.Parse(line); err != nil {
			t.Fatal(err)
		}
		buf = r.Append(buf[:0])
		if _, err := r.Parse(bad); err != ErrBinlogEmptyName {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Fatalf("%v allocations per binlog parse+format", n)
	}
	if !bytes.Equal(buf, line) {
		t.Fatalf("formatted %q", buf)
	}
}

func BenchmarkBinlogParse(b *testing.B) {
	line := []byte("1795299919 A M00/00/00/fwACFWsCGnmAR8_5AAAAEGMoKLE123.txt 16 35\n")
	var r BinlogRecord
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if _, err := r.Parse(line); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBinlogFormat(b *testing.B) {
	r := BinlogRecord{Timestamp: 1795299919, Op: BinlogAppend,
		Filename: []byte("M00/00/00/fwACFWsCGnmAR8_5AAAAEGMoKLE123.txt"), Offset: 16, Length: 35}
	buf := make([]byte, 0, BinlogMaxLine)
	b.ReportAllocs()
	for b.Loop() {
		buf = r.Append(buf[:0])
	}
}

func FuzzBinlogRecord(f *testing.F) {
	for _, data := range capturedBinlogs(f) {
		for line := range bytes.Lines(data) {
			f.Add(line)
		}
		f.Add(data)
	}
	f.Add([]byte("1795300373 L  M00/00/00/x.jpg\n"))
	f.Add([]byte("1 T a 1 2\n"))
	f.Add(append(bytes.Repeat([]byte("1"), 300), '\n'))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r BinlogRecord
		n, err := r.Parse(b)
		switch {
		case n < 0 || n > len(b) || n > BinlogMaxLine && err == nil:
			t.Fatalf("Parse consumed %d of %d bytes, err %v", n, len(b), err)
		case n == 0:
			if err == nil || bytes.IndexByte(b[:min(len(b), BinlogMaxLine)], '\n') >= 0 {
				t.Fatalf("nothing consumed from %q, err %v", b, err)
			}
			return
		case b[n-1] != '\n' || bytes.IndexByte(b[:n-1], '\n') >= 0:
			t.Fatalf("consumed %d bytes, not one line of %q", n, b)
		case err != nil:
			if !errors.Is(err, EINVAL) {
				t.Fatalf("malformed line error %v is not EINVAL", err)
			}
			return
		}
		line := r.Append(nil)
		if len(line) != r.Size() || len(line) > n {
			t.Fatalf("%q formatted as %q (Size %d)", b[:n], line, r.Size())
		}
		var again BinlogRecord
		if m, err := again.Parse(line); err != nil || m != len(line) || !bytes.Equal(again.Append(nil), line) {
			t.Fatalf("%q does not parse back: %d %v", line, m, err)
		}
		// canonical input (no leading zeros) formats back byte for byte
		if !bytes.HasPrefix(b, []byte("0")) && !bytes.Contains(b[:n], []byte(" 0")) && !bytes.Equal(line, b[:n]) {
			t.Fatalf("%q formatted as %q", b[:n], line)
		}
	})
}

// ---- trunk binlog ----------------------------------------------------------

func TestTrunkBinlogRecord(t *testing.T) {
	line := "1795300000 A 0 10 230 4294967295 1024 512\n"
	var r TrunkBinlogRecord
	n, err := r.Parse([]byte(line + "next"))
	if err != nil || n != len(line) {
		t.Fatalf("%d %v", n, err)
	}
	want := TrunkBinlogRecord{Timestamp: 1795300000, Op: TrunkBinlogAdd,
		Trunk: TrunkInfo{SubPathHigh: 10, SubPathLow: 230, FileID: -1, Offset: 1024, SlotSize: 512}}
	if r != want {
		t.Errorf("parsed %+v", r)
	}
	if got := string(r.Append(nil)); got != line || r.Size() != len(line) {
		t.Errorf("formatted %q (Size %d)", got, r.Size())
	}
	del := TrunkBinlogRecord{Timestamp: 5, Op: TrunkBinlogDelete, Trunk: TrunkInfo{StorePathIndex: 1, FileID: 7, SlotSize: 64}}
	if got := string(del.Append(nil)); got != "5 D 1 0 0 7 0 64\n" || del.Size() != len(got) {
		t.Errorf("formatted %q", got)
	}
	for _, bad := range []string{"1 A 0 0 0 1 0\n", "1 A 0 0 0 1 0 1 2\n", "1 X 0 0 0 1 0 1\n", "1 A 256 0 0 1 0 1\n",
		"1 A 0 0 0 4294967296 0 1\n", "1 A 0 0 0 1 2147483648 1\n", "1 A 0 0 0 1 -1 1\n", "1 AD 0 0 0 1 0 1\n",
		"1 A 0 0 0 1 0 1 \n", strings.Repeat("1", 127) + "\n"} {
		if n, err := r.Parse([]byte(bad)); n != len(bad) || !errors.Is(err, EINVAL) {
			t.Errorf("%q: %d %v", bad, n, err)
		}
	}
	if n, err := r.Parse([]byte("1 A 0")); n != 0 || err != ErrTrunkBinlogPartial {
		t.Errorf("partial: %d %v", n, err)
	}
}

func FuzzTrunkBinlogRecord(f *testing.F) {
	f.Add([]byte("1795300000 A 0 10 230 4294967295 1024 512\n"))
	f.Add([]byte("5 D 1 0 0 7 0 64\n1 A"))
	f.Add([]byte("\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r TrunkBinlogRecord
		n, err := r.Parse(b)
		if n < 0 || n > len(b) || n == 0 && err == nil || n > TrunkBinlogMaxLine && err == nil {
			t.Fatalf("Parse(%q) = %d, %v", b, n, err)
		}
		if n > 0 && b[n-1] != '\n' {
			t.Fatalf("consumed %d bytes of %q", n, b)
		}
		if err != nil {
			return
		}
		line := r.Append(nil)
		var again TrunkBinlogRecord
		if m, err := again.Parse(line); err != nil || m != len(line) || again != r || len(line) != r.Size() {
			t.Fatalf("%q -> %q does not parse back: %v", b[:n], line, err)
		}
	})
}
