// Package testcluster runs real fdfs_trackerd and fdfs_storaged processes on
// loopback for tests and benchmarks: it builds the daemons once per test
// binary, picks addresses and ports, writes confs, starts the processes,
// waits until they serve (storages ACTIVE), kills them (-9) or stops them,
// dumps their logs when a test fails, and reads their CPU and RSS from /proc.
//
// It imports no server package: what it knows of the daemons is their
// command line, their confs and the wire (through the client SDK), as an
// operator's. The core API returns errors, so that bench/ can use it outside
// a test; T wraps it for tests.
package testcluster

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Daemon is one server process run in the foreground, so that its pid is the
// caller's to signal.
type Daemon struct {
	Prog string // "fdfs_trackerd" or "fdfs_storaged" (or a C binary's name)
	Bin  string // the directory the program is in
	Conf string // its conf file
	Base string // its base_path: logs, data, and our stdout/stderr copy
	Addr string // ip:port it serves on
	Env  []string
	// C marks C's daemon, which runs in the foreground with -N where ours
	// takes --foreground.
	C bool

	cmd  *exec.Cmd
	done chan struct{}
	out  *os.File
}

// StartTimeout bounds how long a daemon may take to listen.
const StartTimeout = 30 * time.Second

// Start runs the daemon and waits until its port accepts connections.
func (d *Daemon) Start() error {
	if err := d.Launch(); err != nil {
		return err
	}
	return d.waitListening(StartTimeout)
}

