// Package storage is the FastDFS storage server: a gnet event handler with a
// per-connection state machine (header, fixed fields, body), the client
// file operations on top of diskio, and the binlog every operation is
// recorded in. The event loops only frame, validate and answer from memory
// or the page cache; everything that may wait for a disk runs on the store
// path's disk workers, and large bodies never pass through gnet: the socket
// is detached for the body and re-attached after it (see conn.go).
package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/conf"
	"github.com/gofdfs/gofdfs/diskio"
	"github.com/gofdfs/gofdfs/server/internal/engine"
	"github.com/gofdfs/gofdfs/server/storage/placement"
	"github.com/gofdfs/gofdfs/server/storage/prom"
	"github.com/gofdfs/gofdfs/server/storage/replica"
	"github.com/gofdfs/gofdfs/server/storage/trunk"
	"github.com/gofdfs/gofdfs/server/storage/web"
)

// Option configures a Server.
type Option func(*Server)

// WithLogger sets the structured logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// WithClock replaces time.Now (binlog timestamps, regenerated names,
// .data_init_flag).
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithListenAddr overrides bind_addr:port, e.g. "127.0.0.5:0" in tests.
func WithListenAddr(addr string) Option { return func(s *Server) { s.listen = addr } }

// WithParams sets the tracker-learned parameters.
func WithParams(p Params) Option { return func(s *Server) { s.params = p } }

// WithSourceIP fixes the IPv4 address written into new file names. Without
// it the address the client reached us on is used (what a tracker would
// report back to a storage bound to one address).
func WithSourceIP(ip netip.Addr) Option { return func(s *Server) { s.sourceIP = ip } }

// WithReporting turns the tracker reporters on or off (default on: one per
// tracker_server, see package report). Off, the storage serves clients with the
// parameters of WithParams and never talks to a tracker.
func WithReporting(on bool) Option { return func(s *Server) { s.reporting = on } }

// WithMulticore runs engine.Loops() event loops (default true), else one.
func WithMulticore(on bool) Option { return func(s *Server) { s.multicore = on } }

// WithSmallBody sets the largest body that is buffered by the event loop and
// written by a worker from a copy; larger bodies are received by a worker
// straight from the detached socket. Default smallBodyDefault.
func WithSmallBody(n int) Option { return func(s *Server) { s.smallBody = n } }

// smallBodyDefault: bodies up to this size are copied once from gnet's
// buffer instead of detaching the socket. 256 KiB is C's buff_size: a body
// that fits C's network buffer is what C, too, handles in one piece.
const smallBodyDefault = 256 << 10

// smallReadMax is the largest download answered on the event loop from
// the page cache (preadv2 RWF_NOWAIT); larger ones go to a worker's sendfile.
const smallReadMax = 64 << 10

// storePath is one store_pathN with its disk workers and cached free space.
type storePath struct {
	index   int
	disk    *diskio.StorePath
	workers *diskio.WorkerGroup
	// room is its free space as uploads weigh it and the directory of
	// its last new file (placement.Room).
	room placement.Room
}

// Server is one storage.
type Server struct {
	cfg       *conf.Storage
	log       *slog.Logger
	now       func() time.Time
	listen    string
	multicore bool
	params    Params
	sourceIP  netip.Addr
	smallBody int

	group  []byte // group_name
	paths  []*storePath
	binlog *replica.Binlog

	// maxRequest is the largest non-streamed request body (buff_size minus
	// the header): C needs those in one network buffer.
	maxRequest int64

	counters counters

	// live are the parameters in force (params until a tracker's
	// PARAMETER_REQ reply replaces them); myIP is this storage's address as
	// the trackers see it (GET_MY_IP), nil until learned.
	live      atomic.Pointer[Params]
	myIP      atomic.Pointer[netip.Addr]
	stats     opStats                     // BEAT stat block counters
	reporting bool                        // run the tracker reporters (default true)
	upTime    time.Time                   // process start, JOIN's up_time
	rep       *reporters                  // the tracker reporters while running
	peers     peerView                    // leader and group members from change notices
	tap       func(cmd byte, body []byte) // tests: every request a reporter sends

	onChangelog func(ChangelogEntry) // OnChangelog
	synced      replica.Credits      // newest source timestamp received per peer (SYNC_REPORT)
	statKept    map[string]int64     // storage_stat.dat values we do not count ourselves
	lastStats   time.Time            // last storage_stat.dat write (ticker goroutine only)

	metrics *prom.Metrics // histograms, HTTP answers, disk busy time, scrub results (metrics.go)

	http       *web.Server // the HTTP download server (web, wired in http.go); nil when off
	trunk      trunk.Side  // trunk-resident files (package trunk; hooks in trunk_side.go)
	httpListen string      // WithHTTPListenAddr

	// conns are the attached connections, for the network_timeout sweep.
	conns     sync.Map  // *connState -> struct{}
	lastSync  time.Time // last binlog fsync (ticker goroutine only)
	dist      *placement.Distributor
	nextPath  atomic.Uint32 // round robin over store paths for index 0xFF
	bodyPool  sync.Pool     // *[]byte of smallBody capacity
	readPool  sync.Pool     // *[]byte of header + smallReadMax capacity
	handler   *eventHandler
	booted    chan struct{}
	done      chan struct{}
	mu        sync.Mutex
	engine    gnet.Engine
	addr      net.Addr
	serveErr  error
	closeOnce sync.Once
}

