package testcluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofdfs/gofdfs/client"
)

// StorageActive is FDFS_STORAGE_STATUS_ACTIVE in list replies.
const StorageActive = 7

// TrackerSpec is one tracker to add.
type TrackerSpec struct {
	IP    string   // a 127/8 address of the test's own
	Port  int      // 0: a free one
	Extra []string // more tracker.conf lines
	Env   []string // more environment of the process
	Prog  string   // default fdfs_trackerd; a C binary's name with Bin set to its directory
	Bin   string   // default: the cluster's Bin
	C     bool     // C's daemon from PATH (CBin) unless Bin is set
	Base  string   // its base_path; default Dir/trackerN
	// Plain writes only the lines that place the daemon (base_path,
	// bind_addr, port) and Extra: the daemon's defaults otherwise, as a
	// benchmark measures them, without the test tunings.
	Plain bool
}

// StorageSpec is one storage to add. It reports to every tracker of the
// cluster unless Trackers says otherwise.
type StorageSpec struct {
	Group      string   // default group1
	IP         string   // a 127/8 address of the test's own
	Port       int      // 0: a free one
	StorePaths []string // default: its base_path
	Trackers   []string // default: every tracker added so far
	Extra      []string // more storage.conf lines
	Env        []string
	Prog       string // default fdfs_storaged
	Bin        string // default: the cluster's Bin
	C          bool   // C's daemon from PATH (CBin) unless Bin is set
	// FullTree keeps C's 256x256 data directories. By default a store path
	// gets 4x4: making 65,536 directories per store path takes seconds on a
	// busy disk, and few tests need them.
	FullTree bool
	Base     string // its base_path; default Dir/storageN
	// Plain writes only the lines that place the storage (group_name,
	// base_path, bind_addr, port, store paths, trackers) and Extra: the
	// daemon's defaults otherwise (quick beats, sync tunings and the 4x4
	// tree left out), as a benchmark measures them.
	Plain bool
}

// Cluster is the trackers and storages of one test (or benchmark), with their
// data under Dir.
type Cluster struct {
	Dir      string
	Bin      string // where fdfs_trackerd and fdfs_storaged are
	Trackers []*Daemon
	Storages []*Daemon
}

// New is an empty cluster whose daemons live under dir.
func New(bin, dir string) *Cluster { return &Cluster{Bin: bin, Dir: dir} }

