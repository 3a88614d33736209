package bench

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/klauspost/cpuid/v2"
)

// Step is one scenario of the standard set: a fdfs_bench command line.
type Step struct {
	Name  string   // stable key, used to compare with the previous run
	Args  []string // fdfs_bench arguments after the binary, without -json -quiet
	Limit string   // the Name of the probe this step is a ratio to ("" none)
	Large bool     // compare MiB/s rather than ops/s
}

// StepResult is a Step as measured, with the servers' cost during it.
type StepResult struct {
	Step
	Command    string  `json:"command"`
	Result     Result  `json:"result"`
	Failure    string  `json:"failure,omitempty"`    // fdfs_bench did not produce a result
	ServerCPU  float64 `json:"server_cpu_s"`         // tracker + storages, CPU seconds during the step
	StorageRSS float64 `json:"storage_peak_rss_mib"` // highest storage VmHWM during the step
}

// SuiteReport is one make bench run.
type SuiteReport struct {
	Date, Commit, CPU, Kernel, GoVersion string
	Cores                                int
	LoadAvg                              string
	Provisional                          string
	Steps                                []StepResult
	Micro                                string // go test -bench output
	Work, BigID, BigPath                 string // replaced by names in the commands shown
	Duration                             time.Duration
	SideBySide                           *SideBySide // C beside ours (nil: not run)
}

// standardSet is what make bench runs, in this order: each limit probe
// right before the steps divided by it (so both see the same machine, which
// is what keeps the ratio steady when the load is not), reads first, then
// the lag, the upload-heavy steps (the files they leave replicate in the
// background and would load the reads), and the 10k idle connections last.
func standardSet(cl *Cluster, bigID, bigPath, work string) []Step {
	c := []string{"-conf", cl.ClientConf}
	args := func(extra ...string) []string { return append(append([]string{}, c...), extra...) }
	small := func(op string, conc string, extra ...string) []string {
		return args(append([]string{"-op", op, "-size", "4096", "-concurrency", conc, "-count", "1000000",
			"-duration", "6s", "-warmup", "1s", "-cleanup=false"}, extra...)...)
	}
	return []Step{
		{Name: "probe-rtt-40B-c16", Args: []string{"-op", "sendfile-probe", "-size", "40", "-concurrency", "16", "-count", "1000000", "-duration", "4s", "-dir", work}},
		{Name: "query-c16", Limit: "probe-rtt-40B-c16", Args: args("-op", "query", "-concurrency", "16", "-count", "1000000", "-duration", "5s")},
		{Name: "probe-sendfile-4K-c8", Args: []string{"-op", "sendfile-probe", "-size", "4096", "-concurrency", "8", "-count", "1000000", "-duration", "4s", "-dir", work}},
		{Name: "download-4K-c8", Limit: "probe-sendfile-4K-c8", Args: small("download", "8")},
		{Name: "probe-sendfile-4K-c32", Args: []string{"-op", "sendfile-probe", "-size", "4096", "-concurrency", "32", "-count", "1000000", "-duration", "4s", "-dir", work}},
		{Name: "download-4K-c32", Limit: "probe-sendfile-4K-c32", Args: small("download", "32")},
		{Name: "probe-sendfile-256M-c1", Large: true, Args: []string{"-op", "sendfile-probe", "-probe-file", bigPath, "-concurrency", "1", "-count", "12", "-duration", "20s", "-warmup", "300ms"}},
		{Name: "download-256M-c1", Limit: "probe-sendfile-256M-c1", Large: true, Args: args("-op", "download", "-id", bigID, "-concurrency", "1", "-count", "12", "-duration", "20s", "-warmup", "300ms")},
		{Name: "repl-4K-c1", Args: args("-op", "repl", "-size", "4096", "-concurrency", "1", "-count", "300", "-duration", "15s", "-warmup", "0s", "-repl-timeout", "2s", "-cleanup=false")},
		{Name: "probe-disk-4K-c8", Args: []string{"-op", "disk-probe", "-size", "4096", "-concurrency", "8", "-count", "1000000", "-duration", "4s", "-dir", cl.StorePaths[0]}},
		{Name: "upload-4K-c8", Limit: "probe-disk-4K-c8", Args: small("upload", "8")},
		{Name: "upload-4K-c32", Limit: "probe-disk-4K-c8", Args: small("upload", "32")},
		{Name: "mixed-4K-c16", Args: small("mixed", "16")},
		{Name: "delete-4K-c16", Args: args("-op", "delete", "-size", "4096", "-concurrency", "16", "-count", "5000", "-duration", "20s")},
		{Name: "probe-disk-256M-c1", Large: true, Args: []string{"-op", "disk-probe", "-size", "256M", "-concurrency", "1", "-count", "6", "-duration", "20s", "-warmup", "0s", "-dir", cl.StorePaths[0]}},
		{Name: "upload-256M-c1", Limit: "probe-disk-256M-c1", Large: true, Args: args("-op", "upload", "-size", "256M", "-concurrency", "1", "-count", "6", "-duration", "30s", "-warmup", "0s", "-dir", work)},
		// last: the 10k connections' buffers stay in the storage's RSS for a
		// while after they close (Go returns memory lazily), which would be
		// charged to the steps after it as "RSS under load"
		{Name: "idle-10000", Args: args("-op", "idle", "-concurrency", "16", "-count", "10000", "-duration", "60s", "-hold", "5s")},
	}
}

