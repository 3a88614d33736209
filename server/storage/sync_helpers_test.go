package storage

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/conf"
)

// Helpers of the replication tests: a tracker and storages of one group on
// 127.0.5.x (this package's loopback block), sharing one port.

const syncBlock = "127.0.5."

// syncNode is one storage of a test group: in this process or a child
// process (re-executed test binary) that the test can kill -9.
type syncNode struct {
	t     *testing.T
	ip    string
	port  int
	dir   string // base_path; store path dir/sp0
	conf  string // storage.conf path
	srv   *Server
	child *exec.Cmd
}

func (n *syncNode) addr() string { return fmt.Sprintf("%s:%d", n.ip, n.port) }

func (n *syncNode) storage() client.StorageServer {
	return client.StorageServer{Group: testGroup, Addr: n.addr()}
}

// syncConfText is the storage.conf of a replication test: short intervals
// so that a test takes seconds.
func syncConfText(dir, ip string, port int, tracker string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "group_name=%s\nbase_path=%s\nbind_addr=%s\nport=%d\n", testGroup, dir, ip, port)
	b.WriteString("heart_beat_interval=1\nstat_report_interval=1\nsubdir_count_per_path=4\n")
	b.WriteString("sync_wait_msec=50\nwrite_mark_file_freq=10\nsync_binlog_buff_interval=1\nnetwork_timeout=10\n")
	b.WriteString("log_level=warn\n")
	fmt.Fprintf(&b, "tracker_server=%s\nstore_path_count=1\nstore_path0=%s\n", tracker, filepath.Join(dir, "sp0"))
	return b.String()
}

func newSyncNode(t *testing.T, host int, port int, tracker string) *syncNode {
	t.Helper()
	return newSyncNodeAt(t, fmt.Sprintf("%s%d", syncBlock, host), port, tracker)
}

// newSyncNodeAt is a storage on ip (any loopback block).
func newSyncNodeAt(t *testing.T, ip string, port int, tracker string) *syncNode {
	t.Helper()
	n := &syncNode{t: t, ip: ip, port: port, dir: t.TempDir()}
	if err := os.MkdirAll(filepath.Join(n.dir, "sp0"), 0o755); err != nil {
		t.Fatal(err)
	}
	n.conf = filepath.Join(n.dir, "storage.conf")
	if err := os.WriteFile(n.conf, []byte(syncConfText(n.dir, n.ip, n.port, tracker)), 0o644); err != nil {
		t.Fatal(err)
	}
	return n
}

// start runs the storage in this process.
func (n *syncNode) start(opts ...Option) {
	n.t.Helper()
	cfg, err := conf.LoadStorage(n.conf)
	if err != nil {
		n.t.Fatal(err)
	}
	opts = append([]Option{WithLogger(quietLogger()), WithMulticore(false)}, opts...)
	deadline := time.Now().Add(20 * time.Second)
	for {
		s, err := New(cfg, opts...)
		if err == nil {
			if err = s.Start(); err == nil {
				n.srv = s
				return
			}
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("storage %s: %v", n.addr(), err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (n *syncNode) stop() {
	if n.srv != nil {
		stopServer(n.t, n.srv)
		n.srv = nil
	}
	n.kill()
}

// startChild runs the storage in a child process (TestSyncChildStorage).
func (n *syncNode) startChild() {
	n.t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSyncChildStorage$", "-test.count=1")
	cmd.Env = append(os.Environ(), "GOFDFS_SYNC_CHILD_CONF="+n.conf)
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	n.child = cmd
	waitUntil(n.t, "child storage listening on "+n.addr(), func() (bool, string) {
		c, err := dialTimeout(n.addr())
		if err == nil {
			c.Close()
		}
		return err == nil, fmt.Sprint(err)
	})
}

// kill ends the child process with SIGKILL.
func (n *syncNode) kill() {
	if n.child != nil {
		_ = n.child.Process.Kill()
		_ = n.child.Wait()
		n.child = nil
	}
}

// wipe removes everything the storage wrote (a replaced machine).
func (n *syncNode) wipe() {
	n.t.Helper()
	for _, sub := range []string{"data", "sp0", "logs"} {
		if err := os.RemoveAll(filepath.Join(n.dir, sub)); err != nil {
			n.t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(n.dir, "sp0"), 0o755); err != nil {
		n.t.Fatal(err)
	}
}

// filePath is where file id lives on this node.
func (n *syncNode) filePath(id string) string {
	name := strings.TrimPrefix(id, testGroup+"/")
	// M00/HH/HH/NAME
	return filepath.Join(n.dir, "sp0", "data", filepath.FromSlash(name[4:]))
}

// tree is the store path's files: "HH/HH/NAME" -> content (a symlink as
// "-> target"). Temp files are not part of it.
func (n *syncNode) tree() map[string]string {
	root := filepath.Join(n.dir, "sp0", "data")
	out := map[string]string{}
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		if strings.Count(rel, string(filepath.Separator)) != 2 {
			return nil // temp files live in data/ itself
		}
		if d.Type()&fs.ModeSymlink != 0 {
			tgt, _ := os.Readlink(p)
			out[rel] = "-> " + filepath.Base(tgt)
			return nil
		}
		b, err := os.ReadFile(p)
		if err == nil {
			out[rel] = string(b)
		}
		return nil
	})
	return out
}

// treesEqual reports whether every node holds the same files as the first.
func treesEqual(nodes ...*syncNode) (bool, string) {
	first := nodes[0].tree()
	for _, n := range nodes[1:] {
		tr := n.tree()
		if d := treeDiff(first, tr); d != "" {
			return false, fmt.Sprintf("%s vs %s: %s", nodes[0].ip, n.ip, d)
		}
	}
	return len(first) > 0, fmt.Sprintf("%d files", len(first))
}

func treeDiff(a, b map[string]string) string {
	var diffs []string
	for k, v := range a {
		if w, ok := b[k]; !ok {
			diffs = append(diffs, "missing "+k)
		} else if v != w {
			diffs = append(diffs, fmt.Sprintf("differs %s (%d vs %d bytes)", k, len(v), len(w)))
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			diffs = append(diffs, "extra "+k)
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 5 {
		diffs = append(diffs[:5], fmt.Sprintf("... %d differences", len(diffs)))
	}
	return strings.Join(diffs, ", ")
}

// hasFile: node holds id with exactly data.
func (n *syncNode) hasFile(id string, data []byte) bool {
	b, err := os.ReadFile(n.filePath(id))
	return err == nil && bytes.Equal(b, data)
}

func syncClient(t *testing.T, tracker string) *client.Client {
	t.Helper()
	cl, err := client.New(client.Config{Trackers: []string{tracker}, MaxIdlePerServer: -1,
		NetworkTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func dialTimeout(addr string) (net.Conn, error) { return net.DialTimeout("tcp", addr, time.Second) }
