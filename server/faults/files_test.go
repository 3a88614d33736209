package faults

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
)

// sent is an upload the storage acknowledged: what we sent and the ID it gave.
type sent struct {
	id   string
	crc  uint32
	size int64
}

// ledger collects acknowledged uploads from many goroutines.
type ledger struct {
	mu    sync.Mutex
	files []sent
	ops   int64
	fails int64
	errs  map[string]int // failure kinds, for the report
	log   testing.TB     // if set, the first failures of each kind are logged
}

func (l *ledger) ack(s sent) {
	l.mu.Lock()
	l.files = append(l.files, s)
	l.ops++
	l.mu.Unlock()
}

func (l *ledger) fail(err error) {
	l.mu.Lock()
	l.ops++
	l.fails++
	if l.errs == nil {
		l.errs = map[string]int{}
	}
	k := errKind(err)
	l.errs[k]++
	if l.errs[k] <= 3 && l.log != nil {
		l.log.Logf("%s client failure: %v", time.Now().Format("15:04:05.000"), err)
	}
	l.mu.Unlock()
}

func (l *ledger) snapshot() ([]sent, int64, int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]sent(nil), l.files...), l.ops, l.fails
}

func (l *ledger) kinds() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var parts []string
	for k, n := range l.errs {
		parts = append(parts, fmt.Sprintf("%s=%d", k, n))
	}
	return strings.Join(parts, " ")
}

// errKind names a failure coarsely: the status a server answered, or the
// transport trouble.
func errKind(err error) string {
	var se *client.StatusError
	if errors.As(err, &se) {
		return "status " + se.Status.Error()
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case strings.Contains(err.Error(), "connection refused"):
		return "refused"
	case strings.Contains(err.Error(), "reset by peer"), strings.Contains(err.Error(), "EOF"),
		strings.Contains(err.Error(), "broken pipe"):
		return "dropped"
	}
	return "other"
}

// payload makes size deterministic pseudo-random bytes.
func payload(rng *rand.Rand, size int) []byte {
	b := make([]byte, size)
	for i := 0; i < size; i += 8 {
		v := rng.Uint64()
		for j := 0; j < 8 && i+j < size; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

// uploadOne uploads body and records the outcome in l.
func uploadOne(ctx context.Context, cl *client.Client, l *ledger, body []byte, opts ...client.UploadOption) (string, error) {
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	id, err := cl.Upload(cctx, bytes.NewReader(body), int64(len(body)), "bin", opts...)
	if err != nil {
		if ctx.Err() == nil {
			l.fail(err)
		}
		return "", err
	}
	l.ack(sent{id: id, crc: crc32.ChecksumIEEE(body), size: int64(len(body))})
	return id, nil
}

// idFields decodes the CRC32 and size a generated file ID carries.
func idFields(id string) (codec.NameFields, error) {
	_, remote, err := codec.SplitFileID([]byte(id))
	if err != nil {
		return codec.NameFields{}, err
	}
	fn, err := codec.ParseFileName(remote)
	if err != nil {
		return codec.NameFields{}, err
	}
	return fn.Fields, nil
}

// checkFile downloads one file (from st, or wherever the tracker says when
// st is nil) and judges it: lost when it cannot be read, corrupt when its
// bytes do not match what was sent and what its ID says.
func checkFile(ctx context.Context, cl *client.Client, st *client.StorageServer, f sent) (lost, corrupt bool, err error) {
	var buf bytes.Buffer
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if f.size == 0 && st == nil {
		// a 0-byte file cannot be downloaded (EINVAL, as V6.15.4+ C
		// storages answer): ask for its size and CRC32 instead
		fi, err := cl.FileInfo(cctx, f.id)
		if err != nil {
			return true, false, fmt.Errorf("%s: %w", f.id, err)
		}
		if fi.Size != 0 || fi.CRC32 != f.crc {
			return false, true, fmt.Errorf("%s: storage says %d bytes crc32 %08x, sent 0 bytes", f.id, fi.Size, fi.CRC32)
		}
		return false, false, nil
	}
	if st != nil {
		_, err = cl.DownloadFrom(cctx, *st, f.id, &buf, 0, 0)
	} else {
		_, err = cl.Download(cctx, f.id, &buf, 0, 0)
	}
	if err != nil {
		return true, false, fmt.Errorf("%s: %w", f.id, err)
	}
	nf, perr := idFields(f.id)
	got := crc32.ChecksumIEEE(buf.Bytes())
	if perr != nil || got != f.crc || got != nf.CRC32 || int64(buf.Len()) != f.size || nf.FileSize() != f.size {
		return false, true, fmt.Errorf("%s: %d bytes crc32 %08x, sent %d bytes crc32 %08x, ID says %d bytes crc32 %08x (%v)",
			f.id, buf.Len(), got, f.size, f.crc, nf.FileSize(), nf.CRC32, perr)
	}
	return false, false, nil
}

// checkAll checks every file, with a few readers at once, and logs the
// first problems.
func checkAll(t testing.TB, cl *client.Client, st *client.StorageServer, files []sent) (lost, corrupt int64) {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	next := make(chan sent)
	logged := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range next {
				l, c, err := checkFile(context.Background(), cl, st, f)
				mu.Lock()
				if l {
					lost++
				}
				if c {
					corrupt++
				}
				if err != nil && logged < 10 {
					logged++
					t.Errorf("check: %v", err)
				}
				mu.Unlock()
			}
		}()
	}
	for _, f := range files {
		next <- f
	}
	close(next)
	wg.Wait()
	return lost, corrupt
}

// diskScan is what a store path's data tree holds.
type diskScan struct {
	files   int      // files with generated names
	bad     []string // generated names whose bytes do not match their CRC32 or size
	temps   []string // temp files (data/.cp*.tmp)
	strange []string // anything else under data/
}

// scanStorePath reads every file under root/data and checks the ones with
// generated (normal, non-appender) names against the CRC32 and size in
// their name.
func scanStorePath(t testing.TB, root string) diskScan {
	t.Helper()
	var s diskScan
	data := filepath.Join(root, "data")
	err := filepath.WalkDir(data, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(data, path)
		if strings.HasPrefix(d.Name(), ".cp") && strings.HasSuffix(d.Name(), ".tmp") {
			s.temps = append(s.temps, rel)
			return nil
		}
		// top-level state files (.data_init_flag, ...), binlogs and marks
		// under sync/, metadata files: not generated names
		if !strings.Contains(rel, string(filepath.Separator)) || strings.HasPrefix(rel, "sync"+string(filepath.Separator)) ||
			strings.HasSuffix(d.Name(), "-m") {
			return nil
		}
		fn, perr := codec.ParseFileName([]byte("M00/" + rel))
		if perr != nil || fn.Fields.IsAppender() || fn.Fields.IsTrunk() {
			if perr != nil {
				s.strange = append(s.strange, rel)
			}
			return nil
		}
		s.files++
		b, rerr := os.ReadFile(path)
		if rerr != nil {
			return rerr
		}
		if crc32.ChecksumIEEE(b) != fn.Fields.CRC32 || int64(len(b)) != fn.Fields.FileSize() {
			s.bad = append(s.bad, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("scan %s: %v", root, err)
	}
	return s
}