// SuiteMain is `fdfs_bench suite`: start our cluster on loopback, run the
// standard set with this very binary, and write the report into the
// generated part of BENCHMARKS.md.
func SuiteMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fdfs_bench suite", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bin := fs.String("bin", "bin", "directory with fdfs_trackerd, fdfs_storaged and fdfs_bench")
	md := fs.String("md", "", "file whose generated section is replaced, e.g. BENCHMARKS.md (make bench passes it); empty prints the section to stdout, so a single scenario run cannot overwrite the last full run")
	work := fs.String("work", "", "directory for the cluster's data (default a new temp dir, removed after)")
	netp := fs.String("net", "127.0.8", "loopback /24 for the cluster: tracker .1, storages .2 and .3")
	only := fs.String("only", "", "comma-separated step names to run (default all)")
	micro := fs.String("micro", "", "space-separated packages for go test -bench (default none)")
	provisional := fs.String("provisional", "", "a note that marks the figures provisional (e.g. why the machine was busy)")
	sbs := fs.String("sbs", "auto", "side by side with C FastDFS: auto (when found: FDFS_C_BIN or fdfs_trackerd on PATH), off, only (skip the standard set)")
	sbsRounds := fs.Int("sbs-rounds", 2, "side by side: rounds of (C, ours, ours, C) per scenario")
	sbsNet := fs.String("sbs-net", "127.0.9", "side by side: loopback /24 (C .60/.61, ours .70/.71; trunk pair C .62/.63, ours .72/.73)")
	sbsOnly := fs.String("sbs-only", "", "side by side: comma-separated scenario names to run (default all)")
	sbsBase := fs.String("sbs-base", "", "side by side: directory of an earlier build of ours, run as side \"base\" (.80/.81, trunk .82/.83) in every round (C, base, ours, ours, base, C) for an A/B of a change; logged only")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	rep, err := runSuite(ctx, suiteOptions{bin: *bin, work: *work, net: *netp, only: *only, micro: *micro,
		provisional: *provisional, log: stderr, sbs: *sbs, sbsRounds: *sbsRounds, sbsNet: *sbsNet, sbsOnly: *sbsOnly, sbsBase: *sbsBase})
	if err != nil {
		fmt.Fprintf(stderr, "fdfs_bench suite: %v\n", err)
		return 1
	}
	var prev []StepResult
	old, rerr := os.ReadFile(*md)
	if *md != "" && rerr == nil {
		prev = previousSteps(old)
	}
	section := rep.Markdown(prev)
	if rep.SideBySide != nil {
		section = strings.Replace(section, endMark, rep.SideBySide.Markdown()+endMark, 1)
	}
	if *md == "" {
		fmt.Fprint(stdout, section)
		return 0
	}
	if err := os.WriteFile(*md, spliceGenerated(old, section), 0o644); err != nil {
		fmt.Fprintf(stderr, "fdfs_bench suite: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %s (%d steps, %v)\n", *md, len(rep.Steps), rep.Duration.Round(time.Second))
	return 0
}

