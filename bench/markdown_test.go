package bench

import (
	"strings"
	"testing"
)

func step(name, limit string, large bool, ops, mib float64) StepResult {
	return StepResult{Step: Step{Name: name, Limit: limit, Large: large, Args: []string{"-conf", "/tmp/w/client.conf"}},
		Command: "fdfs_bench -conf /tmp/w/client.conf -op x -json",
		Result:  Result{OpsPerSec: ops, MiBPerSec: mib, Ops: 100, P50ms: 1, P99ms: 2}}
}

// The generated section replaces only itself, carries its data to the next
// run, and states every figure as a ratio to its probe and to that run.
func TestMarkdownRatiosAndSplice(t *testing.T) {
	first := &SuiteReport{Work: "/tmp/w", Steps: []StepResult{
		step("probe-sendfile-256M-c1", "", true, 8, 2000),
		step("download-256M-c1", "probe-sendfile-256M-c1", true, 7, 1900),
		step("upload-4K-c8", "", false, 25000, 97),
	}}
	doc := []byte("# Benchmarks\n\nhand-written method\n")
	doc = spliceGenerated(doc, first.Markdown(previousSteps(doc)))
	if !strings.HasPrefix(string(doc), "# Benchmarks\n\nhand-written method\n\n"+beginMark) {
		t.Fatalf("first splice:\n%s", doc)
	}
	doc = append(doc, "\n## Hand-written after\n"...)

	second := &SuiteReport{Work: "/tmp/w", Provisional: "busy machine", Steps: []StepResult{
		step("probe-sendfile-256M-c1", "", true, 8, 2000),
		step("download-256M-c1", "probe-sendfile-256M-c1", true, 9, 1000),
		step("upload-4K-c8", "", false, 50000, 190),
	}}
	doc = spliceGenerated(doc, second.Markdown(previousSteps(doc)))
	s := string(doc)
	for _, want := range []string{
		"# Benchmarks\n\nhand-written method\n",
		"\n## Hand-written after\n",
		"**PROVISIONAL figures:** busy machine",
		"| download-256M-c1 | 9.00 | 1000 |",
		"0.50x of probe-sendfile-256M-c1 (2000 MiB/s)", // 1000 / 2000
		"| 0.53x (MiB/s) |",                            // 1000 / 1900, previous run
		"| 2.00x (ops/s) |",                            // upload 50000 / 25000
		"| 256 MiB download, 1 client |",
		">= 0.95x a plain sendfile server: **not met** |", // 0.50 < 0.95 of the probe
		"| 4 KiB uploads/s, 8-32 clients (tracker query + upload) | 50000 ops/s (upload-4K-c8) |",
		"fdfs_bench -conf $WORK/client.conf -op x -json",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %q in:\n%s", want, s)
		}
	}
	if strings.Count(s, beginMark) != 1 || strings.Count(s, endMark) != 1 {
		t.Fatalf("markers doubled:\n%s", s)
	}
	if got := previousSteps(doc); len(got) != 3 || got[1].Result.MiBPerSec != 1000 {
		t.Fatalf("data for the next run: %+v", got)
	}
}

// The side-by-side tables give C, ours and ours/C from the runs' medians,
// and judge each target from those ratios; without C they say so.
func TestSideBySideMarkdown(t *testing.T) {
	run := func(side string, ops, tr, st float64) SBSRun {
		return SBSRun{Side: side, OpsPerSec: ops, TrackerUs: tr, StorageUs: st, Ops: 1000}
	}
	s := &SideBySide{CBin: "/usr/bin", Rounds: 1, Figures: []SBSFigure{
		{Name: "upload-4K-c16", Runs: []SBSRun{run("C", 7000, 40, 150), run("ours", 9000, 30, 100),
			run("ours", 9500, 34, 60), run("C", 7200, 40, 130)}},
		{Name: "upload-after-delete-4K-c16", Runs: []SBSRun{run("C", 6000, 40, 200), run("ours", 9000, 40, 150)}},
		{Name: "upload-4K-c16-trunk", Trunk: true, Runs: []SBSRun{run("C", 8000, 40, 90), run("ours", 6000, 40, 120)}},
	}}
	md := s.Markdown()
	for _, want := range []string{
		"| upload-4K-c16 | storage us/op | 140.0 | 80.0 | 0.57 |", // medians 140 and 80
		"| upload-4K-c16 | ops/s | 7100 | 9250 | 1.30 |",
		"| storage CPU per 4 KiB upload | 0.57 | <= 0.50 | no |",
		"| tracker CPU per QUERY_STORE (upload) | 0.80 | <= 0.80 | yes |",
		"| uploads/s right after a delete wave | 1.50 | >= 1.00 | yes |",
		"| storage CPU per 4 KiB download | - | <= 0.50 | not measured |",
		"| upload-4K-c16-trunk | storage us/op | 90.0 | 120.0 | 1.33 |",
		"storage 120.0 vs 80.0 us per 4 KiB upload (1.50x), 6000 vs 9250 uploads/s (0.65x)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("missing %q in:\n%s", want, md)
		}
	}
	if md := (&SideBySide{}).Markdown(); !strings.Contains(md, "no C reference found") {
		t.Errorf("without C:\n%s", md)
	}
}
