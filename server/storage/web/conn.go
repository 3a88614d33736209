package web

import (
	"net"
	"os"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/server/httpd"
)

// step is what answering a request tells the connection's loop.
type step uint8

const (
	stepNext  step = iota + 1 // answered: look at the next request
	stepWait                  // a worker or goroutine owns the answer: input waits
	stepClose                 // close the connection (after what was written)
	stepNone  step = 255      // a check passed: go on
)

// conn is one HTTP connection. The event loop owns it except while
// busy is set: then a disk worker (sendfile) or a fetch-through goroutine
// owns it until finish, which clears busy and wakes the loop.
type conn struct {
	hs     *Server
	conn   gnet.Conn
	peerIP string
	local  net.Addr

	busy       atomic.Bool
	lastActive atomic.Int64 // unix ns of the last request or answer

	req  []byte               // copy of the current request head
	r    httpd.Request        // parsed from req
	rf   codec.RemoteFilename // the file, validated as for the binary protocol
	path Path                 // the store path holding it
	base int64                // where its content starts in the file sent (a trunk file's slot)
	etag []byte               // validators' buffer

	// The answer being built or sent.
	head      []byte // response head, then a multipart part head
	keepAlive bool
	status    int
	sent      int64 // body bytes
	started   time.Time

	// Worker sends: the file, the ranges left, the socket dup.
	waitDrain  bool
	dup        int
	file       *os.File
	ranges     [httpd.MaxRanges]httpd.ByteRange
	nRanges    int
	next       int // index of the next range to send; nRanges+1 after the tail
	multipart  bool
	mp         httpd.Multipart
	boundary   []byte
	closeAfter bool // set with resumed: close once the loop resumes
	resumed    bool
	sentFn     func(int64, error)

	idBuf  []byte // group/remote for the token check, the redirect URL
	attach []byte // decoded ?filename= for Content-Disposition

	// Fetch-through (http_proxy.go): pending until gnet's buffer drained.
	proxyPending bool
	proxyAddr    string
	proxyGroup   []byte
	proxyName    []byte
}

func (hs *Server) newConn(c gnet.Conn) *conn {
	hc := &conn{hs: hs, conn: c, dup: -1, local: c.LocalAddr(),
		req: make([]byte, 0, 512), head: make([]byte, 0, 512), boundary: make([]byte, 0, 32)}
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		hc.peerIP = a.IP.String()
	}
	hc.sentFn = hc.sentRange
	hc.lastActive.Store(time.Now().UnixNano())
	return hc
}

// serve answers the complete requests in c's inbound buffer in order,
// until one needs a worker or more bytes.
func (hs *Server) serve(hc *conn, c gnet.Conn) gnet.Action {
	if hc.busy.Load() {
		// A client may pipeline requests behind the one being sent; more
		// than a few heads' worth is not a client, it is a flood.
		if c.InboundBuffered() > 4*httpd.MaxHeadSize {
			_ = unix.Shutdown(c.Fd(), unix.SHUT_RDWR)
			return gnet.Close
		}
		return gnet.None
	}
	// lastActive moves only when an answer is done (answered), so a head
	// that trickles in byte by byte is cut off by the keep-alive sweep.
	if hc.resumed {
		hc.resumed = false
		if hc.closeAfter {
			return gnet.Close
		}
	}
	if hc.waitDrain {
		switch hs.startSend(hc, c) {
		case stepClose:
			return gnet.Close
		case stepWait:
			return gnet.None
		}
	}
	for {
		n := c.InboundBuffered()
		if n == 0 {
			return gnet.None
		}
		buf, err := c.Peek(min(n, httpd.MaxHeadSize+1))
		if err != nil {
			return gnet.None
		}
		hl, err := httpd.ParseRequest(buf, &hc.r)
		if err != nil {
			hc.r = httpd.Request{}
			hc.started = time.Now()
			hc.keepAlive = false
			hs.respondSimple(hc, c, httpd.StatusOf(err), "")
			return gnet.Close
		}
		if hl == 0 {
			return gnet.None
		}
		hc.req = append(hc.req[:0], buf[:hl]...)
		_, _ = c.Discard(hl)
		_, _ = httpd.ParseRequest(hc.req, &hc.r) // the same bytes, now ours
		switch hs.handle(hc, c) {
		case stepNext:
			if !hc.keepAlive {
				return gnet.Close
			}
			continue
		case stepWait:
			return gnet.None
		default:
			return gnet.Close
		}
	}
}

// respondSimple answers status with a short text body (or none for HEAD).
func (hs *Server) respondSimple(hc *conn, c gnet.Conn, status int, allow string) step {
	body := httpd.StatusText(status)
	h := httpd.Head{Status: status, Minor: hc.r.Minor, Date: hs.dates.Get(hs.core.Now()),
		ContentType: "text/plain; charset=utf-8", ContentLength: int64(len(body) + 1),
		KeepAlive: hc.keepAlive, Allow: allow}
	hc.head = h.Append(hc.head[:0])
	if !hc.r.IsHead() {
		hc.head = append(hc.head, body...)
		hc.head = append(hc.head, '\n')
	}
	_, _ = c.Write(hc.head)
	hs.answered(hc, status, 0)
	return stepNext
}

// answered counts and logs an answered request.
func (hs *Server) answered(hc *conn, status int, body int64) {
	st := &hs.stats
	st.requests.Add(1)
	if k := status / 100; k > 0 && k < len(st.byClass) {
		st.byClass[k].Add(1)
	}
	st.bodyBytes.Add(body)
	hs.core.CountStatus(status) // /metrics' gofdfs_storage_http_requests_total
	if hs.access != nil {
		hs.access.write(hc.peerIP, hc.started, &hc.r, status, body)
	}
	hc.lastActive.Store(time.Now().UnixNano())
}

// finish ends work done off the loop (worker or fetch-through goroutine)
// and wakes the loop for the next request.
func (hc *conn) finish(status int, body int64, closeConn bool) {
	hc.hs.answered(hc, status, body)
	hc.closeAfter = closeConn || !hc.keepAlive
	hc.resumed = true
	hc.busy.Store(false)
	_ = hc.conn.Wake(nil)
}
