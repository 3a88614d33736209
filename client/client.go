// Package client is the Go SDK for FastDFS clusters, ours or the C servers:
// tracker queries, every storage command, a connection pool and failover
// across several trackers. Files stream through it (an io.Reader of known
// size in, an io.Writer out); it never holds a whole file in memory.
package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// Config describes how to reach a cluster. Trackers is required.
type Config struct {
	// Trackers are "host:port" addresses (port 22122 is added when missing).
	Trackers []string
	// ConnectTimeout bounds each dial (C default 10 s).
	ConnectTimeout time.Duration
	// NetworkTimeout bounds each read or write step (C default 30 s); a
	// transfer that keeps moving is never cut by it. Contexts bound the whole call.
	NetworkTimeout time.Duration
	// MaxIdlePerServer connections are kept per server (default 8; a
	// negative value keeps none, like C without use_connection_pool).
	MaxIdlePerServer int
	// IdleTimeout drops pooled connections unused for that long (default 60 s).
	IdleTimeout time.Duration
	// LocalAddr, if set, is the address outgoing connections bind to.
	LocalAddr net.Addr
	// Dial, if set, replaces the dialer: it receives the address a tracker
	// handed out (or a configured tracker) and may map it, e.g. across NAT.
	Dial func(ctx context.Context, addr string) (net.Conn, error)
	// Dialect is what the trackers speak: list record layouts, the
	// QUERY_FETCH_ALL format and the IP width (default: V6.16). Replies are
	// told apart by length where they can be; this settles the rest.
	Dialect codec.Dialect
}

// Client talks to one cluster. It is safe for concurrent use.
type Client struct {
	trackers []string
	dialect  codec.Dialect
	next     atomic.Uint32 // index of the tracker to try first
	pool     *pool
}

// New checks cfg and returns a Client. It does not connect yet.
func New(cfg Config) (*Client, error) {
	if len(cfg.Trackers) == 0 {
		return nil, errors.New("fdfs client: no tracker configured")
	}
	trackers := make([]string, 0, len(cfg.Trackers))
	for _, t := range cfg.Trackers {
		addr, err := withDefaultPort(t, 22122)
		if err != nil {
			return nil, fmt.Errorf("fdfs client: tracker %q: %w", t, err)
		}
		trackers = append(trackers, addr)
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	if cfg.NetworkTimeout <= 0 {
		cfg.NetworkTimeout = 30 * time.Second
	}
	if cfg.MaxIdlePerServer == 0 {
		cfg.MaxIdlePerServer = 8
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 60 * time.Second
	}
	return &Client{
		trackers: trackers,
		dialect:  cfg.Dialect,
		pool:     newPool(cfg),
	}, nil
}

// Close drops the pooled connections.
func (c *Client) Close() error {
	c.pool.close()
	return nil
}

// Trackers returns the tracker addresses in configuration order.
func (c *Client) Trackers() []string { return append([]string(nil), c.trackers...) }

func withDefaultPort(addr string, port int) (string, error) {
	if _, _, err := net.SplitHostPort(addr); err == nil {
		return addr, nil
	}
	if addr == "" {
		return "", errors.New("empty address")
	}
	return net.JoinHostPort(addr, strconv.Itoa(port)), nil
}

// onTracker runs fn on a connection to a tracker. A tracker that cannot be
// reached, or whose connection fails mid-exchange, is skipped for the next
// one; the one that worked is tried first next time. A status error is an
// answer, not a failure, and is returned as it is.
func (c *Client) onTracker(ctx context.Context, fn func(*conn) error) error {
	n := len(c.trackers)
	start := int(c.next.Load()) % n
	var errs []error
	for i := range n {
		idx := (start + i) % n
		err := c.on(ctx, c.trackers[idx], fn)
		if err == nil || !isFailover(err) || ctx.Err() != nil {
			if i > 0 {
				c.next.Store(uint32(idx))
			}
			return err
		}
		errs = append(errs, fmt.Errorf("tracker %s: %w", c.trackers[idx], err))
	}
	return errors.Join(errs...)
}

// onEveryTracker runs fn on a connection to each tracker in turn, as the C
// admin tools do for DELETE_STORAGE and DELETE_GROUP.
func (c *Client) onEveryTracker(ctx context.Context, fn func(addr string, cn *conn) error) error {
	var errs []error
	for _, addr := range c.trackers {
		if err := c.on(ctx, addr, func(cn *conn) error { return fn(addr, cn) }); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// on runs fn on a pooled connection to addr.
func (c *Client) on(ctx context.Context, addr string, fn func(*conn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	cn, err := c.pool.get(ctx, addr)
	if err != nil {
		return err
	}
	stop := cn.Watch(ctx)
	err = fn(cn)
	if !stop() {
		cn.Broken = true // cancel fired: the deadline was poisoned
	}
	c.pool.put(cn)
	return err
}

// isFailover reports whether err means "this server did not answer" rather
// than "this server answered no".
func isFailover(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return false
	}
	var pe *ProtocolError
	return !errors.As(err, &pe)
}
