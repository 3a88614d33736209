package tracker

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// socketBenchTracker is a listening tracker on 127.0.6.1 with one group of
// two ACTIVE storages (real storage<->tracker connections from 127.0.6.2
// and .3, kept open for the whole benchmark).
func socketBenchTracker(b *testing.B) *Server {
	b.Helper()
	s := startTracker(b, testConf(b, b.TempDir(), "store_lookup = 0", "store_server = 0", "store_path = 0",
		"reserved_storage_space = 1%"), WithListenAddr("127.0.6.1:0"))
	for _, ip := range []string{"127.0.6.2", "127.0.6.3"} {
		p := dialPeer(b, s, ip)
		p.activate(s, "group1", codec.PathUsage{TotalMB: 100000, FreeMB: 60000})
	}
	return s
}

// socketQueries are the hot client queries as whole packets.
func socketQueries() []struct {
	name string
	pkt  []byte
} {
	old := fileID("group1", "127.0.6.3", time.Now().Add(-48*time.Hour), false)
	fetch := append(codec.AppendFixed(nil, "group1", 16), old[len("group1/"):]...)
	pkt := func(cmd byte, body []byte) []byte {
		return append(codec.Request(cmd, len(body)).Append(nil), body...)
	}
	return []struct {
		name string
		pkt  []byte
	}{
		{"QUERY_STORE", pkt(codec.CmdQueryStoreWithoutGroupOne, nil)},
		{"QUERY_FETCH", pkt(codec.CmdQueryFetchOne, fetch)},
		{"QUERY_UPDATE", pkt(codec.CmdQueryUpdate, fetch)},
	}
}

// roundTrip writes one request and reads its whole reply into buf, failing
// on anything but status 0.
func roundTrip(c net.Conn, pkt, buf []byte) error {
	if _, err := c.Write(pkt); err != nil {
		return err
	}
	if _, err := io.ReadFull(c, buf[:codec.HeaderSize]); err != nil {
		return err
	}
	h, err := codec.DecodeHeader(buf[:codec.HeaderSize])
	if err != nil {
		return err
	}
	if h.Status != 0 || h.BodyLen > int64(len(buf)) {
		return codec.Errno(h.Status)
	}
	_, err = io.ReadFull(c, buf[:h.BodyLen])
	return err
}

// BenchmarkQuerySocket drives the queries through the real socket, one
// client connection, request after request: what one client sees (the
// allocations counted are the whole process's, client and server).
func BenchmarkQuerySocket(b *testing.B) {
	s := socketBenchTracker(b)
	for _, q := range socketQueries() {
		b.Run(q.name, func(b *testing.B) {
			c, err := net.Dial("tcp", s.Addr())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			buf := make([]byte, 1024)
			b.ReportAllocs()
			for b.Loop() {
				if err := roundTrip(c, q.pkt, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkQuerySocketParallel is the same with GOMAXPROCS x 4 clients at
// once, each on its own connection: the tracker's throughput.
func BenchmarkQuerySocketParallel(b *testing.B) {
	s := socketBenchTracker(b)
	for _, q := range socketQueries() {
		b.Run(q.name, func(b *testing.B) {
			b.SetParallelism(4)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				c, err := net.Dial("tcp", s.Addr())
				if err != nil {
					b.Error(err)
					return
				}
				defer c.Close()
				buf := make([]byte, 1024)
				for pb.Next() {
					if err := roundTrip(c, q.pkt, buf); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
