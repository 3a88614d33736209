package storage

import (
	"context"
	"time"

	"github.com/gofdfs/gofdfs/conf"
	"github.com/gofdfs/gofdfs/server/scrub"
)

// RunScrub is the background scrub (scrub_interval, scrub_rate): every
// interval it checks each store path's files against their IDs at the
// given rate, logs each bad file and counts the results for /metrics
// (gofdfs_storage_scrub_*). It repairs nothing: that is fdfs_scrub
// -repair's, run by an operator who reads the log. It returns when ctx
// ends; with a zero interval, at once.
func (s *Server) RunScrub(ctx context.Context, cfg conf.Scrub) {
	if cfg.Interval <= 0 {
		return
	}
	t := time.NewTimer(cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.done:
			return
		case <-t.C:
		}
		s.scrubPass(ctx, cfg.Rate)
		t.Reset(cfg.Interval)
	}
}

// scrubPass checks every store path once, then the trunk-resident files
// the binlog names.
func (s *Server) scrubPass(ctx context.Context, rate int64) {
	o := &s.stats.obs
	lim := scrub.NewLimiter(rate)
	var bad int64
	start := time.Now()
	found := func(f scrub.Finding) {
		switch f.Result {
		case scrub.OK:
			o.scrubOK.Add(1)
		case scrub.Bad:
			o.scrubBad.Add(1)
			s.log.Error("scrub: file does not match its ID; repair it with fdfs_scrub -repair",
				"file", f.FileID, "path", f.Path, "why", f.Why)
		default:
			o.scrubUnverifiable.Add(1)
		}
	}
	roots := make([]string, len(s.cfg.StorePaths))
	for i, p := range s.cfg.StorePaths {
		roots[i] = p.Path
	}
	for i, root := range roots {
		sum, err := scrub.StorePath(ctx, s.cfg.GroupName, i, root, lim, found)
		bad += sum.Bad
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("scrub: store path not finished", "path", root, "err", err)
			}
			return
		}
	}
	if s.binlog != nil {
		sum, err := scrub.TrunkStore(ctx, s.cfg.GroupName, s.binlog.Dir(), roots, -1, lim, found)
		bad += sum.Bad
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("scrub: trunk slots not finished", "err", err)
			}
			return
		}
	}
	o.scrubLastBad.Store(bad)
	o.scrubLastDone.Store(s.now().Unix())
	s.log.Info("scrub pass done", "bad", bad, "took", time.Since(start).Round(time.Millisecond))
}
