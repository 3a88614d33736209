package cinterop

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/internal/testcluster"
)

// readMark reads a C mark file's binlog_index and binlog_offset.
func readMark(t *testing.T, path string) (int, int64) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	idx, off := -1, int64(-1)
	for _, l := range strings.Split(string(data), "\n") {
		k, v, _ := strings.Cut(l, "=")
		switch strings.TrimSpace(k) {
		case "binlog_index":
			idx, _ = strconv.Atoi(strings.TrimSpace(v))
		case "binlog_offset":
			off, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	return idx, off
}

// Takeover of a C storage's data directory whose binlog was rotated and
// compressed (binlog.000.gz, current_compress=1) with the peer's mark
// inside the compressed file: our storage, started on the C conf, goes on
// replicating to the C peer from that mark, byte for byte.
func TestTakeoverCompressedBinlog(t *testing.T) {
	needC(t)
	gzip, err := exec.LookPath("gzip")
	if err != nil {
		t.Skip("gzip not in PATH (C compresses binlogs with it)")
	}
	c := newCluster(t)
	tr := tracker(c, true, "127.0.17.22")
	port := testcluster.Shared(t, "127.0.17.23", "127.0.17.24")
	a := storage(c, true, "127.0.17.23", port, []*proc{tr}, "compress_binlog = true", "compress_binlog_time = 01:30")
	cl := newClient(t, tr)
	waitUntil(t, 60*time.Second, "A ACTIVE", allActive(t, cl, a))
	b := storage(c, true, "127.0.17.24", port, []*proc{tr})
	waitUntil(t, 90*time.Second, "A and B ACTIVE", allActive(t, cl, a, b))

	rng := rand.New(rand.NewPCG(3, 5))
	upload := func(n int) []storedFile {
		var fs []storedFile
		for i := range n {
			body := make([]byte, 1+rng.IntN(64<<10))
			for k := range body {
				body[k] = byte(rng.Uint32())
			}
			id, err := cl.Upload(ctx(t), bytes.NewReader(body), int64(len(body)), "dat",
				client.OnStorage(client.StorageServer{Group: "group1", Addr: a.addr, StorePathIndex: i % 2}))
			if err != nil {
				t.Fatalf("upload to A: %v", err)
			}
			fs = append(fs, storedFile{id: id, body: body, path: i % 2})
		}
		return fs
	}
	onDisk := func(s *proc, fs []storedFile) func() (bool, string) {
		return func() (bool, string) {
			for _, f := range fs {
				got, err := os.ReadFile(s.local(t, f))
				if err != nil || !bytes.Equal(got, f.body) {
					return false, fmt.Sprintf("%s on %s: %v", f.id, s.name, err)
				}
			}
			return true, ""
		}
	}
	first := upload(4)
	waitUntil(t, 60*time.Second, "batch 1 on B", onDisk(b, first))
	b.stop()
	second := upload(8)
	time.Sleep(2 * time.Second) // A's binlog lines flushed
	a.stop()

	// what C's daily compression leaves once binlog.000 is full: the
	// file split at a line after B's mark, the first part gzip'ed
	sync := filepath.Join(a.base, "data", "sync")
	mark := filepath.Join(sync, strings.ReplaceAll(b.addr, ":", "_")+".mark")
	mi, moff := readMark(t, mark)
	bin, err := os.ReadFile(filepath.Join(sync, "binlog.000"))
	if err != nil {
		t.Fatal(err)
	}
	if mi != 0 || moff <= 0 || moff >= int64(len(bin)) {
		t.Fatalf("B's mark at A: index %d offset %d, binlog.000 %d bytes: want a mark inside binlog.000", mi, moff, len(bin))
	}
	cut := int(moff)
	for range 3 { // three lines of batch 2 stay in the compressed file
		cut += bytes.IndexByte(bin[cut:], '\n') + 1
	}
	writeFile(t, filepath.Join(sync, "binlog.000"), string(bin[:cut]))
	writeFile(t, filepath.Join(sync, "binlog.001"), string(bin[cut:]))
	if out, err := exec.Command(gzip, filepath.Join(sync, "binlog.000")).CombinedOutput(); err != nil {
		t.Fatalf("gzip: %v %s", err, out)
	}
	writeFile(t, filepath.Join(sync, "binlog_index.dat"), "current_write=1\ncurrent_compress=1\n")

	// ours takes A over; B comes back
	a.setKind(false)
	a.start()
	b.start()
	waitUntil(t, 90*time.Second, "batch 2 replicated from the compressed binlog to B", onDisk(b, second))
	waitUntil(t, 60*time.Second, "A and B ACTIVE", allActive(t, cl, a, b))
	if _, off := readMark(t, mark); off <= 0 {
		t.Errorf("B's mark at A after the takeover: offset %d", off)
	}
	t.Logf("B's mark was at binlog.000:%d of %d bytes (cut at %d); %d files of batch 2 replicated", moff, len(bin), cut, len(second))
}
