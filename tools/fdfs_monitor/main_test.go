package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/codec/capture"
	"github.com/gofdfs/gofdfs/conf"
)

// TestGoldenList prints the LIST_ALL_GROUPS and LIST_STORAGE replies the C
// fdfs_monitor (V6.16.1) got in the capture and compares with what it printed.
// Every line is compared byte for byte; only the tracker count/index and
// address of the header come from the tool's own conf, so they are set here
// to the capture's (one tracker, 127.0.0.10:22122).
func TestGoldenList(t *testing.T) {
	dir, err := capture.Dir()
	if err != nil {
		t.Skip(err)
	}
	ex, err := capture.LoadFile(filepath.Join(dir, "client", "fdfs_monitor.payload.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(dir, "client", "fdfs_monitor.out"))
	if err != nil {
		t.Fatal(err)
	}
	var groupsBody []byte
	storageBodies := map[string][]byte{}
	for _, e := range ex {
		if e.Reply == nil || e.Reply.Status != 0 {
			continue
		}
		switch e.Request.Cmd {
		case codec.CmdServerListAllGroups:
			groupsBody = e.Reply.Body
		case codec.CmdServerListStorage:
			var req codec.ListStorageRequest
			if err := req.Decode(e.Request.Body); err != nil {
				t.Fatal(err)
			}
			storageBodies[string(req.GroupName)] = e.Reply.Body
		}
	}
	if groupsBody == nil {
		t.Fatal("no LIST_ALL_GROUPS reply in the capture")
	}
	groups, err := codec.DecodeGroupStats(nil, groupsBody, codec.ListV6_15)
	if err != nil {
		t.Fatal(err)
	}
	r := &report{TrackerCount: 1, TrackerIndex: 0, Tracker: "127.0.0.10:22122", Groups: groups}
	for _, g := range groups {
		b, ok := storageBodies[string(g.GroupName)]
		if !ok {
			t.Fatalf("no LIST_STORAGE reply for %s", g.GroupName)
		}
		ss, err := codec.DecodeStorageStats(nil, b, codec.ListV6_15)
		if err != nil {
			t.Fatal(err)
		}
		r.Storages = append(r.Storages, ss)
	}

	saved := time.Local
	time.Local = time.UTC
	defer func() { time.Local = saved }()
	var got bytes.Buffer
	r.print(&got)
	if got.String() == string(want) {
		return
	}
	gl, wl := strings.Split(got.String(), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(gl), len(wl)); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Errorf("line %d:\n got %q\nwant %q", i+1, g, w)
		}
	}
}

func TestDelayText(t *testing.T) {
	for _, c := range []struct {
		d    int64
		want string
	}{
		{-5, "(0 second delay)"}, {0, "(0 second delay)"}, {1, "(1 second delay)"}, {3, "(3 seconds delay)"}, {61, "(01m:01s delay)"},
		{3661, "(01h:01m:01s delay)"}, {90061, "(1 days 01h:01m:01s delay)"},
	} {
		if got := delayText(c.d); got != c.want {
			t.Errorf("delayText(%d) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestCaptions(t *testing.T) {
	if rwCaption(codec.RWModeBoth) != "both (normal)" || rwCaption(codec.RWModeRead) != "readonly" ||
		rwCaption(codec.RWModeWrite) != "writeonly" || rwCaption(codec.RWModeNone) != "none (disabled)" {
		t.Error("rw captions")
	}
}

func TestUsageAndBadTracker(t *testing.T) {
	var out, errw bytes.Buffer
	if rc := run(nil, &out, &errw); rc != 1 || !strings.HasPrefix(out.String(), "Usage: fdfs_monitor <config_file>") {
		t.Errorf("no args: rc=%d out=%q", rc, out.String())
	}
	confPath := filepath.Join(t.TempDir(), "client.conf")
	if err := os.WriteFile(confPath, []byte("base_path=/tmp\ntracker_server=127.0.0.1:22122\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if rc := run([]string{confPath, "-h", "127.0.0.9:22122"}, &out, &errw); rc != 2 ||
		out.String() != "tracker server: 127.0.0.9:22122 not exists!\n" {
		t.Errorf("bad -h: rc=%d out=%q stderr=%q", rc, out.String(), errw.String())
	}
	if i := findTrackerIn(t, confPath, "127.0.0.1"); i != 0 {
		t.Errorf("findTracker(127.0.0.1) = %d", i)
	}
}

func findTrackerIn(t *testing.T, path, s string) int {
	t.Helper()
	cfg, err := conf.LoadClient(path)
	if err != nil {
		t.Fatal(err)
	}
	return findTracker(cfg, s)
}
