package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestCRC32OfAFile(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ body, want string }{
		// the CRC fdfs_file_info reports of hello.txt (client.md, file_info.out)
		{"hello fastdfs\n", "e10ba5d\n"},
		{"", "0\n"},
		{"123456789", "cbf43926\n"},
	} {
		p := filepath.Join(dir, "f")
		if err := os.WriteFile(p, []byte(c.body), 0o644); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if code := run([]string{p}, &out); code != 0 || out.String() != c.want {
			t.Errorf("crc32 of %q: exit %d, %q, want %q", c.body, code, out.String(), c.want)
		}
	}
}

func TestCRC32Errors(t *testing.T) {
	var out bytes.Buffer
	missing := filepath.Join(t.TempDir(), "missing")
	if code := run([]string{missing}, &out); code != 2 ||
		out.String() != "open file "+missing+" fail, errno: 2, error info: No such file or directory\n" {
		t.Fatalf("missing file: exit %d, %q", code, out.String())
	}
	out.Reset()
	if code := run(nil, &out); code != 1 || out.String() != "Usage: fdfs_crc32 <filename>\n" {
		t.Fatalf("no args: exit %d, %q", code, out.String())
	}
}
