package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A normal file ID is decoded without any network (the conf names a tracker
// nobody listens on) and printed in the C tool's layout
// (vectors/client/file_info.out).
func TestNormalFileDecodedLocally(t *testing.T) {
	time.Local = time.UTC
	cf := filepath.Join(t.TempDir(), "client.conf")
	os.WriteFile(cf, []byte("tracker_server = 127.0.0.1:1\n"), 0o644)
	var out bytes.Buffer
	// client.md §7.2 worked example
	if rc := run([]string{cf, "group1/M00/00/00/wKgAZl9hKxOAV5bOAAAKmQ0oXv8683.png"}, &out); rc != 0 {
		t.Fatalf("exit %d", rc)
	}
	want := strings.Join([]string{
		"GET FROM SERVER: false", "",
		"file type: normal",
		"source storage id: 0",
		"source ip address: 192.168.0.102",
		"file create timestamp: 2020-09-15 20:58:59",
		"file size: 2713",
		"file crc32: 220749567 (0x0d285eff)", "", ""}, "\n")
	if out.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestStorageIDSource(t *testing.T) {
	i, err := decodeLocal("group1/M00/00/00/oYYBAF9hKxOAV5bOAAAKmQ0oXv8683.png")
	if err != nil {
		t.Fatal(err)
	}
	if i.sourceID != "100001" || i.sourceIP != "" || i.kind != "normal" {
		t.Fatalf("%+v", i)
	}
}

func TestAppenderAsksTheStorage(t *testing.T) {
	i, err := decodeLocal("group1/M00/00/00/wKgAZl9hKxOEV5bOAAAAAA0oXv8683.png")
	if err != nil || i.kind != "appender" {
		t.Fatalf("%+v %v", i, err)
	}
	cf := filepath.Join(t.TempDir(), "client.conf")
	os.WriteFile(cf, []byte("tracker_server = 127.0.0.1:1\nconnect_timeout = 1\n"), 0o644)
	var out bytes.Buffer
	if rc := run([]string{cf, "group1/M00/00/00/wKgAZl9hKxOEV5bOAAAAAA0oXv8683.png"}, &out); rc == 0 {
		t.Fatal("appender info without a reachable tracker succeeded")
	}
}

func TestBadFileID(t *testing.T) {
	var out bytes.Buffer
	for _, id := range []string{"nogroup", "group1/M00/00/00/short.png"} {
		if rc := run([]string{"/nonexistent.conf", id}, &out); rc != 22 {
			t.Errorf("%q: exit %d, want 22 (EINVAL)", id, rc)
		}
	}
}

// C's FDFSFileInfo.crc32 is an int printed with %d; -n leaves out a CRC the
// storage did not compute (0) but keeps one it has.
func TestCRCLine(t *testing.T) {
	time.Local = time.UTC
	for _, c := range []struct {
		i    info
		want string
	}{
		{info{crc: 0xe224ee95}, "file crc32: -500896107 (0xe224ee95)\n\n"},
		{info{crc: 0x0e10ba5d}, "file crc32: 235977309 (0x0e10ba5d)\n\n"},
		{info{noCRC: true}, "file size: 0\n\n"},
		{info{noCRC: true, crc: 7}, "file crc32: 7 (0x00000007)\n\n"},
	} {
		var out bytes.Buffer
		c.i.print(&out)
		if !strings.HasSuffix(out.String(), c.want) {
			t.Errorf("%+v printed\n%s\nwant it to end with\n%s", c.i, out.String(), c.want)
		}
	}
}

func TestOptionsBeforeOperands(t *testing.T) {
	time.Local = time.UTC
	cf := filepath.Join(t.TempDir(), "client.conf")
	os.WriteFile(cf, []byte("tracker_server = 127.0.0.1:1\n"), 0o644)
	var out bytes.Buffer
	if rc := run([]string{"-s", "-n", cf, "group1/M00/00/00/wKgAZl9hKxOAV5bOAAAKmQ0oXv8683.png"}, &out); rc != 0 ||
		!strings.Contains(out.String(), "file crc32: 220749567 (0x0d285eff)\n") {
		t.Fatalf("exit %d:\n%s", rc, out.String())
	}
	if rc := run([]string{"-x", cf, "group1/M00/00/00/wKgAZl9hKxOAV5bOAAAKmQ0oXv8683.png"}, &out); rc != 1 {
		t.Fatalf("unknown option: exit %d", rc)
	}
}