// Lines joins conf lines, each ending in '\n'.
func Lines(ls []string) string {
	var b strings.Builder
	for _, l := range ls {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

// WriteFile writes body to path, making its directory.
func WriteFile(path, body string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(body), 0o644)
}

// TrackerConf is a tracker.conf for base and s, with C's defaults otherwise
// except what a loopback test wants: 1% reserve, a short check_active_interval.
func TrackerConf(base string, s TrackerSpec) string {
	if s.Plain {
		return fmt.Sprintf("base_path = %s\nbind_addr = %s\nport = %d\n%s", base, s.IP, s.Port, Lines(s.Extra))
	}
	return fmt.Sprintf("base_path = %s\nbind_addr = %s\nport = %d\nreserved_storage_space = 1%%\n"+
		"check_active_interval = 10\n%s", base, s.IP, s.Port, Lines(s.Extra))
}

// StorageConf is a storage.conf for base and s: quick beats and reports, so
// that a test sees state changes within a second or two.
func StorageConf(base string, s StorageSpec) string {
	var b strings.Builder
	if s.Plain {
		fmt.Fprintf(&b, "group_name = %s\nbase_path = %s\nbind_addr = %s\nport = %d\n", s.Group, base, s.IP, s.Port)
		storePathsAndTrackers(&b, s)
		return b.String()
	}
	fmt.Fprintf(&b, "group_name = %s\nbase_path = %s\nbind_addr = %s\nport = %d\n"+
		"heart_beat_interval = 1\nstat_report_interval = 1\nsync_wait_msec = 50\n"+
		"sync_binlog_buff_interval = 1\nsync_stat_file_interval = 1\nthread_stack_size = 512KB\n"+
		"store_path_count = %d\n", s.Group, base, s.IP, s.Port, len(s.StorePaths))
	if !s.FullTree {
		b.WriteString("subdir_count_per_path = 4\n")
	}
	storePathsAndTrackers(&b, s)
	return b.String()
}

// storePathsAndTrackers writes a storage's store_pathN, tracker_server and
// extra lines.
func storePathsAndTrackers(b *strings.Builder, s StorageSpec) {
	for i, p := range s.StorePaths {
		fmt.Fprintf(b, "store_path%d = %s\n", i, p)
	}
	for _, tr := range s.Trackers {
		fmt.Fprintf(b, "tracker_server = %s\n", tr)
	}
	b.WriteString(Lines(s.Extra))
}

// TrackerAddrs are the addresses of every tracker added.
func (c *Cluster) TrackerAddrs() []string {
	out := make([]string, 0, len(c.Trackers))
	for _, d := range c.Trackers {
		out = append(out, d.Addr)
	}
	return out
}

// AddTracker writes a tracker's conf under Dir/trackerN and starts it.
func (c *Cluster) AddTracker(s TrackerSpec) (*Daemon, error) {
	if s.Port == 0 {
		p, err := FreePort(s.IP)
		if err != nil {
			return nil, err
		}
		s.Port = p
	}
	base := or(s.Base, filepath.Join(c.Dir, "tracker"+strconv.Itoa(len(c.Trackers))))
	conf := filepath.Join(base, "tracker.conf")
	if err := WriteFile(conf, TrackerConf(base, s)); err != nil {
		return nil, err
	}
	d := &Daemon{Prog: or(s.Prog, "fdfs_trackerd"), Bin: s.Bin, Conf: conf, Base: base,
		Addr: net.JoinHostPort(s.IP, strconv.Itoa(s.Port)), Env: s.Env, C: s.C}
	if err := c.pickBin(d); err != nil {
		return nil, err
	}
	c.Trackers = append(c.Trackers, d) // listed before it starts: Close kills it even if Start fails
	return d, d.Start()
}

// AddStorage writes a storage's conf under Dir/storageN and starts it.
func (c *Cluster) AddStorage(s StorageSpec) (*Daemon, error) {
	if s.Group == "" {
		s.Group = "group1"
	}
	if s.Port == 0 {
		p, err := FreePort(s.IP)
		if err != nil {
			return nil, err
		}
		s.Port = p
	}
	if s.Trackers == nil {
		s.Trackers = c.TrackerAddrs()
	}
	base := or(s.Base, filepath.Join(c.Dir, "storage"+strconv.Itoa(len(c.Storages))))
	if len(s.StorePaths) == 0 {
		s.StorePaths = []string{base}
	}
	for _, p := range s.StorePaths {
		if err := os.MkdirAll(p, 0o755); err != nil {
			return nil, err
		}
	}
	conf := filepath.Join(base, "storage.conf")
	if err := WriteFile(conf, StorageConf(base, s)); err != nil {
		return nil, err
	}
	d := &Daemon{Prog: or(s.Prog, "fdfs_storaged"), Bin: s.Bin, Conf: conf, Base: base,
		Addr: net.JoinHostPort(s.IP, strconv.Itoa(s.Port)), Env: s.Env, C: s.C}
	if err := c.pickBin(d); err != nil {
		return nil, err
	}
	c.Storages = append(c.Storages, d)
	return d, d.Start()
}

// pickBin fills the directory of d's program: the spec's, C's on PATH, or
// the cluster's.
func (c *Cluster) pickBin(d *Daemon) error {
	switch {
	case d.Bin != "":
	case d.C:
		dir, err := CBin(d.Prog)
		if err != nil {
			return err
		}
		d.Bin = dir
	default:
		d.Bin = c.Bin
	}
	return nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// ClientConf writes Dir/client.conf naming every tracker, for the C-named
// tools. An extra line whose key is one of the defaults (network_timeout,
// connect_timeout) replaces that default; the others are added.
func (c *Cluster) ClientConf(extra ...string) (string, error) {
	lines := []string{"base_path = " + c.Dir, "network_timeout = 30", "connect_timeout = 5"}
	for _, a := range c.TrackerAddrs() {
		lines = append(lines, "tracker_server = "+a)
	}
	for _, e := range extra {
		if i := slices.IndexFunc(lines[1:3], func(l string) bool { return confKey(l) == confKey(e) }); i >= 0 {
			lines[1+i] = e
		} else {
			lines = append(lines, e)
		}
	}
	p := filepath.Join(c.Dir, "client.conf")
	return p, WriteFile(p, Lines(lines))
}

func confKey(line string) string {
	k, _, _ := strings.Cut(line, "=")
	return strings.TrimSpace(k)
}

// Client is an SDK client on every tracker of the cluster; opts adjust its
// config. The caller closes it.
func (c *Cluster) Client(opts ...func(*client.Config)) (*client.Client, error) {
	cfg := client.Config{Trackers: c.TrackerAddrs(), ConnectTimeout: 2 * time.Second, NetworkTimeout: 10 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	return client.New(cfg)
}

// ActiveCount is how many storages of group tracker (an address) lists ACTIVE.
func ActiveCount(ctx context.Context, tracker, group string) (int, error) {
	_, active, err := GroupCount(ctx, tracker, group)
	return active, err
}

// GroupCount is how many storages of group tracker (an address) lists, and
// how many of them ACTIVE.
func GroupCount(ctx context.Context, tracker, group string) (listed, active int, err error) {
	one, err := client.New(client.Config{Trackers: []string{tracker}, ConnectTimeout: time.Second,
		NetworkTimeout: 2 * time.Second, MaxIdlePerServer: -1})
	if err != nil {
		return 0, 0, err
	}
	defer one.Close()
	sts, err := one.ListStorages(ctx, group, "")
	if err != nil {
		return 0, 0, err
	}
	for _, s := range sts {
		if s.Status == StorageActive {
			active++
		}
	}
	return len(sts), active, nil
}

// WaitActive waits until every running tracker lists at least n ACTIVE
// storages in group and that holds for stable (right after a first start a
// storage re-joins each follower tracker once it hears of the leader, and the
// follower lists it OFFLINE for a moment). It gives the time it took.
func (c *Cluster) WaitActive(ctx context.Context, group string, n int, stable time.Duration) (time.Duration, error) {
	return c.waitGroup(ctx, group, 0, n, stable)
}

// WaitJoined waits until every running tracker lists at least joined
// storages in group, at least active of them ACTIVE: a benchmark's start,
// which measures a group whose second storage may still be catching up (it
// only turns ACTIVE once replication has brought it in step).
func (c *Cluster) WaitJoined(ctx context.Context, group string, joined, active int) error {
	_, err := c.waitGroup(ctx, group, joined, active, 0)
	return err
}

func (c *Cluster) waitGroup(ctx context.Context, group string, joined, n int, stable time.Duration) (time.Duration, error) {
	start := time.Now()
	var since time.Time
	var last error
	for {
		last = c.allActive(ctx, group, joined, n)
		if last == nil {
			if since.IsZero() {
				since = time.Now()
			}
			if time.Since(since) >= stable {
				return since.Sub(start), nil
			}
		} else {
			since = time.Time{}
		}
		if err := c.exitedEarly(); err != nil {
			return 0, err
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("group %s: fewer than %d storages, %d ACTIVE, for %v: %w", group, joined, n, stable,
				errors.Join(last, ctx.Err()))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (c *Cluster) allActive(ctx context.Context, group string, joined, n int) error {
	for _, tr := range c.Trackers {
		if !tr.Running() {
			continue
		}
		listed, got, err := GroupCount(ctx, tr.Addr, group)
		if err != nil {
			return fmt.Errorf("tracker %s: %w", tr.Addr, err)
		}
		if got < n || listed < joined {
			return fmt.Errorf("tracker %s lists %d storages, %d ACTIVE, in %s", tr.Addr, listed, got, group)
		}
	}
	return nil
}

// exitedEarly names a daemon that died although nobody stopped it.
func (c *Cluster) exitedEarly() error {
	for _, d := range c.All() {
		if d.done != nil && !d.Running() && d.cmd.ProcessState != nil && !d.cmd.ProcessState.Success() &&
			!killedByUs(d) {
			return fmt.Errorf("%s %s exited: %v\n%s", d.Prog, d.Addr, d.cmd.ProcessState, d.LogTail(4000))
		}
	}
	return nil
}

// killedByUs: a SIGKILLed daemon is a test's doing, not a failure.
func killedByUs(d *Daemon) bool {
	return strings.Contains(d.cmd.ProcessState.String(), "killed")
}

// All is every daemon, trackers first.
func (c *Cluster) All() []*Daemon {
	return append(append([]*Daemon(nil), c.Trackers...), c.Storages...)
}

// Close kills every daemon (storages first, so that none logs its trackers'
// deaths) and waits for them.
func (c *Cluster) Close() {
	for _, d := range c.Storages {
		d.Kill()
	}
	for _, d := range c.Trackers {
		d.Kill()
	}
}

// Stop ends every daemon with SIGTERM, storages first; errors name the ones
// that had to be killed or exited badly.
func (c *Cluster) Stop(limit time.Duration) error {
	var errs []error
	for _, d := range c.Storages {
		errs = append(errs, d.Stop(limit))
	}
	for _, d := range c.Trackers {
		errs = append(errs, d.Stop(limit))
	}
	return errors.Join(errs...)
}
