package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/internal/testcluster"
)

// The generator is tested the way it is used: the built fdfs_bench binary,
// given nothing but a client.conf, against our daemons started as separate
// processes on loopback addresses and ports no default conf uses.

// builder builds the daemons and fdfs_bench once for the test binary.
var builder testcluster.Builder

func tools(t *testing.T) string {
	t.Helper()
	return builder.MustBin(t, "fdfs_trackerd", "fdfs_storaged", "fdfs_bench")
}

func TestMain(m *testing.M) {
	code := m.Run()
	builder.Remove()
	os.Exit(code)
}

func startTestCluster(t *testing.T) *Cluster {
	t.Helper()
	bin := tools(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	c, err := StartCluster(ctx, ClusterOptions{Bin: bin, Dir: t.TempDir(), Net: "127.0.8"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	return c
}

// benchRun runs fdfs_bench with args and -json and returns the parsed last
// line, the exit code and everything it printed.
func benchRun(t *testing.T, args ...string) (Result, int, string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(tools(t), "fdfs_bench"), append(args, "-json")...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	res, perr := ParseResult(out.String())
	if perr != nil {
		t.Fatalf("fdfs_bench %v: exit %d, %v\nstdout:\n%s\nstderr:\n%s", args, code, perr, out.String(), errb.String())
	}
	return res, code, out.String() + errb.String()
}

func countFiles(t *testing.T, dirs ...string) int {
	t.Helper()
	n := 0
	for _, d := range dirs {
		filepath.WalkDir(filepath.Join(d, "data"), func(p string, e os.DirEntry, err error) error {
			if err == nil && !e.IsDir() && strings.HasSuffix(p, ".dat") {
				n++
			}
			return nil
		})
	}
	return n
}

func TestEveryOpAgainstOurCluster(t *testing.T) {
	c := startTestCluster(t)
	conf := []string{"-conf", c.ClientConf, "-quiet", "-warmup", "200ms", "-duration", "30s"}
	ops := []struct {
		name string
		args []string
	}{
		{"upload", []string{"-op", "upload", "-size", "4096", "-concurrency", "4", "-count", "40", "-cleanup=false"}},
		{"download", []string{"-op", "download", "-size", "3000", "-concurrency", "4", "-count", "60", "-files", "7"}},
		{"mixed", []string{"-op", "mixed", "-size", "1000", "-concurrency", "3", "-count", "50"}},
		{"delete", []string{"-op", "delete", "-size", "100", "-concurrency", "2", "-count", "30"}},
		{"query", []string{"-op", "query", "-concurrency", "2", "-count", "100"}},
		{"idle", []string{"-op", "idle", "-concurrency", "4", "-count", "300", "-hold", "300ms"}},
		{"large upload", []string{"-op", "upload", "-size", "5M", "-concurrency", "1", "-count", "2", "-dir", t.TempDir()}},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			res, code, out := benchRun(t, append(append([]string{}, conf...), op.args...)...)
			if code != 0 || res.Errors != 0 || res.Aborted != "" {
				t.Fatalf("exit %d, %+v\n%s", code, res, out)
			}
			var want int64
			fmt.Sscan(op.args[slicesIndex(op.args, "-count")+1], &want)
			if res.Ops != want || res.OpsPerSec <= 0 || res.P50ms <= 0 || res.P99ms < res.P50ms || res.P999ms < res.P99ms {
				t.Fatalf("%+v", res)
			}
			if res.Op != "query" && res.Op != "idle" && res.Op != "delete" && res.MiBPerSec <= 0 {
				t.Fatalf("no bytes moved: %+v", res)
			}
			if !strings.Contains(out, "ops/s") || !strings.Contains(out, "p999 ms") {
				t.Fatalf("no summary table:\n%s", out)
			}
		})
	}
	// -cleanup=false left the 40 uploads on disk; the default runs took
	// theirs away again
	if n := countFiles(t, c.StorePaths...); n < 40 {
		t.Fatalf("%d files on the storages after uploading 40", n)
	}

	// the download of one given stored file reports that file's size
	id, _, err := c.storeBigFile(context.Background(), t.TempDir(), 6<<20)
	if err != nil {
		t.Fatal(err)
	}
	res, code, out := benchRun(t, append(append([]string{}, conf...), "-op", "download", "-id", id, "-count", "3")...)
	if code != 0 || res.Ops != 3 || res.Size != 6<<20 || res.MiBPerSec <= 0 {
		t.Fatalf("download -id: exit %d %+v\n%s", code, res, out)
	}

	// replication lag: measured once the group replicates, a bounded and
	// clear refusal while it does not
	res, code, out = benchRun(t, append(append([]string{}, conf...), "-op", "repl", "-count", "5", "-repl-timeout", "500ms")...)
	switch {
	case code == 0 && res.Ops == 5 && res.P50ms > 0:
		t.Logf("replication lag p50 %.3f ms p99 %.3f ms", res.P50ms, res.P99ms)
	case code == 3 && strings.Contains(res.Aborted, "is replication running?") && res.Seconds < 5:
		t.Logf("replication not running: %s", res.Aborted)
	default:
		t.Fatalf("repl: exit %d %+v\n%s", code, res, out)
	}
}

func slicesIndex(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

func TestProbes(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"-op", "sendfile-probe", "-size", "4096", "-concurrency", "3", "-count", "200"},
		{"-op", "sendfile-probe", "-size", "6M", "-count", "3", "-dir", dir},
		{"-op", "disk-probe", "-size", "2M", "-count", "3", "-dir", dir},
	} {
		res, code, out := benchRun(t, append(args, "-quiet", "-warmup", "100ms")...)
		if code != 0 || res.Errors != 0 || res.Ops == 0 || res.MiBPerSec <= 0 {
			t.Fatalf("%v: exit %d %+v\n%s", args, code, res, out)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
		t.Fatalf("probes left %v", left)
	}
}

// A tracker nobody listens on: the run ends after a few failures, at once,
// with a result that says why (not after -count or -duration).
func TestDeadClusterStopsEarly(t *testing.T) {
	port := testcluster.Port(t, "127.0.8.9")
	conf := filepath.Join(t.TempDir(), "client.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("base_path = /tmp\ntracker_server = 127.0.8.9:%d\nconnect_timeout = 2\n", port)), 0o644)
	start := time.Now()
	res, code, out := benchRun(t, "-conf", conf, "-op", "query", "-count", "100000", "-duration", "1m", "-quiet")
	if code != 3 || res.Errors < hopelessErrors || !strings.Contains(res.Aborted, "no success") || time.Since(start) > 20*time.Second {
		t.Fatalf("exit %d after %v: %+v\n%s", code, time.Since(start), res, out)
	}
}

func TestRefusesTrackersOffLoopback(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "client.conf")
	os.WriteFile(conf, []byte("base_path = /tmp\ntracker_server = 192.0.2.7:22122\n"), 0o644)
	cmd := exec.Command(filepath.Join(tools(t), "fdfs_bench"), "-conf", conf, "-op", "query", "-count", "1")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "not on loopback") {
		t.Fatalf("%v: %s", err, out)
	}
}

// A daemon that dies while the cluster starts ends the start at once with
// its last words, and the others are stopped (no hang, no orphan).
func TestClusterStartReportsADeadDaemon(t *testing.T) {
	real := tools(t)
	bin := t.TempDir()
	if err := os.Symlink(filepath.Join(real, "fdfs_trackerd"), filepath.Join(bin, "fdfs_trackerd")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(bin, "fdfs_storaged"), []byte("#!/bin/sh\necho 'store_path0: no space left on device' >&2\nexit 1\n"), 0o755)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	c, err := StartCluster(ctx, ClusterOptions{Bin: bin, Dir: t.TempDir(), Net: "127.0.8"})
	if err == nil {
		c.Stop()
		t.Fatal("cluster started without a storage")
	}
	if !strings.Contains(err.Error(), "exited at start") || !strings.Contains(err.Error(), "no space left on device") ||
		time.Since(start) > 20*time.Second {
		t.Fatalf("after %v: %v", time.Since(start), err)
	}
}
