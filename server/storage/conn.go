package storage

import (
	"context"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/server/internal/stall"
)

// step is what a handler tells the connection loop to do next.
type step uint8

const (
	stepMore   step = iota // the packet is not complete yet: wait for bytes
	stepNext               // answered: look at the next packet
	stepWait               // a disk worker owns the request: input waits
	stepClose              // close the connection (after what was written)
	stepDetach             // the socket was handed to a worker for the body
)

// connState is one client connection. The event loop owns it, except while
// busy is set (a worker job runs for the current request) or the socket is
// detached: then the worker owns it until it stores the outcome and clears
// busy (or re-attaches the socket). The atomic busy flag and gnet's trigger
// queue order the worker's writes before the loop's reads.
type connState struct {
	srv   *Server
	conn  gnet.Conn
	loop  gnet.EventLoop
	local netip.Addr // the address the client reached us on
	peer  string
	// syncSrc is the storage id a peer announced with REPORT_SERVER_ID:
	// the source its sync operations are credited to.
	syncSrc string

	busy atomic.Bool
	// began is when the current request's header was first seen (unix ns),
	// for the duration histograms (metrics.go); 0 between requests.
	began int64
	// partial is when the loop first saw the current request incomplete:
	// the ticker closes connections stuck mid-request for network_timeout.
	partial stall.Partial

	// Outcome of a worker job, sent by the loop when it resumes.
	out      []byte
	outClose bool // close after out: EINVAL, or a broken byte stream
	hasOut   bool

	// req is this connection's copy of the current request body (whole
	// for fixed-size requests, the fixed part for streamed ones).
	req []byte
	// body holds a small streamed body (pooled) while a worker writes it.
	body *[]byte
	op   pendingOp

	// drain is what is left of a refused request's body: discarded as it
	// arrives (refuseStream).
	drain int64

	// Download waiting for gnet's outbound buffer to drain before a worker
	// may write on the socket.
	waitDrain bool

	// Detached upload: dup is the worker's socket, lead the body bytes gnet
	// had already read.
	detached bool
	reattach bool
	dup      int
	lead     *[]byte

	// Method values made once per connection, so submitting a job
	// allocates no closure.
	runFn      func(error)
	receiveFn  func(error)
	receivedFn func(int64, uint32, error)
	sentFn     func(int64, error)
}

func (s *Server) newConnState(c gnet.Conn) *connState {
	cs := &connState{srv: s, conn: c, loop: c.EventLoop(), dup: -1, req: make([]byte, 0, 256),
		out: make([]byte, 0, 128)}
	if a, ok := c.LocalAddr().(*net.TCPAddr); ok {
		if ip, ok := netip.AddrFromSlice(a.IP); ok {
			cs.local = ip.Unmap()
		}
	}
	if a := c.RemoteAddr(); a != nil {
		cs.peer = a.String()
	}
	cs.runFn = cs.run
	cs.receiveFn = cs.startReceive
	cs.receivedFn = cs.received
	cs.sentFn = cs.sent
	return cs
}

// eventHandler is the gnet side: framing and the connection life cycle.
type eventHandler struct {
	gnet.BuiltinEventEngine
	srv *Server
}

func (h *eventHandler) OnBoot(eng gnet.Engine) gnet.Action {
	h.srv.boot(eng)
	return gnet.None
}

func (h *eventHandler) OnTick() (time.Duration, gnet.Action) { return h.srv.tick(), gnet.None }

// OnOpen sets up a new connection, or adopts a re-attached one: then the
// reply of the request whose body the worker received goes out first.
func (h *eventHandler) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	if cs, ok := c.Context().(*connState); ok && cs.reattach {
		cs.reattach, cs.detached = false, false
		cs.conn = c
		out := cs.out
		cs.hasOut = false
		if cs.outClose {
			return out, gnet.Close
		}
		return out, gnet.None
	}
	cs := h.srv.newConnState(c)
	c.SetContext(cs)
	h.srv.trackConn(cs)
	return nil, gnet.None
}

