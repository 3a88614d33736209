package storage

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
)

// TestHTTPServerAllocs measures the whole process's heap allocations per
// request while a raw client (which allocates nothing per request) fetches
// a 4 KiB file on one keep-alive connection. The only allocations allowed
// are those of opening the file (its diskio.FileRef name, os.File and its
// path, as for a binary download); parsing, validation and the answer allocate nothing (gnet's
// and the runtime's background work shows up as a small fraction).
func TestHTTPServerAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own")
	}
	h := newHTTPEnv(t, "")
	data := randBytes(20, 4096)
	id := h.upload(data, "jpg")
	conn, err := net.Dial("tcp", h.srv.HTTPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := []byte(fmt.Sprintf("GET /%s HTTP/1.1\r\nHost: x\r\n\r\n", id))
	// Learn the response length once (its head has a fixed size).
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	conn.Write(req)
	buf := make([]byte, 8192)
	n := 0
	for !bytes.HasSuffix(buf[:n], data) {
		m, err := conn.Read(buf[n:])
		if err != nil {
			t.Fatal(err)
		}
		n += m
	}
	respLen := n
	fetch := func(count int) {
		for range count {
			conn.Write(req)
			if _, err := io.ReadFull(conn, buf[:respLen]); err != nil {
				t.Fatal(err)
			}
		}
	}
	fetch(200)
	const count = 2000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fetch(count)
	runtime.ReadMemStats(&after)
	if !bytes.HasSuffix(buf[:respLen], data) {
		t.Fatal("response changed")
	}
	per := float64(after.Mallocs-before.Mallocs) / count
	_, remote, _ := codec.SplitFileID([]byte(id))
	op := &pendingOp{}
	open := testing.AllocsPerRun(100, func() {
		if err := h.srv.parseName(op, remote); err != nil { // the diskio.FileRef's name string
			t.Fatal(err)
		}
		rf, _, err := op.path.disk.OpenReadFd(op.ref) // the open the HTTP path makes
		if err != nil {
			t.Fatal(err)
		}
		rf.Close()
	})
	t.Logf("%.3f allocations per request (whole process), %.0f of them opening the file", per, open)
	if per > open+0.5 {
		t.Errorf("%.3f allocations per request, want only the %.0f of opening the file", per, open)
	}
}

// benchHTTPGet fetches one file of size bytes per op on one keep-alive
// connection with a raw client that allocates nothing per request, so
// allocs/op are the server's.
func benchHTTPGet(b *testing.B, size int) {
	dir := b.TempDir()
	cfg := testConf(b, dir, 1, "http.server_port=8080\n")
	srv := startServer(b, cfg, WithHTTPListenAddr("127.0.0.1:0"))
	tr := fakeTracker(b, func() string { return srv.Addr().String() })
	cli, err := client.New(client.Config{Trackers: []string{tr}})
	if err != nil {
		b.Fatal(err)
	}
	defer cli.Close()
	data := randBytes(40, size)
	id, err := cli.Upload(context.Background(), bytes.NewReader(data), int64(size), "jpg")
	if err != nil {
		b.Fatal(err)
	}
	conn, err := net.Dial("tcp", srv.HTTPAddr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	req := []byte(fmt.Sprintf("GET /%s HTTP/1.1\r\nHost: x\r\n\r\n", id))
	buf := make([]byte, size+1024)
	conn.Write(req)
	n := 0
	for !bytes.HasSuffix(buf[:n], data) {
		m, err := conn.Read(buf[n:])
		if err != nil {
			b.Fatal(err)
		}
		n += m
	}
	respLen := n
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		conn.Write(req)
		if _, err := io.ReadFull(conn, buf[:respLen]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHTTPGet4K(b *testing.B) { benchHTTPGet(b, 4<<10) }
func BenchmarkHTTPGet1M(b *testing.B) { benchHTTPGet(b, 1<<20) }
