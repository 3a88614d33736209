// Package stall tracks how long a connection's current request has been
// incomplete, so that a server can close connections stuck mid-request
// (slowloris, a peer gone without a FIN) after network_timeout while
// leaving idle connections between requests alone.
package stall

import (
	"sync/atomic"
	"time"
)

// Partial is the moment the current request was first seen incomplete, or
// zero. It is set by the event loop and read by a sweeping goroutine.
type Partial struct {
	since atomic.Int64 // unix nanoseconds
}

// Mark records whether the inbound buffer ends inside a request; the first
// moment it did is kept until the request completes.
func (p *Partial) Mark(partial bool) {
	if !partial {
		p.since.Store(0)
	} else if p.since.Load() == 0 {
		p.since.Store(time.Now().UnixNano())
	}
}

// Expired reports whether the request has been incomplete for longer than
// limit at now, and if so forgets it so that it is reported once.
func (p *Partial) Expired(now time.Time, limit time.Duration) bool {
	since := p.since.Load()
	if since == 0 || now.UnixNano()-since <= int64(limit) {
		return false
	}
	p.since.Store(0)
	return true
}