// New opens the store paths (creating their trees on first start), the
// binlog and the .data_init_flag, and starts one disk worker group per
// store path. Nothing listens until Start or Serve.
func New(cfg *conf.Storage, opts ...Option) (*Server, error) {
	if cfg == nil {
		return nil, errors.New("storage: nil config")
	}
	s := &Server{cfg: cfg, log: slog.Default(), now: time.Now, multicore: true,
		params: DefaultParams(), smallBody: smallBodyDefault, reporting: true, metrics: prom.New(),
		booted: make(chan struct{}), done: make(chan struct{})}
	for _, o := range opts {
		o(s)
	}
	if s.listen == "" {
		s.listen = net.JoinHostPort(cfg.BindAddr, strconv.Itoa(cfg.Port))
	}
	if !codec.ValidGroupName([]byte(cfg.GroupName)) {
		return nil, fmt.Errorf("storage: group_name %q: need 1..16 of [A-Za-z0-9] (no tracker lookup yet)", cfg.GroupName)
	}
	if cfg.BasePath == "" || len(cfg.StorePaths) == 0 {
		return nil, errors.New("storage: base_path and at least one store path are required")
	}
	if s.params.UseStorageID {
		id, err := strconv.ParseUint(s.params.StorageID, 10, 32)
		if err != nil || id == 0 || id > 0xFFFFFF {
			return nil, fmt.Errorf("storage: storage id %q: need 1..16777215", s.params.StorageID)
		}
	}
	if s.params.ResponseIPSize != codec.IPv4AddrSize {
		s.params.ResponseIPSize = codec.IPv6AddrSize
	}
	live := s.params
	s.live.Store(&live)
	s.upTime = s.now()
	s.group = []byte(cfg.GroupName)
	s.maxRequest = cfg.BuffSize - codec.HeaderSize
	if s.maxRequest <= 0 {
		s.maxRequest = 256<<10 - codec.HeaderSize
	}
	s.dist = placement.NewDistributor(cfg.FileDistributePathMode, cfg.FileDistributeRotateCount,
		cfg.SubdirCountPerPath, diskio.DefaultSubdirCount)
	s.bodyPool.New = func() any { b := make([]byte, 0, s.smallBody); return &b }
	s.readPool.New = func() any { b := make([]byte, 0, codec.HeaderSize+smallReadMax); return &b }

	dataDir := filepath.Join(cfg.BasePath, "data")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	if err := loadOrInitDataFlag(dataDir, s.now(), cfg.Port); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			s.closeDisks()
		}
	}()
	for i, p := range cfg.StorePaths {
		sp, err := diskio.Open(p.Path, diskio.Options{SubdirCount: s.dist.Subdirs(), ReadOnly: p.ReadOnly})
		if err != nil {
			return nil, fmt.Errorf("storage: store_path%d: %w", i, err)
		}
		if n, err := sp.SweepTemp(time.Now()); err != nil {
			s.log.Warn("sweep temp files", "store_path", sp.Root(), "err", err)
		} else if n > 0 {
			s.log.Info("removed temp files left by a crash", "store_path", sp.Root(), "count", n)
		}
		workers := max(1, cfg.DiskReaderThreads+cfg.DiskWriterThreads)
		g, err := diskio.NewWorkerGroup(workers, diskio.WorkerOptions{
			Name: sp.Root(), IdleTimeout: cfg.NetworkTimeout}, nil)
		if err != nil {
			return nil, fmt.Errorf("storage: store_path%d workers: %w", i, err)
		}
		s.paths = append(s.paths, &storePath{index: i, disk: sp, workers: g})
	}
	if err := s.checkStorePathMarks(dataDir); err != nil {
		return nil, err
	}
	b, err := replica.OpenBinlog(dataDir)
	if err != nil {
		return nil, err
	}
	s.binlog = b
	s.loadStats(dataDir)
	s.configureTrunk()
	s.handler = &eventHandler{srv: s}
	if err := s.newHTTP(); err != nil {
		return nil, err
	}
	ok = true
	return s, nil
}

// Serve runs the storage until ctx ends or Stop is called; it closes the
// workers and the binlog when the engine has stopped.
func (s *Server) Serve(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Stop(sctx)
	})
	defer stop()
	s.startHTTP()
	err := engine.Run(s.handler, engine.Config{Addr: s.listen, Multicore: s.multicore, Ticker: true,
		KeepAlive: time.Minute, Logger: s.log})
	s.stopReporting()
	s.stopHTTP()
	s.mu.Lock()
	s.serveErr = err
	s.mu.Unlock()
	select {
	case <-s.booted:
	default:
		close(s.booted)
	}
	s.closeDisks()
	close(s.done)
	return err
}

