package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofdfs/gofdfs/internal/testcluster"
)

// The side-by-side part of make bench: a C FastDFS cluster and ours (a
// tracker and one storage each, the conf shape of
// /work/shared/tools/side-by-side.sh), driven by this fdfs_bench in
// alternating runs (C, ours, ours, C), with each daemon's CPU per
// operation read from /proc. CPU per operation is the fair figure on a
// small box where the load generator shares the cores with the servers.

// FindCBin is the directory of the C reference daemons: $FDFS_C_BIN, else
// where fdfs_trackerd is on PATH, provided that one is not a Go binary
// (ours, installed). "" when there is none.
func FindCBin() string { return testcluster.CDaemons() }

// sbsCluster is one side: a tracker and a storage started as daemons.
type sbsCluster struct {
	name       string
	tc         *testcluster.Cluster
	clientConf string
}

func (c *sbsCluster) tracker() *testcluster.Daemon { return c.tc.Trackers[0] }
func (c *sbsCluster) storage() *testcluster.Daemon { return c.tc.Storages[0] }

// startSBS starts one side in dir, with the conf shape of side-by-side.sh:
// the daemons' defaults but for the lines given here. isC marks C's daemons
// in bin.
func startSBS(name, bin string, isC bool, dir, tip, sip string, trackerExtra ...string) (*sbsCluster, error) {
	c := &sbsCluster{name: name, tc: testcluster.New(bin, dir)}
	if _, err := c.tc.AddTracker(testcluster.TrackerSpec{IP: tip, Port: 22122, Base: filepath.Join(dir, "t"), Bin: bin, C: isC, Plain: true,
		Extra: append([]string{"store_lookup = 0", "store_server = 0", "reserved_storage_space = 1%", "max_connections = 10240",
			"log_level = warn"}, trackerExtra...)}); err != nil {
		c.stop()
		return nil, fmt.Errorf("%s tracker: %w", name, err)
	}
	if _, err := c.tc.AddStorage(testcluster.StorageSpec{IP: sip, Port: 23000, Base: filepath.Join(dir, "s"), Bin: bin, C: isC, Plain: true,
		Extra: []string{"client_bind = true", "store_path_count = 1", "heart_beat_interval = 2", "max_connections = 10240",
			"thread_stack_size = 512KB", "sync_binlog_buff_interval = 1", "log_level = warn"}}); err != nil {
		c.stop()
		return nil, fmt.Errorf("%s storage: %w", name, err)
	}
	// connect_timeout 10 is the default, which side-by-side.sh leaves
	var err error
	if c.clientConf, err = c.tc.ClientConf("network_timeout = 60", "connect_timeout = 10"); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

func (c *sbsCluster) stop() { _ = c.tc.Stop(10 * time.Second) }

// SBSRun is one timed run of one side.
type SBSRun struct {
	Side       string  `json:"side"`
	OpsPerSec  float64 `json:"ops_per_sec"`
	Ops        int64   `json:"ops"`
	TrackerUs  float64 `json:"tracker_us_per_op"`
	StorageUs  float64 `json:"storage_us_per_op"`
	Errors     int64   `json:"errors"`
	StorageRSS float64 `json:"storage_peak_rss_mib"`
}

// SBSFigure is one scenario measured on both sides.
type SBSFigure struct {
	Name string   `json:"name"`
	Args []string `json:"args"`
	Runs []SBSRun `json:"runs"`
	// Trunk: the scenario runs against the pair of clusters whose
	// trackers have use_trunk_file = true (small files in trunk files).
	Trunk bool `json:"trunk,omitempty"`
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// of is the median of f over the runs of side.
func (f *SBSFigure) of(side string, fn func(SBSRun) float64) float64 {
	var v []float64
	for _, r := range f.Runs {
		if r.Side == side {
			v = append(v, fn(r))
		}
	}
	return median(v)
}

// sbsScenarios: the 4 KiB figures of issue 13. "upload-after-delete" keeps
// fdfs_bench's default cleanup: every run after the first uploads right
// after the previous run deleted its files.
func sbsScenarios() []SBSFigure {
	small := func(op string, extra ...string) []string {
		return append([]string{"-op", op, "-size", "4096", "-concurrency", "16", "-count", "1000000",
			"-duration", "4s", "-warmup", "500ms"}, extra...)
	}
	return []SBSFigure{
		{Name: "upload-4K-c16", Args: small("upload", "-cleanup=false")},
		{Name: "download-4K-c16", Args: small("download", "-cleanup=false")},
		{Name: "query-c16", Args: small("query")},
		{Name: "upload-after-delete-4K-c16", Args: small("upload")},
		{Name: "upload-4K-c16-trunk", Args: small("upload", "-cleanup=false"), Trunk: true},
	}
}

// trunkTrackerConf turns trunk files on for a side-by-side pair: C's
// defaults otherwise (64 MiB trunk files, 256-byte slots), so 4 KiB
// uploads land in trunk slots on both sides.
var trunkTrackerConf = []string{"use_trunk_file = true", "slot_min_size = 256", "slot_max_size = 1MB",
	"trunk_file_size = 64MB", "trunk_create_file_advance = false"}

// runSBS runs one side once.
func runSBS(ctx context.Context, self string, c *sbsCluster, args []string) (SBSRun, error) {
	r := SBSRun{Side: c.name}
	_ = c.storage().ResetPeak()
	t0, s0 := cpuSeconds(c.tracker()), cpuSeconds(c.storage())
	out, err := exec.CommandContext(ctx, self, append(append([]string{"-conf", c.clientConf}, args...), "-json", "-quiet")...).Output()
	t1, s1 := cpuSeconds(c.tracker()), cpuSeconds(c.storage())
	res, perr := ParseResult(string(out))
	var ee *exec.ExitError
	if perr != nil || (err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 3)) {
		return r, fmt.Errorf("%s %v: %v %v", c.name, args, err, perr)
	}
	r.OpsPerSec, r.Ops, r.Errors = res.OpsPerSec, res.Ops, res.Errors
	if res.Ops > 0 {
		r.TrackerUs = (t1 - t0) * 1e6 / float64(res.Ops)
		r.StorageUs = (s1 - s0) * 1e6 / float64(res.Ops)
	}
	r.StorageRSS = peakRSSMiB(c.storage())
	return r, nil
}

// SideBySide is the side-by-side report.
type SideBySide struct {
	CBin    string
	Rounds  int
	Figures []SBSFigure
	Note    string // why there is none
}

// sbsPair is a C cluster and one of ours with the same conf, and, for an
// A/B of a change, one of an earlier build of ours (base).
type sbsPair struct{ c, ours, base *sbsCluster }

func (p *sbsPair) stop() {
	for _, c := range []*sbsCluster{p.c, p.ours, p.base} {
		if c != nil {
			c.stop()
		}
	}
}

// startPair starts both sides (and base when baseBin is set, at
// oursHost+10); cHost and oursHost are the tracker's last address byte,
// the storage gets the next one.
func startPair(ctx context.Context, oursBin, baseBin, cBin, dir, net string, cHost, oursHost int, trackerExtra []string) (*sbsPair, error) {
	p := &sbsPair{}
	var err error
	ip := func(h int) string { return net + "." + strconv.Itoa(h) }
	if p.c, err = startSBS("C", cBin, true, filepath.Join(dir, "c"), ip(cHost), ip(cHost+1), trackerExtra...); err != nil {
		return nil, err
	}
	if p.ours, err = startSBS("ours", oursBin, false, filepath.Join(dir, "ours"), ip(oursHost), ip(oursHost+1), trackerExtra...); err != nil {
		p.stop()
		return nil, err
	}
	all := []*sbsCluster{p.c, p.ours}
	if baseBin != "" {
		if p.base, err = startSBS("base", baseBin, false, filepath.Join(dir, "base"), ip(oursHost+10), ip(oursHost+11), trackerExtra...); err != nil {
			p.stop()
			return nil, err
		}
		all = append(all, p.base)
	}
	for _, c := range all {
		if err := waitReady(ctx, c.tc, 1, 60*time.Second); err != nil {
			p.stop()
			return nil, fmt.Errorf("%s cluster: %w", c.name, err)
		}
	}
	return p, nil
}

// runSideBySide starts both clusters under work and runs every scenario
// named in only (all when empty) rounds times in the order C, ours, ours,
// C. The trunk scenarios get a pair of their own (trackers with
// use_trunk_file), started when the first of them runs. With baseBin (an
// earlier build of ours, for an A/B of a change in the same run as C) the
// order is C, base, ours, ours, base, C; base runs are logged, not
// written to the report.
func runSideBySide(ctx context.Context, self, oursBin, baseBin, cBin, work, net string, rounds int, only string, log io.Writer) (*SideBySide, error) {
	sbs := &SideBySide{CBin: cBin, Rounds: rounds}
	oursBin, _ = filepath.Abs(oursBin)
	if baseBin != "" {
		baseBin, _ = filepath.Abs(baseBin)
	}
	want := map[string]bool{}
	for n := range strings.SplitSeq(only, ",") {
		if n != "" {
			want[n] = true
		}
	}
	var plain, trunk *sbsPair
	defer func() {
		for _, p := range []*sbsPair{plain, trunk} {
			if p != nil {
				p.stop()
			}
		}
	}()
	for _, f := range sbsScenarios() {
		if len(want) > 0 && !want[f.Name] {
			continue
		}
		var err error
		pair := &plain
		if f.Trunk {
			pair = &trunk
		}
		if *pair == nil {
			if f.Trunk {
				*pair, err = startPair(ctx, oursBin, baseBin, cBin, filepath.Join(work, "sbs-trunk"), net, 62, 72, trunkTrackerConf)
			} else {
				*pair, err = startPair(ctx, oursBin, baseBin, cBin, filepath.Join(work, "sbs"), net, 60, 70, nil)
			}
			if err != nil {
				return nil, err
			}
		}
		cc, oc := (*pair).c, (*pair).ours
		order := []*sbsCluster{cc, oc, oc, cc}
		if bc := (*pair).base; bc != nil {
			order = []*sbsCluster{cc, bc, oc, oc, bc, cc}
		}
		for range rounds {
			for _, c := range order {
				r, err := runSBS(ctx, self, c, f.Args)
				if err != nil {
					fmt.Fprintf(log, "side-by-side %s: %v\n", f.Name, err)
					continue
				}
				fmt.Fprintf(log, "%-28s %-4s %9.0f ops/s  tracker %6.1f us/op  storage %6.1f us/op\n",
					f.Name, r.Side, r.OpsPerSec, r.TrackerUs, r.StorageUs)
				if c != (*pair).base {
					f.Runs = append(f.Runs, r)
				}
			}
		}
		sbs.Figures = append(sbs.Figures, f)
	}
	return sbs, nil
}

// sbsTarget is one target of issue 13.
type sbsTarget struct {
	what   string
	figure string
	metric string // "storage", "tracker", "ops"
	le     bool   // ours/C must be <= limit (else >=)
	limit  float64
}

var sbsTargets = []sbsTarget{
	{"storage CPU per 4 KiB upload", "upload-4K-c16", "storage", true, 0.5},
	{"storage CPU per 4 KiB download", "download-4K-c16", "storage", true, 0.5},
	{"tracker CPU per QUERY_STORE (upload)", "upload-4K-c16", "tracker", true, 0.8},
	{"tracker CPU per QUERY_FETCH (download)", "download-4K-c16", "tracker", true, 0.8},
	{"tracker CPU per query (query only)", "query-c16", "tracker", true, 0.8},
	{"uploads/s right after a delete wave", "upload-after-delete-4K-c16", "ops", false, 1.0},
}

func metricOf(m string) func(SBSRun) float64 {
	switch m {
	case "storage":
		return func(r SBSRun) float64 { return r.StorageUs }
	case "tracker":
		return func(r SBSRun) float64 { return r.TrackerUs }
	}
	return func(r SBSRun) float64 { return r.OpsPerSec }
}

// Markdown renders the side-by-side and targets tables.
func (s *SideBySide) Markdown() string {
	var b strings.Builder
	b.WriteString("### Side by side with C FastDFS\n\n")
	if s == nil || len(s.Figures) == 0 {
		note := "no C reference found (FDFS_C_BIN or fdfs_trackerd on PATH): only our own figures and the probes above"
		if s != nil && s.Note != "" {
			note = s.Note
		}
		b.WriteString(note + ".\n\n")
		return b.String()
	}
	fmt.Fprintf(&b, "C daemons from `%s`, a tracker and one storage each, same conf; every scenario %d x (C, ours, ours, C),"+
		" medians of the runs; CPU is utime+stime from /proc per operation.\n\n", s.CBin, s.Rounds)
	b.WriteString("| scenario | figure | C | ours | ours/C |\n|---|---|--:|--:|--:|\n")
	for i := range s.Figures {
		f := &s.Figures[i]
		for _, m := range []struct{ label, metric, format string }{
			{"ops/s", "ops", "%.0f"}, {"storage us/op", "storage", "%.1f"}, {"tracker us/op", "tracker", "%.1f"}} {
			cv, ov := f.of("C", metricOf(m.metric)), f.of("ours", metricOf(m.metric))
			ratio := "-"
			if cv >= 1 { // a daemon idle in the scenario (the storage in query-c16) has no ratio
				ratio = fmt.Sprintf("%.2f", ov/cv)
			}
			fmt.Fprintf(&b, "| %s | %s | "+m.format+" | "+m.format+" | %s |\n", f.Name, m.label, cv, ov, ratio)
		}
		cr, or := f.of("C", func(r SBSRun) float64 { return r.StorageRSS }), f.of("ours", func(r SBSRun) float64 { return r.StorageRSS })
		fmt.Fprintf(&b, "| %s | storage peak RSS MiB | %.1f | %.1f | %.2f |\n", f.Name, cr, or, or/max(cr, 1e-9))
	}
	if on, off := s.figure("upload-4K-c16-trunk"), s.figure("upload-4K-c16"); on != nil && off != nil {
		ours := func(f *SBSFigure, m string) float64 { return f.of("ours", metricOf(m)) }
		fmt.Fprintf(&b, "\nTrunk files on vs off, ours (same run): storage %.1f vs %.1f us per 4 KiB upload (%.2fx), %.0f vs %.0f uploads/s (%.2fx).\n",
			ours(on, "storage"), ours(off, "storage"), ours(on, "storage")/max(ours(off, "storage"), 1e-9),
			ours(on, "ops"), ours(off, "ops"), ours(on, "ops")/max(ours(off, "ops"), 1e-9))
	}
	b.WriteString("\n| target | ours/C | limit | met |\n|---|--:|--:|---|\n")
	for _, t := range s.targets() {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", t[0], t[1], t[2], t[3])
	}
	b.WriteString("\n")
	return b.String()
}

// figure is the scenario called name, nil when it did not run.
func (s *SideBySide) figure(name string) *SBSFigure {
	for i := range s.Figures {
		if s.Figures[i].Name == name {
			return &s.Figures[i]
		}
	}
	return nil
}

func (s *SideBySide) targets() [][4]string {
	var out [][4]string
	for _, t := range sbsTargets {
		f := s.figure(t.figure)
		op, lim := ">=", t.limit
		if t.le {
			op = "<="
		}
		if f == nil {
			out = append(out, [4]string{t.what, "-", fmt.Sprintf("%s %.2f", op, lim), "not measured"})
			continue
		}
		cv, ov := f.of("C", metricOf(t.metric)), f.of("ours", metricOf(t.metric))
		if cv <= 0 {
			out = append(out, [4]string{t.what, "-", fmt.Sprintf("%s %.2f", op, lim), "not measured"})
			continue
		}
		r := ov / cv
		met := r >= lim
		if t.le {
			met = r <= lim
		}
		verdict := "no"
		if met {
			verdict = "yes"
		}
		out = append(out, [4]string{t.what, fmt.Sprintf("%.2f", r), fmt.Sprintf("%s %.2f", op, lim), verdict})
	}
	return out
}
