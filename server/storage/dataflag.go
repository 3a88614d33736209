package storage

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// dataInitFlagName is the storage-local sync state file (cluster.md §4.8).
const dataInitFlagName = ".data_init_flag"

// loadOrInitDataFlag checks <base_path>/data/.data_init_flag, writing it on
// the first start. Only the keys this server has values for are written, in
// C's order; the sync and trunk keys take C's initial values (a storage that
// has not synced anything yet). A present file must hold the three keys C
// requires.
func loadOrInitDataFlag(dataDir string, now time.Time, port int) error {
	path := filepath.Join(dataDir, dataInitFlagName)
	data, err := os.ReadFile(path)
	if err == nil {
		for _, key := range []string{"storage_join_time", "sync_old_done", "sync_src_server"} {
			if !iniHasKey(data, key) {
				return fmt.Errorf("storage: %s: missing %s", path, key)
			}
		}
		return nil
	}
	if !os.IsNotExist(err) {
		return fmt.Errorf("storage: %w", err)
	}
	content := fmt.Sprintf("storage_join_time=%d\nsync_old_done=0\nsync_src_server=\nsync_until_timestamp=0\n"+
		"last_ip_addr=\nlast_server_port=%d\ncurrent_trunk_file_id=0\ntrunk_last_compress_time=0\n"+
		"trunk_binlog_compress_stage=0\n", now.Unix(), port)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	return nil
}

func iniHasKey(data []byte, key string) bool {
	for _, line := range bytes.Split(data, []byte{'\n'}) {
		k, _, ok := bytes.Cut(line, []byte{'='})
		if ok && string(bytes.TrimSpace(k)) == key {
			return true
		}
	}
	return false
}
