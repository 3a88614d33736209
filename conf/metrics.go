package conf

import (
	"errors"
	"io"
	"log/slog"
	"strings"
	"time"
)

// Keys of ours for observability, in tracker.conf and storage.conf (C
// ignores them, so one conf still serves both):
//
//	metrics_port      = 0      # /metrics on this port; 0 (default) = off
//	metrics_bind_addr =        # default: the daemon's bind_addr (its first address)
//	scrub_interval    = 0      # storage: seconds between background scrubs; 0 = off
//	scrub_rate        = 8MB    # storage: bytes read per second by the scrub

// Metrics is where a daemon serves /metrics.
type Metrics struct {
	Port     int    // metrics_port; 0 = off
	BindAddr string // metrics_bind_addr, or the daemon's bind_addr; "" = every address
}

// Scrub is the storage's background CRC32 scrub.
type Scrub struct {
	Interval time.Duration // scrub_interval; 0 = off
	Rate     int64         // scrub_rate, bytes per second
}

// DefaultScrubRate is scrub_rate's default: a trickle next to the client
// traffic of a busy disk.
const DefaultScrubRate = 8 << 20

// MetricsKeys and ScrubKeys are the keys above, for the known-key lists of
// the tracker and storage loaders.
var (
	MetricsKeys = []string{"metrics_port", "metrics_bind_addr"}
	ScrubKeys   = []string{"scrub_interval", "scrub_rate"}
)

// metrics reads metrics_port and metrics_bind_addr (bind is the daemon's
// bind_addr, a comma-separated list).
func (r *reader) metrics(bind string) Metrics {
	m := Metrics{Port: r.port("metrics_port", 0)}
	first, _, _ := strings.Cut(bind, ",")
	m.BindAddr = strings.TrimSpace(r.str("metrics_bind_addr", strings.TrimSpace(first)))
	return m
}

func (r *reader) scrub() Scrub {
	s := Scrub{Interval: r.seconds("scrub_interval", 0), Rate: r.bytes("scrub_rate", DefaultScrubRate)}
	if s.Interval < 0 {
		it, _ := r.item("scrub_interval")
		r.fail(it, "%s is invalid, must be >= 0", it.Value)
	}
	if s.Rate <= 0 {
		it, _ := r.item("scrub_rate")
		r.fail(it, "%s is invalid, must be > 0", it.Value)
		s.Rate = DefaultScrubRate
	}
	return s
}

// MetricsOf reads metrics_port and metrics_bind_addr from a loaded conf
// (bind: its bind_addr).
func MetricsOf(o Origin, bind string) (Metrics, error) {
	r := rawReader(o)
	m := r.metrics(bind)
	return m, errors.Join(r.errs...)
}

// ScrubOf reads scrub_interval and scrub_rate from a loaded storage conf.
func ScrubOf(o Origin) (Scrub, error) {
	r := rawReader(o)
	s := r.scrub()
	return s, errors.Join(r.errs...)
}

// rawReader reads a loaded conf again; its warnings were given at load.
func rawReader(o Origin) *reader {
	ini := o.ini
	if ini == nil {
		ini, _ = ParseINI(o.file, nil)
	}
	return newReader(o.file, ini, &options{log: slog.New(slog.NewTextHandler(io.Discard, nil))})
}
