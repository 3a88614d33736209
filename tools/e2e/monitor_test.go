package e2e

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestMonitorAgainstDaemons runs fdfs_monitor against a live tracker: the
// storage must be listed ACTIVE with its IP, and cannot be deleted while
// online.
func TestMonitorAgainstDaemons(t *testing.T) {
	t.Parallel() // each has its own daemons, dirs and ports
	c := startCluster(t)
	// an upload succeeding means the storage has joined and is ACTIVE
	c.upload(write(t, filepath.Join(c.dir, "m.txt"), "monitor\n"))

	out, code := c.run("fdfs_monitor", c.clientConf)
	if code != 0 {
		t.Fatalf("list: exit %d:\n%s", code, out)
	}
	for _, want := range []string{
		"tracker server count=1, current server index=0\n\ntracker server is " + c.trackerAddr + "\n\n",
		"group count: 1\n\nGroup 1:\ngroup name = group1\n",
		"\tStorage 1:\n\t\tid = 127.0.7.22\n",
		"\t\tread write mode = both (normal)\n",
		"\t\tstotal_download_bytes = ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("list output lacks %q:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`(?m)^\t\thost = 127\.0\.7\.22:\d+  ACTIVE$`).MatchString(out) {
		t.Errorf("storage not listed ACTIVE at 127.0.7.22:\n%s", out)
	}

	out, code = c.run("fdfs_monitor", c.clientConf, "-h", c.trackerAddr, "list", "group1")
	if code != 0 || strings.Contains(out, "group count:") || !strings.Contains(out, "\ngroup name = group1\n") {
		t.Fatalf("list group1: exit %d:\n%s", code, out)
	}

	out, _ = c.run("fdfs_monitor", c.clientConf, "delete", "group1", "127.0.7.22")
	if !strings.Contains(out, "delete storage server group1::127.0.7.22 fail, error no: 16, ") {
		t.Errorf("delete of an online storage:\n%s", out)
	}
}
