package client

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/gofdfs/gofdfs/internal/peercall"
)

// pool keeps idle connections per server address. Connections are taken for
// one exchange and put back only when the exchange ended cleanly.
type pool struct {
	dial        func(ctx context.Context, addr string) (net.Conn, error)
	timeout     time.Duration // network timeout per I/O step
	maxIdle     int           // per address
	idleTimeout time.Duration

	mu     sync.Mutex
	idle   map[string][]*conn
	closed bool
}

func newPool(cfg Config) *pool {
	p := &pool{
		dial:        cfg.Dial,
		timeout:     cfg.NetworkTimeout,
		maxIdle:     cfg.MaxIdlePerServer,
		idleTimeout: cfg.IdleTimeout,
		idle:        map[string][]*conn{},
	}
	if p.dial == nil {
		d := &net.Dialer{Timeout: cfg.ConnectTimeout, LocalAddr: cfg.LocalAddr}
		p.dial = func(ctx context.Context, addr string) (net.Conn, error) {
			return d.DialContext(ctx, "tcp", addr)
		}
	}
	return p
}

// get returns an idle live connection to addr or dials a new one.
func (p *pool) get(ctx context.Context, addr string) (*conn, error) {
	for {
		c := p.popIdle(addr)
		if c == nil {
			break
		}
		if time.Since(c.idleAt) > p.idleTimeout || !c.alive() {
			c.NC.Close()
			continue
		}
		return c, nil
	}
	nc, err := p.dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	return &conn{Conn: peercall.Conn{NC: nc, Peer: addr, Timeout: p.timeout, Buf: make([]byte, 0, 512)}}, nil
}

func (p *pool) popIdle(addr string) *conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.idle[addr]
	if len(l) == 0 {
		return nil
	}
	c := l[len(l)-1]
	p.idle[addr] = l[:len(l)-1]
	return c
}

// put returns c to the pool, or closes it if it is broken or not wanted.
func (p *pool) put(c *conn) {
	if c.Broken || p.maxIdle <= 0 {
		c.NC.Close()
		return
	}
	_ = c.NC.SetDeadline(time.Time{})
	c.idleAt = time.Now()
	if cap(c.Buf) > maxSmallBody {
		c.Buf = make([]byte, 0, 512) // do not pin a large reply buffer
	}
	p.mu.Lock()
	if p.closed || len(p.idle[c.Peer]) >= p.maxIdle {
		p.mu.Unlock()
		c.NC.Close()
		return
	}
	p.idle[c.Peer] = append(p.idle[c.Peer], c)
	p.mu.Unlock()
}

// close drops every idle connection; connections in use close when returned.
func (p *pool) close() {
	p.mu.Lock()
	all := p.idle
	p.idle = map[string][]*conn{}
	p.closed = true
	p.mu.Unlock()
	for _, l := range all {
		for _, c := range l {
			c.NC.Close()
		}
	}
}
