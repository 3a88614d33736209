package stats

import (
	"strconv"
	"sync/atomic"
)

// names are the stat block counters' names, in stTotalUpload.. order: the
// storage_stat.dat keys (cluster.md §7.2) and C's fdfs_monitor names, lower
// case, which /status uses too.
var names = [stCount]string{
	"total_upload_count", "success_upload_count", "total_append_count", "success_append_count",
	"total_modify_count", "success_modify_count", "total_truncate_count", "success_truncate_count",
	"total_set_meta_count", "success_set_meta_count", "total_delete_count", "success_delete_count",
	"total_download_count", "success_download_count", "total_get_meta_count", "success_get_meta_count",
	"total_create_link_count", "success_create_link_count", "total_delete_link_count", "success_delete_link_count",
	"total_upload_bytes", "success_upload_bytes", "total_append_bytes", "success_append_bytes",
	"total_modify_bytes", "success_modify_bytes", "total_download_bytes", "success_download_bytes",
}

// Counter is the atomic behind a storage_stat.dat key, nil for the keys
// these counters do not keep (the dist_* values and unknown keys, which the
// caller keeps as read).
func (st *Counters) Counter(key string) *atomic.Int64 {
	for i, name := range names {
		if name == key {
			return &st.c[i]
		}
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

// AppendJSON appends the members of /status's "storage" object: every
// stat block counter by its name, the connection counts and
// last_source_update.
func (st *Counters) AppendJSON(b []byte) []byte {
	for i, name := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, name)
		b = append(b, ':')
		b = strconv.AppendInt(b, st.c[i].Load(), 10)
	}
	b = append(b, ",\"current_connections\":"...)
	b = strconv.AppendInt(b, int64(st.connCur.Load()), 10)
	b = append(b, ",\"max_connections\":"...)
	b = strconv.AppendInt(b, int64(st.connMax.Load()), 10)
	b = append(b, ",\"last_source_update\":"...)
	return strconv.AppendInt(b, st.lastSourceUpdate.Load(), 10)
}
