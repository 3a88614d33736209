package tracker

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/conf"
	"github.com/gofdfs/gofdfs/server/internal/stall"
)

const headerSize = codec.HeaderSize

// connState is what the tracker remembers about one connection.
type connState struct {
	peer    string     // peer IP as text: a storage's id without storage ids
	peerIP  netip.Addr // peer IP
	localIP netip.Addr // the address the peer reached us on
	// peerClass is the peer IP's class (cluster.md §5.6): of a dual-IP
	// storage, the address of this class is the one the peer is given.
	peerClass conf.IPClass

	// storage is the storage that joined on this connection ("logged in").
	storage *storage
	// leaderNoticed is the cluster's leader-change count last told on this
	// connection: the leader brief goes out whenever it differs, so with
	// the first reply of every connection (it starts at 0).
	leaderNoticed int64
	// follower is the "ip:port" of the tracker that sent JOIN_LEADER on
	// this connection; trunkNoticed the trunk-change count it last heard.
	follower     string
	trunkNoticed int64
	// boot is the state of the state-file pull started for a JOIN on this
	// connection (bootIdle...), set by the pulling goroutine.
	boot atomic.Int32

	// out is the reply buffer, taken from the server's pool for the
	// connection's life.
	out *[]byte

	// conn and partial serve the network_timeout sweep (stall.go).
	conn    gnet.Conn
	partial stall.Partial
}

// newReplyPool holds reply buffers; most replies are a few dozen bytes,
// lists grow theirs and keep the capacity.
func newReplyPool() *sync.Pool {
	return &sync.Pool{New: func() any {
		b := make([]byte, 0, 1024)
		return &b
	}}
}

// eventHandler is the gnet side: it frames packets and hands them to
// dispatch; all protocol logic lives in the handlers.
type eventHandler struct {
	gnet.BuiltinEventEngine
	srv *Server
}

func (h *eventHandler) OnBoot(eng gnet.Engine) gnet.Action {
	h.srv.boot(eng)
	return gnet.None
}

func (h *eventHandler) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	h.srv.conns.opened()
	cs := &connState{out: h.srv.replies.Get().(*[]byte), conn: c}
	h.srv.stalled.add(cs)
	cs.peerIP = addrIP(c.RemoteAddr())
	cs.localIP = addrIP(c.LocalAddr())
	cs.peer = cs.peerIP.String()
	cs.peerClass = conf.ClassifyIP(cs.peer)
	c.SetContext(cs)
	return nil, gnet.None
}

func addrIP(a net.Addr) netip.Addr {
	if t, ok := a.(*net.TCPAddr); ok {
		if ip, ok := netip.AddrFromSlice(t.IP); ok {
			return ip.Unmap()
		}
	}
	return netip.Addr{}
}

func (h *eventHandler) OnClose(c gnet.Conn, err error) gnet.Action {
	cs, ok := c.Context().(*connState)
	if !ok {
		return gnet.None
	}
	h.srv.conns.closed()
	h.srv.stalled.remove(cs)
	h.srv.sys.release(cs)
	if cs.storage != nil {
		h.srv.log.Info("storage connection closed", "peer", cs.peer,
			"group", cs.storage.group.name, "storage", cs.storage.id, "err", err)
		h.srv.reg.connClosed(cs)
	}
	if cs.out != nil {
		*cs.out = (*cs.out)[:0]
		h.srv.replies.Put(cs.out)
		cs.out = nil
	}
	return gnet.None
}

// OnTraffic handles every whole packet in the inbound buffer. A packet is
// answered before the next one is looked at, so pipelined requests are
// answered in order.
func (h *eventHandler) OnTraffic(c gnet.Conn) gnet.Action {
	cs := c.Context().(*connState)
	for {
		n := c.InboundBuffered()
		if n < headerSize {
			cs.partial.Mark(n > 0)
			return gnet.None
		}
		hb, err := c.Peek(headerSize)
		if err != nil {
			return gnet.None
		}
		hdr, err := codec.DecodeHeader(hb)
		if err != nil {
			// negative length: C closes without a reply
			h.srv.log.Warn("bad packet header, closing", "peer", cs.peer, "cmd", hdr.Cmd, "len", hdr.BodyLen)
			return gnet.Close
		}
		if hdr.BodyLen > h.srv.maxBody {
			h.srv.log.Warn("packet larger than max_buff_size, closing", "peer", cs.peer,
				"cmd", hdr.Cmd, "len", hdr.BodyLen, "max", h.srv.maxBody)
			return gnet.Close
		}
		total := headerSize + int(hdr.BodyLen)
		if n < total {
			cs.partial.Mark(true)
			return gnet.None
		}
		cs.partial.Mark(false)
		if hdr.Cmd == codec.CmdQuit {
			return gnet.Close
		}
		pkt, err := c.Peek(total)
		if err != nil {
			return gnet.None
		}
		var out []byte
		step := bootGo
		if hdr.Cmd == codec.CmdStorageJoin {
			step = h.srv.joinBootstrap(c, cs, pkt[headerSize:])
		}
		switch step {
		case bootWait:
			return gnet.None
		case bootRefuse:
			out = codec.Reply(byte(codec.EAGAIN), 0).Append((*cs.out)[:0])
		default:
			out = h.srv.dispatch(cs, hdr.Cmd, pkt[headerSize:], (*cs.out)[:0])
		}
		if _, err := c.Write(out); err != nil {
			return gnet.Close
		}
		*cs.out = out[:0]
		if _, err := c.Discard(total); err != nil {
			return gnet.Close
		}
	}
}

// OnTick runs the periodic work: the heartbeat check and .tracker_status.
func (h *eventHandler) OnTick() (time.Duration, gnet.Action) {
	return h.srv.tick(), gnet.None
}

// connCounters are the connection figures a follower reports in
// PING_LEADER: connections now, and the most at once (C's pool never
// frees, so its allocated count is that maximum too).
type connCounters struct {
	current atomic.Int32
	max     atomic.Int32
}

func (c *connCounters) opened() {
	n := c.current.Add(1)
	for {
		m := c.max.Load()
		if n <= m || c.max.CompareAndSwap(m, n) {
			return
		}
	}
}

func (c *connCounters) closed() { c.current.Add(-1) }

// connStat is the PING_LEADER body.
func (s *Server) connStat() codec.ConnectionStat {
	m := s.conns.max.Load()
	return codec.ConnectionStat{AllocCount: s.connAlloc(), CurrentCount: s.conns.current.Load(), MaxCount: m}
}
