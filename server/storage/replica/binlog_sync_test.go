package replica

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
)

// Sync runs its fsync outside the lock Append takes, concurrently with
// appends and rotations: no line is lost and Sync never fails on a file a
// rotation closed meanwhile.
func TestBinlogSyncConcurrentWithAppend(t *testing.T) {
	data := t.TempDir()
	b, err := OpenBinlog(data)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	b.rotateSize = 4 << 10 // rotations while Sync runs
	name := []byte("M00/00/00/wKgAZl9hKxOAV5bOAAAKmQ0oXv8683.png")
	const lines = 2000
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := b.Sync(); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i := range lines {
		rec := codec.BinlogRecord{Timestamp: 1600203539 + int64(i), Op: codec.BinlogCreate, Filename: name}
		if err := b.Append(&rec); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	var all strings.Builder
	for i := 0; i <= b.index; i++ {
		all.WriteString(readFile(t, filepath.Join(data, "sync", BinlogFileName(i))))
	}
	if n := strings.Count(all.String(), "\n"); n != lines {
		t.Fatalf("%d lines in the binlogs, want %d", n, lines)
	}
}
