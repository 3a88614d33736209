package storage

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// dataFlag is <base_path>/data/.data_init_flag read into memory (cluster.md
// §4.8): its lines in file order, updated in place and rewritten whole via a
// temp file and rename.
type dataFlag struct {
	path string
	mu   sync.Mutex
	keys []string
	vals map[string]string
}

func openDataFlag(dataDir string) (*dataFlag, error) {
	f := &dataFlag{path: filepath.Join(dataDir, dataInitFlagName), vals: map[string]string{}}
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

func (f *dataFlag) get(key string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.vals[key]
}

func (f *dataFlag) getInt(key string) int64 {
	n, _ := strconv.ParseInt(f.get(key), 10, 64)
	return n
}

// set updates keys (pairs of key, value) and rewrites the file.
func (f *dataFlag) set(kv ...string) error {
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