// OnClose starts the body transfer of a detached connection: gnet has
// closed only its own descriptor, the dup keeps the socket open.
func (h *eventHandler) OnClose(c gnet.Conn, err error) gnet.Action {
	cs, ok := c.Context().(*connState)
	if !ok || cs.conn != c {
		return gnet.None
	}
	if !cs.detached {
		h.srv.forgetConn(cs)
		return gnet.None
	}
	if serr := cs.op.path.workers.Pick().Do(cs.receiveFn); serr != nil {
		cs.dropDetached(serr)
	}
	return gnet.None
}

// OnTraffic answers every complete request in the inbound buffer, in
// order, until one needs a worker or more bytes.
func (h *eventHandler) OnTraffic(c gnet.Conn) gnet.Action {
	cs, ok := c.Context().(*connState)
	if !ok || cs.conn != c || cs.detached {
		return gnet.None // a stale wake-up of a closed or detached conn
	}
	return h.srv.serve(cs, c)
}

func (s *Server) serve(cs *connState, c gnet.Conn) gnet.Action {
	if cs.busy.Load() {
		// gnet cannot stop reading, so requests pipelined behind the one
		// a worker holds pile up in its buffer. FastDFS clients never
		// pipeline more than a request or two; a client that sends more
		// than a small body and a full request ahead is cut off, so the
		// memory a connection can pin stays bounded.
		if n := c.InboundBuffered(); n > s.maxPipelined() {
			s.log.Warn("too much pipelined behind a running request, closing", "peer", cs.peer, "buffered", n)
			// Shut the socket itself down: the worker's dup must not keep
			// the peer writing into a connection nobody reads.
			_ = unix.Shutdown(c.Fd(), unix.SHUT_RDWR)
			return gnet.Close
		}
		return gnet.None
	}
	if cs.hasOut {
		cs.hasOut = false
		if len(cs.out) > 0 {
			_, _ = c.Write(cs.out)
		}
		if cs.outClose {
			return gnet.Close
		}
	}
	if cs.waitDrain {
		switch s.startSend(cs, c) {
		case stepClose:
			return gnet.Close
		case stepWait:
			return gnet.None
		}
	}
	for {
		n := c.InboundBuffered()
		if cs.drain > 0 {
			k := int(min(int64(n), cs.drain))
			_, _ = c.Discard(k)
			cs.drain -= int64(k)
			if cs.drain > 0 {
				cs.partial.Mark(true)
				return gnet.None
			}
			n -= k
		}
		if n < codec.HeaderSize {
			cs.partial.Mark(n > 0)
			return gnet.None
		}
		hb, err := c.Peek(codec.HeaderSize)
		if err != nil {
			return gnet.None
		}
		hdr, err := codec.DecodeHeader(hb)
		if err != nil {
			s.log.Warn("negative packet length, closing", "peer", cs.peer, "cmd", hdr.Cmd)
			return gnet.Close
		}
		if cs.began == 0 {
			cs.began = time.Now().UnixNano()
		}
		st := s.dispatch(cs, c, hdr, n)
		cs.partial.Mark(st == stepMore)
		switch st {
		case stepMore, stepWait:
			return gnet.None
		case stepNext:
			continue
		default: // stepClose, stepDetach
			return gnet.Close
		}
	}
}

// submit hands the current request to one of p's workers; the loop stops
// reading requests from c until the job's outcome is in.
func (cs *connState) submit(p *storePath) step {
	cs.busy.Store(true)
	if err := p.workers.Pick().Do(cs.runFn); err != nil {
		cs.busy.Store(false)
		cs.releaseBody()
		return cs.srv.replyError(cs.conn, errnoOf(err))
	}
	return stepWait
}

// finish stores a worker job's outcome and wakes the loop to send it and
// go on with pipelined requests. Called on the worker's thread.
func (cs *connState) finish(close bool) {
	cs.outClose = close
	cs.hasOut = true
	cs.busy.Store(false)
	_ = cs.conn.Wake(nil)
}

