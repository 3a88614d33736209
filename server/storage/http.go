package storage

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"strconv"
	"time"
	"unsafe"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/conf"
	"github.com/gofdfs/gofdfs/diskio"
	"github.com/gofdfs/gofdfs/server/storage/report"
	"github.com/gofdfs/gofdfs/server/storage/web"
)

// The built-in HTTP download server lives in server/storage/web; this file
// is the storage's side of it: its settings from storage.conf, its life
// within the storage's, and httpCore, what it may ask of the storage.

// WithHTTPListenAddr overrides http.bind_addr:http.server_port, e.g.
// "127.0.0.1:0" in tests. HTTP still runs only when http.server_port is set.
func WithHTTPListenAddr(addr string) Option { return func(s *Server) { s.httpListen = addr } }

// newHTTP prepares the HTTP server when http.server_port is set (called
// from New).
func (s *Server) newHTTP() error {
	h := s.cfg.HTTP
	if !h.Enabled() && s.httpListen == "" {
		return nil
	}
	if !h.Enabled() {
		return errors.New("storage: WithHTTPListenAddr without http.server_port")
	}
	c := web.Config{HTTP: h, Listen: s.httpListen, Where: s.cfg.Where, Multicore: s.multicore,
		NetworkTimeout: s.cfg.NetworkTimeout, ConnectTimeout: s.cfg.ConnectTimeout,
		SmallReadMax: smallReadMax, Log: s.log, Gnet: gnetLogger{s.log}}
	// fetch-through connections bind to bind_addr with client_bind, as the
	// reporters' connections
	if ip, ok := report.ClientBindIP(s.cfg.BindAddr, s.cfg.ClientBind); ok {
		c.LocalIP = ip
	}
	// GET /metrics answers the storage's registry when metrics_port is set
	if mc, err := conf.MetricsOf(s.cfg.Origin, s.cfg.BindAddr); err == nil && mc.Port != 0 {
		reg := s.MetricsRegistry()
		c.Metrics = func(w io.Writer) error { return WriteMetrics(w, reg) }
	}
	hs, err := web.New(httpCore{s}, c)
	if err != nil {
		return err
	}
	s.http = hs
	return nil
}

// startHTTP runs the HTTP engine in the background (called by Serve).
func (s *Server) startHTTP() {
	if s.http != nil {
		s.http.Run()
	}
}

// waitHTTP waits until the HTTP engine listens (called by Start).
func (s *Server) waitHTTP() error {
	if s.http == nil {
		return nil
	}
	return s.http.Wait()
}

// stopHTTP stops the HTTP engine and waits for it (called by Serve once
// the binary engine has stopped, before the disk workers close).
func (s *Server) stopHTTP() {
	if s.http != nil {
		s.http.Stop()
	}
}

// HTTPAddr is the address the HTTP server listens on (nil when HTTP is
// off or not started).
func (s *Server) HTTPAddr() net.Addr {
	if s.http == nil {
		return nil
	}
	return s.http.Addr()
}

// httpCore is the storage as its HTTP server sees it (web.Core).
type httpCore struct{ s *Server }

func (c httpCore) Group() []byte { return c.s.group }

func (c httpCore) Now() time.Time { return c.s.now() }

func (c httpCore) CountStatus(status int) { c.s.metrics.CountHTTPStatus(status) }

// ParseName validates a name as the binary download does.
func (c httpCore) ParseName(remote []byte) (codec.RemoteFilename, web.Path, error) {
	var op pendingOp
	if err := c.s.parseNameView(&op, remote); err != nil {
		return op.rf, nil, err
	}
	return op.rf, op.path, nil
}

// SourceOf finds the storage a file was uploaded to in the group's member
// list (report.Peers.SourceOf), an unlisted address on our port.
func (c httpCore) SourceOf(f codec.NameFields) (netip.Addr, int, bool) {
	port := c.s.cfg.Port
	if a, ok := c.s.Addr().(*net.TCPAddr); ok {
		port = a.Port
	}
	return c.s.peers.SourceOf(f, port)
}

// IsMe: the address in this storage's new file names, or the one the
// trackers see.
func (c httpCore) IsMe(ip netip.Addr) bool {
	if c.s.sourceIP.IsValid() && c.s.sourceIP == ip {
		return true
	}
	my, ok := c.s.MyIP()
	return ok && my == ip
}

// AppendStatus is the storage's part of /status: the binary protocol's
// stat block, which the trackers get in BEATs.
func (c httpCore) AppendStatus(b []byte) []byte {
	s := c.s
	b = append(b, "\"group\":"...)
	b = strconv.AppendQuote(b, string(s.group))
	b = append(b, ",\"up_since\":"...)
	b = strconv.AppendInt(b, s.upTime.Unix(), 10)
	b = append(b, ",\"store_paths\":"...)
	b = strconv.AppendInt(b, int64(len(s.paths)), 10)
	b = append(b, ",\"storage\":{"...)
	b = s.stats.AppendJSON(b)
	return append(b, '}')
}

// OpenRead opens a file of the path for reading, through the path's
// open-file cache (web.Path).
func (p *storePath) OpenRead(rf *codec.RemoteFilename) (diskio.ReadFd, diskio.FileStat, error) {
	return p.disk.OpenReadFd(diskio.FileRef{High: int(rf.High), Low: int(rf.Low),
		Name: unsafe.String(unsafe.SliceData(rf.Name), len(rf.Name))})
}

// Send queues a sendfile job on one of the path's disk workers (web.Path).
func (p *storePath) Send(job diskio.SendJob) error { return p.workers.Pick().Send(job) }
