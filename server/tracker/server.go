// Package tracker is the FastDFS tracker server: a gnet event handler that
// frames and dispatches the tracker protocol, the in-memory cluster state
// (groups, storages, the status machine, sync timestamps), the selection
// policies of client queries, and persistence in C's state-file formats, so
// that a C tracker can take over our data directory and back.
package tracker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/conf"
	"github.com/gofdfs/gofdfs/server/internal/engine"
	"github.com/gofdfs/gofdfs/server/metrics"
)

// Option configures a Server.
type Option func(*Server)

// WithLogger sets the structured logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// WithClock replaces time.Now, so tests can move time past heartbeat limits.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithListenAddr overrides bind_addr:port, e.g. "127.0.0.5:0" in tests; port
// 0 picks a free port (see Server.Addr).
func WithListenAddr(addr string) Option { return func(s *Server) { s.listen = addr } }

// WithMulticore runs engine.Loops() event loops (default true), else one.
func WithMulticore(on bool) Option { return func(s *Server) { s.multicore = on } }

// Server is one tracker.
type Server struct {
	cfg       *conf.Tracker
	log       *slog.Logger
	now       func() time.Time
	listen    string
	multicore bool

	reg *registry

	// dialect is the shape of client-facing replies: IP width from
	// response_ip_addr_size, list and FETCH_ALL layouts from our
	// response_list_dialect.
	dialect codec.Dialect

	// maxBody is the largest request body accepted: the C tracker closes a
	// connection whose packet (header included) exceeds max_buff_size.
	maxBody int64

	handler   *eventHandler
	replies   *sync.Pool // reply buffers of the connections
	booted    chan struct{}
	done      chan struct{}
	mu        sync.Mutex
	engine    gnet.Engine
	addr      netip.AddrPort // bound address, known after boot
	learnedIP netip.Addr     // own IP learned from the first JOIN when bound to all addresses
	serveErr  error
	startedAt time.Time

	// periodic work, see tick
	lastCheck time.Time
	// statusSlot is the 300 s wall-clock slot .tracker_status was last
	// written in (C writes it at multiples of 300 s, never at shutdown).
	statusSlot int64

	// cl is the tracker cluster: members, leader, election.
	cl             *cluster
	cmdTimes       *metrics.Commands // request durations (metrics_extra.go)
	leaderInterval time.Duration
	// restartInterval is how long the previous run had been down when we
	// started, rounded down to 300 s (GET_STATUS).
	restartInterval int64
	// prevCheck is last_check_time of the previous run's .tracker_status.
	prevCheck int64
	sys       sysFiles
	// trunkElect runs the trunk-server elections (trunk_elect.go).
	trunkElect trunkElections

	conns connCounters
	// stalled holds the open connections for the network_timeout sweep.
	stalled stalledConns
	peers   peerSet // open connections to other trackers

	stopping chan struct{} // closed when the engine stops: ends the loop
	loopDone chan struct{}
}

// New builds a tracker from its configuration and loads the state files
// under base_path/data (a missing directory is a fresh tracker).
func New(cfg *conf.Tracker, opts ...Option) (*Server, error) {
	if cfg == nil {
		return nil, errors.New("tracker: nil config")
	}
	s := &Server{cfg: cfg, log: slog.Default(), now: time.Now, multicore: true,
		booted: make(chan struct{}), done: make(chan struct{}),
		cl: newCluster(), leaderInterval: time.Second, peers: newPeerSet(),
		stopping: make(chan struct{}), loopDone: make(chan struct{}), cmdTimes: newCommandTimes()}
	for _, o := range opts {
		o(s)
	}
	if s.listen == "" {
		s.listen = net.JoinHostPort(cfg.BindAddr, strconv.Itoa(cfg.Port))
	}
	d, err := replyDialect(cfg)
	if err != nil {
		return nil, err
	}
	s.dialect = d
	maxPkg, _, _ := cfg.NetBuffers()
	s.maxBody = maxPkg - headerSize
	var store *stateFiles
	if cfg.BasePath != "" {
		store = newStateFiles(cfg)
	}
	s.reg = newRegistry(cfg, s.log, s.now, store)
	if store != nil {
		if err := s.reg.load(); err != nil {
			return nil, fmt.Errorf("tracker: load state from %s: %w", store.dir, err)
		}
		if s.prevCheck, err = store.lastCheckTime(); err != nil {
			return nil, fmt.Errorf("tracker: %s: %w", trackerStatusFile, err)
		}
	}
	s.handler = &eventHandler{srv: s}
	s.replies = newReplyPool()
	return s, nil
}

