package storage

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/gofdfs/gofdfs/client"
)

// BenchmarkUpload4K uploads 4 KiB files through the real server (client,
// loopback TCP, event loop, disk worker, temp file, rename, binlog).
func BenchmarkUpload4K(b *testing.B) {
	e := newEnv(b, 1)
	data := randBytes(1, 4<<10)
	st := client.OnStorage(client.StorageServer{Group: testGroup, Addr: e.srv.Addr().String(), StorePathIndex: -1})
	ctx := context.Background()
	r := bytes.NewReader(data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r.Reset(data)
		if _, err := e.cli.Upload(ctx, r, int64(len(data)), "bin", st); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDownload4K downloads one 4 KiB file (page cache, answered on
// the event loop).
func BenchmarkDownload4K(b *testing.B) {
	e := newEnv(b, 1)
	data := randBytes(2, 4<<10)
	id := e.upload(data, "bin")
	st := client.StorageServer{Group: testGroup, Addr: e.srv.Addr().String()}
	ctx := context.Background()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.cli.DownloadFrom(ctx, st, id, io.Discard, 0, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUploadPath compares the two body paths at the sizes around the
// smallBody threshold: copied out of gnet's buffer and written by a worker
// ("buffered"), or received by a worker from the detached socket.
func BenchmarkUploadPath(b *testing.B) {
	for _, size := range []int{16 << 10, 64 << 10, 128 << 10, 256 << 10} {
		for _, mode := range []struct {
			name  string
			small int
		}{{"buffered", smallBodyDefault}, {"detached", 0}} {
			b.Run(fmt.Sprintf("%dK/%s", size>>10, mode.name), func(b *testing.B) {
				e := newEnv(b, 1, WithSmallBody(mode.small))
				data := randBytes(1, size)
				st := client.OnStorage(client.StorageServer{Group: testGroup, Addr: e.srv.Addr().String(), StorePathIndex: -1})
				ctx := context.Background()
				r := bytes.NewReader(data)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					r.Reset(data)
					if _, err := e.cli.Upload(ctx, r, int64(size), "bin", st); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
