// Package peercall is the one blocking request/reply exchange with a
// FastDFS peer (tracker or storage) over a net.Conn: write a header, a fixed
// body and optional content (sendfile for an *os.File), read the reply
// header and body, each step under an idle deadline that a context can cut
// short, and name the peer and command in every error.
//
// The Go SDK (client/), the tracker's calls to other trackers, the storage's
// reporter and its sync pusher all speak this way; each keeps its own
// connection life (pool, per-peer link) and uses a Conn for the bytes.
// It is separate from client/ because the servers use it too and a server
// must not depend on the SDK; it knows only codec and net, so it builds on
// every GOOS, as the SDK must.
package peercall

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// Chunk bounds one zero-copy step of a content transfer: the idle deadline is
// renewed between steps, so a long transfer that keeps moving never times out
// while a stalled one does after Timeout.
const Chunk = 4 << 20

// StatusError is a non-zero status answered by a peer. It unwraps to the
// codec.Errno, so errors.Is(err, codec.ENOENT) tells a missing file.
type StatusError struct {
	Op     string // the command, e.g. "UPLOAD_FILE"
	Addr   string // the peer that answered
	FileID string // the file concerned, if any
	Status codec.Errno
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("fdfs %s at %s: %s", e.Op, e.Addr, e.Status.Error())
	if e.FileID != "" {
		s += " [" + e.FileID + "]"
	}
	return s
}

func (e *StatusError) Unwrap() error { return e.Status }

// ProtocolError is a reply that cannot be used (not a reply, too long, wrong
// shape). The connection it came on is Broken.
type ProtocolError struct {
	Op     string
	Addr   string
	Reason string
}

func (e *ProtocolError) Error() string {
	return fmt.Sprintf("fdfs %s at %s: bad reply: %s", e.Op, e.Addr, e.Reason)
}

// Conn is one connection to a peer, used for one exchange at a time by one
// goroutine. After any error but a StatusError it is Broken: the stream may be
// mid-message, so its owner closes it instead of reusing it.
type Conn struct {
	NC      net.Conn
	Peer    string        // ip:port, named in errors
	Timeout time.Duration // idle limit of each read or write step; 0: none (the context's deadline only)
	Buf     []byte        // request encoding and small reply bodies, reused
	Broken  bool
	hdr     [codec.HeaderSize]byte
}

// New wraps nc, a connection to peer.
func New(nc net.Conn, peer string, timeout time.Duration) *Conn {
	return &Conn{NC: nc, Peer: peer, Timeout: timeout}
}

// Dial connects with d (its Timeout, LocalAddr) to addr.
func Dial(ctx context.Context, d *net.Dialer, addr string, timeout time.Duration) (*Conn, error) {
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", addr, err)
	}
	return New(nc, addr, timeout), nil
}

// step sets the deadline for the next read or write: now plus the idle
// limit, but never past the context's deadline.
func (c *Conn) step(ctx context.Context) {
	d := time.Time{}
	if c.Timeout > 0 {
		d = time.Now().Add(c.Timeout)
	}
	if dl, ok := ctx.Deadline(); ok && (d.IsZero() || dl.Before(d)) {
		d = dl
	}
	_ = c.NC.SetDeadline(d)
}

// Watch makes a cancel of ctx interrupt blocked I/O on c at once. The
// returned func must be called when the exchange is over.
func (c *Conn) Watch(ctx context.Context) (stop func() bool) {
	if ctx.Done() == nil {
		return func() bool { return true }
	}
	return context.AfterFunc(ctx, func() {
		_ = c.NC.SetDeadline(time.Unix(1, 0))
	})
}

// Fail marks c broken and turns deadline errors caused by ctx into ctx's error.
func (c *Conn) Fail(ctx context.Context, err error) error {
	c.Broken = true
	if errors.Is(err, os.ErrDeadlineExceeded) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// the socket deadline was the context's and fired a hair before
		// the context's own timer
		if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
			return context.DeadlineExceeded
		}
	}
	return err
}

// Send writes a request: header, the fixed body, then contentLen bytes of
// content (zero-copy from an *os.File where the kernel allows).
func (c *Conn) Send(ctx context.Context, cmd, status byte, body []byte, content io.Reader, contentLen int64) error {
	codec.Header{BodyLen: int64(len(body)) + contentLen, Cmd: cmd, Status: status}.Put(c.hdr[:])
	c.step(ctx)
	if len(body) == 0 {
		if _, err := c.NC.Write(c.hdr[:]); err != nil {
			return c.Fail(ctx, err)
		}
	} else {
		bufs := net.Buffers{c.hdr[:], body}
		if _, err := bufs.WriteTo(c.NC); err != nil {
			return c.Fail(ctx, err)
		}
	}
	for sent := int64(0); sent < contentLen; {
		n := min(contentLen-sent, Chunk)
		c.step(ctx)
		w, err := copyTo(c.NC, io.LimitReader(content, n))
		sent += w
		if err != nil {
			return c.Fail(ctx, err)
		}
		if w < n {
			c.Broken = true
			return fmt.Errorf("%s to %s: content shrank: %d of %d bytes: %w", codec.CmdName(cmd), c.Peer,
				sent, contentLen, io.ErrUnexpectedEOF)
		}
	}
	return nil
}

