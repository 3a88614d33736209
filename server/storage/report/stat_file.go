package report

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
)

// storage_stat.dat (cluster.md §7.2): the counters of the BEAT stat block
// and the subdirectory rotation, saved every sync_stat_file_interval and at
// stop, read at start, so a restart neither zeroes what the trackers show
// nor starts filling 00/00 again. This is its format; which counter a key
// is belongs to the storage.

// StatFileName is the counters' file in <base_path>/data.
const StatFileName = "storage_stat.dat"

// statKeys is C's key order.
var statKeys = [...]string{
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

// StatKeys are the file's keys in C's order.
func StatKeys() []string { return slices.Clone(statKeys[:]) }

// ReadStatFile reads the key=value lines of path (nil, nil when there is
// no file). A bad line is logged and skipped: counters are not worth
// refusing to start for.
func ReadStatFile(path string, log *slog.Logger) (map[string]int64, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", StatFileName, err)
	}
	kv := map[string]int64{}
	for _, line := range bytes.Split(data, []byte{'\n'}) {
		k, v, ok := bytes.Cut(bytes.TrimSpace(line), []byte{'='})
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
		if err != nil || n < 0 {
			log.Warn("storage_stat.dat: bad line ignored", "line", string(line))
			continue
		}
		kv[string(bytes.TrimSpace(k))] = n
	}
	return kv, nil
}

// WriteStatFile writes every key with its value, in C's order, via a temp
// file and a rename.
func WriteStatFile(path string, value func(key string) int64) error {
	var b []byte
	for _, k := range statKeys {
		b = append(b, k...)
		b = append(b, '=')
		b = strconv.AppendInt(b, value(k), 10)
		b = append(b, '\n')
	}
	if err := os.WriteFile(path+".tmp", b, 0o644); err != nil {
		return fmt.Errorf("%s: %w", StatFileName, err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return fmt.Errorf("%s: %w", StatFileName, err)
	}
	return nil
}
