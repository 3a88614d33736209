package report

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// DataFlagName is the storage-local sync state file (cluster.md §4.8).
const DataFlagName = ".data_init_flag"

// InitDataFlag checks <base_path>/data/.data_init_flag, writing it on the
// first start. Only the keys this server has values for are written, in
// C's order; the sync and trunk keys take C's initial values (a storage that
// has not synced anything yet). A present file must hold the three keys C
// requires.
func InitDataFlag(dataDir string, now time.Time, port int) error {
	path := filepath.Join(dataDir, DataFlagName)
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

// DataFlag is <base_path>/data/.data_init_flag read into memory (cluster.md
// §4.8): its lines in file order, updated in place and rewritten whole via a
// temp file and rename.
type DataFlag struct {
	path string
	mu   sync.Mutex
	keys []string
	vals map[string]string
}

// OpenDataFlag reads dataDir's .data_init_flag.
func OpenDataFlag(dataDir string) (*DataFlag, error) {
	f := &DataFlag{path: filepath.Join(dataDir, DataFlagName), vals: map[string]string{}}
	data, err := os.ReadFile(f.path)
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	for _, line := range bytes.Split(data, []byte{'\n'}) {
		k, v, ok := bytes.Cut(line, []byte{'='})
		if !ok {
			continue
		}
		key := string(bytes.TrimSpace(k))
		if _, dup := f.vals[key]; !dup {
			f.keys = append(f.keys, key)
		}
		f.vals[key] = string(bytes.TrimSpace(v))
	}
	return f, nil
}

// Get is key's value ("" when absent).
func (f *DataFlag) Get(key string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.vals[key]
}

// GetInt is key's value as a number (0 when absent or not a number).
func (f *DataFlag) GetInt(key string) int64 {
	n, _ := strconv.ParseInt(f.Get(key), 10, 64)
	return n
}

// Set updates keys (pairs of key, value) and rewrites the file.
func (f *DataFlag) Set(kv ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := 0; i+1 < len(kv); i += 2 {
		if _, ok := f.vals[kv[i]]; !ok {
			f.keys = append(f.keys, kv[i])
		}
		f.vals[kv[i]] = kv[i+1]
	}
	var b bytes.Buffer
	for _, k := range f.keys {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(f.vals[k])
		b.WriteByte('\n')
	}
	tmp := f.path + ".tmp"
	if err := os.WriteFile(tmp, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	if err := os.Rename(tmp, f.path); err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	return nil
}
