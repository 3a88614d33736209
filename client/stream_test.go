package client

import (
	"bytes"
	"context"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
)

const streamSize = 96 << 20

// patternReader yields a deterministic byte stream.
type patternReader struct{ r *rand.ChaCha8 }

func newPattern() io.Reader { return &patternReader{rand.NewChaCha8([32]byte{7})} }

func (p *patternReader) Read(b []byte) (int, error) { return p.r.Read(b) }

// streamStorage plays a storage for one big upload (it CRCs what it
// receives and answers a file ID) and one big download (it sends the pattern).
func streamStorage(t *testing.T, gotCRC chan<- uint32) *scriptedServer {
	return newScriptedServer(t, func(c net.Conn) {
		var hdr [10]byte
		for {
			if _, err := io.ReadFull(c, hdr[:]); err != nil {
				return
			}
			h, _ := codec.DecodeHeader(hdr[:])
			switch h.Cmd {
			case codec.CmdUploadFile:
				fixed := make([]byte, codec.UploadFixedSize)
				io.ReadFull(c, fixed)
				var req codec.UploadRequest
				if err := req.DecodeFixed(fixed, h.BodyLen); err != nil {
					return
				}
				crc := crc32.NewIEEE()
				if _, err := io.CopyN(crc, c, req.FileSize); err != nil {
					return
				}
				gotCRC <- crc.Sum32()
				reply := codec.UploadReply{Group: []byte("group1"), Name: []byte("M00/00/00/wKgAZl9hKxOAV5bOAAAKmQ0oXv8683.bin")}
				body := reply.Append(nil)
				c.Write(codec.Reply(0, len(body)).Append(nil))
				c.Write(body)
			case codec.CmdDownloadFile:
				io.CopyN(io.Discard, c, h.BodyLen)
				c.Write(codec.Reply(0, streamSize).Append(nil))
				io.CopyN(c, newPattern(), streamSize)
			default:
				return
			}
		}
	})
}

// allocatedDuring returns the bytes the Go heap handed out while fn ran.
func allocatedDuring(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestLargeUploadFromFileStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("96 MiB transfer")
	}
	path := filepath.Join(t.TempDir(), "big.bin")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	want := crc32.NewIEEE()
	if _, err := io.CopyN(io.MultiWriter(f, want), newPattern(), streamSize); err != nil {
		t.Fatal(err)
	}
	f.Seek(0, io.SeekStart)
	defer f.Close()

	gotCRC := make(chan uint32, 1)
	s := streamStorage(t, gotCRC)
	c := newTestClient(t, Config{})
	var id string
	alloc := allocatedDuring(func() {
		id, err = c.Upload(context.Background(), f, streamSize, "bin", OnStorage(StorageServer{Addr: s.addr(), StorePathIndex: -1}))
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := <-gotCRC; got != want.Sum32() {
		t.Fatalf("storage received CRC %08x, want %08x", got, want.Sum32())
	}
	if id != "group1/M00/00/00/wKgAZl9hKxOAV5bOAAAKmQ0oXv8683.bin" {
		t.Fatalf("id %q", id)
	}
	if alloc > 4<<20 {
		t.Fatalf("client allocated %d bytes for a %d-byte upload: not streaming", alloc, streamSize)
	}
}

func TestLargeDownloadToFileStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("96 MiB transfer")
	}
	s := streamStorage(t, make(chan uint32, 1))
	c := newTestClient(t, Config{})
	f, err := os.Create(filepath.Join(t.TempDir(), "out.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var n int64
	alloc := allocatedDuring(func() {
		n, err = c.DownloadFrom(context.Background(), StorageServer{Addr: s.addr()}, "group1/M00/00/00/wKgAZl9hKxOAV5bOAAAKmQ0oXv8683.bin", f, 0, 0)
	})
	if err != nil || n != streamSize {
		t.Fatalf("n=%d err=%v", n, err)
	}
	if alloc > 4<<20 {
		t.Fatalf("client allocated %d bytes for a %d-byte download: not streaming", alloc, streamSize)
	}
	f.Seek(0, io.SeekStart)
	want := crc32.NewIEEE()
	io.CopyN(want, newPattern(), streamSize)
	got := crc32.NewIEEE()
	io.Copy(got, f)
	if got.Sum32() != want.Sum32() {
		t.Fatal("downloaded bytes differ")
	}
}

func TestDownloadPeerVanishesMidBody(t *testing.T) {
	s := newScriptedServer(t, func(c net.Conn) {
		var hdr [10]byte
		io.ReadFull(c, hdr[:])
		h, _ := codec.DecodeHeader(hdr[:])
		io.CopyN(io.Discard, c, h.BodyLen)
		c.Write(codec.Reply(0, 1000).Append(nil))
		c.Write(bytes.Repeat([]byte{1}, 300)) // then hang up
	})
	c := newTestClient(t, Config{})
	var buf bytes.Buffer
	n, err := c.DownloadFrom(context.Background(), StorageServer{Addr: s.addr()}, "group1/M00/00/00/wKgAZl9hKxOAV5bOAAAKmQ0oXv8683.bin", &buf, 0, 0)
	if err == nil || n != 300 {
		t.Fatalf("n=%d err=%v: a cut download must fail", n, err)
	}
}
