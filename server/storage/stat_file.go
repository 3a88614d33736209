package storage

import (
	"path/filepath"

	"github.com/gofdfs/gofdfs/server/storage/report"
)

// storage_stat.dat (cluster.md §7.2, its format in package report; which
// counter each key is, in package stats).

const statFileName = report.StatFileName

// loadStats reads storage_stat.dat if there is one. A damaged file is
// logged and ignored: counters are not worth refusing to start for.
func (s *Server) loadStats(dataDir string) {
	s.stats.SetBuffSize(s.cfg.BuffSize)
	kv, err := report.ReadStatFile(filepath.Join(dataDir, statFileName), s.log)
	if err != nil {
		s.log.Warn("storage_stat.dat unreadable, counters start at 0", "err", err)
	}
	if kv == nil {
		return
	}
	s.statKept = map[string]int64{}
	for key, n := range kv {
		if c := s.stats.Counter(key); c != nil {
			c.Store(n)
			continue
		}
		s.statKept[key] = n
	}
	s.dist.Restore(int(s.statKept["dist_path_index_high"]), int(s.statKept["dist_path_index_low"]),
		int(s.statKept["dist_write_file_count"]))
}

// saveStats writes storage_stat.dat.
func (s *Server) saveStats() error {
	high, low, count := s.dist.State()
	dist := map[string]int64{"dist_path_index_high": int64(high), "dist_path_index_low": int64(low),
		"dist_write_file_count": int64(count)}
	return report.WriteStatFile(filepath.Join(s.cfg.BasePath, "data", statFileName), func(k string) int64 {
		if c := s.stats.Counter(k); c != nil {
			return c.Load()
		} else if x, ok := dist[k]; ok {
			return x
		}
		return s.statKept[k]
	})
}
