package storage

import (
	"net"
	"net/netip"
	"path/filepath"
	"sync"
	"time"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/server/storage/replica"
	"github.com/gofdfs/gofdfs/server/storage/report"
)

// The tracker side (JOIN, beats, disk and sync reports, the trunk server's
// reports, .data_init_flag) lives in package report; this file is what it
// sees of the storage (reportHost) and its lifecycle here.

type (
	// Params are what a C storage learns from its tracker (report.Params).
	Params = report.Params
	// Peer is a group member or the leader tracker (report.Peer).
	Peer = report.Peer
	// ChangelogEntry is a tracker's changelog line about our group.
	ChangelogEntry = report.ChangelogEntry
)

// DefaultParams are the values before any tracker reply.
func DefaultParams() Params { return report.DefaultParams() }

// Storage statuses (cluster.md §3.1) of the core and its recovery.
const (
	statusInit    = report.StatusInit
	statusOffline = report.StatusOffline
	statusOnline  = report.StatusOnline
	statusActive  = report.StatusActive
)

// dataInitFlagName is the storage-local sync state file (cluster.md §4.8).
const dataInitFlagName = report.DataFlagName

// peerView is the leader tracker and the group's member list as change
// notices tell them (the reporter fills it; the core and its HTTP and
// replication glue read it).
type peerView = report.Peers

// loadOrInitDataFlag checks .data_init_flag, writing it on the first start.
func loadOrInitDataFlag(dataDir string, now time.Time, port int) error {
	return report.InitDataFlag(dataDir, now, port)
}

// checkStorePathMarks compares every store path's mark with the flag's
// (report.CheckStorePathMarks); a path that lost its data gets disk
// recovery.
func (s *Server) checkStorePathMarks(dataDir string) error {
	return report.CheckStorePathMarks(s.cfg, dataDir, s.diskPaths(), s.log, startPathRecovery)
}

// OnChangelog sets fn to receive the changelog entries of our group the
// trackers send after beats (the replication code renames mark files and
// clears its sync source with them). Set it before Start.
func OnChangelog(fn func(ChangelogEntry)) Option { return func(s *Server) { s.onChangelog = fn } }

// reporters is the tracker side while it runs: the reporter, and what
// shares its links and its life (the sync pushers, the binlog compressor,
// disk recovery before the first JOIN). The reporter is also the pushers'
// and disk recovery's replica.TrackerLinks.
type reporters struct {
	s       *Server
	rep     *report.Reporter
	pushers *replica.Manager
	wg      sync.WaitGroup // the binlog compressor
}

// newReporters sets up the reporter on port (the port clients reach us
// on); nothing runs before startReporting.
func (s *Server) newReporters(port int) (*reporters, error) {
	r := &reporters{s: s}
	c := s.cfg
	rep, err := report.New(report.Config{TrackerServers: c.TrackerServers, HeartBeatInterval: c.HeartBeatInterval,
		StatReportInterval: c.StatReportInterval, ConnectTimeout: c.ConnectTimeout, NetworkTimeout: c.NetworkTimeout,
		BindAddr: c.BindAddr, ClientBind: c.ClientBind, ServerID: c.ServerID, UploadPriority: c.UploadPriority,
		Group: s.group, Port: port, StorePaths: len(s.paths), Subdirs: s.dist.Subdirs(), UpTime: s.upTime,
		DataDir: filepath.Join(c.BasePath, "data"), Log: s.log, Peers: &s.peers,
		Host: reportHost{s, r}, Trunk: reportHost{s, r}, Tap: s.tap})
	if err != nil {
		return nil, err
	}
	r.rep = rep
	return r, nil
}

// startReporting starts the reporter (called once the engine listens).
func (s *Server) startReporting() {
	if !s.reporting || len(s.cfg.TrackerServers) == 0 {
		return
	}
	port := s.cfg.Port
	if a, ok := s.addr.(*net.TCPAddr); ok && a != nil {
		port = a.Port
	}
	r, err := s.newReporters(port)
	if err != nil {
		s.log.Error("tracker reporters not started", "err", err)
		return
	}
	s.mu.Lock()
	s.rep = r
	s.mu.Unlock()
	r.pushers = s.startPushers(r)
	r.rep.Start()
	if s.cfg.CompressBinlog {
		r.wg.Add(1)
		go r.runBinlogCompressor()
	}
}

