package storage

import (
	"time"

	"github.com/gofdfs/gofdfs/server/storage/stats"
)

// opStats are the per-request counters (package stats); done keeps the
// name the command path (conn.go, download.go) counts an answered request
// with.
type opStats struct{ stats.Counters }

func (st *opStats) done(cmd byte, ok bool, n int64, now func() time.Time) { st.Done(cmd, ok, n, now) }

// trackConn registers a new client connection (for the network_timeout
// sweep and the connection counts of the stat block).
func (s *Server) trackConn(cs *connState) {
	s.conns.Store(cs, struct{}{})
	s.stats.ConnOpened()
}

// forgetConn drops a connection registered by trackConn (once).
func (s *Server) forgetConn(cs *connState) {
	if _, ok := s.conns.LoadAndDelete(cs); ok {
		s.stats.ConnClosed()
	}
}
