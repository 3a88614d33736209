package storage

import (
	"io"
	"net"
	"strings"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
)

// The socket benchmarks drive the server with pre-encoded requests over a
// plain net.Conn whose client side allocates nothing, so allocs/op is the
// server's own count on the upload and download paths (the client-library
// benchmarks above count both sides).

// socketCall writes pkt and reads the whole reply into buf, failing on a
// non-zero status; it returns the reply body.
func socketCall(c net.Conn, pkt, buf []byte) ([]byte, error) {
	if _, err := c.Write(pkt); err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(c, buf[:codec.HeaderSize]); err != nil {
		return nil, err
	}
	h, err := codec.DecodeHeader(buf[:codec.HeaderSize])
	if err != nil {
		return nil, err
	}
	if h.Status != 0 || h.BodyLen > int64(len(buf)) {
		return nil, codec.Errno(h.Status)
	}
	_, err = io.ReadFull(c, buf[:h.BodyLen])
	return buf[:h.BodyLen], err
}

// uploadPacket is a whole UPLOAD_FILE request for data.
func uploadPacket(data []byte, ext string) []byte {
	r := codec.UploadRequest{StorePathIndex: -1, FileSize: int64(len(data)), Ext: []byte(ext)}
	pkt := codec.Request(codec.CmdUploadFile, int(r.BodyLen())).Append(nil)
	return append(r.Append(pkt), data...)
}

// downloadPacket is a whole DOWNLOAD_FILE request for the file id (group/name).
func downloadPacket(id string) []byte {
	group, name, _ := strings.Cut(id, "/")
	r := codec.DownloadRequest{Group: []byte(group), Name: []byte(name)}
	pkt := codec.Request(codec.CmdDownloadFile, r.Size()).Append(nil)
	return r.Append(pkt)
}

// BenchmarkServerUpload4K: the server's allocations per 4 KiB upload
// (written on the event loop, committed, binlogged, answered).
func BenchmarkServerUpload4K(b *testing.B) {
	e := newEnv(b, 1)
	pkt := uploadPacket(randBytes(3, 4<<10), "bin")
	c, err := net.Dial("tcp", e.srv.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 256)
	b.SetBytes(4 << 10)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := socketCall(c, pkt, buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkServerDownload4K: the server's allocations per 4 KiB download
// (page cache, answered on the event loop).
func BenchmarkServerDownload4K(b *testing.B) {
	e := newEnv(b, 1)
	data := randBytes(4, 4<<10)
	pkt := downloadPacket(e.upload(data, "bin"))
	c, err := net.Dial("tcp", e.srv.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 8<<10)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		body, err := socketCall(c, pkt, buf)
		if err != nil {
			b.Fatal(err)
		}
		if len(body) != len(data) {
			b.Fatalf("downloaded %d bytes, want %d", len(body), len(data))
		}
	}
}
