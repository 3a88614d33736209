package storage

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	gerrors "github.com/panjf2000/gnet/v2/pkg/errors"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gofdfs/gofdfs/conf"
	"github.com/gofdfs/gofdfs/server/httpd"
)

// The built-in HTTP download server (issue 9): a second gnet engine on
// http.server_port that serves GET and HEAD of stored files from the same
// store paths and disk workers as the binary protocol, the way the binary
// download does: small answers from the page cache on the event loop,
// larger ones by sendfile on the store path's disk worker from a dup of
// the socket while the loop reads no further request of that connection.

// WithHTTPListenAddr overrides http.bind_addr:http.server_port, e.g.
// "127.0.0.1:0" in tests. HTTP still runs only when http.server_port is set.
func WithHTTPListenAddr(addr string) Option { return func(s *Server) { s.httpListen = addr } }

// httpServer is the HTTP engine of one storage.
type httpServer struct {
	s      *Server
	cfg    conf.StorageHTTP
	listen string
	mime   *httpd.MimeTypes
	secret string
	ttl    int64

	// failBody is http.anti_steal.token_check_fail's file, sent with 200
	// when a token is refused (as the nginx module); nil: 400.
	failBody []byte
	failType string

	access *accessLog // nil when http.access_log is off
	// metrics is what GET /metrics answers: the storage's registry when
	// metrics_port is set (metrics on); nil: /metrics is a file path.
	metrics *prometheus.Registry
	stats   httpStats

	conns    sync.Map // *httpConn -> struct{}, for the keep-alive sweep
	seq      atomic.Uint64
	dates    httpd.DateCache
	proxying atomic.Int32 // fetch-through requests running

	readPool sync.Pool // *[]byte of smallReadMax + head room

	handler  *httpHandler
	booted   chan struct{}
	done     chan struct{}
	mu       sync.Mutex
	engine   gnet.Engine
	addr     net.Addr
	serveErr error
}

