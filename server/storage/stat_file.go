package storage

import (
	"path/filepath"
	"sync/atomic"

	"github.com/gofdfs/gofdfs/server/storage/report"
)

// storage_stat.dat (cluster.md §7.2, its format in package report): which
// counter of the BEAT stat block each key is.

const statFileName = report.StatFileName

// statCounter is the atomic behind a key, nil for kept and dist values.
func (st *opStats) statCounter(key string) *atomic.Int64 {
	idx := map[string]int{
		"total_upload_count": stTotalUpload, "success_upload_count": stSuccessUpload,
		"total_append_count": stTotalAppend, "success_append_count": stSuccessAppend,
		"total_modify_count": stTotalModify, "success_modify_count": stSuccessModify,
		"total_truncate_count": stTotalTruncate, "success_truncate_count": stSuccessTruncate,
		"total_download_count": stTotalDownload, "success_download_count": stSuccessDownload,
		"total_set_meta_count": stTotalSetMeta, "success_set_meta_count": stSuccessSetMeta,
		"total_delete_count": stTotalDelete, "success_delete_count": stSuccessDelete,
		"total_get_meta_count": stTotalGetMeta, "success_get_meta_count": stSuccessGetMeta,
		"total_create_link_count": stTotalCreateLink, "success_create_link_count": stSuccessCreateLink,
		"total_delete_link_count": stTotalDeleteLink, "success_delete_link_count": stSuccessDeleteLink,
		"total_upload_bytes": stTotalUploadBytes, "success_upload_bytes": stSuccessUploadBytes,
		"total_append_bytes": stTotalAppendBytes, "success_append_bytes": stSuccessAppendBytes,
		"total_modify_bytes": stTotalModifyBytes, "success_modify_bytes": stSuccessModifyBytes,
		"total_download_bytes": stTotalDownloadBytes, "success_download_bytes": stSuccessDownloadBytes,
	}
	if i, ok := idx[key]; ok {
		return &st.c[i]
	}
	switch key {
	case "last_source_update":
		return &st.lastSourceUpdate
	case "last_sync_update":
		return &st.lastSyncUpdate
	case "total_sync_in_bytes":
		return &st.syncIn[0]
	case "success_sync_in_bytes":
		return &st.syncIn[1]
	case "total_sync_out_bytes":
		return &st.syncOut[0]
	case "success_sync_out_bytes":
		return &st.syncOut[1]
	case "total_file_open_count":
		return &st.file[fileOpen]
	case "success_file_open_count":
		return &st.file[fileOpen+1]
	case "total_file_read_count":
		return &st.file[fileRead]
	case "success_file_read_count":
		return &st.file[fileRead+1]
	case "total_file_write_count":
		return &st.file[fileWrite]
	case "success_file_write_count":
		return &st.file[fileWrite+1]
	}
	return nil
}

// loadStats reads storage_stat.dat if there is one. A damaged file is
// logged and ignored: counters are not worth refusing to start for.
func (s *Server) loadStats(dataDir string) {
	s.stats.buffSize = s.cfg.BuffSize
	s.stats.cmdTimes = newCommandTimes()
	path := filepath.Join(dataDir, statFileName)
	kv, err := report.ReadStatFile(path, s.log)
	if err != nil {
		s.log.Warn("storage_stat.dat unreadable, counters start at 0", "err", err)
	}
	if kv == nil {
		return
	}
	s.statKept = map[string]int64{}
	for key, n := range kv {
		if c := s.stats.statCounter(key); c != nil {
			c.Store(n)
			continue
		}
		s.statKept[key] = n
	}
	d := &s.dist
	d.mu.Lock()
	if h, l := int(s.statKept["dist_path_index_high"]), int(s.statKept["dist_path_index_low"]); h < d.subdirs && l < d.subdirs {
		d.high, d.low, d.count = h, l, int(s.statKept["dist_write_file_count"])
	}
	d.mu.Unlock()
}

// saveStats writes storage_stat.dat.
func (s *Server) saveStats() error {
	d := &s.dist
	d.mu.Lock()
	dist := map[string]int64{"dist_path_index_high": int64(d.high), "dist_path_index_low": int64(d.low),
		"dist_write_file_count": int64(d.count)}
	d.mu.Unlock()
	return report.WriteStatFile(filepath.Join(s.cfg.BasePath, "data", statFileName), func(k string) int64 {
		if c := s.stats.statCounter(k); c != nil {
			return c.Load()
		} else if x, ok := dist[k]; ok {
			return x
		}
		return s.statKept[k]
	})
}
