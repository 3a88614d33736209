package diskio

import (
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"os"
	"runtime"
	"testing"
)

// benchBody is the body size per benchmark op: a typical photo-to-video
// sized upload, large enough that per-job costs (temp file create and
// unlink) do not hide the per-chunk path.
const benchBody = 8 << 20

// feedConn writes n bytes of buf per request, until requests is closed.
func feedConn(conn net.Conn, n int, buf []byte, requests <-chan struct{}) {
	for range requests {
		for left := n; left > 0; {
			m, err := conn.Write(buf[:min(left, len(buf))])
			if err != nil {
				return
			}
			left -= m
		}
	}
}

// drainConn reads n bytes per request into buf and signals.
func drainConn(conn net.Conn, n int, buf []byte, requests <-chan struct{}, done chan<- error) {
	for range requests {
		var err error
		for left := n; left > 0 && err == nil; {
			var m int
			m, err = conn.Read(buf[:min(left, len(buf))])
			left -= m
		}
		done <- err
	}
}

// reportAllocsPerChunk adds allocs/chunk: heap allocations divided by the
// number of chunk-sized pieces moved, i.e. what the per-chunk path costs
// once the per-job allocations are spread out.
func reportAllocsPerChunk(b *testing.B, before *runtime.MemStats, chunk int) {
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	chunks := float64(b.N) * float64(benchBody) / float64(chunk)
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/chunks, "allocs/chunk")
}

// BenchmarkReceive: a body from a TCP peer into a temp file via a worker
// (read, CRC32, pwrite with the worker's one chunk buffer), then Abort.
// The sub-benchmarks vary the chunk size; 256KiB is the default.
func BenchmarkReceive(b *testing.B) {
	for _, chunk := range []int{64 << 10, DefaultChunkSize, 1 << 20} {
		b.Run(fmt.Sprintf("chunk=%dKiB", chunk>>10), func(b *testing.B) { benchReceive(b, chunk) })
	}
}

func benchReceive(b *testing.B, chunk int) {
	sp := openStorePath(b, 1)
	w := newWorker(b, WorkerOptions{ChunkSize: chunk})
	sock, peer := tcpPair(b)
	requests := make(chan struct{})
	defer close(requests)
	go feedConn(peer, benchBody, randomBytes(11, 1<<20), requests)

	results := make(chan error, 1)
	var fw *FileWriter
	done := func(n int64, crc uint32, err error) {
		if err == nil {
			err = fw.Abort()
		}
		results <- err
	}
	b.SetBytes(benchBody)
	b.ReportAllocs()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for range b.N {
		var err error
		if fw, err = sp.CreateTemp(WriteOptions{Size: benchBody}); err != nil {
			b.Fatal(err)
		}
		if err := w.Receive(ReceiveJob{Sock: sock, Size: benchBody, Writer: fw, Done: done}); err != nil {
			b.Fatal(err)
		}
		requests <- struct{}{}
		if err := <-results; err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportAllocsPerChunk(b, &before, chunk)
}

// BenchmarkReceiveBaselineIOCopy is the same body received the plain Go
// way, a goroutine blocked in io.CopyBuffer into the file with a CRC32 on
// the side (the CRC forces the user-space path, as for us).
func BenchmarkReceiveBaselineIOCopy(b *testing.B) {
	sp := openStorePath(b, 1)
	server, peer := netPair(b)
	requests := make(chan struct{})
	defer close(requests)
	go feedConn(peer, benchBody, randomBytes(11, 1<<20), requests)
	buf := make([]byte, DefaultChunkSize)
	b.SetBytes(benchBody)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		f, name, err := sp.createTemp()
		if err != nil {
			b.Fatal(err)
		}
		h := crc32.NewIEEE()
		requests <- struct{}{}
		if _, err := io.CopyBuffer(io.MultiWriter(f, h), io.LimitReader(server, benchBody), buf); err != nil {
			b.Fatal(err)
		}
		f.Close()
		os.Remove(name)
	}
}

// benchFile is a cached benchBody-sized file to send from.
func benchFile(b *testing.B) *os.File {
	sp := openStorePath(b, 1)
	f, _ := writeTestFile(b, sp, "send", 12, benchBody)
	buf := make([]byte, 1<<20)
	for off := int64(0); off < benchBody; off += int64(len(buf)) {
		f.ReadAt(buf, off) // warm the page cache
	}
	return f
}

// BenchmarkSendfile: header + file to a TCP peer via a worker's sendfile.
func BenchmarkSendfile(b *testing.B) {
	f := benchFile(b)
	w := newWorker(b, WorkerOptions{})
	sock, peer := tcpPair(b)
	requests := make(chan struct{})
	defer close(requests)
	drained := make(chan error)
	header := make([]byte, 10)
	go drainConn(peer, len(header)+benchBody, make([]byte, 256<<10), requests, drained)
	results := make(chan error, 1)
	done := func(n int64, err error) { results <- err }
	b.SetBytes(benchBody)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		requests <- struct{}{}
		if err := w.Send(SendJob{Sock: sock, Header: header, File: f, Length: benchBody, Done: done}); err != nil {
			b.Fatal(err)
		}
		if err := <-results; err != nil {
			b.Fatal(err)
		}
		if err := <-drained; err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSendBaselineIOCopy sends the same bytes through user space:
// io.CopyBuffer from the file to the connection with the wrappers hiding
// ReadFrom/WriteTo, so no sendfile or splice is used.
func BenchmarkSendBaselineIOCopy(b *testing.B) {
	f := benchFile(b)
	server, peer := netPair(b)
	requests := make(chan struct{})
	defer close(requests)
	drained := make(chan error)
	header := make([]byte, 10)
	go drainConn(peer, len(header)+benchBody, make([]byte, 256<<10), requests, drained)
	buf := make([]byte, DefaultChunkSize)
	b.SetBytes(benchBody)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		requests <- struct{}{}
		server.Write(header)
		src := struct{ io.Reader }{io.NewSectionReader(f, 0, benchBody)}
		dst := struct{ io.Writer }{server}
		if _, err := io.CopyBuffer(dst, src, buf); err != nil {
			b.Fatal(err)
		}
		if err := <-drained; err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSendBaselineNetSendfile is Go's own sendfile path (io.Copy into
// a *net.TCPConn from a file), on a goroutine per transfer.
func BenchmarkSendBaselineNetSendfile(b *testing.B) {
	f := benchFile(b)
	server, peer := netPair(b)
	requests := make(chan struct{})
	defer close(requests)
	drained := make(chan error)
	header := make([]byte, 10)
	go drainConn(peer, len(header)+benchBody, make([]byte, 256<<10), requests, drained)
	b.SetBytes(benchBody)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		requests <- struct{}{}
		server.Write(header)
		f.Seek(0, io.SeekStart)
		if _, err := server.ReadFrom(io.LimitReader(f, benchBody)); err != nil {
			b.Fatal(err)
		}
		if err := <-drained; err != nil {
			b.Fatal(err)
		}
	}
}

// netPair is tcpPair without the hand-off: both ends stay net.Conns.
func netPair(b *testing.B) (server, peer *net.TCPConn) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	s := <-accepted
	if s == nil {
		b.Fatal("accept failed")
	}
	b.Cleanup(func() { s.Close(); c.Close() })
	return s.(*net.TCPConn), c.(*net.TCPConn)
}
