// fdfs_bench is the load generator for any FastDFS cluster, reached through
// a client.conf:
//
//	fdfs_bench -conf CLIENT_CONF -op upload|download|delete|query|mixed|idle|repl
//	           -size BYTES -concurrency N -count N [-duration D] [-warmup D] [-json]
//	fdfs_bench -op sendfile-probe|disk-probe -size BYTES [-probe-file F] [-dir D] ...
//	fdfs_bench suite [-bin DIR] [-md BENCHMARKS.md] ...   (what make bench runs)
//
// It prints a live progress line on stderr, a summary table on stdout and,
// with -json, one JSON object as the last line of stdout. Exit status 0 means
// every timed operation succeeded, 3 that some failed or the run stopped early.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gofdfs/gofdfs/bench"
	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/conf"
	"github.com/gofdfs/gofdfs/tools/internal/cli"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if path := os.Getenv(bench.SendfileServerEnv); path != "" {
		if err := bench.ServeSendfileChild(path); err != nil {
			fmt.Fprintf(stderr, "fdfs_bench: sendfile probe server: %v\n", err)
			return 1
		}
		return 0
	}
	if len(args) > 0 && args[0] == "suite" {
		return bench.SuiteMain(ctx, args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("fdfs_bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		cfg         bench.Config
		confPath    = fs.String("conf", "", "client.conf of the cluster (tracker_server lines)")
		size        = fs.String("size", "4096", "file size in bytes (suffixes K, M, G: binary)")
		jsonOut     = fs.Bool("json", false, "print the result as one JSON object on the last line of stdout")
		quiet       = fs.Bool("quiet", false, "no live progress line")
		allowRemote = fs.Bool("allow-remote", false, "allow trackers that are not on loopback")
	)
	fs.StringVar(&cfg.Op, "op", "", "scenario: "+strings.Join(bench.Ops, ", "))
	fs.IntVar(&cfg.Concurrency, "concurrency", 1, "workers, each with its own connections")
	fs.IntVar(&cfg.Count, "count", 1000, "operations to time (idle: connections to hold)")
	fs.DurationVar(&cfg.Duration, "duration", time.Minute, "time limit of the timed part (stops at -count or -duration)")
	fs.DurationVar(&cfg.Warmup, "warmup", time.Second, "untimed operations first, for this long")
	fs.StringVar(&cfg.Group, "group", "", "upload to this group (default: the tracker chooses)")
	fs.StringVar(&cfg.FileID, "id", "", "download: this stored file instead of an uploaded working set")
	fs.IntVar(&cfg.WorkingSet, "files", 0, "download, mixed: files in the working set (default min(count, 1000, 1 GiB/size))")
	fs.BoolVar(&cfg.Cleanup, "cleanup", true, "delete the files the run uploaded, untimed")
	fs.DurationVar(&cfg.Hold, "hold", 5*time.Second, "idle: how long the connections stay open before ACTIVE_TEST")
	fs.DurationVar(&cfg.ReplTimeout, "repl-timeout", 2*time.Second, "repl: longest wait for one file on the peer")
	fs.StringVar(&cfg.ProbeFile, "probe-file", "", "sendfile-probe: the file to serve (default a temp file of -size)")
	fs.StringVar(&cfg.Dir, "dir", "", "disk-probe: directory to write in (the store path); payload temp files")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "fdfs_bench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	n, err := ParseSize(*size)
	if err != nil {
		fmt.Fprintf(stderr, "fdfs_bench: -size: %v\n", err)
		return 2
	}
	cfg.Size = n
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "fdfs_bench: %v\n", err)
		return 2
	}
	probe := strings.HasSuffix(cfg.Op, "-probe")
	if exe, err := os.Executable(); err == nil {
		cfg.ServerExe = exe // the sendfile probe's server runs as a process of its own
	}
	if !probe && *confPath == "" {
		fmt.Fprintf(stderr, "fdfs_bench: -op %s needs -conf CLIENT_CONF\n", cfg.Op)
		return 2
	}
	var res bench.Result
	if probe {
		res, err = bench.Run(ctx, nil, cfg, progressTo(*quiet, stderr))
	} else {
		if !*allowRemote {
			if err := loopbackOnly(*confPath); err != nil {
				fmt.Fprintf(stderr, "fdfs_bench: %v (pass -allow-remote to load a cluster on the network)\n", err)
				return 2
			}
		}
		cl, oerr := openClient(*confPath, cfg.Concurrency)
		if oerr != nil {
			fmt.Fprintf(stderr, "fdfs_bench: %v\n", oerr)
			return 2
		}
		defer cl.Close()
		res, err = bench.Run(ctx, cl, cfg, progressTo(*quiet, stderr))
	}
	if err != nil {
		fmt.Fprintf(stderr, "fdfs_bench: %v\n", err)
		if *jsonOut { // scripts read the last line whatever happened
			res.Aborted = err.Error()
			fmt.Fprintln(stdout, res.JSON())
		}
		return 1
	}
	bench.WriteTable(stdout, res)
	if *jsonOut {
		fmt.Fprintln(stdout, res.JSON())
	}
	if res.Errors > 0 || res.Aborted != "" {
		return 3
	}
	return 0
}

// openClient is cli.Open with a pool that keeps one idle connection per
// worker and server: with the SDK's default of 8, 32 workers would close and
// redial most connections on every request and measure connection set-up.
func openClient(path string, workers int) (*client.Client, error) {
	cfg, err := conf.LoadClient(path)
	if err != nil {
		return nil, err
	}
	trackers := make([]string, 0, len(cfg.TrackerServers))
	for _, t := range cfg.TrackerServers {
		trackers = append(trackers, cli.TrackerAddr(t))
	}
	return client.New(client.Config{
		Trackers:         trackers,
		ConnectTimeout:   cfg.ConnectTimeout,
		NetworkTimeout:   cfg.NetworkTimeout,
		MaxIdlePerServer: max(workers, 8),
	})
}

func progressTo(quiet bool, w io.Writer) io.Writer {
	if quiet {
		return nil
	}
	return w
}

// loopbackOnly refuses a client.conf whose trackers are not on this machine:
// a load generator aimed at production by a typo does harm.
func loopbackOnly(path string) error {
	cfg, err := conf.LoadClient(path)
	if err != nil {
		return err
	}
	for _, t := range cfg.TrackerServers {
		for _, h := range t.Hosts {
			ips, err := net.LookupIP(h)
			if err != nil {
				return fmt.Errorf("tracker %s: %w", h, err)
			}
			for _, ip := range ips {
				if !ip.IsLoopback() {
					return fmt.Errorf("tracker %s (%s) is not on loopback", h, ip)
				}
			}
		}
	}
	return nil
}

// ParseSize reads "4096", "4K", "4KiB", "256M", "1G".
func ParseSize(s string) (int64, error) {
	t := strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(strings.TrimSpace(s)), "IB"), "B")
	mult := int64(1)
	if t != "" {
		switch t[len(t)-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		}
		if mult > 1 {
			t = t[:len(t)-1]
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, errors.New("not a size: " + strconv.Quote(s))
	}
	return n * mult, nil
}
