// Package web is the storage's built-in HTTP download server (issue 9): a
// second gnet engine on http.server_port that serves GET and HEAD of stored
// files from the same store paths and disk workers as the binary protocol,
// the way the binary download does: small answers from the page cache on
// the event loop, larger ones by sendfile on the store path's disk worker
// from a dup of the socket while the loop reads no further request of that
// connection. Files of the group this storage does not have are redirected
// to, or fetched through from, the storage that has them (proxy.go).
//
// It knows the storage only through Core and Path: the storage core keeps
// the command path, names and store paths; this package keeps HTTP.
package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"github.com/panjf2000/gnet/v2/pkg/logging"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/conf"
	"github.com/gofdfs/gofdfs/diskio"
	"github.com/gofdfs/gofdfs/server/httpd"
	"github.com/gofdfs/gofdfs/server/internal/engine"
)

// Core is what the HTTP server needs of the storage it serves.
type Core interface {
	// Group is the storage's group name.
	Group() []byte
	// Now is the storage's clock (a test may shift it).
	Now() time.Time
	// ParseName validates remote, a file name of this storage's group
	// (M00/00/00/...), as the binary protocol does, and gives the store
	// path that holds it. rf views remote's bytes.
	ParseName(remote []byte) (rf codec.RemoteFilename, p Path, err error)
	// OpenTrunk opens a trunk-resident file (rf names one, ref is its
	// trunk part) through its store path p: the trunk file that holds it
	// as a plain descriptor, base the offset of its content there, and the
	// content's stat. It wraps os.ErrNotExist when the slot does not hold
	// the file.
	OpenTrunk(rf *codec.RemoteFilename, ref *codec.TrunkRef, p Path) (f diskio.ReadFd, st diskio.FileStat, base int64, err error)
	// SourceOf is the address and binary port of the storage a file was
	// uploaded to (its name's source field); ok is false when unknown.
	SourceOf(f codec.NameFields) (ip netip.Addr, port int, ok bool)
	// IsMe reports whether ip is this storage: the address in its new file
	// names or the one the trackers see.
	IsMe(ip netip.Addr) bool
	// CountStatus counts one answer in the storage's metrics.
	CountStatus(status int)
	// AppendStatus appends the storage's members of the /status object
	// ("group":...,"storage":{...}), without braces around them.
	AppendStatus(b []byte) []byte
}

// Path is the store path that holds a file.
type Path interface {
	// OpenRead opens the file rf names for reading (a plain descriptor).
	OpenRead(rf *codec.RemoteFilename) (diskio.ReadFd, diskio.FileStat, error)
	// Send queues a sendfile job on one of the path's disk workers.
	Send(job diskio.SendJob) error
}

// Config is the HTTP server's settings, taken from storage.conf by the core.
type Config struct {
	HTTP   conf.StorageHTTP
	Listen string // host:port; empty: http.bind_addr:http.server_port
	// Where names the conf line of a key, for errors.
	Where     func(key string) string
	Multicore bool // engine.Loops() event loops, else one
	// NetworkTimeout bounds a worker send and, with ConnectTimeout, a
	// fetch-through from the source storage (0: 30 s and 10 s).
	NetworkTimeout time.Duration
	ConnectTimeout time.Duration
	// LocalIP binds fetch-through connections (client_bind); invalid: none.
	LocalIP netip.Addr
	// SmallReadMax is the largest answer read from the page cache on the loop.
	SmallReadMax int64
	// Metrics writes the Prometheus text exposition for GET /metrics; nil:
	// /metrics is a file path like any other.
	Metrics func(io.Writer) error
	Log     *slog.Logger
	Gnet    logging.Logger
}

// Server is the HTTP engine of one storage.
type Server struct {
	core   Core
	cfg    conf.StorageHTTP
	conf   Config
	log    *slog.Logger
	listen string
	mime   *httpd.MimeTypes
	secret string
	ttl    int64

	// failBody is http.anti_steal.token_check_fail's file, sent with 200
	// when a token is refused (as the nginx module); nil: 400.
	failBody []byte
	failType string

	access *accessLog // nil when http.access_log is off
	stats  counters

	conns    sync.Map // *conn -> struct{}, for the keep-alive sweep
	seq      atomic.Uint64
	dates    httpd.DateCache
	proxying atomic.Int32 // fetch-through requests running

	readPool sync.Pool // *[]byte of SmallReadMax + head room

	handler  *handler
	booted   chan struct{}
	done     chan struct{}
	mu       sync.Mutex
	engine   gnet.Engine
	addr     net.Addr
	serveErr error
}

