package web_test

// The HTTP server on its own: a small real storage core (one store path on
// disk with diskio's worker group, names parsed by codec) behind web.Core and
// web.Path, real files, real sockets, net/http as the client. What needs a
// whole storage (uploads over the binary protocol, fetch-through from a peer,
// curl, the daemon) stays in server/storage's http*_test.go.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/conf"
	"github.com/gofdfs/gofdfs/diskio"
	"github.com/gofdfs/gofdfs/internal/testcluster"
	"github.com/gofdfs/gofdfs/server/storage/web"
)

const group = "group1"

// core is one store path of group1 on 127.0.0.1:23000.
type core struct {
	sp       *diskio.StorePath
	workers  *diskio.WorkerGroup
	statuses [6]atomic.Int64 // answers by status/100, as the storage counts them
}

func (c *core) Group() []byte  { return []byte(group) }
func (c *core) Now() time.Time { return time.Now() }

func (c *core) ParseName(remote []byte) (codec.RemoteFilename, web.Path, error) {
	rf, err := codec.ParseRemoteFilename(remote, 1)
	if err != nil {
		return rf, nil, err
	}
	return rf, c, nil
}

// SourceOf: every source is a storage on port 23000 (the group's port).
func (c *core) SourceOf(f codec.NameFields) (netip.Addr, int, bool) {
	if f.SourceIsID() {
		return netip.Addr{}, 0, false
	}
	return netip.AddrFrom4(f.SourceIPv4()), 23000, true
}

func (c *core) IsMe(ip netip.Addr) bool { return ip == netip.MustParseAddr("127.0.0.1") }

func (c *core) CountStatus(status int) {
	if k := status / 100; k >= 0 && k < len(c.statuses) {
		c.statuses[k].Add(1)
	}
}

func (c *core) AppendStatus(b []byte) []byte { return fmt.Appendf(b, "%q:%q", "group", group) }

// OpenRead and Send make core its own single web.Path.
func (c *core) OpenRead(rf *codec.RemoteFilename) (diskio.ReadFd, diskio.FileStat, error) {
	return c.sp.OpenReadFd(diskio.FileRef{High: int(rf.High), Low: int(rf.Low), Name: string(rf.Name)})
}

// OpenTrunk: this fake core holds no trunk files.
func (c *core) OpenTrunk(rf *codec.RemoteFilename, _ *codec.TrunkRef, _ web.Path) (diskio.ReadFd, diskio.FileStat, int64, error) {
	return diskio.ReadFd{}, diskio.FileStat{}, 0, fmt.Errorf("%s: %w", rf.Logic, os.ErrNotExist)
}

func (c *core) Send(job diskio.SendJob) error { return c.workers.Pick().Send(job) }

