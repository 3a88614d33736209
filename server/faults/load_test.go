package faults

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/diskio"
	"github.com/gofdfs/gofdfs/internal/testcluster"
)

// procStat is what /proc says of a daemon: resident memory, open
// descriptors and OS threads (goroutines are not visible from outside; a
// goroutine leak that blocks in syscalls shows as threads, one that does
// not shows as memory).
type procStat struct {
	rssKiB  int64
	fds     int // every descriptor but stored files
	stored  int // descriptors of stored files (data/HH/HH/...): the download cache's
	threads int
}

func (p procStat) String() string {
	return fmt.Sprintf("rss %.1f MiB, %d fds (+%d stored files), %d threads", float64(p.rssKiB)/1024, p.fds, p.stored, p.threads)
}

func readProc(t testing.TB, pid int) procStat {
	t.Helper()
	ps, err := testcluster.ReadProcStat(pid)
	if err != nil {
		t.Fatalf("read /proc of pid %d: %v", pid, err)
	}
	s := procStat{rssKiB: ps.RSSKiB, threads: ps.Threads}
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatalf("read /proc/%d/fd: %v", pid, err)
	}
	for _, e := range ents {
		// the storage keeps read descriptors of recently downloaded files
		// (diskio's open-file cache, bounded): not a leak, counted apart
		if target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, e.Name())); err == nil && storedFile.MatchString(target) {
			s.stored++
			continue
		}
		s.fds++
	}
	return s
}

// storedFile matches the path of a file in a store path's data tree.
var storedFile = regexp.MustCompile(`/data/[0-9A-F]{2}/[0-9A-F]{2}/[^/]+$`)

// holder is a connhold process holding n connections to one server.
type holder struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

func startHolder(t *testing.T, addr string, n int) *holder {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "connhold"), "-addr", addr, "-n", strconv.Itoa(n))
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &holder{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	t.Cleanup(h.close)
	return h
}

// line reads the holder's next answer.
func (h *holder) line(t *testing.T) string {
	t.Helper()
	if !h.out.Scan() {
		t.Fatalf("connhold ended: %v", h.out.Err())
	}
	return h.out.Text()
}

func (h *holder) close() {
	if h.in != nil {
		h.in.Close()
		h.in = nil
		done := make(chan struct{})
		go func() { _ = h.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = h.cmd.Process.Kill()
			<-done
		}
	}
}