// replyDialect derives the client reply shape from the configuration. The
// current layouts take their IP width from response_ip_addr_size; the older
// ones fix it (V6.11-V6.14: 46, older: 16).
func replyDialect(cfg *conf.Tracker) (codec.Dialect, error) {
	d, err := codec.ParseDialect(cfg.ResponseListDialect)
	if err != nil {
		return codec.Dialect{}, fmt.Errorf("tracker: response_list_dialect: %w", err)
	}
	if d.List == codec.ListV6_15 {
		d.IPSize = codec.IPSize(cfg.ResponseIPAddrSize.Width(cfg.UseStorageID, cfg.StorageIDs))
	}
	return d, nil
}

// Serve runs the tracker until ctx ends or Stop is called.
func (s *Server) Serve(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Stop(sctx)
	})
	defer stop()
	s.mu.Lock()
	s.startedAt = s.now()
	s.lastCheck = s.startedAt
	s.statusSlot = s.startedAt.Unix() / statusRounding
	if s.prevCheck > 0 && s.startedAt.Unix() > s.prevCheck {
		s.restartInterval = (s.startedAt.Unix() - s.prevCheck) / statusRounding * statusRounding
	}
	s.mu.Unlock()
	err := engine.Run(s.handler, engine.Config{Addr: s.listen, Multicore: s.multicore, Ticker: true,
		KeepAlive: time.Minute, Logger: s.log})
	s.mu.Lock()
	s.serveErr = err
	s.mu.Unlock()
	select {
	case <-s.booted:
	default:
		close(s.booted) // boot failed: wake Start
	}
	s.peers.stop()
	close(s.stopping)
	s.mu.Lock()
	looping := s.addr.IsValid()
	s.mu.Unlock()
	if looping {
		<-s.loopDone
	}
	if serr := s.reg.persist(); serr != nil {
		s.log.Error("save state on shutdown", "err", serr)
	}
	close(s.done)
	return err
}

// Start runs Serve in the background and returns once the tracker listens.
func (s *Server) Start() error {
	go func() { _ = s.Serve(context.Background()) }()
	<-s.booted
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.addr.IsValid() {
		if s.serveErr != nil {
			return fmt.Errorf("tracker: listen on %s: %w", s.listen, s.serveErr)
		}
		return fmt.Errorf("tracker: listen on %s failed", s.listen)
	}
	return nil
}

// Stop shuts the engine down, closes every connection and saves the state.
func (s *Server) Stop(ctx context.Context) error {
	select {
	case <-s.booted:
	case <-ctx.Done():
		return ctx.Err()
	}
	s.mu.Lock()
	eng := s.engine
	s.mu.Unlock()
	// a JOIN pulling state files holds an event loop: cut its connection
	s.peers.stop()
	if err := engine.Stop(ctx, eng); err != nil {
		return err
	}
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Addr is the address the tracker listens on ("ip:port"), valid after Start.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr.String()
}

// port is the port the tracker listens on.
func (s *Server) port() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int(s.addr.Port())
}

// boot records the engine and the bound address (port 0 picks one).
func (s *Server) boot(eng gnet.Engine) {
	defer close(s.booted)
	addr, err := engine.BoundAddr(eng)
	if err != nil {
		s.log.Error("cannot read the listening address", "err", err)
	}
	s.mu.Lock()
	s.engine, s.addr = eng, addr
	s.mu.Unlock()
	if addr.IsValid() {
		go s.leaderLoop()
	}
	s.log.Info("tracker listening", "addr", addr.String(), "multicore", s.multicore)
}