// closeDisks stops the workers (failing transfers still running) and closes
// the binlog.
func (s *Server) closeDisks() {
	s.closeOnce.Do(func() {
		for _, p := range s.paths {
			if err := p.workers.Close(); err != nil {
				s.log.Warn("close disk workers", "store_path", p.disk.Root(), "err", err)
			}
			p.disk.CloseOpenFiles() // the download cache's descriptors
		}
		s.closeTrunk()
		if err := s.saveStats(); err != nil {
			s.log.Warn("save counters", "err", err)
		}
		if s.binlog != nil {
			if err := s.binlog.Close(); err != nil {
				s.log.Error("close binlog", "err", err)
			}
		}
	})
}

// Start runs Serve in the background and returns once the storage listens.
func (s *Server) Start() error {
	go func() { _ = s.Serve(context.Background()) }()
	<-s.booted
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.addr == nil {
		if s.serveErr != nil {
			return fmt.Errorf("storage: listen on %s: %w", s.listen, s.serveErr)
		}
		return fmt.Errorf("storage: listen on %s failed", s.listen)
	}
	if err := s.waitHTTP(); err != nil {
		s.mu.Unlock() // Stop takes it
		_ = s.Stop(context.Background())
		s.mu.Lock()
		return err
	}
	return nil
}

// Stop shuts the engine down and waits until Serve has closed everything.
func (s *Server) Stop(ctx context.Context) error {
	select {
	case <-s.booted:
	case <-ctx.Done():
		return ctx.Err()
	}
	s.stopReporting()
	s.mu.Lock()
	eng := s.engine
	s.mu.Unlock()
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

// maxPipelined is the most bytes a connection may have buffered while a
// worker holds its current request: one small body and one whole request.
func (s *Server) maxPipelined() int { return s.smallBody + int(s.maxRequest) + 2*codec.HeaderSize }

// Addr is the address the storage listens on (after Start).
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

func (s *Server) boot(eng gnet.Engine) {
	s.mu.Lock()
	s.engine = eng
	if fd, err := eng.Dup(); err == nil {
		if f := os.NewFile(uintptr(fd), "listener"); f != nil {
			if ln, err := net.FileListener(f); err == nil {
				s.addr = ln.Addr()
				ln.Close()
			}
			f.Close()
		}
	}
	s.mu.Unlock()
	close(s.booted)
	s.log.Info("storage listening", "addr", s.addr, "group", string(s.group), "store_paths", len(s.paths))
	s.startReporting()
}

// tick runs on gnet's ticker goroutine once a second: the binlog fsync of
// sync_binlog_buff_interval, and the network_timeout rule: a connection
// whose request has been incomplete for that long is closed (C's
// libserverframe does the same; idle connections between requests are
// kept, clients pool them).
func (s *Server) tick() time.Duration {
	now := time.Now()
	if iv := s.cfg.SyncBinlogBuffInterval; now.Sub(s.lastSync) >= iv {
		s.lastSync = now
		if err := s.binlog.Sync(); err != nil {
			s.log.Error("binlog fsync", "err", err)
		}
	}
	if now.Sub(s.lastStats) >= s.cfg.SyncStatFileInterval {
		s.lastStats = now
		if err := s.saveStats(); err != nil {
			s.log.Warn("save counters", "err", err)
		}
	}
	if limit := s.cfg.NetworkTimeout; limit > 0 {
		s.conns.Range(func(k, _ any) bool {
			cs := k.(*connState)
			if cs.partial.Expired(now, limit) {
				s.log.Info("request incomplete for network_timeout, closing", "peer", cs.peer)
				_ = cs.conn.Close()
			}
			return true
		})
	}
	return time.Second
}

// counters say which data path requests took (for tests and, later, the
// stat reports).
type counters struct {
	detachedBodies atomic.Int64 // bodies received by a worker from a detached socket
	workerSends    atomic.Int64 // downloads sent by a worker with sendfile
	loopReads      atomic.Int64 // downloads answered on the loop from the page cache
	loopWrites     atomic.Int64 // small bodies written on the loop
}

// gnetLogger routes gnet's own messages to slog (the HTTP engine's, until
// it runs through engine.Run and its engine.Logger).
type gnetLogger struct{ l *slog.Logger }

func (g gnetLogger) Debugf(f string, a ...any) { engine.Logger{L: g.l}.Debugf(f, a...) }
func (g gnetLogger) Infof(f string, a ...any)  { engine.Logger{L: g.l}.Infof(f, a...) }
func (g gnetLogger) Warnf(f string, a ...any)  { engine.Logger{L: g.l}.Warnf(f, a...) }
func (g gnetLogger) Errorf(f string, a ...any) { engine.Logger{L: g.l}.Errorf(f, a...) }
func (g gnetLogger) Fatalf(f string, a ...any) { engine.Logger{L: g.l}.Fatalf(f, a...) }

// prm returns the parameters in force (never nil after New).
func (s *Server) prm() *Params { return s.live.Load() }