// counters are the HTTP counters of /status.
type counters struct {
	requests    atomic.Int64
	byClass     [6]atomic.Int64 // 1xx..5xx by status/100
	bodyBytes   atomic.Int64
	loopReads   atomic.Int64 // bodies read from the page cache on the loop
	workerSends atomic.Int64 // bodies sent by a disk worker with sendfile
	redirects   atomic.Int64
	proxied     atomic.Int64
	tokenFails  atomic.Int64
	connCur     atomic.Int64
}

// Counters is a snapshot of some of /status's HTTP counters.
type Counters struct {
	Requests, LoopReads, WorkerSends, Redirects, Proxied, TokenFails int64
}

// Counters reads the counters now.
func (hs *Server) Counters() Counters {
	st := &hs.stats
	return Counters{Requests: st.requests.Load(), LoopReads: st.loopReads.Load(),
		WorkerSends: st.workerSends.Load(), Redirects: st.redirects.Load(), Proxied: st.proxied.Load(),
		TokenFails: st.tokenFails.Load()}
}

// maxProxying bounds concurrent fetch-through requests: each holds a
// goroutine and an outgoing connection (rare: only replicas behind).
const maxProxying = 64

// New prepares the HTTP server: the MIME table, the token_check_fail file,
// the access log. Run starts it.
func New(core Core, c Config) (*Server, error) {
	h := c.HTTP
	if !h.Enabled() {
		return nil, errors.New("storage: http server without http.server_port")
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Where == nil {
		c.Where = func(k string) string { return k }
	}
	hs := &Server{core: core, cfg: h, conf: c, log: c.Log, secret: h.AntiStealSecretKey,
		ttl: int64(h.AntiStealTokenTTL / time.Second), booted: make(chan struct{}), done: make(chan struct{})}
	hs.listen = c.Listen
	if hs.listen == "" {
		hs.listen = net.JoinHostPort(h.BindAddr, fmt.Sprint(h.ServerPort))
	}
	var types []byte
	if h.MimeTypesFilename != "" {
		b, err := os.ReadFile(h.MimeTypesFilename)
		if err != nil {
			return nil, fmt.Errorf("storage: http.mime_types_filename (%s): %w", c.Where("http.mime_types_filename"), err)
		}
		types = b
	}
	m, err := httpd.NewMimeTypes(types, h.DefaultContentType)
	if err != nil {
		return nil, fmt.Errorf("storage: http.mime_types_filename %s: %w", h.MimeTypesFilename, err)
	}
	hs.mime = m
	if h.AntiStealCheckToken && h.AntiStealTokenCheckFail != "" {
		b, err := os.ReadFile(h.AntiStealTokenCheckFail)
		if err != nil {
			return nil, fmt.Errorf("storage: http.anti_steal.token_check_fail (%s): %w",
				c.Where("http.anti_steal.token_check_fail"), err)
		}
		hs.failBody, hs.failType = b, m.ByName([]byte(h.AntiStealTokenCheckFail))
	}
	if h.AccessLog {
		al, err := openAccessLog(h.AccessLogFilename)
		if err != nil {
			return nil, fmt.Errorf("storage: http.access_log_filename: %w", err)
		}
		hs.access = al
	}
	hs.readPool.New = func() any { b := make([]byte, 0, 1024+c.SmallReadMax); return &b }
	hs.handler = &handler{hs: hs}
	return hs, nil
}

// Run runs the HTTP engine in the background (the storage's Serve).
func (hs *Server) Run() {
	go func() {
		cfg := engine.Config{Addr: hs.listen, Multicore: hs.conf.Multicore, Ticker: true,
			KeepAlive: time.Minute, Logger: hs.log}
		if hs.conf.Gnet != nil {
			cfg.Extra = []gnet.Option{gnet.WithLogger(hs.conf.Gnet)}
		}
		err := engine.Run(hs.handler, cfg)
		hs.mu.Lock()
		hs.serveErr = err
		failed := hs.addr == nil
		hs.mu.Unlock()
		if failed { // Start reports it too; Serve alone would not
			hs.log.Error("storage http server did not start", "addr", hs.listen, "err", err)
		}
		select {
		case <-hs.booted:
		default:
			close(hs.booted)
		}
		close(hs.done)
	}()
}

// Wait waits until the HTTP engine listens (the storage's Start).
func (hs *Server) Wait() error {
	<-hs.booted
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if hs.addr == nil {
		return fmt.Errorf("storage: http listen on %s: %v", hs.listen, hs.serveErr)
	}
	return nil
}

// Stop stops the HTTP engine and waits for it (the storage's Serve, once
// the binary engine has stopped, before the disk workers close).
func (hs *Server) Stop() {
	select {
	case <-hs.booted:
	case <-hs.done:
	}
	hs.mu.Lock()
	eng := hs.engine
	hs.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := engine.Stop(ctx, eng); err != nil {
		hs.log.Warn("stop http engine", "err", err)
	}
	select {
	case <-hs.done:
	case <-ctx.Done():
		hs.log.Warn("http engine did not stop in time")
	}
	// Fetch-through requests still running end on their own (their
	// sockets are closed by the engine); wait briefly so they do not
	// outlive the server's disks.
	for deadline := time.Now().Add(5 * time.Second); hs.proxying.Load() > 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if hs.access != nil {
		if err := hs.access.close(); err != nil {
			hs.log.Warn("close http access log", "err", err)
		}
	}
}

// Addr is the address the HTTP server listens on (nil before it does).
func (hs *Server) Addr() net.Addr {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	return hs.addr
}

// handler is the gnet side of the HTTP engine.
type handler struct {
	gnet.BuiltinEventEngine
	hs *Server
}

func (h *handler) OnBoot(eng gnet.Engine) gnet.Action {
	hs := h.hs
	hs.mu.Lock()
	hs.engine = eng
	if ap, err := engine.BoundAddr(eng); err == nil {
		hs.addr = net.TCPAddrFromAddrPort(ap)
	} else {
		hs.log.Warn("storage http: bound address", "err", err)
	}
	hs.mu.Unlock()
	close(hs.booted)
	hs.log.Info("storage http listening", "addr", hs.addr, "url_have_group_name", hs.cfg.URLHaveGroupName,
		"response_mode", hs.cfg.ResponseMode, "check_token", hs.cfg.AntiStealCheckToken)
	return gnet.None
}

func (h *handler) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	hc := h.hs.newConn(c)
	c.SetContext(hc)
	h.hs.conns.Store(hc, struct{}{})
	h.hs.stats.connCur.Add(1)
	return nil, gnet.None
}

