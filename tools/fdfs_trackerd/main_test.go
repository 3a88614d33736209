package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/internal/testcluster"
	"github.com/gofdfs/gofdfs/tools/internal/daemon"
)

// builder builds this command once for the package, as a user would run it.
var builder testcluster.Builder

func TestMain(m *testing.M) {
	code := m.Run()
	builder.Remove()
	os.Exit(code)
}

func buildTrackerd(t *testing.T) string {
	t.Helper()
	return builder.MustPath(t, "fdfs_trackerd")
}

func writeConf(t *testing.T, base, ip string, port int) string {
	t.Helper()
	path := filepath.Join(base, "tracker.conf")
	body := "base_path = " + base + "\nbind_addr = " + ip + "\nport = " + strconv.Itoa(port) + "\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func run(t *testing.T, bin string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testcluster.Eventually(t, what, 20*time.Second, 20*time.Millisecond, func() (bool, string) { return cond(), "" })
}

func TestStartServeStop(t *testing.T) {
	bin := buildTrackerd(t)
	base := t.TempDir()
	ip := "127.0.7.9"
	port := testcluster.Port(t, ip)
	cf := writeConf(t, base, ip, port)
	pidPath := filepath.Join(base, "data", "fdfs_trackerd.pid")

	if out, code := run(t, bin, cf, "start"); code != 0 {
		t.Fatalf("start: exit %d: %s", code, out)
	}
	b, err := os.ReadFile(pidPath)
	if err != nil {
		t.Fatalf("pid file: %v", err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid <= 0 || syscall.Kill(pid, 0) != nil {
		t.Fatalf("pid file names no live process: %q", b)
	}
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })

	// it answers as a tracker
	c, err := client.New(client.Config{Trackers: []string{net.JoinHostPort(ip, strconv.Itoa(port))}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if groups, err := c.ListGroups(ctx); err != nil || len(groups) != 0 {
		t.Fatalf("ListGroups on a fresh tracker: %v %v", groups, err)
	}

	if out, code := run(t, bin, cf, "start"); code == 0 || !strings.Contains(out, "already running") {
		t.Fatalf("second start: exit %d: %s", code, out)
	}

	// SIGHUP reopens the log after rotation
	logPath := filepath.Join(base, "logs", "trackerd.log")
	if err := os.Rename(logPath, logPath+".1"); err != nil {
		t.Fatal(err)
	}
	syscall.Kill(pid, syscall.SIGHUP)
	waitFor(t, "log file reopened", func() bool { _, err := os.Stat(logPath); return err == nil })

	if out, code := run(t, bin, cf, "stop"); code != 0 {
		t.Fatalf("stop: exit %d: %s", code, out)
	}
	// exited; maybe not reaped yet by init, which kill(pid, 0) would still find
	if daemon.Alive(pid) {
		t.Fatal("process still alive after stop")
	}
	if _, err := os.Stat(pidPath); !os.IsNotExist(err) {
		t.Fatal("pid file left behind after a clean stop")
	}
	log, _ := os.ReadFile(logPath)
	if !strings.Contains(string(log), "INFO - fdfs_trackerd exit normally.") {
		t.Fatalf("log after reopen lacks the exit line:\n%s", log)
	}
	first, _ := os.ReadFile(logPath + ".1")
	if !strings.HasPrefix(string(first), "[") || !strings.Contains(string(first), "] INFO - fdfs_trackerd started, pid ") {
		t.Fatalf("log not in C's format:\n%s", first)
	}
	for _, f := range []string{"storage_groups_new.dat", "storage_servers_new.dat"} { // .tracker_status: every 300 s, as C
		if _, err := os.Stat(filepath.Join(base, "data", f)); err != nil {
			t.Errorf("state file %s not written: %v", f, err)
		}
	}
	if out, code := run(t, bin, cf, "stop"); code != 0 || !strings.Contains(out, "not running") {
		t.Fatalf("stop when stopped: exit %d: %s", code, out)
	}
}

func TestStartFailuresAreReported(t *testing.T) {
	bin := buildTrackerd(t)
	base := t.TempDir()

	// a conf error names file and line
	bad := filepath.Join(base, "bad.conf")
	os.WriteFile(bad, []byte("base_path = "+base+"\n#@if %{X} in [a]\n"), 0o644)
	out, code := run(t, bin, bad, "start")
	if code == 0 || !strings.Contains(out, "bad.conf:2") {
		t.Fatalf("bad conf: exit %d: %s", code, out)
	}

	// the port is taken: start fails with the reason, no pid file stays
	ln, err := net.Listen("tcp", "127.0.7.9:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cf := writeConf(t, base, "127.0.7.9", ln.Addr().(*net.TCPAddr).Port)
	out, code = run(t, bin, cf, "start")
	// (gnet words a busy port as "setsockopt: bad file descriptor")
	if code == 0 || !strings.Contains(out, "listen on 127.0.7.9:") {
		t.Fatalf("busy port: exit %d: %s", code, out)
	}
	if _, err := os.Stat(filepath.Join(base, "data", "fdfs_trackerd.pid")); !os.IsNotExist(err) {
		t.Fatal("pid file left by a failed start")
	}

	if _, code := run(t, bin); code == 0 {
		t.Fatal("no arguments accepted")
	}
}
