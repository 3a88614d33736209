package storage

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/internal/testcluster"
)

const (
	bigFileSize = 1 << 30   // the file uploaded and downloaded
	bigRSSLimit = 256 << 20 // VmHWM of the storage process must stay below
)

// TestBigFileSeparateProcess uploads 1 GiB to an fdfs_storaged process and
// downloads it whole and in ranges, while the storage's resident memory is
// sampled from /proc: bodies stream between socket and disk (splice /
// sendfile / bounded buffers), so the peak RSS stays far below the file.
// The storage has no reachable tracker (tracker_server is a closed port)
// and must serve clients all the same.
func TestBigFileSeparateProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: 1 GiB upload and download")
	}
	if raceEnabled {
		// The storage under test is a separate, uninstrumented binary, so
		// -race would only check this test's own streaming code, at about
		// 7x the run time (37 s against 5 s measured).
		t.Skip("race detector: the storage runs uninstrumented in its own process; " +
			"the instrumented client side only makes the 1 GiB transfer ~7x slower")
	}
	if runtime.GOOS != "linux" {
		t.Skip("needs /proc/<pid>/status")
	}
	tmp := t.TempDir()
	var st syscall.Statfs_t
	if err := syscall.Statfs(tmp, &st); err != nil {
		t.Skipf("statfs %s: %v", tmp, err)
	}
	if free := int64(st.Bavail) * int64(st.Bsize); free < 4<<30 {
		t.Skipf("only %d MiB free under %s, need 4 GiB (source, stored copy, whole download)", free>>20, tmp)
	}

	bin := buildStoraged(t)
	src, srcCRC := writePatternFile(t, filepath.Join(tmp, "source.bin"), bigFileSize)

	ip := "127.0.0.37"
	port := freeTCPPort(t, ip)
	closedTracker := net.JoinHostPort("127.0.0.1", strconv.Itoa(freeTCPPort(t, "127.0.0.1")))
	base := filepath.Join(tmp, "storage")
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	confPath := filepath.Join(tmp, "storage.conf")
	confText := fmt.Sprintf("group_name = %s\nbase_path = %s\nstore_path0 = %s\nbind_addr = %s\nport = %d\n"+
		"tracker_server = %s\nsubdir_count_per_path = 4\nnetwork_timeout = 30\nlog_level = info\n",
		testGroup, base, base, ip, port, closedTracker)
	if err := os.WriteFile(confPath, []byte(confText), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort(ip, strconv.Itoa(port))
	proc := startStoraged(t, bin, confPath, addr)

	// Sample VmRSS while the transfers run; VmHWM (the kernel's own
	// peak) is read at the end as well.
	var peakRSS atomic.Int64
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tk := time.NewTicker(20 * time.Millisecond)
		defer tk.Stop()
		for {
			if rss, _, err := procMem(proc.pid); err == nil && rss > peakRSS.Load() {
				peakRSS.Store(rss)
			}
			select {
			case <-stopSampling:
				return
			case <-tk.C:
			}
		}
	}()
	stopOnce := sync.OnceFunc(func() { close(stopSampling); <-sampled })
	t.Cleanup(stopOnce)
	_, hwmStart, err := procMem(proc.pid)
	if err != nil {
		t.Fatalf("read /proc/%d/status: %v", proc.pid, err)
	}

	cli, err := client.New(client.Config{Trackers: []string{closedTracker}, NetworkTimeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Second)
	defer cancel()
	server := client.StorageServer{Group: testGroup, Addr: addr, StorePathIndex: -1}

	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	start := time.Now()
	id, err := cli.Upload(ctx, f, bigFileSize, "bin", client.OnStorage(server))
	if err != nil {
		t.Fatalf("upload 1 GiB: %v\nstorage output:\n%s", err, proc.output())
	}
	upTime := time.Since(start)
	_, fields := parseID(t, id)
	if fields.FileSize() != bigFileSize || fields.CRC32 != srcCRC {
		t.Fatalf("file ID %s: size %d crc %08x, want %d %08x", id, fields.FileSize(), fields.CRC32, int64(bigFileSize), srcCRC)
	}

	// Ranged downloads into files, compared with the source.
	for _, r := range []struct{ off, n int64 }{
		{512<<20 - 3, 4 << 20},         // across the middle, unaligned
		{bigFileSize - 1<<20, 1 << 20}, // the last MiB
		{bigFileSize - 1<<20, 0},       // from there to the end
		{7, 100},                       // small, near the start
	} {
		want := r.n
		if want == 0 {
			want = bigFileSize - r.off
		}
		out := filepath.Join(tmp, fmt.Sprintf("range-%d-%d", r.off, r.n))
		of, err := os.Create(out)
		if err != nil {
			t.Fatal(err)
		}
		n, err := cli.DownloadFrom(ctx, server, id, of, r.off, r.n)
		if cerr := of.Close(); err == nil {
			err = cerr
		}
		if err != nil || n != want {
			t.Fatalf("download %d+%d: %d bytes, %v", r.off, r.n, n, err)
		}
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		exp := make([]byte, want)
		if _, err := f.ReadAt(exp, r.off); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, exp) {
			t.Fatalf("download %d+%d differs from the source", r.off, r.n)
		}
		os.Remove(out)
	}

	// The whole file into a file, compared by CRC and size.
	whole := filepath.Join(tmp, "whole.bin")
	wf, err := os.Create(whole)
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	n, err := cli.DownloadFrom(ctx, server, id, wf, 0, 0)
	downTime := time.Since(start)
	if cerr := wf.Close(); err == nil {
		err = cerr
	}
	if err != nil || n != bigFileSize {
		t.Fatalf("whole download: %d bytes, %v", n, err)
	}
	if crc, size := fileCRC(t, whole); size != bigFileSize || crc != srcCRC {
		t.Fatalf("whole download: %d bytes crc %08x, want %d %08x", size, crc, int64(bigFileSize), srcCRC)
	}
	os.Remove(whole)

	stopOnce()
	rss, hwm, err := procMem(proc.pid)
	if err != nil {
		t.Fatalf("read /proc/%d/status: %v", proc.pid, err)
	}
	peak := max(hwm, peakRSS.Load())
	t.Logf("storage pid %d: VmHWM %.1f MiB (%.1f MiB before the transfers), highest sampled VmRSS %.1f MiB, now %.1f MiB",
		proc.pid, mib(hwm), mib(hwmStart), mib(peakRSS.Load()), mib(rss))
	t.Logf("1 GiB upload %.0f MiB/s (%v), whole download %.0f MiB/s (%v) [information only]",
		float64(bigFileSize>>20)/upTime.Seconds(), upTime.Round(time.Millisecond),
		float64(bigFileSize>>20)/downTime.Seconds(), downTime.Round(time.Millisecond))
	if peak >= bigRSSLimit {
		t.Fatalf("storage peak RSS %.1f MiB, want below %d MiB for a %d MiB file",
			mib(peak), bigRSSLimit>>20, bigFileSize>>20)
	}
	if tmpLeft, _ := filepath.Glob(filepath.Join(base, "data", ".cp*.tmp")); len(tmpLeft) != 0 {
		t.Fatalf("temp files left: %v", tmpLeft)
	}
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// buildStoraged builds tools/fdfs_storaged into a temp dir.
func buildStoraged(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Dir(filepath.Dir(filepath.Dir(file)))
	bin := filepath.Join(t.TempDir(), "fdfs_storaged")
	cmd := exec.Command("go", "build", "-o", bin, "./tools/fdfs_storaged")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build fdfs_storaged: %v\n%s", err, out)
	}
	return bin
}