// OnClose forgets the connection. A send that was waiting for gnet's
// buffer to drain never started: its file is closed here. (A running one
// belongs to its worker or goroutine, which closes what it holds.)
func (h *handler) OnClose(c gnet.Conn, _ error) gnet.Action {
	if hc, ok := c.Context().(*conn); ok {
		if _, ok := h.hs.conns.LoadAndDelete(hc); ok {
			h.hs.stats.connCur.Add(-1)
		}
		if !hc.busy.Load() {
			hc.closeSend()
		}
	}
	return gnet.None
}

func (h *handler) OnTraffic(c gnet.Conn) gnet.Action {
	hc, ok := c.Context().(*conn)
	if !ok {
		return gnet.Close
	}
	return h.hs.serve(hc, c)
}

// OnTick closes keep-alive connections idle for http.keepalive_timeout and
// requests whose head has not come in completely in that time; it also
// writes out the access log.
func (h *handler) OnTick() (time.Duration, gnet.Action) {
	hs := h.hs
	now := time.Now().UnixNano()
	limit := int64(hs.cfg.KeepAliveTimeout)
	hs.conns.Range(func(k, _ any) bool {
		hc := k.(*conn)
		if !hc.busy.Load() && now-hc.lastActive.Load() > limit {
			_ = hc.conn.Close()
		}
		return true
	})
	if hs.access != nil {
		if err := hs.access.flush(); err != nil {
			hs.log.Warn("http access log", "err", err)
		}
	}
	return time.Second, gnet.None
}
