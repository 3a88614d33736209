// Package e2e runs the built daemons and client tools the way an operator
// does: real processes, real confs, real files, on loopback (127.0.7.0/24).
package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/internal/testcluster"
)

// binDir holds every tools/fdfs_* binary, built once for the package (one
// go build: the binaries a user runs).
var (
	builder testcluster.Builder
	binDir  string
)

func TestMain(m *testing.M) {
	dir, err := builder.Bin(testcluster.AllTools()...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	builder.Remove()
	os.Exit(code)
}

// freePort is a free port on ip (127.0.7.0/24 is this package's).
func freePort(t *testing.T, ip string) int { return testcluster.Port(t, ip) }

type cluster struct {
	t                                    *testing.T
	bin, dir                             string
	trackerConf, storageConf, clientConf string
	trackerAddr                          string // host:port of the tracker
}

func write(t *testing.T, path, body string) string {
	t.Helper()
	if err := testcluster.WriteFile(path, body); err != nil {
		t.Fatal(err)
	}
	return path
}

// smallTree keeps a storage's first start short: C's default 256 x 256
// directories take seconds to create on a busy disk (ext4 in CI: 4-20 s), and
// several clusters start at once here. TestToolsAgainstDaemons keeps C's
// default; the tree itself is diskio's to test.
const smallTree = "subdir_count_per_path = 4"

// startCluster starts one tracker (127.0.7.21) and one storage (127.0.7.22)
// with a small directory tree; trackerLines are extra tracker.conf lines
// (e.g. "response_list_dialect = v5").
func startCluster(t *testing.T, trackerLines ...string) *cluster {
	return startClusterWith(t, []string{smallTree}, trackerLines)
}

// startClusterWith starts the tracker and the storage as background daemons
// with extra storage.conf and tracker.conf lines, and stops them when the
// test ends.
func startClusterWith(t *testing.T, storageLines, trackerLines []string) *cluster {
	bin := binDir
	dir := t.TempDir()
	tport, sport := freePort(t, "127.0.7.21"), freePort(t, "127.0.7.22")
	c := &cluster{t: t, bin: bin, dir: dir, trackerAddr: fmt.Sprintf("127.0.7.21:%d", tport)}
	os.MkdirAll(filepath.Join(dir, "tracker"), 0o755)
	os.MkdirAll(filepath.Join(dir, "storage"), 0o755)
	c.trackerConf = write(t, filepath.Join(dir, "tracker.conf"), testcluster.TrackerConf(filepath.Join(dir, "tracker"),
		testcluster.TrackerSpec{IP: "127.0.7.21", Port: tport, Extra: trackerLines}))
	c.storageConf = write(t, filepath.Join(dir, "storage.conf"), testcluster.StorageConf(filepath.Join(dir, "storage"),
		testcluster.StorageSpec{Group: "group1", IP: "127.0.7.22", Port: sport, StorePaths: []string{filepath.Join(dir, "storage")},
			Trackers: []string{c.trackerAddr}, Extra: storageLines, FullTree: true}))
	c.clientConf = write(t, filepath.Join(dir, "client.conf"), fmt.Sprintf(
		"base_path = %s\ntracker_server = 127.0.7.21:%d\nnetwork_timeout = 10\n", dir, tport))
	for _, d := range []struct{ name, conf string }{{"fdfs_trackerd", c.trackerConf}, {"fdfs_storaged", c.storageConf}} {
		if out, code := c.run(d.name, d.conf, "start"); code != 0 {
			t.Fatalf("%s start: exit %d\n%s", d.name, code, out)
		}
		t.Cleanup(func() {
			if out, code := c.run(d.name, d.conf, "stop"); code != 0 {
				t.Errorf("%s stop: exit %d\n%s", d.name, code, out)
			}
		})
	}
	return c
}

func extraLines(lines []string) string { return testcluster.Lines(lines) }

func (c *cluster) run(name string, args ...string) (string, int) {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), ee.ExitCode()
	}
	if err != nil {
		c.t.Fatalf("%s: %v", name, err)
	}
	return out.String(), 0
}

