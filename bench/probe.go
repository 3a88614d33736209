package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
)

// sendfileProbe is the loopback limit for downloads: a plain Go server that
// answers each one-byte request on a kept connection with io.Copy(conn,
// file), which Go turns into sendfile(2), and a client that drains it with
// the same 1 MiB reads the download op uses. Given ProbeFile it serves that
// file (the suite passes the very file the storage serves); else a temp file
// of Size. With Config.ServerExe the server is a process of its own, as the
// storage is when the download op runs: client and server in one Go process
// would share its GOMAXPROCS and, on a loaded machine, get half the CPU.
type sendfileProbe struct {
	cfg   Config
	path  string
	size  int64
	tmp   *payload
	addr  string
	stop  func()
	sinks []*sink
	conns []net.Conn // per worker, kept across transfers
}

// SendfileServerEnv names the file a fdfs_bench child serves as the
// sendfile probe's server: set, fdfs_bench runs ServeSendfileChild.
const SendfileServerEnv = "FDFS_BENCH_SENDFILE_SERVER"

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
	if p.cfg.ServerExe != "" {
		err = p.startChild()
	} else {
		err = p.startInProcess()
	}
	if err != nil {
		return fmt.Errorf("sendfile probe server: %w", err)
	}
	for range p.cfg.Concurrency {
		p.sinks = append(p.sinks, newSink())
	}
	p.conns = make([]net.Conn, p.cfg.Concurrency)
	return nil
}

func (p *sendfileProbe) startInProcess() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	wg.Go(func() { serveSendfile(ln, p.path, p.size) })
	p.addr = ln.Addr().String()
	p.stop = func() { ln.Close(); wg.Wait() }
	return nil
}

// startChild runs ServerExe with SendfileServerEnv set; it prints its
// address and serves until its stdin closes.
func (p *sendfileProbe) startChild() error {
	cmd := exec.Command(p.cfg.ServerExe)
	cmd.Env = append(os.Environ(), SendfileServerEnv+"="+p.path)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	p.stop = func() { stdin.Close(); _ = cmd.Wait() }
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		p.stop()
		return fmt.Errorf("no address from %s: %w", p.cfg.ServerExe, err)
	}
	p.addr = strings.TrimSpace(line)
	return nil
}

// ServeSendfileChild is the sendfile probe's server process: it serves path
// on an ephemeral loopback port, prints the address, and exits when stdin
// closes (the parent ended or died).
func ServeSendfileChild(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr().String())
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		ln.Close()
	}()
	serveSendfile(ln, path, st.Size())
	return nil
}

// serveSendfile answers every byte a client sends with the whole file, over
// the same connection, as a storage answers DOWNLOAD_FILE on a pooled one,
// until ln closes; then it closes the connections and returns.
func serveSendfile(ln net.Listener, path string, size int64) {
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	var wg sync.WaitGroup
	for {
		c, err := ln.Accept()
		if err != nil {
			break
		}
		mu.Lock()
		conns[c] = true
		mu.Unlock()
		wg.Go(func() {
			defer func() {
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
				c.Close()
			}()
			f, err := os.Open(path)
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
				if _, err := io.Copy(c, io.LimitReader(f, size)); err != nil {
					return
				}
			}
		})
	}
	mu.Lock()
	for c := range conns {
		c.Close()
	}
	mu.Unlock()
	wg.Wait()
}

func (p *sendfileProbe) do(ctx context.Context, w int) (int64, error) {
	c := p.conns[w]
	if c == nil {
		var d net.Dialer
		var err error
		if c, err = d.DialContext(ctx, "tcp", p.addr); err != nil {
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
	for _, c := range p.conns {
		if c != nil {
			c.Close()
		}
	}
	if p.stop != nil {
		p.stop()
	}
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
