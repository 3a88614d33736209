package tracker

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
)

func writeData(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data", name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The CSV state files of old trackers are read when their new forms are
// missing, written in the new forms and deleted; a restart then reads the
// new files and knows the same.
func TestLegacyStateFilesConverted(t *testing.T) {
	dir := t.TempDir()
	writeData(t, dir, "storage_groups.dat", "group1,23000,2,256\ngroup2,23001\n")
	writeData(t, dir, "storage_servers.dat",
		// 22 columns: everything up to join time and version
		"group1,127.0.6.2,7,,0,10,9,4,4,3,3,20,19,2,2,1795290000,1795290001,0,23000,8888,1795280000,6.16.1\n"+
			// 17 columns: no changelog offset, port, join time or version
			"group1, 127.0.6.3 ,1,127.0.6.2,1795290005,1,1,0,0,0,0,0,0,0,0,0,0\n"+
			// 20 columns: the port of its own
			"group2,127.0.6.4,6,,0,0,0,0,0,0,0,0,0,0,0,0,0,99,23002,0\n")

	view := func() string {
		s := startTracker(t, testConf(t, dir), WithListenAddr("127.0.6.1:0"))
		defer stopTracker(t, s)
		c := newClient(t, s)
		var b strings.Builder
		groups, err := c.ListGroups(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range groups {
			name := string(codec.FixedBytes(g.GroupName))
			b.WriteString(name + " port=" + itoa(g.StoragePort) + " paths=" + itoa(g.StorePathCount) +
				" subdirs=" + itoa(g.SubdirCountPerPath) + "\n")
			list, err := c.ListStorages(context.Background(), name, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range list {
				b.WriteString("  " + string(codec.FixedBytes(st.ID)) + " status=" + itoa(int64(st.Status)) +
					" src=" + string(codec.FixedBytes(st.SrcID)) + " port=" + itoa(st.StoragePort) +
					" join=" + itoa(st.JoinTime) + " v=" + string(codec.FixedBytes(st.Version)) +
					" up=" + itoa(st.Stat.TotalUploadCount) + "/" + itoa(st.Stat.SuccessUploadCount) +
					" down=" + itoa(st.Stat.TotalDownloadCount) + "/" + itoa(st.Stat.SuccessDownloadCount) +
					" lsu=" + itoa(st.Stat.LastSourceUpdate) + "\n")
			}
		}
		return b.String()
	}
	want := "group1 port=23000 paths=2 subdirs=256\n" +
		"  127.0.6.2 status=5 src= port=23000 join=1795280000 v=6.16.1 up=10/9 down=20/19 lsu=1795290000\n" +
		"  127.0.6.3 status=1 src=127.0.6.2 port=23000 join=0 v= up=1/1 down=0/0 lsu=0\n" +
		"group2 port=23001 paths=0 subdirs=0\n" +
		"  127.0.6.4 status=5 src= port=23002 join=0 v= up=0/0 down=0/0 lsu=0\n"
	if got := view(); got != want {
		t.Fatalf("from the legacy files:\n%s\nwant\n%s", got, want)
	}
	for _, name := range []string{"storage_groups.dat", "storage_servers.dat"} {
		if _, err := os.Stat(filepath.Join(dir, "data", name)); !os.IsNotExist(err) {
			t.Errorf("%s not deleted after the conversion: %v", name, err)
		}
	}
	servers, err := os.ReadFile(filepath.Join(dir, "data", "storage_servers_new.dat"))
	if err != nil || !strings.Contains(string(servers), "\tip_addr=127.0.6.3\n\tstatus=1\n") {
		t.Errorf("storage_servers_new.dat %v:\n%s", err, servers)
	}
	if got := view(); got != want {
		t.Errorf("restarted from the converted files:\n%s\nwant\n%s", got, want)
	}
}

// A legacy file C would refuse stops the tracker with the file and line.
func TestLegacyStateFilesRejected(t *testing.T) {
	cases := []struct{ name, groups, servers, want string }{
		{"3 group columns", "group1,23000,2\n", "", "storage_groups.dat: line 1: 3 columns"},
		{"19 server columns", "group1,23000,1,256\n",
			"group1,127.0.6.2,7,,0,0,0,0,0,0,0,0,0,0,0,0,0,0,23000\n", "storage_servers.dat: line 1: 19 columns"},
		{"unknown group", "group1,23000,1,256\n",
			"group2,127.0.6.2,7,,0,0,0,0,0,0,0,0,0,0,0,0,0\n", `storage_servers.dat: line 1: unknown group "group2"`},
		{"unknown sync source", "group1,23000,1,256\n",
			"group1,127.0.6.2,1,127.0.6.9,0,0,0,0,0,0,0,0,0,0,0,0,0\n", `sync source "127.0.6.9"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeData(t, dir, "storage_groups.dat", c.groups)
			if c.servers != "" {
				writeData(t, dir, "storage_servers.dat", c.servers)
			}
			_, err := New(testConf(t, dir), WithLogger(testLogger(t)))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("New: %v, want an error with %q", err, c.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "data", "storage_groups.dat")); err != nil {
				t.Errorf("the legacy file is gone after a failed load: %v", err)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