// httpStats are the HTTP counters of /status.
type httpStats struct {
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

// maxProxying bounds concurrent fetch-through requests: each holds a
// goroutine and an outgoing connection (rare: only replicas behind).
const maxProxying = 64

// newHTTP prepares the HTTP server when http.server_port is set (called
// from New): the MIME table, the token_check_fail file, the access log.
func (s *Server) newHTTP() error {
	h := s.cfg.HTTP
	if !h.Enabled() && s.httpListen == "" {
		return nil
	}
	if !h.Enabled() {
		return errors.New("storage: WithHTTPListenAddr without http.server_port")
	}
	hs := &httpServer{s: s, cfg: h, secret: h.AntiStealSecretKey, ttl: int64(h.AntiStealTokenTTL / time.Second),
		booted: make(chan struct{}), done: make(chan struct{})}
	hs.listen = s.httpListen
	if hs.listen == "" {
		hs.listen = net.JoinHostPort(h.BindAddr, strconv.Itoa(h.ServerPort))
	}
	var types []byte
	if h.MimeTypesFilename != "" {
		b, err := os.ReadFile(h.MimeTypesFilename)
		if err != nil {
			return fmt.Errorf("storage: http.mime_types_filename (%s): %w", s.cfg.Where("http.mime_types_filename"), err)
		}
		types = b
	}
	m, err := httpd.NewMimeTypes(types, h.DefaultContentType)
	if err != nil {
		return fmt.Errorf("storage: http.mime_types_filename %s: %w", h.MimeTypesFilename, err)
	}
	hs.mime = m
	if h.AntiStealCheckToken && h.AntiStealTokenCheckFail != "" {
		b, err := os.ReadFile(h.AntiStealTokenCheckFail)
		if err != nil {
			return fmt.Errorf("storage: http.anti_steal.token_check_fail (%s): %w",
				s.cfg.Where("http.anti_steal.token_check_fail"), err)
		}
		hs.failBody, hs.failType = b, m.ByName([]byte(h.AntiStealTokenCheckFail))
	}
	if h.AccessLog {
		al, err := openAccessLog(h.AccessLogFilename)
		if err != nil {
			return fmt.Errorf("storage: http.access_log_filename: %w", err)
		}
		hs.access = al
	}
	if mc, err := conf.MetricsOf(s.cfg.Origin, s.cfg.BindAddr); err == nil && mc.Port != 0 {
		hs.metrics = s.MetricsRegistry()
	}
	hs.readPool.New = func() any { b := make([]byte, 0, 1024+smallReadMax); return &b }
	hs.handler = &httpHandler{hs: hs}
	s.http = hs
	return nil
}

// startHTTP runs the HTTP engine in the background (called by Serve).
func (s *Server) startHTTP() {
	hs := s.http
	if hs == nil {
		return
	}
	go func() {
		err := gnet.Run(hs.handler, "tcp://"+hs.listen,
			gnet.WithMulticore(s.multicore),
			gnet.WithTicker(true),
			gnet.WithReuseAddr(true),
			gnet.WithTCPKeepAlive(time.Minute),
			gnet.WithLogger(gnetLogger{s.log}),
		)
		hs.mu.Lock()
		hs.serveErr = err
		failed := hs.addr == nil
		hs.mu.Unlock()
		if failed { // Start reports it too; Serve alone would not
			s.log.Error("storage http server did not start", "addr", hs.listen, "err", err)
		}
		select {
		case <-hs.booted:
		default:
			close(hs.booted)
		}
		close(hs.done)
	}()
}

// waitHTTP waits until the HTTP engine listens (called by Start).
func (s *Server) waitHTTP() error {
	hs := s.http
	if hs == nil {
		return nil
	}
	<-hs.booted
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if hs.addr == nil {
		return fmt.Errorf("storage: http listen on %s: %v", hs.listen, hs.serveErr)
	}
	return nil
}

// stopHTTP stops the HTTP engine and waits for it (called by Serve once
// the binary engine has stopped, before the disk workers close).
func (s *Server) stopHTTP() {
	hs := s.http
	if hs == nil {
		return
	}
	select {
	case <-hs.booted:
	case <-hs.done:
	}
	hs.mu.Lock()
	eng := hs.engine
	hs.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := eng.Stop(ctx); err != nil && !errors.Is(err, gerrors.ErrEmptyEngine) &&
		!errors.Is(err, gerrors.ErrEngineInShutdown) {
		s.log.Warn("stop http engine", "err", err)
	}
	select {
	case <-hs.done:
	case <-ctx.Done():
		s.log.Warn("http engine did not stop in time")
	}
	// Fetch-through requests still running end on their own (their
	// sockets are closed by the engine); wait briefly so they do not
	// outlive the server's disks.
	for deadline := time.Now().Add(5 * time.Second); hs.proxying.Load() > 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if hs.access != nil {
		if err := hs.access.close(); err != nil {
			s.log.Warn("close http access log", "err", err)
		}
	}
}

// HTTPAddr is the address the HTTP server listens on (nil when HTTP is
// off or not started).
func (s *Server) HTTPAddr() net.Addr {
	if s.http == nil {
		return nil
	}
	s.http.mu.Lock()
	defer s.http.mu.Unlock()
	return s.http.addr
}

// httpHandler is the gnet side of the HTTP engine.
type httpHandler struct {
	gnet.BuiltinEventEngine
	hs *httpServer
}

func (h *httpHandler) OnBoot(eng gnet.Engine) gnet.Action {
	hs := h.hs
	hs.mu.Lock()
	hs.engine = eng
	if fd, err := eng.Dup(); err == nil {
		if f := os.NewFile(uintptr(fd), "listener"); f != nil {
			if ln, err := net.FileListener(f); err == nil {
				hs.addr = ln.Addr()
				ln.Close()
			}
			f.Close()
		}
	}
	hs.mu.Unlock()
	close(hs.booted)
	hs.s.log.Info("storage http listening", "addr", hs.addr, "url_have_group_name", hs.cfg.URLHaveGroupName,
		"response_mode", hs.cfg.ResponseMode, "check_token", hs.cfg.AntiStealCheckToken)
	return gnet.None
}

func (h *httpHandler) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	hc := h.hs.newConn(c)
	c.SetContext(hc)
	h.hs.conns.Store(hc, struct{}{})
	h.hs.stats.connCur.Add(1)
	return nil, gnet.None
}

// OnClose forgets the connection. A send that was waiting for gnet's
// buffer to drain never started: its file is closed here. (A running one
// belongs to its worker or goroutine, which closes what it holds.)
func (h *httpHandler) OnClose(c gnet.Conn, _ error) gnet.Action {
	if hc, ok := c.Context().(*httpConn); ok {
		if _, ok := h.hs.conns.LoadAndDelete(hc); ok {
			h.hs.stats.connCur.Add(-1)
		}
		if !hc.busy.Load() {
			hc.closeSend()
		}
	}
	return gnet.None
}

func (h *httpHandler) OnTraffic(c gnet.Conn) gnet.Action {
	hc, ok := c.Context().(*httpConn)
	if !ok {
		return gnet.Close
	}
	return h.hs.serve(hc, c)
}

// OnTick closes keep-alive connections idle for http.keepalive_timeout and
// requests whose head has not come in completely in that time; it also
// writes out the access log.
func (h *httpHandler) OnTick() (time.Duration, gnet.Action) {
	hs := h.hs
	now := time.Now().UnixNano()
	limit := int64(hs.cfg.KeepAliveTimeout)
	hs.conns.Range(func(k, _ any) bool {
		hc := k.(*httpConn)
		if !hc.busy.Load() && now-hc.lastActive.Load() > limit {
			_ = hc.conn.Close()
		}
		return true
	})
	if hs.access != nil {
		if err := hs.access.flush(); err != nil {
			hs.s.log.Warn("http access log", "err", err)
		}
	}
	return time.Second, gnet.None
}
