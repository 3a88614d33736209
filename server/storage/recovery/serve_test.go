package recovery

import (
	"bytes"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/diskio"
	"github.com/gofdfs/gofdfs/server/storage/replica"
)

// The FETCH_ONE_PATH_BINLOG reply, byte for byte: header with
// INFINITE_FILE_SIZE, the path's create/link/rename records re-typed by
// what the disk holds (C's rules), the 8-byte count, nothing else.
func TestFetchPathBinlogStream(t *testing.T) {
	dir := t.TempDir()
	var paths []*diskio.StorePath
	for _, sp := range []string{"sp0", "sp1"} {
		if err := os.MkdirAll(filepath.Join(dir, sp), 0o755); err != nil {
			t.Fatal(err)
		}
		p, err := diskio.Open(filepath.Join(dir, sp), diskio.Options{SubdirCount: 4})
		if err != nil {
			t.Fatal(err)
		}
		defer p.CloseOpenFiles()
		paths = append(paths, p)
	}
	binlog, err := replica.OpenBinlog(filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	defer binlog.Close()
	s := &Source{Binlog: binlog, Paths: paths, Log: slog.New(slog.DiscardHandler)}
	data1 := filepath.Join(dir, "sp1", "data")
	write := func(rel string) {
		if err := os.WriteFile(filepath.Join(data1, rel), []byte(rel), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("00/00/aaa")
	write("00/00/ccc")
	write("00/00/ddd")
	if err := os.WriteFile(filepath.Join(dir, "sp0", "data", "00/00/zzz"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(data1, "00/00/aaa"), filepath.Join(data1, "00/01/bbb")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(data1, "00/00/nothere"), filepath.Join(data1, "00/00/lnk2")); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct {
		ts       int64
		op       byte
		name, sr string
	}{
		{100, 'C', "M01/00/00/aaa", ""},
		{101, 'c', "M01/00/01/bbb", ""},              // a symlink on disk: l with its target
		{102, 'L', "M01/00/00/ccc", "M01/00/00/aaa"}, // a regular file on disk: C
		{103, 'R', "M01/00/00/ddd", "M01/00/00/old"}, // a rename: create of the new name
		{104, 'C', "M01/00/00/gone", ""},             // not on disk: left out
		{105, 'D', "M01/00/00/aaa", ""},              // not a create: left out
		{106, 'C', "M00/00/00/zzz", ""},              // another path
		{107, 'L', "M01/00/00/lnk2", "M01/00/00/nothere"},
	} {
		rec := codec.BinlogRecord{Timestamp: r.ts, Op: codec.BinlogOp(r.op), Filename: []byte(r.name), SrcFilename: []byte(r.sr)}
		if err := binlog.Append(&rec); err != nil {
			t.Fatal(err)
		}
	}
	want := "100 C M01/00/00/aaa\n101 l M01/00/01/bbb M01/00/00/aaa\n102 C M01/00/00/ccc\n103 C M01/00/00/ddd\n"

	client, server := net.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := s.Stream(server, 1)
		server.Close()
		done <- err
	}()
	got, err := io.ReadAll(client)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var exp []byte
	exp = append(exp, 0x04, 0, 0, 0, 0, 0, 0, 0, 100, 0) // 2^58, RESP, status 0
	exp = append(exp, want...)
	exp = binary.BigEndian.AppendUint64(exp, uint64(len(want)))
	if !bytes.Equal(got, exp) {
		t.Fatalf("stream\n%q\nwant\n%q", got, exp)
	}
}

// TestCheckFetchRequest: the body is group + signed path index; another
// group, a negative or too large index and a wrong length are refused.
func TestCheckFetchRequest(t *testing.T) {
	body := func(group string, idx int8) []byte {
		b := make([]byte, FetchPathBinlogBodyLen)
		copy(b, group)
		b[codec.GroupNameSize] = byte(idx)
		return b
	}
	if idx, err := CheckFetchRequest(body("group1", 1), []byte("group1"), 2); err != nil || idx != 1 {
		t.Fatalf("good request: %d, %v", idx, err)
	}
	for name, b := range map[string][]byte{
		"other group":    body("group2", 0),
		"group prefix":   body("group", 0),
		"negative index": body("group1", -1),
		"index too big":  body("group1", 2),
		"short body":     body("group1", 0)[:codec.GroupNameSize],
	} {
		if _, err := CheckFetchRequest(b, []byte("group1"), 2); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