type suiteOptions struct {
	bin, work, net, only, micro, provisional string
	log                                      io.Writer
	sbs, sbsNet, sbsOnly, sbsBase            string
	sbsRounds                                int
}

func runSuite(ctx context.Context, o suiteOptions) (*SuiteReport, error) {
	start := time.Now()
	self, err := filepath.Abs(filepath.Join(o.bin, "fdfs_bench"))
	if err != nil {
		return nil, err
	}
	// the children inherit the limit: 10k idle connections need 10k fds on each side
	if err := RaiseFileLimit(10_000 + 1024); err != nil {
		fmt.Fprintf(o.log, "warning: %v\n", err)
	}
	work := o.work
	keep := true // a failed start keeps the daemons' logs for a look
	if work == "" {
		if work, err = os.MkdirTemp("", "fdfs_bench-suite-"); err != nil {
			return nil, err
		}
		defer func() {
			if !keep {
				os.RemoveAll(work)
			}
		}()
	}
	rep := &SuiteReport{Provisional: o.provisional}
	rep.describeMachine()
	if o.sbs != "off" {
		if cBin := FindCBin(); cBin == "" {
			fmt.Fprintf(o.log, "side by side: no C reference (FDFS_C_BIN, or fdfs_trackerd on PATH): skipped\n")
			rep.SideBySide = &SideBySide{}
		} else {
			fmt.Fprintf(o.log, "side by side with C from %s\n", cBin)
			sbs, err := runSideBySide(ctx, self, o.bin, o.sbsBase, cBin, work, o.sbsNet, max(o.sbsRounds, 1), o.sbsOnly, o.log)
			if err != nil {
				fmt.Fprintf(o.log, "side by side: %v\n", err)
				sbs = &SideBySide{Note: "the side-by-side run failed: " + err.Error()}
			}
			rep.SideBySide = sbs
		}
		if o.sbs == "only" {
			rep.Duration = time.Since(start)
			return rep, nil
		}
	}
	fmt.Fprintf(o.log, "starting cluster in %s\n", work)
	cl, err := StartCluster(ctx, ClusterOptions{Bin: o.bin, Dir: work, Net: o.net})
	if err != nil {
		return nil, fmt.Errorf("%w (confs and logs kept in %s)", err, work)
	}
	keep = o.work != ""
	defer cl.Stop()
	bigID, bigPath, err := cl.storeBigFile(ctx, work, 256<<20)
	if err != nil {
		return nil, err
	}
	rep.Work, rep.BigID, rep.BigPath = work, bigID, bigPath
	want := map[string]bool{}
	for n := range strings.SplitSeq(o.only, ",") {
		if n != "" {
			want[n] = true
		}
	}
	for _, st := range standardSet(cl, bigID, bigPath, work) {
		if len(want) > 0 && !want[st.Name] {
			continue
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		sr := cl.runStep(ctx, self, st)
		fmt.Fprintf(o.log, "%-24s %10.0f ops/s %8.1f MiB/s p50 %.3f ms p99 %.3f ms errors %d %s\n", st.Name,
			sr.Result.OpsPerSec, sr.Result.MiBPerSec, sr.Result.P50ms, sr.Result.P99ms, sr.Result.Errors, sr.Failure)
		rep.Steps = append(rep.Steps, sr)
	}
	if o.micro != "" {
		fmt.Fprintf(o.log, "go test -bench %s\n", o.micro)
		rep.Micro = runMicro(ctx, o.micro)
	}
	rep.Duration = time.Since(start)
	return rep, nil
}

// storeBigFile uploads a file of size through the tracker and returns its
// ID and its path on whichever storage holds it, for the download step and
// the sendfile probe on the very same file.
func (c *Cluster) storeBigFile(ctx context.Context, work string, size int64) (string, string, error) {
	p, err := newPayload(size, work)
	if err != nil {
		return "", "", err
	}
	defer p.remove()
	r, err := p.reader()
	if err != nil {
		return "", "", err
	}
	defer r.close()
	src, _ := r.rewind()
	cl, err := client.New(client.Config{Trackers: []string{c.TrackerAddr}})
	if err != nil {
		return "", "", err
	}
	defer cl.Close()
	id, err := cl.Upload(ctx, src, size, "dat")
	if err != nil {
		return "", "", fmt.Errorf("upload of the 256 MiB file: %w", err)
	}
	// group1/M00/XX/YY/name -> STORE_PATH0/data/XX/YY/name
	_, rest, _ := strings.Cut(id, "/M00/")
	for _, sp := range c.StorePaths {
		path := filepath.Join(sp, "data", rest)
		if st, err := os.Stat(path); err == nil && st.Size() == size {
			return id, path, nil
		}
	}
	return "", "", fmt.Errorf("%s is on no store path of %v", id, c.StorePaths)
}

// runStep runs one fdfs_bench child and measures the daemons around it.
func (c *Cluster) runStep(ctx context.Context, self string, st Step) StepResult {
	sr := StepResult{Step: st, Command: "fdfs_bench " + strings.Join(st.Args, " ") + " -json"}
	cpu0 := c.cpu()
	for _, d := range c.Storages {
		_ = d.ResetPeak()
	}
	cmd := exec.CommandContext(ctx, self, append(append([]string{}, st.Args...), "-json", "-quiet")...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	sr.ServerCPU = c.cpu() - cpu0
	for _, d := range c.Storages {
		sr.StorageRSS = max(sr.StorageRSS, peakRSSMiB(d))
	}
	res, perr := ParseResult(out.String())
	sr.Result = res
	var ee *exec.ExitError
	if perr != nil || (err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 3)) {
		sr.Failure = strings.TrimSpace(fmt.Sprintf("%v %v", err, lastLine(errb.String())))
	}
	return sr
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// runMicro runs the Go micro-benchmarks of the hot paths, briefly.
func runMicro(ctx context.Context, pkgs string) string {
	args := append([]string{"test", "-run", "^$", "-bench", ".", "-benchmem", "-benchtime", "200ms"}, strings.Fields(pkgs)...)
	cmd := exec.CommandContext(ctx, "go", args...)
	out, err := cmd.CombinedOutput()
	var b strings.Builder
	for line := range strings.SplitSeq(string(out), "\n") {
		if strings.HasPrefix(line, "Benchmark") || strings.HasPrefix(line, "pkg:") || strings.HasPrefix(line, "FAIL") {
			b.WriteString(line + "\n")
		}
	}
	if err != nil {
		b.WriteString("go " + strings.Join(args, " ") + ": " + err.Error() + "\n")
	}
	return b.String()
}

func (r *SuiteReport) describeMachine() {
	r.Date = time.Now().UTC().Format("2006-01-02 15:04 MST")
	r.Cores = runtime.NumCPU()
	r.CPU = cpuid.CPU.BrandName
	r.GoVersion = runtime.Version()
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		r.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		r.LoadAvg = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	if out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		r.Commit = strings.TrimSpace(string(out))
		if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
			r.Commit += " (with uncommitted changes)"
		}
	}
}
