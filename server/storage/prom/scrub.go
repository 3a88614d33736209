package prom

import (
	"context"
	"log/slog"
	"time"

	"github.com/gofdfs/gofdfs/conf"
	"github.com/gofdfs/gofdfs/server/scrub"
)

// Scrubbed is what the background scrub checks: the storage's group, store
// path roots (by index) and binlog directory ("" none).
type Scrubbed struct {
	Group     string
	Roots     []string
	BinlogDir string
	Log       *slog.Logger
	Now       func() time.Time
}

// RunScrub is the background scrub (scrub_interval, scrub_rate): every
// interval it checks each store path's files against their IDs at the
// given rate, logs each bad file and counts the results for /metrics
// (gofdfs_storage_scrub_*). It repairs nothing: that is fdfs_scrub
// -repair's, run by an operator who reads the log. It returns when ctx or
// done ends; with a zero interval, at once.
func (m *Metrics) RunScrub(ctx context.Context, cfg conf.Scrub, st *Scrubbed, done <-chan struct{}) {
	if cfg.Interval <= 0 {
		return
	}
	t := time.NewTimer(cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-done:
			return
		case <-t.C:
		}
		m.ScrubPass(ctx, cfg.Rate, st)
		t.Reset(cfg.Interval)
	}
}

// ScrubPass checks every store path once, then the trunk-resident files
// the binlog names.
func (m *Metrics) ScrubPass(ctx context.Context, rate int64, st *Scrubbed) {
	lim := scrub.NewLimiter(rate)
	var bad int64
	start := time.Now()
	found := func(f scrub.Finding) {
		switch f.Result {
		case scrub.OK:
			m.scrubOK.Add(1)
		case scrub.Bad:
			m.scrubBad.Add(1)
			st.Log.Error("scrub: file does not match its ID; repair it with fdfs_scrub -repair",
				"file", f.FileID, "path", f.Path, "why", f.Why)
		default:
			m.scrubUnverifiable.Add(1)
		}
	}
	for i, root := range st.Roots {
		sum, err := scrub.StorePath(ctx, st.Group, i, root, lim, found)
		bad += sum.Bad
		if err != nil {
			if ctx.Err() == nil {
				st.Log.Warn("scrub: store path not finished", "path", root, "err", err)
			}
			return
		}
	}
	if st.BinlogDir != "" {
		sum, err := scrub.TrunkStore(ctx, st.Group, st.BinlogDir, st.Roots, -1, lim, found)
		bad += sum.Bad
		if err != nil {
			if ctx.Err() == nil {
				st.Log.Warn("scrub: trunk slots not finished", "err", err)
			}
			return
		}
	}
	m.scrubLastBad.Store(bad)
	m.scrubLastDone.Store(st.Now().Unix())
	st.Log.Info("scrub pass done", "bad", bad, "took", time.Since(start).Round(time.Millisecond))
}
