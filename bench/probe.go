package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"sync"
)

// sendfileProbe is the loopback limit for downloads: a plain Go server that
// answers each one-byte request on a kept connection with io.Copy(conn,
// file), which Go turns into sendfile(2), and a client that drains it with
// the same 1 MiB reads the download op uses. Given ProbeFile it serves that file (the suite passes
// the very file the storage serves); else a temp file of Size.
type sendfileProbe struct {
	cfg   Config
	path  string
	size  int64
	tmp   *payload
	ln    net.Listener
	sinks []*sink
	conns []net.Conn // per worker, kept across transfers
	wg    sync.WaitGroup
}

func (p *sendfileProbe) prepare(context.Context) error {
	p.path = p.cfg.ProbeFile
	if p.path == "" {
		// a file even when small: the probe measures sendfile, not memcpy
		cfg := p.cfg
		tmp, err := newPayload(max(cfg.Size, memPayloadMax+1), tempDir(cfg.Dir))
		if err != nil {
			return err
		}
		if cfg.Size <= memPayloadMax {
			if err := os.Truncate(tmp.path, cfg.Size); err != nil {
				tmp.remove()
				return err
			}
		}
		p.tmp, p.path = tmp, tmp.path
	}
	st, err := os.Stat(p.path)
	if err != nil {
		return err
	}
	p.size = st.Size()
	p.ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	for range p.cfg.Concurrency {
		p.sinks = append(p.sinks, newSink())
	}
	p.conns = make([]net.Conn, p.cfg.Concurrency)
	p.wg.Go(p.serve)
	return nil
}

// serve answers every byte a client sends with the whole file, over the
// same connection, as a storage answers DOWNLOAD_FILE on a pooled one.
func (p *sendfileProbe) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Go(func() {
			defer c.Close()
			f, err := os.Open(p.path)
			if err != nil {
				return
			}
			defer f.Close()
			var req [1]byte
			for {
				if _, err := io.ReadFull(c, req[:]); err != nil {
					return
				}
				if _, err := f.Seek(0, io.SeekStart); err != nil {
					return
				}
				// a LimitedReader over an *os.File is still sendfile(2) for Go
				if _, err := io.Copy(c, io.LimitReader(f, p.size)); err != nil {
					return
				}
			}
		})
	}
}

func (p *sendfileProbe) do(ctx context.Context, w int) (int64, error) {
	c := p.conns[w]
	if c == nil {
		var d net.Dialer
		var err error
		if c, err = d.DialContext(ctx, "tcp", p.ln.Addr().String()); err != nil {
			return 0, err
		}
		p.conns[w] = c
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	_, err := c.Write([]byte{1})
	m := int64(0)
	if err == nil {
		m, err = p.sinks[w].ReadFrom(io.LimitReader(c, p.size))
		if err == nil && m != p.size {
			err = fmt.Errorf("sendfile probe: %d bytes of %d", m, p.size)
		}
	}
	if !stop() || err != nil {
		c.Close() // the cancel may have closed it after the transfer ended
		p.conns[w] = nil
	}
	return m, err
}

func (p *sendfileProbe) finish(_ context.Context, r *Result) { r.Size = p.size }

func (p *sendfileProbe) cleanup(context.Context) {
	if p.ln != nil {
		p.ln.Close()
	}
	for _, c := range p.conns {
		if c != nil {
			c.Close()
		}
	}
	p.wg.Wait()
	if p.tmp != nil {
		p.tmp.remove()
	}
}

// diskProbe is the disk limit for uploads: what dd bs=1M does, from Go:
// create a file in Dir, write Size random bytes 1 MiB at a time, close it,
// remove it. No fsync, as the storage does none per file either.
type diskProbe struct {
	cfg  Config
	bufs [][]byte
}

func (p *diskProbe) prepare(context.Context) error {
	rng := rand.New(rand.NewPCG(7, 7))
	for range p.cfg.Concurrency {
		b := make([]byte, 1<<20)
		fill(rng, b)
		p.bufs = append(p.bufs, b)
	}
	return nil
}

func (p *diskProbe) do(ctx context.Context, w int) (n int64, err error) {
	f, err := os.CreateTemp(p.cfg.Dir, "fdfs_bench-disk-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name())
	buf := p.bufs[w]
	for n < p.cfg.Size && ctx.Err() == nil {
		m, err := f.Write(buf[:min(int64(len(buf)), p.cfg.Size-n)])
		n += int64(m)
		if err != nil {
			f.Close()
			return n, fmt.Errorf("disk probe %s: %w", f.Name(), err)
		}
	}
	return n, errors.Join(f.Close(), ctx.Err())
}

func (p *diskProbe) finish(context.Context, *Result) {}
func (p *diskProbe) cleanup(context.Context)         {}
