package tracker

import (
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/gofdfs/gofdfs/codec"
)

const headerSize = codec.HeaderSize

// connState is what the tracker remembers about one connection.
type connState struct {
	peer    string     // peer IP as text: a storage's id without storage ids
	peerIP  netip.Addr // peer IP
	localIP netip.Addr // the address the peer reached us on

	// storage is the storage that joined on this connection ("logged in").
	storage *storage
	// leaderNoticed: the leader brief went out in a change notice on this
	// connection (C sends it with the first reply of every connection).
	leaderNoticed bool

	// out is the reply buffer, taken from the server's pool for the
	// connection's life.
	out *[]byte
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
	cs := &connState{out: h.srv.replies.Get().(*[]byte)}
	cs.peerIP = addrIP(c.RemoteAddr())
	cs.localIP = addrIP(c.LocalAddr())
	cs.peer = cs.peerIP.String()
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
			return gnet.None
		}
		if hdr.Cmd == codec.CmdQuit {
			return gnet.Close
		}
		pkt, err := c.Peek(total)
		if err != nil {
			return gnet.None
		}
		out := h.srv.dispatch(cs, hdr.Cmd, pkt[headerSize:], (*cs.out)[:0])
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
