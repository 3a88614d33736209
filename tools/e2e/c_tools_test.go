package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cCluster is a C 6.16 tracker and storage (the reference build in PATH) on
// 127.0.7.31 and .32, stopped when the test ends.
type cCluster struct {
	dir, clientConf string
}

func startCCluster(t *testing.T) *cCluster {
	t.Helper()
	for _, name := range []string{"fdfs_trackerd", "fdfs_storaged", "fdfs_volumn_stat", "fdfs_monitor"} {
		if _, err := exec.LookPath(name); err != nil {
			t.Skipf("the C FastDFS reference (%s) is not installed: %v", name, err)
		}
	}
	dir := t.TempDir()
	tport, sport := freePort(t, "127.0.7.31"), freePort(t, "127.0.7.32")
	os.MkdirAll(filepath.Join(dir, "t"), 0o755)
	os.MkdirAll(filepath.Join(dir, "s"), 0o755)
	tconf := write(t, filepath.Join(dir, "tracker.conf"), fmt.Sprintf(
		"base_path = %s/t\nbind_addr = 127.0.7.31\nport = %d\nreserved_storage_space = 1%%\n", dir, tport))
	sconf := write(t, filepath.Join(dir, "storage.conf"), fmt.Sprintf(
		"group_name = group1\nbase_path = %s/s\nstore_path0 = %s/s\nbind_addr = 127.0.7.32\nport = %d\n"+
			"tracker_server = 127.0.7.31:%d\nheart_beat_interval = 1\nstat_report_interval = 1\n"+
			"subdir_count_per_path = 4\nthread_stack_size = 512KB\n", dir, dir, sport, tport))
	c := &cCluster{dir: dir, clientConf: write(t, filepath.Join(dir, "client.conf"), fmt.Sprintf(
		"base_path = %s\ntracker_server = 127.0.7.31:%d\nnetwork_timeout = 10\n", dir, tport))}
	for _, d := range []struct{ name, conf string }{{"fdfs_trackerd", tconf}, {"fdfs_storaged", sconf}} {
		if out, err := exec.Command(d.name, d.conf, "start").CombinedOutput(); err != nil {
			t.Fatalf("C %s start: %v\n%s", d.name, err, out)
		}
		t.Cleanup(func() { _ = exec.Command(d.name, d.conf, "stop").Run() })
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, _ := exec.Command("fdfs_monitor", c.clientConf).CombinedOutput()
		if strings.Contains(string(out), "ACTIVE") && strings.Contains(string(out), "disk total space") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("C storage never ACTIVE:\n%s", out)
		}
		time.Sleep(300 * time.Millisecond)
	}
	return c
}

// spaceLines are the lines of a monitor output that carry sizes.
func spaceLines(out string) string {
	var b strings.Builder
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, " space") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// TestSpaceFiguresLikeC runs C's fdfs_volumn_stat and fdfs_monitor and ours
// against one C tracker: the outputs must be the same byte for byte (C
// prints "2.5 GB", one decimal under 10 units, and volumn_stat's ", util:
// NN.NN%"). Free space can move between two runs, so a differing pair is
// run again a few times before it counts.
func TestSpaceFiguresLikeC(t *testing.T) {
	t.Parallel()
	c := startCCluster(t)
	ours := func(name string, args ...string) string {
		out, _ := exec.Command(filepath.Join(binDir, name), args...).CombinedOutput()
		return string(out)
	}
	theirs := func(name string, args ...string) string {
		out, _ := exec.Command(name, args...).CombinedOutput()
		return string(out)
	}
	for _, tc := range []struct {
		name string
		args []string
		cut  func(string) string
	}{
		{"fdfs_volumn_stat", []string{"-c", c.clientConf}, func(s string) string { return s }},
		{"fdfs_monitor", []string{c.clientConf}, spaceLines},
	} {
		var got, want string
		for range 5 {
			want = tc.cut(theirs(tc.name, tc.args...))
			got = tc.cut(ours(tc.name, tc.args...))
			if got == want {
				break
			}
			time.Sleep(time.Second)
		}
		if got != want || !strings.Contains(want, "B") {
			t.Errorf("%s: ours\n%s\nC\n%s", tc.name, got, want)
		}
		if tc.name == "fdfs_volumn_stat" && !strings.Contains(got, ", util: ") {
			t.Errorf("volumn stat without util: %q", got)
		}
	}
}
