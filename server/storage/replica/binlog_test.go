package replica

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
)

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBinlogAppendReopenRotate(t *testing.T) {
	data := t.TempDir()
	b, err := OpenBinlog(data)
	if err != nil {
		t.Fatal(err)
	}
	sync := filepath.Join(data, "sync")
	if got := readFile(t, filepath.Join(sync, "binlog_index.dat")); got != "current_write=0\ncurrent_compress=0\n" {
		t.Fatalf("index %q", got)
	}
	name := []byte("M00/00/00/wKgAZl9hKxOAV5bOAAAKmQ0oXv8683.png")
	recs := []codec.BinlogRecord{
		{Timestamp: 1600203539, Op: codec.BinlogCreate, Filename: name},
		{Timestamp: 1600203540, Op: codec.BinlogAppend, Filename: name, Offset: 16, Length: 35},
		{Timestamp: 1600203541, Op: codec.BinlogRename, Filename: name, SrcFilename: []byte("M00/00/00/old")},
	}
	for i := range recs {
		if err := b.Append(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	want := "1600203539 C " + string(name) + "\n1600203540 A " + string(name) + " 16 35\n" +
		"1600203541 R " + string(name) + " M00/00/00/old\n"
	if got := readFile(t, filepath.Join(sync, "binlog.000")); got != want {
		t.Fatalf("binlog %q", got)
	}
	// Reopened, it appends; past the rotation size the next file starts
	// and the index follows.
	b, err = OpenBinlog(data)
	if err != nil {
		t.Fatal(err)
	}
	b.rotateSize = int64(len(want)) + 10
	if err := b.Append(&recs[0]); err != nil {
		t.Fatal(err)
	}
	if err := b.Append(&recs[0]); err != nil {
		t.Fatal(err)
	}
	b.Close()
	if got := readFile(t, filepath.Join(sync, "binlog.000")); !strings.HasPrefix(got, want) || strings.Count(got, "\n") != 4 {
		t.Fatalf("binlog.000 %q", got)
	}
	if got := readFile(t, filepath.Join(sync, "binlog.001")); got != "1600203539 C "+string(name)+"\n" {
		t.Fatalf("binlog.001 %q", got)
	}
	if got := readFile(t, filepath.Join(sync, "binlog_index.dat")); got != "current_write=1\ncurrent_compress=0\n" {
		t.Fatalf("index %q", got)
	}
}

func TestBinlogLegacyIndex(t *testing.T) {
	data := t.TempDir()
	sync := filepath.Join(data, "sync")
	os.MkdirAll(sync, 0o755)
	os.WriteFile(filepath.Join(sync, "binlog.index"), []byte("3\n"), 0o644)
	b, err := OpenBinlog(data)
	if err != nil {
		t.Fatal(err)
	}
	b.Append(&codec.BinlogRecord{Timestamp: 1, Op: codec.BinlogDelete, Filename: []byte("M00/00/00/x")})
	b.Close()
	if got := readFile(t, filepath.Join(sync, "binlog.003")); got != "1 D M00/00/00/x\n" {
		t.Fatalf("binlog.003 %q", got)
	}
	if got := readFile(t, filepath.Join(sync, "binlog_index.dat")); got != "current_write=3\ncurrent_compress=0\n" {
		t.Fatalf("index %q", got)
	}
}