// upload retries until the storage has joined and turned ACTIVE.
func (c *cluster) upload(path string) string {
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, code := c.run("fdfs_upload_file", c.clientConf, path)
		if code == 0 {
			return strings.TrimSpace(out)
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("upload never succeeded: exit %d: %s", code, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

var fileIDShape = regexp.MustCompile(`^group1/M00/[0-9A-F]{2}/[0-9A-F]{2}/[A-Za-z0-9_-]{27}\d{3}\.txt$`)

func TestToolsAgainstDaemons(t *testing.T) {
	t.Parallel()                       // each has its own daemons, dirs and ports
	c := startClusterWith(t, nil, nil) // C's default tree, as an operator's first start
	if _, err := os.Stat(filepath.Join(c.dir, "storage", "data", "FF", "FF")); err != nil {
		t.Fatalf("the 256 x 256 tree is not complete after start: %v", err)
	}
	src := write(t, filepath.Join(c.dir, "hello.txt"), "hello fastdfs\n")
	id := c.upload(src)
	if !fileIDShape.MatchString(id) {
		t.Fatalf("file ID %q", id)
	}

	local := filepath.Join(c.dir, "copy.txt")
	if out, code := c.run("fdfs_download_file", c.clientConf, id, local); code != 0 {
		t.Fatalf("download: exit %d: %s", code, out)
	}
	if b, _ := os.ReadFile(local); string(b) != "hello fastdfs\n" {
		t.Fatalf("downloaded %q", b)
	}
	part := filepath.Join(c.dir, "part.txt")
	if out, code := c.run("fdfs_download_file", c.clientConf, id, part, "6", "7"); code != 0 {
		t.Fatalf("ranged download: exit %d: %s", code, out)
	}
	if b, _ := os.ReadFile(part); string(b) != "fastdfs" {
		t.Fatalf("ranged download %q", b)
	}

	out, code := c.run("fdfs_file_info", c.clientConf, id)
	if code != 0 || !strings.Contains(out, "GET FROM SERVER: false") || !strings.Contains(out, "file type: normal") ||
		!strings.Contains(out, "source ip address: 127.0.7.22") || !strings.Contains(out, "file size: 14") ||
		!strings.Contains(out, "file crc32: 235977309 (0x0e10ba5d)") {
		t.Fatalf("file info: exit %d:\n%s", code, out)
	}

	if out, code := c.run("fdfs_delete_file", c.clientConf, id); code != 0 {
		t.Fatalf("delete: exit %d: %s", code, out)
	}
	out, code = c.run("fdfs_download_file", c.clientConf, id, local)
	if code != 2 || out != "download file fail, error no: 2, error info: No such file or directory\n" {
		t.Fatalf("download of a deleted file: exit %d: %q", code, out)
	}
	if _, err := os.Stat(local); !os.IsNotExist(err) {
		t.Fatal("failed download left a local file")
	}
}

// TestProgressOnlyOnATerminal uploads and downloads a 9 MiB file twice:
// with plain pipes (as scripts run the tools) the output is exactly C's,
// and under a pseudo-terminal (script(1)) a progress line is drawn on
// stderr.
func TestProgressOnlyOnATerminal(t *testing.T) {
	t.Parallel() // its own daemons, dirs and ports
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("no script(1) to give the tools a terminal")
	}
	c := startCluster(t)
	big := filepath.Join(c.dir, "big.bin")
	if err := os.WriteFile(big, bytes.Repeat([]byte("0123456789abcdef"), 9<<16), 0o644); err != nil {
		t.Fatal(err)
	}
	c.upload(write(t, filepath.Join(c.dir, "ready.txt"), "ready\n"))

	out, code := c.run("fdfs_upload_file", c.clientConf, big)
	id := strings.TrimSpace(out)
	if code != 0 || !strings.HasSuffix(id, ".bin") || strings.Contains(out, "\r") || strings.Count(out, "\n") != 1 {
		t.Fatalf("upload through pipes: exit %d: %q", code, out)
	}

	onTTY := func(args ...string) string {
		t.Helper()
		line := strings.Join(append([]string{filepath.Join(c.bin, args[0])}, args[1:]...), " ")
		cmd := exec.Command(script, "-qefc", line, "/dev/null")
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s on a terminal: %v\n%q", args[0], err, b)
		}
		return string(b)
	}
	out = onTTY("fdfs_upload_file", c.clientConf, big)
	if !strings.Contains(out, "\rupload "+big+": 100% 9.0 MiB / 9.0 MiB ") || !strings.Contains(out, "group1/M00/") {
		t.Fatalf("upload on a terminal drew no progress: %q", out)
	}
	local := filepath.Join(c.dir, "big.copy")
	out = onTTY("fdfs_download_file", c.clientConf, id, local)
	if !strings.Contains(out, "\rdownload "+local+": 9.0 MiB ") {
		t.Fatalf("download on a terminal drew no progress: %q", out)
	}
	got, _ := os.ReadFile(local)
	want, _ := os.ReadFile(big)
	if !bytes.Equal(got, want) {
		t.Fatal("the metered download differs from the file")
	}
}
