package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofdfs/gofdfs/client"
)

// scenario is one op: prepare runs untimed before the workers start, do is
// one timed operation by worker w (returning the bytes it moved), finish
// runs after the timed part (idle checks its connections there) and
// cleanup removes what prepare and do left behind, untimed.
type scenario interface {
	prepare(ctx context.Context) error
	do(ctx context.Context, w int) (int64, error)
	finish(ctx context.Context, r *Result)
	cleanup(ctx context.Context)
}

// latencyReporter is a scenario whose latency is not the operation's wall
// time (repl: acknowledged -> readable on the peer).
type latencyReporter interface{ latency(w int) time.Duration }

// errAbort wraps an error that ends the whole run, not just one operation.
type errAbort struct{ err error }

func (e errAbort) Error() string { return e.err.Error() }
func (e errAbort) Unwrap() error { return e.err }

// A run with this many failures and not one success stops: the cluster is
// not there, and waiting out Count or Duration would say nothing more.
const hopelessErrors = 20

// Run executes cfg against the cluster cl talks to and returns what it
// measured. progress, if not nil, gets a live line once a second.
func Run(ctx context.Context, cl *client.Client, cfg Config, progress io.Writer) (Result, error) {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	s, note, err := newScenario(cl, cfg)
	if err != nil {
		return Result{}, err
	}
	res := Result{Op: cfg.Op, Size: cfg.Size, Concurrency: cfg.Concurrency, Note: note}
	if cfg.Op == "query" || cfg.Op == "idle" {
		res.Size = 0
	}
	defer s.cleanup(context.WithoutCancel(ctx))
	if err := s.prepare(ctx); err != nil {
		return res, fmt.Errorf("%s: preparing: %w", cfg.Op, err)
	}
	if cfg.Op == "delete" || cfg.Op == "idle" {
		cfg.Warmup = 0 // each op consumes what prepare made for exactly Count
	}
	if cfg.Warmup > 0 {
		wctx, cancel := context.WithTimeout(ctx, cfg.Warmup)
		lp := &loop{s: s, cfg: cfg, count: MaxCount, deadline: time.Now().Add(cfg.Warmup)}
		lp.run(wctx)
		cancel()
		if lp.aborted != nil {
			res.Errors = lp.errors.Load()
			res.Aborted = "in the warm-up: " + lp.aborted.Error()
			return res, nil
		}
	}
	lp := &loop{s: s, cfg: cfg, count: int64(cfg.Count), deadline: time.Now().Add(cfg.Duration)}
	stop := lp.report(progress)
	start := time.Now()
	lp.run(ctx)
	elapsed := time.Since(start)
	stop()
	res.fill(&lp.hist, lp.bytes.Load(), elapsed)
	if cfg.FileID != "" && res.Ops > 0 {
		res.Size = lp.bytes.Load() / res.Ops // a given file's size is what came back
	}
	res.Errors = lp.errors.Load()
	if e := lp.firstErr.Load(); e != nil {
		res.FirstError = (*e).Error()
	}
	if lp.aborted != nil {
		res.Aborted = lp.aborted.Error()
	} else if ctx.Err() != nil {
		res.Aborted = context.Cause(ctx).Error()
	}
	s.finish(ctx, &res)
	return res, nil
}

// loop is the worker pool of one timed (or warm-up) part.
type loop struct {
	s        scenario
	cfg      Config
	count    int64
	deadline time.Time

	issued, done, errors, bytes atomic.Int64
	firstErr                    atomic.Pointer[error]
	hist                        histogram // merged from the workers at the end
	aborted                     error
}

func (lp *loop) run(ctx context.Context) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	ctx, cancelT := context.WithDeadline(ctx, lp.deadline)
	defer cancelT()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range lp.cfg.Concurrency {
		wg.Go(func() {
			var h histogram
			// the deadline is checked on the clock too: on a loaded machine
			// the context's timer fires late, and operations started
			// meanwhile would fail at once on a socket deadline in the past
			for ctx.Err() == nil && time.Now().Before(lp.deadline) && lp.issued.Add(1) <= lp.count {
				t0 := time.Now()
				n, err := lp.s.do(ctx, w)
				d := time.Since(t0)
				if err != nil {
					if ctx.Err() != nil || !time.Now().Before(lp.deadline) {
						break // cut by the time limit or an abort: neither a success nor a failure
					}
					lp.errors.Add(1)
					lp.firstErr.CompareAndSwap(nil, &err)
					var ab errAbort
					if errors.As(err, &ab) {
						cancel(ab)
						break
					}
					if lp.errors.Load() >= hopelessErrors && lp.done.Load() == 0 {
						cancel(fmt.Errorf("%d failures and no success: %w", hopelessErrors, err))
						break
					}
					continue
				}
				if lr, ok := lp.s.(latencyReporter); ok {
					d = lr.latency(w)
				}
				h.record(d)
				lp.done.Add(1)
				lp.bytes.Add(n)
			}
			mu.Lock()
			lp.hist.merge(&h)
			mu.Unlock()
		})
	}
	wg.Wait()
	if c := context.Cause(ctx); c != nil && !errors.Is(c, context.Canceled) && !errors.Is(c, context.DeadlineExceeded) {
		lp.aborted = c
	}
}

// report prints the live line every second until the returned stop is
// called: carriage-return updates on a terminal, one line per second
// otherwise (logs).
func (lp *loop) report(w io.Writer) (stop func()) {
	if w == nil {
		return func() {}
	}
	end := "\n"
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			end = "\r"
		}
	}
	start := time.Now()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		var lastOps, lastBytes int64
		for {
			select {
			case <-done:
				if end == "\r" {
					fmt.Fprintln(w)
				}
				return
			case <-t.C:
				ops, b := lp.done.Load(), lp.bytes.Load()
				fmt.Fprintf(w, "[%s] %5.1fs %9d ops %8.0f ops/s %8.1f MiB/s %6d errors%s", lp.cfg.Op,
					time.Since(start).Seconds(), ops, float64(ops-lastOps), float64(b-lastBytes)/(1<<20), lp.errors.Load(), end)
				lastOps, lastBytes = ops, b
			}
		}
	})
	return func() { close(done); wg.Wait() }
}