// store writes data as a file whose name says it came from source, uploaded
// at ts, and returns its file ID.
func (c *core) store(t *testing.T, source [4]byte, ts time.Time, data []byte, onDisk bool) string {
	t.Helper()
	ext, err := codec.AppendExt7(nil, []byte("txt"), func() byte { return '7' })
	if err != nil {
		t.Fatal(err)
	}
	n := codec.FileName{Fields: codec.NameFields{Source: codec.SourceFromIPv4(source), Timestamp: uint32(ts.Unix()),
		SizeField: codec.NormalSizeField(int64(len(data)), rand.Uint32())}}
	copy(n.Ext7[:], ext)
	logic := n.Append(nil)
	if onDisk {
		path, err := c.sp.Path(diskio.FileRef{Name: string(logic[len("M00/00/00/"):])})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return group + "/" + string(logic)
}

// start runs a web.Server for a fresh store path with the http.* lines of
// storage.conf in httpConf.
func start(t *testing.T, httpConf string) (*core, *web.Server, string) {
	t.Helper()
	dir := t.TempDir()
	cfg, err := conf.ParseStorage("storage.conf", []byte(fmt.Sprintf("group_name=%s\nbase_path=%s\n"+
		"store_path0=%s\ntracker_server=127.0.0.2:22122\nhttp.server_port=8080\n%s", group, dir, dir, httpConf)))
	if err != nil {
		t.Fatal(err)
	}
	sp, err := diskio.Open(dir, diskio.Options{SubdirCount: 1})
	if err != nil {
		t.Fatal(err)
	}
	g, err := diskio.NewWorkerGroup(1, diskio.WorkerOptions{Name: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	c := &core{sp: sp, workers: g}
	// :0 on purpose: a redirect names the port the request came in on as
	// gnet reports it, the listen address as given to gnet, which
	// engine.Claim resolves to the free port first (TestNotServed)
	listen := "127.0.0.1:0"
	hs, err := web.New(c, web.Config{HTTP: cfg.HTTP, Listen: listen, SmallReadMax: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	hs.Run()
	if err := hs.Wait(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hs.Stop) // before the workers close: cleanups run last first
	return c, hs, "http://" + hs.Addr().String()
}

func get(t *testing.T, method, url string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: body: %v", method, url, err)
	}
	return resp, b
}

// A small file is read on the loop, a large one sent by a disk worker; both
// arrive byte for byte with their length, HEAD has no body, a range is cut
// from the file on disk, and every answer is counted through the core.
func TestServeFiles(t *testing.T) {
	c, hs, base := start(t, "")
	small := []byte("small file on the loop\n")
	large := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB > SmallReadMax
	me := [4]byte{127, 0, 0, 1}
	smallID := c.store(t, me, time.Now(), small, true)
	largeID := c.store(t, me, time.Now(), large, true)

	for _, f := range []struct {
		id   string
		data []byte
	}{{smallID, small}, {largeID, large}} {
		resp, b := get(t, "GET", base+"/"+f.id)
		if resp.StatusCode != 200 || !bytes.Equal(b, f.data) || resp.ContentLength != int64(len(f.data)) {
			t.Fatalf("GET %s: %d, %d bytes (length %d), want 200 and the %d bytes written",
				f.id, resp.StatusCode, len(b), resp.ContentLength, len(f.data))
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("GET %s: Content-Type %q, want text/plain for .txt", f.id, ct)
		}
		resp, b = get(t, "HEAD", base+"/"+f.id)
		if resp.StatusCode != 200 || len(b) != 0 || resp.ContentLength != int64(len(f.data)) {
			t.Errorf("HEAD %s: %d, %d body bytes, length %d", f.id, resp.StatusCode, len(b), resp.ContentLength)
		}
	}
	resp, b := get(t, "GET", base+"/"+largeID, "Range", "bytes=1000-1999")
	if resp.StatusCode != 206 || !bytes.Equal(b, large[1000:2000]) {
		t.Fatalf("range: %d, %d bytes, want 206 and bytes 1000-1999", resp.StatusCode, len(b))
	}
	// an answer is counted once written: the client may see it a moment before
	testcluster.WaitUntil(t, "5 answers counted", func() (bool, string) {
		n := hs.Counters()
		return n.Requests == 5 && c.statuses[2].Load() == 5, fmt.Sprintf("%+v, 2xx %d", n, c.statuses[2].Load())
	})
	if n := hs.Counters(); n.LoopReads != 2 || n.WorkerSends != 1 {
		t.Errorf("counters %+v: want the small GET and the 1000-byte range read on the loop, the large GET "+
			"sent by a worker", n)
	}
}

// A name that cannot be a file is 400; this storage's own file missing from
// disk is 404; a file of another member not synced yet is redirected to it
// (response_mode = redirect) on its HTTP port; another group is 404 here.
func TestNotServed(t *testing.T) {
	c, hs, base := start(t, "http.response_mode=redirect\n")
	gone := c.store(t, [4]byte{127, 0, 0, 1}, time.Now(), []byte("x"), false)
	elsewhere := c.store(t, [4]byte{127, 0, 0, 2}, time.Now(), []byte("y"), false)
	for _, tc := range []struct {
		path string
		want int
	}{
		{"/" + group + "/M00/00/00/../../../etc/passwd", 400},
		{"/" + group + "/M07/00/00/abcdefghijklmnopqrstuvwxyz0123456789ab.txt", 400},
		{"/" + gone, 404},
		{"/" + elsewhere, 302},
	} {
		resp, _ := get(t, "GET", base+tc.path)
		if resp.StatusCode != tc.want {
			t.Errorf("GET %s: %d, want %d", tc.path, resp.StatusCode, tc.want)
		}
		if tc.want == 302 {
			loc := resp.Header.Get("Location")
			_, port, _ := net.SplitHostPort(hs.Addr().String())
			if want := "http://127.0.0.2:" + port + "/" + elsewhere + "?redirect=1"; loc != want {
				t.Errorf("redirect to %q, want %q: the source, this HTTP port, the same path", loc, want)
			}
		}
	}
	testcluster.WaitUntil(t, "3 4xx answers counted by the core", func() (bool, string) {
		return c.statuses[4].Load() == 3, fmt.Sprint(c.statuses[4].Load())
	})
}

// /status is JSON holding the core's members and the HTTP counters; the
// server stops and its port is free again.
func TestStatusAndStop(t *testing.T) {
	_, hs, base := start(t, "")
	resp, b := get(t, "GET", base+"/status")
	var m map[string]any
	if resp.StatusCode != 200 || json.Unmarshal(b, &m) != nil || m["group"] != group {
		t.Fatalf("/status: %d %s: want JSON with the core's group", resp.StatusCode, b)
	}
	addr := hs.Addr().String()
	hs.Stop()
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatalf("%s still accepts after Stop", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("the port after Stop: %v", err)
	}
	ln.Close()
}

// Moved from server/storage (they test web's own behaviour, no storage's).

// TestHTTPMultiRangeDisabled: with http.multi_range.enabled=false a
// multi-range request is 416 and a single range still 206.
func TestHTTPMultiRangeDisabled(t *testing.T) {
	c, _, base := start(t, "http.multi_range.enabled=false\n")
	id := c.store(t, [4]byte{127, 0, 0, 1}, time.Now(), bytes.Repeat([]byte("r"), 1000), true)
	if resp, _ := get(t, "GET", base+"/"+id, "Range", "bytes=0-1,5-6"); resp.StatusCode != 416 {
		t.Fatalf("two ranges: %d, want 416", resp.StatusCode)
	}
	if resp, _ := get(t, "GET", base+"/"+id, "Range", "bytes=5-6"); resp.StatusCode != 206 {
		t.Fatalf("one range: %d, want 206", resp.StatusCode)
	}
}

// TestHTTPKeepAliveTimeout: an idle keep-alive connection and one that
// trickles its head are both closed after http.keepalive_timeout.
func TestHTTPKeepAliveTimeout(t *testing.T) {
	c, hs, _ := start(t, "http.keepalive_timeout=1\n")
	id := c.store(t, [4]byte{127, 0, 0, 1}, time.Now(), bytes.Repeat([]byte("k"), 100), true)
	idle, err := net.Dial("tcp", hs.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	fmt.Fprintf(idle, "GET /%s HTTP/1.1\r\nHost: x\r\n\r\n", id)
	br := bufio.NewReader(idle)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("first request: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	slow, err := net.Dial("tcp", hs.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	start := time.Now()
	done := make(chan error, 1)
	go func() { // a byte every 200 ms never completes the head
		for i := 0; ; i++ {
			if _, err := slow.Write([]byte("G")); err != nil {
				done <- err
				return
			}
			time.Sleep(200 * time.Millisecond)
			if i > 50 {
				done <- nil
				return
			}
		}
	}()
	idle.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("idle connection: %v, want EOF", err)
	}
	if err := <-done; err == nil {
		t.Error("trickling head never cut off")
	}
	if d := time.Since(start); d > 6*time.Second {
		t.Errorf("cut off after %v", d)
	}
}
