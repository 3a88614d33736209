package client

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// chunk bounds one zero-copy step of a content transfer: the idle deadline is
// renewed between steps, so a long transfer that keeps moving never times out
// while a stalled one does after networkTimeout.
const chunk = 4 << 20

// maxSmallBody bounds the replies read into memory (everything but downloads).
const maxSmallBody = 1 << 20

// conn is one connection to a tracker or storage, used for one request at a
// time. It is returned to its pool after a clean exchange.
type conn struct {
	nc      net.Conn
	addr    string
	timeout time.Duration // idle limit for each read or write step
	buf     []byte        // request encoding and small reply bodies
	hdr     [codec.HeaderSize]byte
	broken  bool // unusable: I/O error, cancel, or a protocol mismatch
	idleAt  time.Time
}

// step sets the deadline for the next read or write: now plus the idle
// limit, but never past the context's deadline.
func (c *conn) step(ctx context.Context) {
	d := time.Time{}
	if c.timeout > 0 {
		d = time.Now().Add(c.timeout)
	}
	if dl, ok := ctx.Deadline(); ok && (d.IsZero() || dl.Before(d)) {
		d = dl
	}
	_ = c.nc.SetDeadline(d)
}

// watch makes a cancel of ctx interrupt blocked I/O on c at once. The
// returned func must be called when the exchange is over.
func (c *conn) watch(ctx context.Context) (stop func() bool) {
	if ctx.Done() == nil {
		return func() bool { return true }
	}
	return context.AfterFunc(ctx, func() {
		_ = c.nc.SetDeadline(time.Unix(1, 0))
	})
}

// fail marks c broken and turns deadline errors caused by ctx into ctx's error.
func (c *conn) fail(ctx context.Context, err error) error {
	c.broken = true
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

// send writes a request: header, the fixed body in c.buf, then contentLen
// bytes of content (zero-copy from an *os.File where the kernel allows).
func (c *conn) send(ctx context.Context, cmd, status byte, body []byte, content io.Reader, contentLen int64) error {
	codec.Header{BodyLen: int64(len(body)) + contentLen, Cmd: cmd, Status: status}.Put(c.hdr[:])
	c.step(ctx)
	if len(body) == 0 {
		if _, err := c.nc.Write(c.hdr[:]); err != nil {
			return c.fail(ctx, err)
		}
	} else {
		bufs := net.Buffers{c.hdr[:], body}
		if _, err := bufs.WriteTo(c.nc); err != nil {
			return c.fail(ctx, err)
		}
	}
	if contentLen == 0 {
		return nil
	}
	for sent := int64(0); sent < contentLen; {
		n := min(contentLen-sent, chunk)
		c.step(ctx)
		w, err := copyTo(c.nc, io.LimitReader(content, n))
		sent += w
		if err != nil {
			return c.fail(ctx, err)
		}
		if w < n {
			c.broken = true
			return io.ErrUnexpectedEOF // the reader had fewer bytes than announced
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

// recvHeader reads the reply header and checks it is a reply.
func (c *conn) recvHeader(ctx context.Context, op string) (codec.Header, error) {
	c.step(ctx)
	if _, err := io.ReadFull(c.nc, c.hdr[:]); err != nil {
		return codec.Header{}, c.fail(ctx, err)
	}
	h, err := codec.DecodeHeader(c.hdr[:])
	if err != nil {
		c.broken = true
		return h, &ProtocolError{Op: op, Addr: c.addr, Reason: err.Error()}
	}
	if h.Cmd != codec.CmdResp {
		c.broken = true
		return h, &ProtocolError{Op: op, Addr: c.addr, Reason: "reply cmd is not 100"}
	}
	return h, nil
}

// statusErr turns a non-zero status into a StatusError. Error replies carry
// no body in every normal path; one with a body leaves the stream unusable.
func (c *conn) statusErr(h codec.Header, op, fileID string) error {
	if h.BodyLen != 0 {
		c.broken = true
	}
	if h.Status == byte(codec.EINVAL) {
		c.broken = true // the storage closes the connection after EINVAL
	}
	return &StatusError{Op: op, Addr: c.addr, FileID: fileID, Status: codec.Errno(h.Status)}
}

// recvSmall reads a whole reply body of at most max bytes into c.buf.
func (c *conn) recvSmall(ctx context.Context, h codec.Header, op string, max int) ([]byte, error) {
	if h.BodyLen > int64(max) {
		c.broken = true
		return nil, &ProtocolError{Op: op, Addr: c.addr, Reason: "reply body too large"}
	}
	n := int(h.BodyLen)
	if cap(c.buf) < n {
		c.buf = make([]byte, n)
	}
	b := c.buf[:n]
	c.step(ctx)
	if _, err := io.ReadFull(c.nc, b); err != nil {
		return nil, c.fail(ctx, err)
	}
	return b, nil
}

// recvTo streams n reply body bytes to w (splice into an *os.File where the
// kernel allows). A writer error leaves the rest of the body unread, so the
// connection is dropped.
func (c *conn) recvTo(ctx context.Context, w io.Writer, n int64) (int64, error) {
	var got int64
	for got < n {
		step := min(n-got, chunk)
		c.step(ctx)
		m, err := copyTo(w, io.LimitReader(c.nc, step))
		got += m
		if err != nil {
			return got, c.fail(ctx, err)
		}
		if m < step {
			c.broken = true
			return got, io.ErrUnexpectedEOF
		}
	}
	return got, nil
}
