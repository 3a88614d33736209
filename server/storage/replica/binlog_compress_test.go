package replica

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
)

// writeRotatedBinlog appends n create records to a binlog that rotates
// every few lines and returns the lines in order.
func writeRotatedBinlog(t *testing.T, dir string, n int) (*Binlog, []string) {
	t.Helper()
	b, err := OpenBinlog(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	b.rotateSize = 150
	var lines []string
	for i := range n {
		rec := codec.BinlogRecord{Timestamp: int64(1700000000 + i), Op: codec.BinlogOp('C'),
			Filename: []byte(fmt.Sprintf("M00/00/00/file%04d.bin", i))}
		if err := b.Append(&rec); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(rec.Append(nil)))
	}
	if b.WriteIndex() < 3 {
		t.Fatalf("binlog did not rotate: write index %d", b.WriteIndex())
	}
	return b, lines
}

// readFrom reads records from (index, off) to the end.
func readFrom(t *testing.T, b *Binlog, index int, off int64) []string {
	t.Helper()
	rd := NewReader(b.Dir(), index, off)
	defer rd.Close()
	var got []string
	var rec codec.BinlogRecord
	for {
		_, err := rd.Next(&rec, b.WriteIndex())
		if err == ErrEnd {
			return got
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(rec.Append(nil)))
	}
}

// Files below the write index are gzip'ed in place with C's names and
// index; a reader positioned inside a compressed file (a pusher's mark)
// goes on from its offset, the file restored as C's reader does; the next
// pass compresses it again.
func TestBinlogCompressAndReadAcross(t *testing.T) {
	dir := t.TempDir()
	b, lines := writeRotatedBinlog(t, filepath.Join(dir, "data"), 20)
	sync := b.Dir()
	w := b.WriteIndex()
	n, err := CompressBinlogs(b, w)
	if err != nil || n != w {
		t.Fatalf("compressed %d of %d files: %v", n, w, err)
	}
	for i := range w {
		if exists(filepath.Join(sync, BinlogFileName(i))) || !exists(filepath.Join(sync, binlogGzName(i))) {
			t.Fatalf("binlog %d not replaced by its .gz", i)
		}
		if exists(filepath.Join(sync, binlogFlagName(i))) {
			t.Fatalf("flag of binlog %d left behind", i)
		}
	}
	if !exists(filepath.Join(sync, BinlogFileName(w))) {
		t.Fatal("the file being written was compressed")
	}
	idx, _ := os.ReadFile(filepath.Join(sync, "binlog_index.dat"))
	if want := fmt.Sprintf("current_write=%d\ncurrent_compress=%d\n", w, w); string(idx) != want {
		t.Fatalf("binlog_index.dat %q, want %q", idx, want)
	}
	if gz, err := exec.LookPath("gzip"); err == nil { // the format gzip(1), i.e. C, reads
		out, err := exec.Command(gz, "-dc", filepath.Join(sync, binlogGzName(0))).Output()
		if err != nil || !strings.HasPrefix(strings.Join(lines, ""), string(out)) || len(out) == 0 {
			t.Fatalf("gzip -dc of binlog.000.gz: %v %q", err, out)
		}
	}

	all := readFrom(t, b, 0, 0)
	if strings.Join(all, "") != strings.Join(lines, "") {
		t.Fatalf("reading across compressed files:\n%q\nwant\n%q", all, lines)
	}
	plain1, err := os.ReadFile(filepath.Join(sync, BinlogFileName(1)))
	if err != nil {
		t.Fatal("binlog.001 not restored by the reader:", err)
	}
	// a pusher's mark: one line into binlog.001
	first1 := 0
	for !strings.HasPrefix(string(plain1), lines[first1]) {
		first1++
	}
	second := strings.Index(string(plain1), "\n") + 1
	if _, err := CompressBinlogs(b, w); err != nil { // compressed again
		t.Fatal(err)
	}
	got := readFrom(t, b, 1, int64(second))
	if want := lines[first1+1:]; strings.Join(got, "") != strings.Join(want, "") {
		t.Fatalf("from the mark (binlog.001, %d):\n%q\nwant\n%q", second, got, want)
	}
}

// A .gz made by gzip(1), as a C storage leaves them, is read.
func TestBinlogReadsGzipOfC(t *testing.T) {
	gz, err := exec.LookPath("gzip")
	if err != nil {
		t.Skip("gzip not in PATH")
	}
	dir := t.TempDir()
	b, lines := writeRotatedBinlog(t, filepath.Join(dir, "data"), 16)
	if out, err := exec.Command(gz, filepath.Join(b.Dir(), BinlogFileName(0))).CombinedOutput(); err != nil {
		t.Fatalf("gzip: %v %s", err, out)
	}
	got := readFrom(t, b, 0, 0)
	if !bytes.Equal([]byte(strings.Join(got, "")), []byte(strings.Join(lines, ""))) {
		t.Fatalf("got\n%q\nwant\n%q", got, lines)
	}
}
