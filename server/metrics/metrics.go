// Package metrics is what the tracker and the storage share to expose
// Prometheus metrics: the /metrics HTTP server, the per-command request
// duration histograms, and helpers that turn counters the servers already
// keep into metrics at scrape time.
//
// The library is prometheus/client_golang: it is the reference
// implementation of the exposition format (what promtool and the Prometheus
// server parse), its custom Collectors let a scrape read the servers' own
// atomic counters (nothing is counted twice, nothing is added to the request
// paths), and its histograms observe without allocating. VictoriaMetrics'
// metrics package is lighter but writes no HELP text, which promtool's lint
// asks for, and its default histograms use vmrange buckets that Grafana's
// histogram_quantile cannot read.
package metrics

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NewRegistry is a registry with the Go runtime and process collectors.
func NewRegistry() *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return r
}

// Handler serves the registry in the text exposition format.
func Handler(g prometheus.Gatherer, log *slog.Logger) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorLog: slogPrinter{log}, ErrorHandling: promhttp.ContinueOnError})
}

type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Println(v ...any) {
	if p.log != nil {
		p.log.Warn("metrics", "err", v)
	}
}

// Server is the plain goroutine HTTP server of /metrics: scrapes are rare,
// so it stays out of the daemons' event loops.
type Server struct {
	ln  net.Listener
	srv *http.Server
}

// Listen serves h at /metrics on addr ("ip:port").
func Listen(addr string, h http.Handler, log *slog.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", h)
	s := &Server{ln: ln, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && log != nil {
			log.Error("metrics server stopped", "addr", addr, "err", err)
		}
	}()
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server, letting a scrape in progress finish.
func (s *Server) Close(ctx context.Context) error { return s.srv.Shutdown(ctx) }

// Addr joins metrics_bind_addr (or the daemon's bind_addr when empty) and
// metrics_port.
func Addr(bind string, port int) string {
	return net.JoinHostPort(bind, strconv.Itoa(port))
}

// DurationBuckets are the request duration histogram buckets, in seconds:
// 50 µs (a tracker query) to 60 s (a large file on a slow link).
var DurationBuckets = []float64{0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
	0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// Commands holds one request duration histogram per command. A command's
// histogram is made the first time it is seen (so a scrape lists only
// commands that came); after that, Observe is a load and an atomic add,
// without allocation.
type Commands struct {
	vec   *prometheus.HistogramVec
	name  func(byte) string
	hists [256]atomic.Pointer[prometheus.Histogram]
}

// NewCommands makes the histograms of a daemon: metric name, help text and
// the command naming (codec.CmdName).
func NewCommands(name, help string, cmdName func(byte) string) *Commands {
	return &Commands{
		vec: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: DurationBuckets},
			[]string{"command"}),
		name: cmdName,
	}
}

// Observe records one request of cmd that took d.
func (c *Commands) Observe(cmd byte, d time.Duration) {
	if c == nil {
		return
	}
	h := c.hists[cmd].Load()
	if h == nil {
		h = c.make(cmd)
	}
	(*h).Observe(d.Seconds())
}

// ObserveSince records one request of cmd that began at start (unix ns).
func (c *Commands) ObserveSince(cmd byte, start int64) {
	if c == nil || start == 0 {
		return
	}
	c.Observe(cmd, time.Duration(time.Now().UnixNano()-start))
}

func (c *Commands) make(cmd byte) *prometheus.Histogram {
	n := c.name(cmd)
	if n == "" {
		n = "CMD_" + strconv.Itoa(int(cmd))
	}
	h := c.vec.WithLabelValues(n).(prometheus.Histogram)
	c.hists[cmd].CompareAndSwap(nil, &h)
	return c.hists[cmd].Load()
}

// Describe and Collect make Commands a prometheus.Collector.
func (c *Commands) Describe(ch chan<- *prometheus.Desc) { c.vec.Describe(ch) }
func (c *Commands) Collect(ch chan<- prometheus.Metric) { c.vec.Collect(ch) }

// Emitter builds the const metrics of one scrape.
type Emitter struct{ Ch chan<- prometheus.Metric }

// Gauge sends one gauge sample.
func (e Emitter) Gauge(d *prometheus.Desc, v float64, labels ...string) {
	e.Ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

// Counter sends one counter sample.
func (e Emitter) Counter(d *prometheus.Desc, v float64, labels ...string) {
	e.Ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
}

// B is 1 for true.
func B(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
