package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Result is what one run measured. Its JSON form is the machine-readable
// result fdfs_bench prints last with -json.
type Result struct {
	Op          string  `json:"op"`
	Size        int64   `json:"size"`
	Concurrency int     `json:"concurrency"`
	Ops         int64   `json:"ops"`    // timed operations that succeeded
	Errors      int64   `json:"errors"` // timed operations that failed
	Seconds     float64 `json:"seconds"`
	OpsPerSec   float64 `json:"ops_per_sec"`
	MiBPerSec   float64 `json:"mib_per_sec"`
	P50ms       float64 `json:"p50_ms"`
	P99ms       float64 `json:"p99_ms"`
	P999ms      float64 `json:"p999_ms"`
	MaxMs       float64 `json:"max_ms"`
	FirstError  string  `json:"first_error,omitempty"`
	Aborted     string  `json:"aborted,omitempty"` // why the run stopped before Count or Duration
	Note        string  `json:"note,omitempty"`    // what the latency means for this op
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (r *Result) fill(h *histogram, bytes int64, elapsed time.Duration) {
	r.Seconds = elapsed.Seconds()
	r.Ops = int64(h.n)
	if r.Seconds > 0 {
		r.OpsPerSec = float64(r.Ops) / r.Seconds
		r.MiBPerSec = float64(bytes) / (1 << 20) / r.Seconds
	}
	r.P50ms, r.P99ms, r.P999ms, r.MaxMs = ms(h.quantile(0.5)), ms(h.quantile(0.99)), ms(h.quantile(0.999)), ms(h.max)
}

// JSON is r on one line.
func (r *Result) JSON() string {
	b, _ := json.Marshal(r)
	return string(b)
}

// ParseResult reads the JSON object on the last non-empty line of out.
func ParseResult(out string) (Result, error) {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	var r Result
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		return r, fmt.Errorf("last line is not a result: %w", err)
	}
	return r, nil
}

// WriteTable prints the human summary of results.
func WriteTable(w io.Writer, results ...Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "op\tsize\tconc\tops\terrors\tsec\tops/s\tMiB/s\tp50 ms\tp99 ms\tp999 ms\tmax ms\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%.2f\t%.0f\t%.1f\t%.3f\t%.3f\t%.3f\t%.3f\t\n", r.Op, SizeString(r.Size),
			r.Concurrency, r.Ops, r.Errors, r.Seconds, r.OpsPerSec, r.MiBPerSec, r.P50ms, r.P99ms, r.P999ms, r.MaxMs)
	}
	tw.Flush()
	for _, r := range results {
		if r.FirstError != "" {
			fmt.Fprintf(w, "%s: first error: %s\n", r.Op, r.FirstError)
		}
		if r.Aborted != "" {
			fmt.Fprintf(w, "%s: stopped early: %s\n", r.Op, r.Aborted)
		}
		if r.Note != "" {
			fmt.Fprintf(w, "%s: %s\n", r.Op, r.Note)
		}
	}
}

// SizeString is n in the largest binary unit that divides it.
func SizeString(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%dGiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}
