package daemon

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Program describes one daemon binary.
type Program struct {
	Name    string // binary name, e.g. "fdfs_trackerd"; the pid file is data/<Name>.pid
	LogName string // file under base_path/logs, e.g. "trackerd.log"
	// Prepare loads the configuration. It must not start serving.
	Prepare func(confPath string, log *slog.Logger) (*Prepared, error)
}

// Prepared is a loaded daemon, ready to serve.
type Prepared struct {
	BasePath string
	LogLevel string
	// Serve runs until ctx ends, calling ready once it accepts connections,
	// and returns after a clean shutdown.
	Serve func(ctx context.Context, log *slog.Logger, ready func()) error
}

// readyEnv tells a re-executed child which fd reports its start-up result.
const readyEnv = "GOFDFS_DAEMON_READY_FD"

// stopWait bounds how long stop waits for the process to exit.
const stopWait = 60 * time.Second

func usage(p Program, w io.Writer) {
	fmt.Fprintf(w, "Usage: %s <config_file> [start | stop | restart] [--foreground]\n", p.Name)
}

// Main runs the command line `PROG CONF [start|stop|restart] [--foreground]`
// and returns the exit status.
func Main(p Program, args []string) int {
	var pos []string
	foreground := false
	for _, a := range args {
		switch a {
		case "--foreground", "-foreground", "-f":
			foreground = true
		case "-h", "--help", "-help":
			usage(p, os.Stdout)
			return 0
		default:
			pos = append(pos, a)
		}
	}
	if len(pos) < 1 || len(pos) > 2 {
		usage(p, os.Stderr)
		return 1
	}
	confPath, action := pos[0], "start"
	if len(pos) == 2 {
		action = pos[1]
	}
	boot := slog.New(NewCHandler(os.Stderr, slog.LevelInfo))
	prep, err := p.Prepare(confPath, boot)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", p.Name, err)
		return 2
	}
	pidPath := filepath.Join(prep.BasePath, "data", p.Name+".pid")
	switch action {
	case "start":
		if pid, up := running(pidPath); up {
			fmt.Fprintf(os.Stderr, "%s: already running, pid %d (%s)\n", p.Name, pid, pidPath)
			return 1
		}
		if foreground || os.Getenv(readyEnv) != "" {
			return serve(p, prep, pidPath, foreground)
		}
		return spawn(p, confPath)
	case "stop":
		return stop(p, pidPath)
	case "restart":
		if rc := stop(p, pidPath); rc != 0 {
			return rc
		}
		if foreground {
			return serve(p, prep, pidPath, true)
		}
		return spawn(p, confPath)
	default:
		usage(p, os.Stderr)
		return 1
	}
}

// running reads the pid file and reports whether that process exists.
func running(pidPath string) (int, bool) {
	b, err := os.ReadFile(pidPath)
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, Alive(pid)
}

// Alive reports whether process pid exists and has not exited. An exited
// process stays a zombie until its parent reaps it, and kill(pid, 0) still
// succeeds on a zombie: a detached daemon's parent is init, which may reap
// late (in the CI sandbox init took ~1.3 s, which made every stop look
// that much slower than the daemon's own ~0.5 s). So the state in
// /proc/PID/stat decides where there is one.
func Alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		// gone since the kill, or no procfs at all (then trust kill)
		_, perr := os.Stat("/proc/self/stat")
		return perr != nil
	}
	return procState(b) != 'Z'
}

// procState is the state letter of a /proc/PID/stat line: the field after
// the command name, which is in parentheses and may itself hold ") ".
func procState(stat []byte) byte {
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 || i+2 >= len(stat) {
		return 0
	}
	return stat[i+2]
}

// spawn re-executes this binary detached in its own session and waits for it
// to report that it listens (or why it could not).
func spawn(p Program, confPath string) int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", p.Name, err)
		return 1
	}
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", p.Name, err)
		return 1
	}
	abs, _ := filepath.Abs(confPath)
	cmd := exec.Command(exe, abs, "start")
	cmd.Env = append(os.Environ(), readyEnv+"=3")
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: start: %v\n", p.Name, err)
		return 1
	}
	w.Close()
	line, _ := bufio.NewReader(r).ReadString('\n')
	r.Close()
	if strings.TrimSpace(line) != "ok" {
		if line == "" {
			line = "exited during start-up; see the log under base_path/logs"
		}
		fmt.Fprintf(os.Stderr, "%s: %s\n", p.Name, strings.TrimSpace(line))
		return 1
	}
	_ = cmd.Process.Release()
	return 0
}

// stop signals the running daemon with SIGTERM and waits for it to exit.
func stop(p Program, pidPath string) int {
	pid, up := running(pidPath)
	if !up {
		fmt.Fprintf(os.Stderr, "%s: not running (%s)\n", p.Name, pidPath)
		return 0
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		fmt.Fprintf(os.Stderr, "%s: kill %d: %v\n", p.Name, pid, err)
		return 1
	}
	deadline := time.Now().Add(stopWait)
	for time.Now().Before(deadline) {
		if !Alive(pid) {
			fmt.Printf("waiting for pid: %d exit ok\n", pid)
			return 0
		}
		time.Sleep(50 * time.Millisecond)
	}
	fmt.Fprintf(os.Stderr, "%s: pid %d did not exit within %s\n", p.Name, pid, stopWait)
	return 1
}

// serve runs the daemon in this process: log file, pid file, signals.
func serve(p Program, prep *Prepared, pidPath string, foreground bool) int {
	var report *os.File
	if fd := os.Getenv(readyEnv); fd != "" {
		n, _ := strconv.Atoi(fd)
		report = os.NewFile(uintptr(n), "ready")
		os.Unsetenv(readyEnv)
	}
	fail := func(err error) int {
		if report != nil {
			fmt.Fprintf(report, "%v\n", err)
			report.Close()
		}
		fmt.Fprintf(os.Stderr, "%s: %v\n", p.Name, err)
		return 2
	}
	lf, err := OpenLogFile(filepath.Join(prep.BasePath, "logs", p.LogName))
	if err != nil {
		return fail(err)
	}
	defer lf.Close()
	var out io.Writer = lf
	if foreground {
		out = io.MultiWriter(lf, os.Stderr)
	}
	log := slog.New(NewCHandler(out, ParseLevel(prep.LogLevel)))
	if err := os.MkdirAll(filepath.Dir(pidPath), 0o755); err != nil {
		return fail(err)
	}
	if err := os.WriteFile(pidPath, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return fail(fmt.Errorf("write pid file: %w", err))
	}
	defer os.Remove(pidPath)

	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer cancel()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			if err := lf.Reopen(); err != nil {
				log.Error("reopen log file", "err", err)
			}
		}
	}()

	ready := func() {
		log.Info(p.Name + " started, pid " + strconv.Itoa(os.Getpid()))
		if report != nil {
			fmt.Fprintln(report, "ok")
			report.Close()
			report = nil
		}
	}
	err = prep.Serve(ctx, log, ready)
	if report != nil { // never became ready
		// the parent exits as soon as it reads the reason: clean up first
		os.Remove(pidPath)
		return fail(err)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		log.Error(p.Name+" exit", "err", err)
		return 1
	}
	log.Info(p.Name + " exit normally.")
	return 0
}
