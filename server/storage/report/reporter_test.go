package report

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/codec/capture"
)

// memHost is a storage kept in memory: what the reporter learns is
// recorded, what it asks is answered from the fields.
type memHost struct {
	mu        sync.Mutex
	ip        netip.Addr
	params    Params
	changelog []ChangelogEntry
}

func (h *memHost) MyIP() (netip.Addr, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ip, h.ip.IsValid()
}

func (h *memHost) LearnIP(ip netip.Addr) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ip.IsValid() {
		return false
	}
	h.ip = ip
	return true
}

func (h *memHost) Params() Params {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.params
}

func (h *memHost) SetParams(p Params) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.params = p
}

func (h *memHost) StatsGen() int64              { return 0 }
func (h *memHost) Stats(b *codec.StatBlock)     { *b = codec.StatBlock{} }
func (h *memHost) DiskUsage() []codec.PathUsage { return []codec.PathUsage{{TotalMB: 100, FreeMB: 50}} }
func (h *memHost) SyncedFrom(id string) int64   { return 0 }
func (h *memHost) RecoverPaths() bool           { return true }
func (h *memHost) Changelog(e ChangelogEntry)   { h.changelog = append(h.changelog, e) }
func quietLogger() *slog.Logger                 { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
func (h *memHost) entries() string              { return fmt.Sprint(h.changelog) }
func newFlagDir(t *testing.T) string            { t.Helper(); return initFlag(t, t.TempDir()) }
func initFlag(t *testing.T, dir string) string {
	t.Helper()
	if err := InitDataFlag(dir, time.Now(), 23000); err != nil {
		t.Fatal(err)
	}
	return dir
}

// testReporter is a reporter of group1 on dir's flag, with no tracker.
func testReporter(t *testing.T, dir string, h *memHost) *Reporter {
	t.Helper()
	r, err := New(Config{Group: []byte("group1"), Port: 23000, DataDir: dir,
		Log: quietLogger(), Host: h})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	return r
}

// A changelog chunk may end inside a line (cluster.md §1.9): the rest comes
// with the next reply. Lines of other groups are skipped.
func TestChangelogChunks(t *testing.T) {
	h := &memHost{}
	l := &link{r: testReporter(t, newFlagDir(t), h), addr: "tracker"}
	text := "1795300421 group1 127.0.2.22 4 \n1795300422 group2 10.0.0.1 4 \n1795300423 group1 10.0.0.5 3 10.0.0.6\n"
	cut := strings.Index(text, "group2") + 3
	l.takeChangelog([]byte(text[:cut]))
	l.takeChangelog([]byte(text[cut:]))
	want := []ChangelogEntry{{Timestamp: 1795300421, ID: "127.0.2.22", Status: 4},
		{Timestamp: 1795300423, ID: "10.0.0.5", Status: 3, NewID: "10.0.0.6"}}
	if got := h.entries(); got != fmt.Sprint(want) {
		t.Errorf("entries %s, want %+v", got, want)
	}
	if len(l.changelog) != 0 {
		t.Errorf("%q left over", l.changelog)
	}
}

// The storage changelog about our own sync source (C's handling): an
// IP_CHANGED source is followed to its new address, a DELETED one is
// forgotten (our copy being finished or not listed: nothing starts over),
// other members' lines leave it alone. The flag file is what changes.
func TestSourceChangelog(t *testing.T) {
	dir := newFlagDir(t)
	h := &memHost{}
	r := testReporter(t, dir, h)
	if err := r.flag.Set("sync_old_done", "1", "sync_src_server", "10.0.0.5"); err != nil {
		t.Fatal(err)
	}
	l := &link{r: r, addr: "tracker"}
	onDisk := func() string {
		f, err := OpenDataFlag(dir)
		if err != nil {
			t.Fatal(err)
		}
		return f.Get("sync_old_done") + " " + f.Get("sync_src_server")
	}
	steps := []struct{ line, want string }{
		{"1795300420 group1 10.0.0.9 4 \n", "1 10.0.0.5"},         // another member deleted
		{"1795300421 group2 10.0.0.5 3 10.0.0.7\n", "1 10.0.0.5"}, // another group
		{"1795300422 group1 10.0.0.5 3 10.0.0.6\n", "1 10.0.0.6"}, // our source moved
		{"1795300423 group1 10.0.0.6 4 \n", "1 "},                 // our source deleted
		{"1795300424 group1 10.0.0.6 3 10.0.0.8\n", "1 "},         // nothing to follow any more
	}
	for _, st := range steps {
		l.takeChangelog([]byte(st.line))
		if got := onDisk(); got != st.want {
			t.Errorf("after %q: sync_old_done, sync_src_server = %q, want %q", st.line, got, st.want)
		}
	}
	if g := r.rejoinGen.Load(); g != 0 {
		t.Errorf("links asked to re-join %d times for a storage whose copy is not running", g)
	}

	// copying (the leader lists us WAIT_SYNC): the source's deletion makes
	// the copy start over (SYNC_DEST_REQ at the re-join)
	h.LearnIP(netip.MustParseAddr("10.0.0.2"))
	r.cfg.Peers.SetMembers([]Peer{{ID: "10.0.0.2", Status: StatusWaitSync}})
	if err := r.flag.Set("sync_src_server", "10.0.0.8"); err != nil {
		t.Fatal(err)
	}
	l.takeChangelog([]byte("1795300425 group1 10.0.0.8 4 \n"))
	if got := onDisk(); got != "0 " {
		t.Errorf("source deleted while copying: sync_old_done, sync_src_server = %q, want \"0 \"", got)
	}
	if g := r.rejoinGen.Load(); g != 1 {
		t.Errorf("links asked to re-join %d times, want 1", g)
	}
}

// The first start writes C's keys in C's order; Set keeps the order and
// adds new keys at the end.
func TestDataFlagFile(t *testing.T) {
	dir := initFlag(t, t.TempDir())
	f, err := OpenDataFlag(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Set("sync_src_server", "10.0.0.5", "store_path_mark0", "MARK"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, DataFlagName))
	if err != nil {
		t.Fatal(err)
	}
	want := "sync_old_done=0\nsync_src_server=10.0.0.5\nsync_until_timestamp=0\nlast_ip_addr=\nlast_server_port=23000\n" +
		"current_trunk_file_id=0\ntrunk_last_compress_time=0\ntrunk_binlog_compress_stage=0\nstore_path_mark0=MARK\n"
	if _, rest, _ := strings.Cut(string(b), "\n"); !strings.HasPrefix(string(b), "storage_join_time=") || rest != want {
		t.Errorf(".data_init_flag:\n%s\nwant storage_join_time=... then\n%s", b, want)
	}
	if f.GetInt("last_server_port") != 23000 {
		t.Errorf("last_server_port %d", f.GetInt("last_server_port"))
	}
}

// A present .data_init_flag is checked, never rewritten: a bad one stops
// the storage and stays as it was for the operator to look at.
func FuzzDataInitFlag(f *testing.F) {
	vec, err := capture.Dir()
	if err != nil {
		f.Skip(err)
	}
	for _, set := range []string{"sync_files", "sync_files_final"} {
		paths, _ := filepath.Glob(filepath.Join(vec, "cluster", set, "storage*", DataFlagName))
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, DataFlagName)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		err := InitDataFlag(dir, time.Unix(1795299842, 0), 23000)
		after, rerr := os.ReadFile(path)
		if rerr != nil || !bytes.Equal(after, data) {
			t.Fatalf("a present %s was changed (load err %v):\n%q\n->\n%q", DataFlagName, err, data, after)
		}
		if err != nil && !bytes.Contains([]byte(err.Error()), []byte(path)) {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}

// Our mark is C's, character for character (.data_init_flag of storage A in
// the captures' sync_files).
func TestStorePathMarkIsC(t *testing.T) {
	const c = "MTI3LjAuMi4yMQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAANhZAAAAAAIaAms"
	if got := StorePathMark("127.0.2.21", 23000, 0, 1795299842); got != c {
		t.Fatalf("mark %s\n   C %s", got, c)
	}
}