// copyTo is io.Copy preferring the destination's ReadFrom, which for a TCP
// socket and a file source is sendfile.
func copyTo(dst io.Writer, src io.Reader) (int64, error) {
	if rf, ok := dst.(io.ReaderFrom); ok {
		return rf.ReadFrom(src)
	}
	return io.Copy(dst, src)
}

// RecvHeader reads the reply header and checks it is a reply.
func (c *Conn) RecvHeader(ctx context.Context, op string) (codec.Header, error) {
	c.step(ctx)
	if _, err := io.ReadFull(c.NC, c.hdr[:]); err != nil {
		return codec.Header{}, c.Fail(ctx, err)
	}
	h, err := codec.DecodeHeader(c.hdr[:])
	if err != nil {
		c.Broken = true
		return h, &ProtocolError{Op: op, Addr: c.Peer, Reason: err.Error()}
	}
	if h.Cmd != codec.CmdResp {
		c.Broken = true
		return h, &ProtocolError{Op: op, Addr: c.Peer, Reason: "reply cmd is not 100"}
	}
	return h, nil
}

// StatusErr turns a non-zero status into a StatusError. Error replies carry
// no body in every normal path; one with a body leaves the stream unusable.
func (c *Conn) StatusErr(h codec.Header, op, fileID string) error {
	if h.BodyLen != 0 {
		c.Broken = true
	}
	if h.Status == byte(codec.EINVAL) {
		c.Broken = true // a storage closes the connection after EINVAL
	}
	return &StatusError{Op: op, Addr: c.Peer, FileID: fileID, Status: codec.Errno(h.Status)}
}

// RecvSmall reads a whole reply body of at most max bytes into c.Buf; the
// slice is valid until the next exchange.
func (c *Conn) RecvSmall(ctx context.Context, h codec.Header, op string, max int) ([]byte, error) {
	if h.BodyLen > int64(max) {
		c.Broken = true
		return nil, &ProtocolError{Op: op, Addr: c.Peer,
			Reason: fmt.Sprintf("reply body of %d bytes, at most %d expected", h.BodyLen, max)}
	}
	n := int(h.BodyLen)
	if cap(c.Buf) < n {
		c.Buf = make([]byte, n)
	}
	b := c.Buf[:n]
	if n == 0 {
		return b, nil
	}
	c.step(ctx)
	if _, err := io.ReadFull(c.NC, b); err != nil {
		return nil, c.Fail(ctx, err)
	}
	return b, nil
}

// RecvTo streams n reply body bytes to w (splice into an *os.File where the
// kernel allows). A writer error leaves the rest of the body unread, so the
// connection is Broken.
func (c *Conn) RecvTo(ctx context.Context, w io.Writer, n int64) (int64, error) {
	var got int64
	for got < n {
		step := min(n-got, Chunk)
		c.step(ctx)
		m, err := copyTo(w, io.LimitReader(c.NC, step))
		got += m
		if err != nil {
			return got, c.Fail(ctx, err)
		}
		if m < step {
			c.Broken = true
			return got, io.ErrUnexpectedEOF
		}
	}
	return got, nil
}

// Exchange sends a request (fixed body, then contentLen bytes of content) and
// reads the reply: its status as the peer sent it and its body (at most max
// bytes, in c.Buf until the next exchange), whatever the status. For callers
// that branch on statuses (a sync's EEXIST, a tracker's answer to a vote).
// The context's deadline bounds every step; to have its cancel cut blocked
// I/O short, Watch it around the exchange (or around several: the SDK does
// so once per operation).
func (c *Conn) Exchange(ctx context.Context, cmd, status byte, body []byte, content io.Reader, contentLen int64, max int) (codec.Errno, []byte, error) {
	op := codec.CmdName(cmd)
	if err := c.Send(ctx, cmd, status, body, content, contentLen); err != nil {
		return 0, nil, err
	}
	h, err := c.RecvHeader(ctx, op)
	if err != nil {
		return 0, nil, err
	}
	b, err := c.RecvSmall(ctx, h, op, max)
	if err != nil {
		return 0, nil, err
	}
	return codec.Errno(h.Status), b, nil
}

// Call is Exchange for callers that want success or an error: a non-zero
// status is a *StatusError naming the peer, the command and fileID (if any).
func (c *Conn) Call(ctx context.Context, cmd, status byte, body []byte, content io.Reader, contentLen int64, fileID string, max int) ([]byte, error) {
	op := codec.CmdName(cmd)
	if err := c.Send(ctx, cmd, status, body, content, contentLen); err != nil {
		return nil, err
	}
	h, err := c.RecvHeader(ctx, op)
	if err != nil {
		return nil, err
	}
	if h.Status != 0 {
		return nil, c.StatusErr(h, op, fileID)
	}
	return c.RecvSmall(ctx, h, op, max)
}

// Quit says QUIT, as C's connection pools do before closing, and closes.
func (c *Conn) Quit() error {
	_ = c.NC.SetDeadline(time.Now().Add(time.Second))
	codec.Header{Cmd: codec.CmdQuit}.Put(c.hdr[:])
	_, _ = c.NC.Write(c.hdr[:])
	return c.NC.Close()
}
