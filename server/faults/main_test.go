package faults

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/gofdfs/gofdfs/internal/testcluster"
)

var (
	fullRun  = flag.Bool("faults.full", false, "run the large scenarios: 10,000 connections, the soak, longer load")
	soakTime = flag.Duration("faults.soak", time.Minute, "length of the soak with -faults.full (make faults: 10m)")
	connsN   = flag.Int("faults.conns", 10000, "connections held open with -faults.full")
)

// builder builds the daemons and the connection holder once for the
// package; binDir is where they are (TestMain).
var (
	builder testcluster.Builder
	binDir  string
)

// results is the table printed at the end; scenarios add their row.
var results = &table{}

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := builder.Bin(testcluster.Daemons[0], testcluster.Daemons[1], "server/faults/internal/connhold")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	results.print(os.Stdout)
	builder.Remove()
	os.Exit(code)
}

// row is one scenario's outcome as the issue asks for it.
type row struct {
	Scenario string
	Ops      int64 // operations the clients made
	Failures int64 // operations that failed as the client saw it (expected ones included, e.g. ENOSPC)
	Lost     int64 // acknowledged files not found afterwards
	Corrupt  int64 // files whose bytes do not match their ID's CRC32 and size
	Converge time.Duration
	Note     string
}

type table struct {
	mu   sync.Mutex
	rows []row
}

func (tb *table) add(r row) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.rows = append(tb.rows, r)
}

func (tb *table) print(w *os.File) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if len(tb.rows) == 0 {
		return
	}
	sort.SliceStable(tb.rows, func(i, j int) bool { return tb.rows[i].Scenario < tb.rows[j].Scenario })
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nSCENARIO\tOPS\tCLIENT FAILURES\tLOST\tCORRUPT\tCONVERGE\tNOTE")
	for _, r := range tb.rows {
		conv := "-"
		if r.Converge > 0 {
			conv = r.Converge.Round(time.Millisecond).String()
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%s\n", r.Scenario, r.Ops, r.Failures, r.Lost, r.Corrupt, conv, r.Note)
	}
	tw.Flush()
}

// parallelWhenShort lets the small scenarios of `make test` overlap (each
// has its own daemons and ports); the full ones run one at a time so that
// their figures are their own.
func parallelWhenShort(t *testing.T) {
	if !*fullRun {
		t.Parallel()
	}
}
