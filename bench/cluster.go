package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gofdfs/gofdfs/client"
)

// Cluster is a tracker and a two-storage group of our daemons on loopback,
// as separate processes (their CPU time and RSS are what the suite reports).
// The storages share one port on two addresses, as storages of a group do
// on real hosts.
type Cluster struct {
	Dir         string
	ClientConf  string
	TrackerAddr string
	Tracker     *Daemon
	Storages    []*Daemon // group1: A, B
	StorePaths  []string
}

// Daemon is one server process.
type Daemon struct {
	Name   string
	Addr   string
	Conf   string
	cmd    *exec.Cmd
	out    string        // its stdout and stderr
	exited chan struct{} // closed when the process has been waited for
	err    error         // its exit status, once exited is closed
}

// Pid is the daemon's process id.
func (d *Daemon) Pid() int { return d.cmd.Process.Pid }

// ClusterOptions say where the cluster lives.
type ClusterOptions struct {
	Bin string // directory with fdfs_trackerd and fdfs_storaged
	Dir string // data, confs and logs
	Net string // first three octets of the loopback addresses: tracker .1, storages .2 and .3
}

// StartCluster writes the confs, starts the daemons and waits until an
// upload through the tracker works and both storages have joined.
func StartCluster(ctx context.Context, o ClusterOptions) (*Cluster, error) {
	ip := func(n int) string { return o.Net + "." + strconv.Itoa(n) }
	tport, err := freePort(ip(1))
	if err != nil {
		return nil, err
	}
	sport, err := sharedPort(ip(2), ip(3))
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: o.Dir, TrackerAddr: net.JoinHostPort(ip(1), strconv.Itoa(tport))}
	tdir := filepath.Join(o.Dir, "tracker")
	tconf, err := writeConf(o.Dir, "tracker.conf", tdir, fmt.Sprintf(
		"base_path = %s\nbind_addr = %s\nport = %d\nreserved_storage_space = 1%%\nlog_level = warn\n", tdir, ip(1), tport))
	if err != nil {
		return nil, err
	}
	var confs []string
	for i, name := range []string{"storage_a", "storage_b"} {
		sdir := filepath.Join(o.Dir, name)
		sc, err := writeConf(o.Dir, name+".conf", sdir, fmt.Sprintf(
			"group_name = group1\nbase_path = %s\nstore_path0 = %s\nbind_addr = %s\nport = %d\n"+
				"tracker_server = %s\nheart_beat_interval = 1\nstat_report_interval = 1\nlog_level = warn\n",
			sdir, sdir, ip(2+i), sport, c.TrackerAddr))
		if err != nil {
			return nil, err
		}
		confs = append(confs, sc)
		c.StorePaths = append(c.StorePaths, sdir)
	}
	if c.ClientConf, err = writeConf(o.Dir, "client.conf", "", fmt.Sprintf(
		"base_path = %s\ntracker_server = %s\nnetwork_timeout = 30\nconnect_timeout = 5\n", o.Dir, c.TrackerAddr)); err != nil {
		return nil, err
	}
	if c.Tracker, err = startDaemon(o.Bin, "fdfs_trackerd", tconf, c.TrackerAddr, o.Dir); err != nil {
		return nil, err
	}
	for i, sc := range confs {
		d, err := startDaemon(o.Bin, "fdfs_storaged", sc, net.JoinHostPort(ip(2+i), strconv.Itoa(sport)), o.Dir)
		if err != nil {
			c.Stop()
			return nil, err
		}
		c.Storages = append(c.Storages, d)
	}
	if err := c.waitReady(ctx, time.Minute); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

func writeConf(dir, name, dataDir, body string) (string, error) {
	if dataDir != "" {
		if err := os.MkdirAll(dataDir, 0o755); err != nil {
			return "", err
		}
	}
	p := filepath.Join(dir, name)
	return p, os.WriteFile(p, []byte(body), 0o644)
}

func startDaemon(bin, name, conf, addr, logDir string) (*Daemon, error) {
	log, err := os.Create(filepath.Join(logDir, strings.TrimSuffix(filepath.Base(conf), ".conf")+".out"))
	if err != nil {
		return nil, err
	}
	defer log.Close()
	cmd := exec.Command(filepath.Join(bin, name), conf, "start", "--foreground")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	d := &Daemon{Name: name, Addr: addr, Conf: conf, cmd: cmd, out: log.Name(), exited: make(chan struct{})}
	go func() {
		d.err = cmd.Wait()
		close(d.exited)
	}()
	return d, nil
}

// storageActive is FDFS_STORAGE_STATUS_ACTIVE in list replies.
const storageActive = 7

func (c *Cluster) waitReady(ctx context.Context, limit time.Duration) error {
	cl, err := client.New(client.Config{Trackers: []string{c.TrackerAddr}, ConnectTimeout: time.Second, NetworkTimeout: 5 * time.Second})
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var last error
	for ctx.Err() == nil {
		for _, d := range c.all() {
			select {
			case <-d.exited:
				return fmt.Errorf("%s %s exited during start (%v): %s", d.Name, d.Addr, d.err, lastLine(readFile(d.out)))
			default:
			}
		}
		last = func() error {
			stats, err := cl.ListStorages(ctx, "group1", "")
			if err != nil {
				return err
			}
			// every storage joined and one ACTIVE: the second one of a
			// group only turns ACTIVE once replication has brought it in
			// step, and a cluster without working replication must still
			// be measurable (the repl step then says so)
			active := 0
			for _, s := range stats {
				if s.Status == storageActive {
					active++
				}
			}
			if len(stats) < len(c.Storages) || active == 0 {
				return fmt.Errorf("%d of %d storages joined, %d ACTIVE", len(stats), len(c.Storages), active)
			}
			id, err := cl.Upload(ctx, strings.NewReader("ready"), 5, "txt")
			if err != nil {
				return err
			}
			return cl.Delete(ctx, id)
		}()
		if last == nil {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("cluster not ready after %v: %v", limit, errors.Join(last, ctx.Err()))
}

func (c *Cluster) all() []*Daemon {
	out := []*Daemon{}
	if c.Tracker != nil {
		out = append(out, c.Tracker)
	}
	return append(out, c.Storages...)
}

// Stop ends the daemons: SIGTERM, then SIGKILL after 15 s.
func (c *Cluster) Stop() {
	for _, d := range c.all() {
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, d := range c.all() {
		select {
		case <-d.exited:
		case <-time.After(15 * time.Second):
			_ = d.cmd.Process.Kill()
			<-d.exited
		}
	}
}

func freePort(ip string) (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// sharedPort picks a port free on every one of ips: an ephemeral one from
// the first, checked on the rest (a few tries, ports get taken meanwhile).
func sharedPort(ips ...string) (int, error) {
	var last error
	for range 20 {
		p, err := freePort(ips[0])
		if err != nil {
			return 0, err
		}
		last = nil
		for _, ip := range ips[1:] {
			ln, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(p)))
			if err != nil {
				last = err
				break
			}
			ln.Close()
		}
		if last == nil {
			return p, nil
		}
	}
	return 0, fmt.Errorf("no port free on all of %v: %w", ips, last)
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}
