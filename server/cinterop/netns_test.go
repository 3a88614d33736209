package cinterop

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// IPv6 tests need several IPv6 addresses on one host, and loopback has only
// ::1. They run in a network namespace of their own (unshare -n, so the
// host's interfaces are never touched): the test binary re-runs itself
// inside it with netnsEnv set, brings lo up and adds the addresses it uses.

const (
	netnsEnv = "GOFDFS_CINTEROP_NETNS" // set inside the namespace
	binEnv   = "GOFDFS_BIN"            // our daemons, built by the parent (testcluster.Builder)
)

// inNetns runs the calling test inside a new network namespace: in the
// parent it re-executes the test binary there and reports its outcome;
// inside it returns true and the test goes on.
func inNetns(t *testing.T) bool {
	t.Helper()
	if os.Getenv(netnsEnv) != "" {
		if out, err := exec.Command("ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
			t.Fatalf("ip link set lo up: %v %s", err, out)
		}
		return true
	}
	if runtime.GOOS != "linux" {
		t.Skip("network namespaces are Linux only")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("unshare (util-linux) not in PATH: IPv6 multi-address test skipped")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("ip (iproute2) not in PATH: IPv6 multi-address test skipped")
	}
	if out, err := exec.Command(unshare, "-n", "true").CombinedOutput(); err != nil {
		t.Skipf("cannot make a network namespace (%v %s): IPv6 multi-address test skipped", err, strings.TrimSpace(string(out)))
	}
	// our daemons are built here, where the module cache and network are
	binDir := filepath.Dir(ours(t, "fdfs_trackerd"))
	cmd := exec.Command(unshare, "-n", os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), netnsEnv+"=1", binEnv+"="+binDir)
	out, err := cmd.CombinedOutput()
	text := string(out)
	switch {
	case strings.Contains(text, "--- SKIP: "+t.Name()):
		t.Skip("inside the namespace:\n" + text)
	case err != nil || !strings.Contains(text, "--- PASS: "+t.Name()):
		t.Fatalf("in a network namespace: %v\n%s", err, text)
	}
	t.Log("ran in a network namespace:\n" + text)
	return false
}

// addIPv6 adds addresses to lo (inside the namespace only).
func addIPv6(t *testing.T, addrs ...string) {
	t.Helper()
	for _, a := range addrs {
		if out, err := exec.Command("ip", "-6", "addr", "add", a+"/128", "dev", "lo").CombinedOutput(); err != nil {
			t.Fatalf("ip -6 addr add %s: %v %s", a, err, out)
		}
	}
}
