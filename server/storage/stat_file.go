package storage

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
)

// storage_stat.dat (cluster.md §7.2): the counters of the BEAT stat block
// and the subdirectory rotation, saved every sync_stat_file_interval and at
// stop, read at start, so a restart neither zeroes what the trackers show
// nor starts filling 00/00 again.

const statFileName = "storage_stat.dat"

// statKeys is C's key order; every key maps to a counter of ours or to a
// kept value.
var statKeys = []string{
	"total_upload_count", "success_upload_count", "total_append_count", "success_append_count",
	"total_modify_count", "success_modify_count", "total_truncate_count", "success_truncate_count",
	"total_download_count", "success_download_count", "last_source_update", "last_sync_update",
	"total_set_meta_count", "success_set_meta_count", "total_delete_count", "success_delete_count",
	"total_get_meta_count", "success_get_meta_count", "total_create_link_count", "success_create_link_count",
	"total_delete_link_count", "success_delete_link_count", "total_upload_bytes", "success_upload_bytes",
	"total_append_bytes", "success_append_bytes", "total_modify_bytes", "success_modify_bytes",
	"total_download_bytes", "success_download_bytes", "total_sync_in_bytes", "success_sync_in_bytes",
	"total_sync_out_bytes", "success_sync_out_bytes", "total_file_open_count", "success_file_open_count",
	"total_file_read_count", "success_file_read_count", "total_file_write_count", "success_file_write_count",
	"dist_path_index_high", "dist_path_index_low", "dist_write_file_count",
}

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
	path := filepath.Join(dataDir, statFileName)
	data, err := os.ReadFile(path)
	if err != nil {
		if !os.IsNotExist(err) {
			s.log.Warn("storage_stat.dat unreadable, counters start at 0", "err", err)
		}
		return
	}
	s.statKept = map[string]int64{}
	for _, line := range bytes.Split(data, []byte{'\n'}) {
		k, v, ok := bytes.Cut(bytes.TrimSpace(line), []byte{'='})
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
		if err != nil || n < 0 {
			s.log.Warn("storage_stat.dat: bad line ignored", "line", string(line))
			continue
		}
		key := string(bytes.TrimSpace(k))
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

// saveStats writes storage_stat.dat via a temp file and a rename.
func (s *Server) saveStats() error {
	var b []byte
	d := &s.dist
	d.mu.Lock()
	dist := map[string]int64{"dist_path_index_high": int64(d.high), "dist_path_index_low": int64(d.low),
		"dist_write_file_count": int64(d.count)}
	d.mu.Unlock()
	for _, k := range statKeys {
		var v int64
		if c := s.stats.statCounter(k); c != nil {
			v = c.Load()
		} else if x, ok := dist[k]; ok {
			v = x
		} else {
			v = s.statKept[k]
		}
		b = append(b, k...)
		b = append(b, '=')
		b = strconv.AppendInt(b, v, 10)
		b = append(b, '\n')
	}
	path := filepath.Join(s.cfg.BasePath, "data", statFileName)
	if err := os.WriteFile(path+".tmp", b, 0o644); err != nil {
		return fmt.Errorf("storage_stat.dat: %w", err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return fmt.Errorf("storage_stat.dat: %w", err)
	}
	return nil
}