// TestManyConnections holds N connections (10,000 with -faults.full) open
// to a tracker and to a storage, each from a holder process of its own,
// checks that every one of them still answers ACTIVE_TEST, that other
// clients are served meanwhile, and that the servers' memory per held
// connection stays bounded and their descriptors go back when the
// connections close.
func TestManyConnections(t *testing.T) {
	parallelWhenShort(t)
	n := 500
	if *fullRun {
		n = *connsN
	}
	c := newCluster(t)
	tr := c.addTracker("127.0.10.1")
	st := c.addStorage(storageSpec{ip: "127.0.10.9"})
	c.waitActive("group1", 1)
	cl := c.client()

	base := map[*daemon]procStat{tr: readProc(t, tr.Pid()), st: readProc(t, st.Pid())}
	var holders []*holder
	for _, d := range []*daemon{tr, st} {
		h := startHolder(t, d.Addr, n)
		holders = append(holders, h)
	}
	for _, h := range holders {
		if got := h.line(t); got != fmt.Sprintf("open %d", n) {
			t.Fatalf("connhold: %q", got)
		}
	}
	// every held connection answers (and has surely been accepted)
	for _, h := range holders {
		if _, err := io.WriteString(h.in, "check\n"); err != nil {
			t.Fatal(err)
		}
	}
	alive := 0
	for _, h := range holders {
		var k int
		if _, err := fmt.Sscanf(h.line(t), "alive %d", &k); err != nil {
			t.Fatal(err)
		}
		alive += k
	}
	if alive != 2*n {
		t.Errorf("%d of %d held connections answered ACTIVE_TEST", alive, 2*n)
	}
	held := map[*daemon]procStat{tr: readProc(t, tr.Pid()), st: readProc(t, st.Pid())}

	// others are served while the connections are held
	l := ledger{log: t}
	rng := rand.New(rand.NewPCG(9, 9))
	var files []sent
	for range 20 {
		if _, err := uploadOne(context.Background(), cl, &l, payload(rng, rng.IntN(64<<10)+1)); err != nil {
			t.Errorf("upload with %d connections held: %v", n, err)
		}
	}
	files, ops, fails := l.snapshot()
	lost, corrupt := checkAll(t, cl, nil, files)

	for _, h := range holders {
		h.close()
	}
	// descriptors come back once the holders are gone
	var after map[*daemon]procStat
	for deadline := time.Now().Add(20 * time.Second); ; {
		after = map[*daemon]procStat{tr: readProc(t, tr.Pid()), st: readProc(t, st.Pid())}
		if after[tr].fds <= base[tr].fds+16 && after[st].fds <= base[st].fds+16 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	var notes []string
	for _, d := range []*daemon{tr, st} {
		perConn := float64(held[d].rssKiB-base[d].rssKiB) / float64(n)
		notes = append(notes, fmt.Sprintf("%s %.1f KiB/conn", strings.TrimPrefix(d.Prog, "fdfs_"), perConn))
		t.Logf("%s: before %v; %d held %v; after %v", d.Prog, base[d], n, held[d], after[d])
		if held[d].fds < n {
			t.Errorf("%s: %d fds with %d connections held (from %d)", d.Prog, held[d].fds, n, base[d].fds)
		}
		if after[d].fds > base[d].fds+16 {
			t.Errorf("%s: %d fds after the connections closed (from %d): descriptors leak", d.Prog, after[d].fds, base[d].fds)
		}
		if after[d].stored > diskio.DefaultOpenFiles {
			t.Errorf("%s: %d stored files open, more than the open-file cache's bound %d", d.Prog, after[d].stored, diskio.DefaultOpenFiles)
		}
		// bounded: an idle connection must not cost a read buffer of its
		// own for good (64 KiB is twice gnet's default buffer)
		if perConn > 64 {
			t.Errorf("%s: %.1f KiB of RSS per idle connection", d.Prog, perConn)
		}
	}
	results.add(row{Scenario: fmt.Sprintf("%d connections held per server", n), Ops: ops + int64(2*n), Failures: fails + int64(2*n-alive),
		Lost: lost, Corrupt: corrupt, Note: strings.Join(notes, ", ")})
}

// TestSoak runs mixed load (upload, download, file info, metadata, delete)
// against a tracker and two storages for -faults.soak (a few seconds
// without -faults.full) and checks that the daemons' memory, descriptors
// and threads do not grow between the end of the warm-up and the end.
func TestSoak(t *testing.T) {
	parallelWhenShort(t)
	dur := 5 * time.Second
	if *fullRun {
		dur = *soakTime
	}
	c := newCluster(t)
	c.addTracker("127.0.10.1")
	st := c.addStorage(storageSpec{ip: "127.0.10.9"})
	c.waitActive("group1", 1)
	cl := c.client()
	tr := c.Trackers[0]

	var l ledger
	l.log = t
	var deleted sync.Map // ids deleted on purpose
	var mixed atomic.Int64
	// a cancel, not a deadline: a call cut by the end of the soak then
	// always finds ctx.Err() set and is not counted as a failure
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopTimer := time.AfterFunc(dur, cancel)
	defer stopTimer.Stop()
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(10, uint64(w)))
			var mine []sent
			for ctx.Err() == nil {
				// each worker keeps at most 200 live files: the disk and the
				// final check stay bounded however long the soak runs
				switch k := rng.IntN(10); {
				case len(mine) >= 200:
					fallthrough
				case k >= 8 && len(mine) > 0:
					i := rng.IntN(len(mine))
					f := mine[i]
					mixed.Add(1)
					err := cl.Delete(ctx, f.id)
					switch {
					case err == nil || ctx.Err() != nil:
						// a delete cut by the end of the soak may have
						// happened: the file is not checked either way
						deleted.Store(f.id, true)
						mine = append(mine[:i], mine[i+1:]...)
					default:
						l.fail(fmt.Errorf("delete %s: %w", f.id, err))
					}
				case k < 4 || len(mine) == 0:
					body := payload(rng, rng.IntN(128<<10)+1)
					if id, err := uploadOne(ctx, cl, &l, body, client.WithMetadata(client.Meta{Name: "w", Value: strconv.Itoa(w)})); err == nil {
						mine = append(mine, sent{id: id, size: int64(len(body))})
					}
				case k < 7:
					f := mine[rng.IntN(len(mine))]
					var buf bytes.Buffer
					mixed.Add(1)
					if _, err := cl.Download(ctx, f.id, &buf, 0, 0); err != nil && ctx.Err() == nil {
						l.fail(fmt.Errorf("download %s: %w", f.id, err))
					}
				case k < 8:
					f := mine[rng.IntN(len(mine))]
					mixed.Add(1)
					if _, err := cl.FileInfo(ctx, f.id); err != nil && ctx.Err() == nil {
						l.fail(fmt.Errorf("file info %s: %w", f.id, err))
					}
					if _, err := cl.GetMetadata(ctx, f.id); err != nil && ctx.Err() == nil {
						l.fail(fmt.Errorf("get metadata %s: %w", f.id, err))
					}
				}
			}
		}()
	}
	warm := time.After(dur / 5)
	var atWarm map[*daemon]procStat
	tick := time.NewTicker(dur / 20)
	defer tick.Stop()
	peak := map[*daemon]procStat{}
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-warm:
			atWarm = map[*daemon]procStat{tr: readProc(t, tr.Pid()), st: readProc(t, st.Pid())}
		case <-tick.C:
			for _, d := range []*daemon{tr, st} {
				s := readProc(t, d.Pid())
				p := peak[d]
				p.rssKiB, p.fds, p.threads = max(p.rssKiB, s.rssKiB), max(p.fds, s.fds), max(p.threads, s.threads)
				peak[d] = p
			}
		}
	}
	wg.Wait()
	end := map[*daemon]procStat{tr: readProc(t, tr.Pid()), st: readProc(t, st.Pid())}

	files, ops, fails := l.snapshot()
	var live []sent
	for _, f := range files {
		if _, gone := deleted.Load(f.id); !gone {
			live = append(live, f)
		}
	}
	lost, corrupt := checkAll(t, cl, nil, live)
	var notes []string
	for _, d := range []*daemon{tr, st} {
		t.Logf("%s: warm %v, end %v, peak %v", d.Prog, atWarm[d], end[d], peak[d])
		notes = append(notes, fmt.Sprintf("%s rss %d->%d KiB fds %d->%d thr %d->%d", strings.TrimPrefix(d.Prog, "fdfs_"),
			atWarm[d].rssKiB, end[d].rssKiB, atWarm[d].fds, end[d].fds, atWarm[d].threads, end[d].threads))
		if !*fullRun {
			continue // a few seconds say nothing about growth
		}
		w, e := atWarm[d], end[d]
		if e.fds > w.fds+16 {
			t.Errorf("%s: fds grew from %d to %d", d.Prog, w.fds, e.fds)
		}
		if e.threads > w.threads+8 {
			t.Errorf("%s: threads grew from %d to %d", d.Prog, w.threads, e.threads)
		}
		if e.rssKiB > max(w.rssKiB*3/2, w.rssKiB+32<<10) {
			t.Errorf("%s: RSS grew from %d KiB to %d KiB", d.Prog, w.rssKiB, e.rssKiB)
		}
	}
	results.add(row{Scenario: fmt.Sprintf("soak %v mixed load", dur), Ops: ops + mixed.Load(), Failures: fails,
		Lost: lost, Corrupt: corrupt, Note: strings.Join(notes, "; ")})
	if fails > 0 {
		t.Errorf("clients saw %d failures: %s", fails, l.kinds())
	}
	if lost+corrupt > 0 {
		t.Fatalf("%d lost, %d corrupt of %d live files", lost, corrupt, len(live))
	}
}
