package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
	"golang.org/x/sys/unix"
)

// idleOp opens Count connections to the storage the tracker hands out for
// uploads, holds them all idle for Hold, then sends ACTIVE_TEST on every one:
// a server that dropped or stopped serving any of them counts an error. The
// server's RSS while they are held is what the suite reports.
type idleOp struct {
	cl   *client.Client
	cfg  Config
	addr string

	mu    sync.Mutex
	conns []net.Conn
}

func newIdleOp(cl *client.Client, cfg Config) *idleOp { return &idleOp{cl: cl, cfg: cfg} }

func (o *idleOp) prepare(ctx context.Context) error {
	if err := RaiseFileLimit(o.cfg.Count + 64); err != nil {
		return err
	}
	st, err := o.cl.QueryStore(ctx, o.cfg.Group)
	if err != nil {
		return err
	}
	o.addr = st.Addr
	o.conns = make([]net.Conn, 0, o.cfg.Count)
	return nil
}

func (o *idleOp) do(ctx context.Context, _ int) (int64, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", o.addr)
	if err != nil {
		return 0, fmt.Errorf("connect %s: %w", o.addr, err)
	}
	o.mu.Lock()
	o.conns = append(o.conns, c)
	o.mu.Unlock()
	return 0, nil
}

func (o *idleOp) finish(ctx context.Context, r *Result) {
	select {
	case <-time.After(o.cfg.Hold):
	case <-ctx.Done():
		return
	}
	var failed atomic.Int64
	var first atomic.Pointer[error]
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(o.cfg.Concurrency, 64) {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(o.conns)); i = next.Add(1) - 1 {
				if err := activeTest(o.conns[i]); err != nil {
					err = fmt.Errorf("connection %d to %s after %v idle: %w", i, o.addr, o.cfg.Hold, err)
					failed.Add(1)
					first.CompareAndSwap(nil, &err)
				}
			}
		})
	}
	wg.Wait()
	r.Errors += failed.Load()
	if e := first.Load(); e != nil && r.FirstError == "" {
		r.FirstError = (*e).Error()
	}
	r.Note += fmt.Sprintf("; %d held %v, %d answered", len(o.conns), o.cfg.Hold, int64(len(o.conns))-failed.Load())
}

func activeTest(c net.Conn) error {
	var b [codec.HeaderSize]byte
	codec.Header{Cmd: codec.CmdActiveTest}.Put(b[:])
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(b[:]); err != nil {
		return err
	}
	if _, err := io.ReadFull(c, b[:]); err != nil {
		return err
	}
	h, err := codec.DecodeHeader(b[:])
	if err != nil {
		return err
	}
	if h.Cmd != codec.CmdResp || h.Status != 0 || h.BodyLen != 0 {
		return fmt.Errorf("ACTIVE_TEST answered cmd %d status %d body %d", h.Cmd, h.Status, h.BodyLen)
	}
	return nil
}

func (o *idleOp) cleanup(context.Context) {
	for _, c := range o.conns {
		c.Close()
	}
}

// RaiseFileLimit lifts the soft open-files limit to at least n (up to the
// hard limit) and says so when the hard limit is too low.
func RaiseFileLimit(n int) error {
	var l unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &l); err != nil {
		return err
	}
	if l.Cur >= uint64(n) {
		return nil
	}
	if l.Max < uint64(n) {
		return fmt.Errorf("%d connections need %d open files; the hard limit is %d (ulimit -Hn)", n-64, n, l.Max)
	}
	l.Cur = l.Max
	return unix.Setrlimit(unix.RLIMIT_NOFILE, &l)
}
