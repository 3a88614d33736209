package tracker

import (
	"sync"
	"time"
)

// stalledConns finds connections stuck mid-request. A client that sends
// part of a header or body and then nothing (slowloris, a peer that died
// without a FIN) would otherwise hold its connection and buffer for ever;
// like the storage, the tracker closes it once the request has been
// incomplete for network_timeout. Idle connections between requests are
// left alone: SDK pools keep tracker connections open for minutes.
type stalledConns struct {
	open sync.Map // *connState -> struct{}
}

func (t *stalledConns) add(cs *connState)    { t.open.Store(cs, struct{}{}) }
func (t *stalledConns) remove(cs *connState) { t.open.Delete(cs) }

// sweep closes every connection whose request has been incomplete for
// longer than limit. It runs on the ticker goroutine; gnet's Close is safe
// from there (it is queued to the connection's event loop).
func (s *Server) sweepStalled(now time.Time, limit time.Duration) {
	if limit <= 0 {
		return
	}
	s.stalled.open.Range(func(k, _ any) bool {
		cs := k.(*connState)
		if cs.partial.Expired(now, limit) {
			s.log.Info("request incomplete for network_timeout, closing", "peer", cs.peer)
			if cs.conn != nil {
				_ = cs.conn.Close()
			}
		}
		return true
	})
}