// freeTCPPort is testcluster.Port: a free port on ip.
var freeTCPPort = testcluster.Port

// lockedBuffer collects a child's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type storagedProc struct {
	pid    int
	out    *lockedBuffer
	output func() string
}

// startStoraged runs `fdfs_storaged CONF --foreground` and waits until addr
// accepts connections; the process is stopped with SIGTERM at cleanup.
func startStoraged(t *testing.T, bin, confPath, addr string) *storagedProc {
	t.Helper()
	out := &lockedBuffer{}
	cmd := exec.Command(bin, confPath, "--foreground")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("fdfs_storaged exit: %v\n%s", err, out.String())
			}
		case <-time.After(45 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Errorf("fdfs_storaged did not stop on SIGTERM\n%s", out.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("fdfs_storaged exited before listening: %v\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("fdfs_storaged not listening on %s after 30s\n%s", addr, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return &storagedProc{pid: cmd.Process.Pid, out: out, output: out.String}
}

// procMem returns VmRSS and VmHWM of pid in bytes.
func procMem(pid int) (rss, hwm int64, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, l := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok || k != "VmRSS" && k != "VmHWM" {
			continue
		}
		f := strings.Fields(v) // "12345 kB"
		if len(f) != 2 || f[1] != "kB" {
			return 0, 0, fmt.Errorf("%s: %q", k, v)
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, 0, err
		}
		if k == "VmRSS" {
			rss = n << 10
		} else {
			hwm = n << 10
		}
	}
	if rss == 0 || hwm == 0 {
		return 0, 0, fmt.Errorf("no VmRSS/VmHWM in /proc/%d/status", pid)
	}
	return rss, hwm, nil
}

// writePatternFile writes size bytes of a seeded pseudo-random pattern and
// returns the path and the data's CRC32 (IEEE, as in FastDFS file names).
func writePatternFile(t *testing.T, path string, size int64) (string, uint32) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 4<<20)
	crc := crc32.NewIEEE()
	for done := int64(0); done < size; {
		n := min(int64(len(buf)), size-done)
		b := buf[:n]
		for i := 0; i+8 <= len(b); i += 8 {
			binary.LittleEndian.PutUint64(b[i:], r.Uint64())
		}
		for i := len(b) &^ 7; i < len(b); i++ {
			b[i] = byte(r.Uint32())
		}
		crc.Write(b)
		if _, err := f.Write(b); err != nil {
			t.Fatal(err)
		}
		done += n
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path, crc.Sum32()
}

// fileCRC returns the CRC32 and size of a file.
func fileCRC(t *testing.T, path string) (uint32, int64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := crc32.NewIEEE()
	n, err := io.Copy(h, bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	return h.Sum32(), n
}