// stopReporting sends QUIT on the report connections, closes them and waits
// for the reporter, the pushers (each saves its mark) and the compressor.
func (s *Server) stopReporting() {
	s.mu.Lock()
	r := s.rep
	s.rep = nil
	s.mu.Unlock()
	if r == nil {
		return
	}
	r.rep.Stop()
	if r.pushers != nil {
		r.pushers.Stop()
	}
	r.wg.Wait()
}

// NoteSyncProgress tells the reporter that there are new sync timestamps
// to report (SYNC_REPORT goes out with the next beat).
func (s *Server) NoteSyncProgress() {
	s.mu.Lock()
	r := s.rep
	s.mu.Unlock()
	if r != nil {
		r.rep.NoteSyncProgress()
	}
}

// SyncSource is this storage's full-copy setup from .data_init_flag: whether
// it is done (SYNC_DEST_REQ answered), the source storage id (empty: none)
// and the until timestamp.
func (s *Server) SyncSource() (done bool, src string, until int64) {
	s.mu.Lock()
	r := s.rep
	s.mu.Unlock()
	if r == nil {
		return false, "", 0
	}
	return r.rep.SyncSource()
}

// Leader is the leader tracker from the last change notice that named one
// (ok false when none is known).
func (s *Server) Leader() (p Peer, ok bool) { return s.peers.Leader() }

// Members is the group member list from the leader's last change notice
// (this storage included), and a generation number that changes with it.
func (s *Server) Members() ([]Peer, uint64) { return s.peers.Members() }

// MyIP is this storage's address as the trackers see it (GET_MY_IP); ok is
// false until a tracker answered.
func (s *Server) MyIP() (ip netip.Addr, ok bool) {
	if p := s.myIP.Load(); p != nil {
		return *p, true
	}
	return netip.Addr{}, false
}

// reportHost is the storage as package report sees it.
type reportHost struct {
	s *Server
	r *reporters
}

func (h reportHost) LearnIP(ip netip.Addr) bool        { return h.s.myIP.CompareAndSwap(nil, &ip) }
func (h reportHost) RecoverPaths() bool                { return h.r.recoverPaths() }
func (h reportHost) SyncedFrom(id string) int64        { return h.s.SyncedFrom(id) }
func (h reportHost) MyIP() (netip.Addr, bool)          { return h.s.MyIP() }
func (h reportHost) Params() Params                    { return *h.s.prm() }
func (h reportHost) SetParams(p Params)                { h.s.live.Store(&p) }
func (h reportHost) StatsGen() int64                   { return h.s.stats.Gen() }
func (h reportHost) Stats(b *codec.StatBlock)          { h.s.stats.Snapshot(b) }
func (h reportHost) TrunkParams(p codec.Parameters)    { h.s.noteTrunkParams(p) }
func (h reportHost) TrunkNotice(n *codec.ChangeNotice) { h.s.noteTrunkServer(n) }

func (h reportHost) DiskUsage() []codec.PathUsage {
	return report.DiskUsageOf(h.s.diskPaths(), h.s.log)
}

func (h reportHost) Changelog(e ChangelogEntry) {
	if h.r.pushers != nil {
		// a member deleted or renamed loses its pusher and its mark
		h.r.pushers.Changelog(e.ID, e.Status)
	}
	if h.s.onChangelog != nil {
		h.s.onChangelog(e)
	}
}

func (h reportHost) TrunkFree() (int64, bool, error) {
	if !h.s.trunk.On() || !h.s.isTrunkServer() {
		return 0, false, nil
	}
	st, err := h.s.trunkStore()
	if err != nil {
		return 0, true, err
	}
	return st.FreeBytes(), true, nil
}

func (h reportHost) ContainerID() int32 { return h.s.trunk.ContainerID() }

func (h reportHost) RaiseContainerID(id int32) { h.s.trunk.RaiseContainerID(id) }
