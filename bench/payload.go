package bench

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// memPayloadMax: payloads up to this size are uploaded from memory; larger
// ones from a file, which the client sends with sendfile as real uploaders of
// large files do, and which keeps the generator's RSS small.
const memPayloadMax = 4 << 20

// payload is the content every upload sends: random bytes (incompressible,
// and not all one page the kernel could share).
type payload struct {
	size int64
	mem  []byte
	path string // set when the payload lives in a file
}

func newPayload(size int64, dir string) (*payload, error) {
	p := &payload{size: size}
	rng := rand.New(rand.NewPCG(uint64(size), 0x6664667362656e63))
	if size <= memPayloadMax {
		p.mem = make([]byte, size)
		fill(rng, p.mem)
		return p, nil
	}
	f, err := os.CreateTemp(dir, "fdfs_bench-payload-*")
	if err != nil {
		return nil, fmt.Errorf("payload file: %w", err)
	}
	p.path = f.Name()
	buf := make([]byte, 1<<20)
	for left := size; left > 0; {
		n := min(left, int64(len(buf)))
		fill(rng, buf[:n])
		if _, err := f.Write(buf[:n]); err != nil {
			f.Close()
			p.remove()
			return nil, fmt.Errorf("payload file %s: %w", p.path, err)
		}
		left -= n
	}
	if err := f.Close(); err != nil {
		p.remove()
		return nil, fmt.Errorf("payload file %s: %w", p.path, err)
	}
	return p, nil
}

func fill(rng *rand.Rand, b []byte) {
	for i := 0; i+8 <= len(b); i += 8 {
		v := rng.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := len(b) &^ 7; i < len(b); i++ {
		b[i] = byte(rng.Uint32())
	}
}

// reader is one worker's source of the payload; rewind before each upload.
type payloadReader struct {
	p   *payload
	mem *bytes.Reader
	f   *os.File
}

func (p *payload) reader() (*payloadReader, error) {
	if p.mem != nil {
		return &payloadReader{p: p, mem: bytes.NewReader(p.mem)}, nil
	}
	f, err := os.Open(p.path)
	if err != nil {
		return nil, err
	}
	return &payloadReader{p: p, f: f}, nil
}

func (r *payloadReader) rewind() (io.Reader, error) {
	if r.mem != nil {
		r.mem.Reset(r.p.mem)
		return r.mem, nil
	}
	if _, err := r.f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return r.f, nil
}

func (r *payloadReader) close() {
	if r.f != nil {
		r.f.Close()
	}
}

func (p *payload) remove() {
	if p.path != "" {
		os.Remove(p.path)
	}
}

func tempDir(dir string) string {
	if dir == "" {
		return os.TempDir()
	}
	return filepath.Clean(dir)
}

// sink takes downloaded bytes and drops them, reading the socket in 1 MiB
// steps (io.Discard reads 8 KiB at a time, which would make the generator
// the bottleneck on large files). The sendfile probe drains into the same.
type sink struct{ buf []byte }

func newSink() *sink { return &sink{buf: make([]byte, 1<<20)} }

func (s *sink) Write(p []byte) (int, error) { return len(p), nil }

func (s *sink) ReadFrom(r io.Reader) (int64, error) {
	var n int64
	for {
		m, err := r.Read(s.buf)
		n += int64(m)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}
