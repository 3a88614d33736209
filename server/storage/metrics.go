package storage

import (
	"context"
	"io"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gofdfs/gofdfs/conf"
	"github.com/gofdfs/gofdfs/server/storage/placement"
	"github.com/gofdfs/gofdfs/server/storage/prom"
)

// The storage's Prometheus metrics and background scrub live in package
// prom; this file is what they read of the storage (prom.Source) and the
// hooks of the request paths.

// ObserveRequest records a request of cmd that began at start (unix ns):
// the hook of the request paths; it does not allocate.
func (s *Server) ObserveRequest(cmd byte, start int64) { s.metrics.ObserveRequest(cmd, start) }

// MetricsCollector returns the collector of the storage's metrics, for a
// registry the daemon serves.
func (s *Server) MetricsCollector() prometheus.Collector {
	return s.metrics.Collector(metricsSource{s}, s.now, s.done)
}

// MetricsRegistry is a registry with the storage's metrics and the Go
// runtime's.
func (s *Server) MetricsRegistry() *prometheus.Registry {
	return s.metrics.Registry(metricsSource{s}, s.now, s.done)
}

// WriteMetrics writes the registry in the text exposition format: for the
// HTTP download server's /metrics (http.server_port).
func WriteMetrics(w io.Writer, g prometheus.Gatherer) error { return prom.Write(w, g) }

// RunScrub is the background scrub (scrub_interval, scrub_rate, see
// prom.Metrics.RunScrub); it returns when ctx ends or the storage stops.
func (s *Server) RunScrub(ctx context.Context, cfg conf.Scrub) {
	s.metrics.RunScrub(ctx, cfg, s.scrubbed(), s.done)
}

// scrubbed is what the scrub checks of this storage.
func (s *Server) scrubbed() *prom.Scrubbed {
	st := &prom.Scrubbed{Group: s.cfg.GroupName, Log: s.log, Now: s.now}
	for _, p := range s.cfg.StorePaths {
		st.Roots = append(st.Roots, p.Path)
	}
	if s.binlog != nil {
		st.BinlogDir = s.binlog.Dir()
	}
	return st
}

// metricsSource is the storage as its metrics read it.
type metricsSource struct{ s *Server }

func (m metricsSource) Snapshot(now time.Time, snap *prom.Snapshot) {
	s := m.s
	snap.Group, snap.StorageID, snap.IP = s.cfg.GroupName, s.selfID(), s.selfIP()
	s.stats.Snapshot(&snap.Stats)
	snap.ConnCurrent, snap.ConnMax = s.stats.Conns()
	snap.FileOps = s.stats.FileOps()
	// space: the sum over the store paths, the reserve as the tracker
	// applies it to the total
	for _, p := range s.paths {
		if sp, err := p.room.Space(now, p.disk); err == nil {
			snap.TotalMB += sp.TotalMB()
			snap.FreeMB += sp.FreeMB()
		}
	}
	if p := s.prm(); p != nil {
		snap.ReservedMB = placement.ReservedMB(p.Reserve, snap.TotalMB)
	}
	if s.binlog != nil {
		snap.BinlogDir = s.binlog.Dir()
	}
}

func (m metricsSource) QueueDepths(dst []int) []int {
	for _, p := range m.s.paths {
		depth := 0
		for _, w := range p.workers.Workers() {
			depth += w.Active()
		}
		dst = append(dst, depth)
	}
	return dst
}

// selfID is this storage's id at the trackers (its IP without storage ids).
func (s *Server) selfID() string {
	if p := s.prm(); p != nil && p.StorageID != "" && (p.UseStorageID || p.ClusterIDs) {
		return p.StorageID
	}
	return s.selfIP()
}

func (s *Server) selfIP() string {
	if ip, ok := s.MyIP(); ok {
		return ip.String()
	}
	if s.sourceIP.IsValid() {
		return s.sourceIP.String()
	}
	return s.cfg.BindAddr
}