// setReply sets out to a header with status and bodyLen; the body, if any,
// is appended by the caller.
func (cs *connState) setReply(status codec.Errno, bodyLen int) {
	cs.srv.stats.done(cs.op.cmd, status == codec.OK, cs.op.size, cs.srv.now)
	cs.srv.ObserveRequest(cs.op.cmd, cs.began)
	cs.began = 0
	cs.out = codec.Reply(byte(status), bodyLen).Append(cs.out[:0])
}

// finishError ends a job with an error reply (EINVAL closes, as C).
func (cs *connState) finishError(errno codec.Errno) {
	cs.setReply(errno, 0)
	cs.finish(errno == codec.EINVAL)
}

func (cs *connState) releaseBody() {
	if cs.body != nil {
		if cap(*cs.body) <= cs.srv.smallBody { // an outsized one is left to the GC
			*cs.body = (*cs.body)[:0]
			cs.srv.bodyPool.Put(cs.body)
		}
		cs.body = nil
	}
}

// detach prepares the hand-off of the socket for a body of size bytes, of
// which gnet already holds buffered (just past the fixed part, still in
// its buffer): they are copied out, the dup is taken, and the caller
// returns gnet.Close; OnClose then starts the worker.
func (s *Server) detach(cs *connState, c gnet.Conn, skip, buffered int) step {
	if c.OutboundBuffered() > 0 {
		_ = c.Flush()
		if c.OutboundBuffered() > 0 {
			// A reply is still queued and gnet would drop it at close:
			// wait for more of the body (the client is sending it).
			return stepMore
		}
	}
	fd, err := c.Dup()
	if err != nil {
		s.log.Error("dup socket for upload", "peer", cs.peer, "err", err)
		return s.replyError(c, codec.EIO)
	}
	lead := s.bodyPool.Get().(*[]byte)
	all, _ := c.Peek(skip + buffered)
	*lead = append((*lead)[:0], all[skip:]...)
	_, _ = c.Discard(skip + buffered)
	cs.lead, cs.dup, cs.detached = lead, fd, true
	s.counters.detachedBodies.Add(1)
	return stepDetach
}

// dropDetached ends a detached connection that cannot continue.
func (cs *connState) dropDetached(err error) {
	if err != nil {
		cs.srv.log.Warn("upload aborted", "peer", cs.peer, "file", cs.op.describe(), "err", err)
	}
	if cs.lead != nil {
		*cs.lead = (*cs.lead)[:0]
		cs.srv.bodyPool.Put(cs.lead)
		cs.lead = nil
	}
	if cs.dup >= 0 {
		_ = unix.Close(cs.dup)
		cs.dup = -1
	}
	cs.srv.forgetConn(cs)
}

// reattachDetached gives the socket back to gnet with cs.out as the first
// bytes written (OnOpen). Called on the worker's thread.
func (cs *connState) reattachDetached() {
	if cs.lead != nil {
		*cs.lead = (*cs.lead)[:0]
		cs.srv.bodyPool.Put(cs.lead)
		cs.lead = nil
	}
	f := os.NewFile(uintptr(cs.dup), "client")
	cs.dup = -1
	nc, err := net.FileConn(f) // its own dup; gnet's Enroll dups again
	_ = f.Close()
	if err != nil {
		cs.srv.log.Warn("re-attach after upload", "peer", cs.peer, "err", err)
		cs.srv.forgetConn(cs)
		return
	}
	cs.reattach = true
	if _, err := cs.loop.Enroll(gnet.NewContext(context.Background(), cs), nc); err != nil {
		cs.srv.log.Warn("re-attach after upload", "peer", cs.peer, "err", err)
		_ = nc.Close()
		cs.srv.forgetConn(cs)
	}
}

// writeDetachedError sends a header-only error on a detached socket whose
// body was not consumed; the connection is closed after it.
func (cs *connState) writeDetachedError(errno codec.Errno) {
	var b [codec.HeaderSize]byte
	codec.Reply(byte(errno), 0).Put(b[:])
	_, _ = unix.Write(cs.dup, b[:])
}