// Launch runs the daemon without waiting for it to listen (a storage that
// recovers from a peer first, say). The process gets its own process group
// (a ^C to go test does not reach it first) and dies with the test binary.
func (d *Daemon) Launch() error {
	if d.Running() {
		return fmt.Errorf("%s %s: already running", d.Prog, d.Addr)
	}
	if err := os.MkdirAll(d.Base, 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(d.outPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	d.out = out
	if d.C {
		d.cmd = exec.Command(filepath.Join(d.Bin, d.Prog), d.Conf, "-N")
	} else {
		d.cmd = exec.Command(filepath.Join(d.Bin, d.Prog), d.Conf, "start", "--foreground")
	}
	d.cmd.Stdout, d.cmd.Stderr = out, out
	if len(d.Env) > 0 {
		d.cmd.Env = append(os.Environ(), d.Env...)
	}
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	// Pdeathsig fires when the thread that forked the child exits, not the
	// process. A test binary that also runs in-process servers has threads
	// that end (a goroutine that exits locked to its thread takes the thread
	// with it: diskio's workers), and one of them may be the thread that
	// forked a daemon, which would then die of a SIGKILL nobody sent. So the
	// fork happens on a thread locked for the daemon's life: the goroutine
	// that starts the process waits for it and only then lets its thread go.
	started := make(chan error, 1)
	done := make(chan struct{})
	go func(cmd *exec.Cmd) {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine, after the daemon
		err := cmd.Start()
		started <- err
		if err != nil {
			return
		}
		_ = cmd.Wait()
		close(done)
	}(d.cmd)
	if err := <-started; err != nil {
		out.Close()
		return fmt.Errorf("%s %s: %w", d.Prog, d.Conf, err)
	}
	d.done = done
	return nil
}

// WaitListening waits up to limit until the daemon's port accepts
// connections, failing early if it exits.
func (d *Daemon) WaitListening(limit time.Duration) error { return d.waitListening(limit) }

func (d *Daemon) waitListening(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		c, err := net.DialTimeout("tcp", d.Addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if !d.Running() {
			return fmt.Errorf("%s %s exited at start:\n%s", d.Prog, d.Conf, d.LogTail(4000))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s never listened on %s in %v:\n%s", d.Prog, d.Addr, limit, d.LogTail(4000))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Running tells whether the process is alive (a stopped one, SIGSTOP, is).
func (d *Daemon) Running() bool {
	if d.done == nil {
		return false
	}
	select {
	case <-d.done:
		return false
	default:
		return true
	}
}

// Exited is closed when the process has been reaped (nil before Start).
func (d *Daemon) Exited() <-chan struct{} { return d.done }

// Pid is the running process id, 0 when it is not running.
func (d *Daemon) Pid() int {
	if !d.Running() {
		return 0
	}
	return d.cmd.Process.Pid
}

// Signal sends sig to the process, if it runs.
func (d *Daemon) Signal(sig syscall.Signal) error {
	if !d.Running() {
		return fmt.Errorf("%s %s: not running", d.Prog, d.Addr)
	}
	return d.cmd.Process.Signal(sig)
}

// Kill sends SIGKILL (after SIGCONT, in case a test stopped it) and waits
// until the process is gone: what a crash looks like to the cluster.
func (d *Daemon) Kill() {
	if !d.Running() {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGCONT)
	_ = d.cmd.Process.Signal(syscall.SIGKILL)
	<-d.done
	d.out.Close()
}

// Stop sends SIGTERM and waits for a clean exit; after limit it kills the
// process and says so.
func (d *Daemon) Stop(limit time.Duration) error {
	if !d.Running() {
		return nil
	}
	_ = d.cmd.Process.Signal(syscall.SIGCONT)
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
		d.out.Close()
		if st, ok := d.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && st.Exited() && st.ExitStatus() != 0 {
			return fmt.Errorf("%s %s exited with status %d on SIGTERM", d.Prog, d.Addr, st.ExitStatus())
		}
		return nil
	case <-time.After(limit):
		d.Kill()
		return fmt.Errorf("%s %s did not stop on SIGTERM within %v; killed", d.Prog, d.Addr, limit)
	}
}

func (d *Daemon) outPath() string { return filepath.Join(d.Base, d.Prog+".out") }

// Output is everything the daemon wrote to stdout and stderr (all its runs)
// and then its log file: what a test greps for a log line.
func (d *Daemon) Output() string {
	var b strings.Builder
	for _, p := range []string{d.outPath(), d.LogPath()} {
		data, _ := os.ReadFile(p)
		fmt.Fprintf(&b, "--- %s\n%s", p, data)
	}
	return b.String()
}

// FromConf is a daemon (not started) for a conf file written by the test:
// its address and base_path come from the conf's bind_addr, port and
// base_path lines. progPath is the binary.
func FromConf(progPath, conf string) (*Daemon, error) {
	raw, err := os.ReadFile(conf)
	if err != nil {
		return nil, err
	}
	var ip, port, base string
	for _, line := range strings.Split(string(raw), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "bind_addr":
			ip = strings.Trim(v, "[]")
		case "port":
			port = v
		case "base_path":
			base = v
		}
	}
	if ip == "" || port == "" || base == "" {
		return nil, fmt.Errorf("%s: bind_addr, port and base_path are needed", conf)
	}
	return &Daemon{Prog: filepath.Base(progPath), Bin: filepath.Dir(progPath), Conf: conf, Base: base,
		Addr: net.JoinHostPort(ip, port)}, nil
}

// LogPath is where the daemon writes its C-format log.
func (d *Daemon) LogPath() string {
	name := "storaged.log"
	if strings.Contains(d.Prog, "tracker") {
		name = "trackerd.log"
	}
	return filepath.Join(d.Base, "logs", name)
}

// LogTail is the last max bytes of the daemon's stdout/stderr and of its log
// file, for failure messages.
func (d *Daemon) LogTail(max int) string {
	var b strings.Builder
	for _, p := range []string{d.outPath(), d.LogPath()} {
		data, _ := os.ReadFile(p)
		if len(data) > max {
			data = data[len(data)-max:]
		}
		fmt.Fprintf(&b, "--- %s\n%s", p, data)
	}
	return b.String()
}

// ProcStat is what /proc says of a process.
type ProcStat struct {
	CPU     time.Duration // utime + stime
	RSSKiB  int64         // VmRSS
	PeakKiB int64         // VmHWM
	Threads int
}

// Stat reads the process's CPU time and memory from /proc.
func (d *Daemon) Stat() (ProcStat, error) {
	pid := d.Pid()
	if pid == 0 {
		return ProcStat{}, fmt.Errorf("%s %s: not running", d.Prog, d.Addr)
	}
	return ReadProcStat(pid)
}

// ResetPeak makes the process's VmHWM start again from its current RSS
// (5 to /proc/PID/clear_refs, Linux 4.0+), so that each measured step of a
// benchmark gets its own peak.
func (d *Daemon) ResetPeak() error {
	pid := d.Pid()
	if pid == 0 {
		return fmt.Errorf("%s %s: not running", d.Prog, d.Addr)
	}
	return ResetPeakRSS(pid)
}

// ResetPeakRSS is ResetPeak for any process.
func ResetPeakRSS(pid int) error {
	return os.WriteFile("/proc/"+strconv.Itoa(pid)+"/clear_refs", []byte("5"), 0)
}

// clockTicks is USER_HZ, 100 on every Linux this runs on (sysconf is not in
// the standard library; /proc's utime/stime are in these units).
const clockTicks = 100

// ReadProcStat reads utime+stime, VmRSS/VmHWM and the thread count of any
// process.
func ReadProcStat(pid int) (ProcStat, error) {
	var st ProcStat
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return st, err
	}
	// the command name may hold spaces: fields count from after its ')'
	i := strings.LastIndexByte(string(raw), ')')
	if i < 0 {
		return st, errors.New("unreadable /proc stat of pid " + strconv.Itoa(pid))
	}
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 13 {
		return st, errors.New("short /proc stat of pid " + strconv.Itoa(pid))
	}
	// f[0] is the state (field 3); utime and stime are fields 14 and 15
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	stm, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return st, err
	}
	st.CPU = time.Duration(ut+stm) * time.Second / clockTicks
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return st, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			st.RSSKiB = n
		case "VmHWM":
			st.PeakKiB = n
		case "Threads":
			st.Threads = int(n)
		}
	}
	return st, nil
}
