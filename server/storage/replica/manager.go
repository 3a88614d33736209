package replica

import (
	"context"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/conf"
	"github.com/gofdfs/gofdfs/server/storage/report"
	"github.com/gofdfs/gofdfs/server/storage/trunk"
)

// Storage statuses the pushers react to (cluster.md §3.1).
const (
	StatusInit      = 0
	StatusWaitSync  = 1
	StatusSyncing   = 2
	StatusIPChanged = 3
	StatusDeleted   = 4
	StatusOffline   = 5
	StatusActive    = 7
	StatusNone      = 99 // no status saved (recovery flag, unknown member)
)

// Peer is one member of the group as the leader tracker lists it: the
// reporter's type, so its member list (report.Peers) is the pushers'
// GroupView as it is.
type Peer = report.Peer

// GroupView is the leader's member list as the core keeps it.
type GroupView interface {
	// Members is the member list and its generation (moves on every change).
	Members() ([]Peer, uint64)
	// Leader is the leader tracker, when one is known.
	Leader() (Peer, bool)
}

// TrackerLinks is what the pushers need of the storage's tracker links.
type TrackerLinks interface {
	OwnID() string   // our storage id, "" while not known yet
	Addrs() []string // every tracker_server, host:port
	// Dial connects to a tracker or a peer storage (connect_timeout).
	Dial(addr string) (net.Conn, error)
	// Call sends one request on a short connection and reads the reply.
	Call(c net.Conn, cmd byte, body []byte, max int) (codec.Errno, []byte, error)
	Quit(c net.Conn) // sends QUIT and closes c
	Port() int       // the port clients reach us on
}

// LocalFile is what a logic name is here, ready to send: an open file and
// where the content lies in it, or a symlink's target logic name.
type LocalFile struct {
	File         *os.File
	Offset, Size int64
	LinkTarget   []byte // set (and File nil) for a symlink
}

// LocalFiles resolves this storage's logic names ("Mxx/HH/HH/name").
type LocalFiles interface {
	// Open resolves a name to its content (plain or trunk-resident) or its
	// link target. An error means the file is not here (gone since, or
	// unreadable): the record is skipped; malformed names are errors too.
	Open(logic []byte) (LocalFile, error)
	// Exists reports whether the name is a file (or link) here now.
	Exists(logic []byte) bool
}

// Counters takes the outbound sync byte counts (storage_stat.dat).
type Counters interface {
	SyncSent(n int64, ok bool)
}

// Host is everything the pushers use of the storage around them.
type Host struct {
	Conf   *conf.Storage
	UseIDs func() bool // storage ids name the peers (use_storage_id, cluster ids)
	Group  []byte
	Log    *slog.Logger
	Now    func() time.Time
	Binlog *Binlog
	// StorePaths is store_path_count: names outside it are not ours.
	StorePaths int
	View       GroupView
	Trackers   TrackerLinks
	Files      LocalFiles
	Counters   Counters
	// Trunk is the trunk side, for the trunk binlog pushers (nil: none).
	Trunk TrunkSide
}

// TrunkSide is what the trunk binlog pushers need of the storage.
type TrunkSide interface {
	Store() (*trunk.Store, error) // the trunk allocator and its binlog
	// IsTrunkServer: trunk files are on and a tracker names this storage
	// the group's trunk server.
	IsTrunkServer() bool
	IsMe(ip string, port int) bool // is this member this storage
}

// Manager keeps one pusher per other member of the group, following
// the leader's member list (cluster.md §3.3, §4.4).
type Manager struct {
	h      *Host
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	pushers map[string]*pusher // by peer id

	trunk trunkPushers // the trunk binlog's, while we are the trunk server
}

// Start starts the manager; it ends with ctx or Stop.
func Start(ctx context.Context, h *Host) *Manager {
	ctx, cancel := context.WithCancel(ctx)
	m := &Manager{h: h, ctx: ctx, cancel: cancel, pushers: map[string]*pusher{}}
	m.wg.Add(1)
	go m.run()
	return m
}

// Stop ends every pusher (each saves its mark) and waits for them.
func (m *Manager) Stop() {
	m.cancel()
	m.wg.Wait()
}

func (m *Manager) run() {
	defer m.wg.Done()
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	var gen uint64 = 1<<64 - 1
	for {
		members, g := m.h.View.Members()
		if g != gen && m.reconcile(members) {
			gen = g
		}
		if m.h.Trunk != nil {
			m.reconcileTrunk(members)
		}
		select {
		case <-m.ctx.Done():
			return
		case <-t.C:
		}
	}
}

// reconcile starts pushers for new members and stops those of members
// that left or were deleted (their marks are retired as C does).
func (m *Manager) reconcile(members []Peer) bool {
	own := m.h.Trackers.OwnID()
	if own == "" {
		return false // who we are is not known yet
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := map[string]bool{}
	for _, peer := range members {
		if peer.ID == "" || peer.ID == own {
			continue
		}
		seen[peer.ID] = true
		p := m.pushers[peer.ID]
		if peer.Status == StatusDeleted || peer.Status == StatusIPChanged {
			if p != nil {
				m.forget(peer.ID)
			}
			continue
		}
		if p == nil {
			p = m.newPusher(peer)
			m.pushers[peer.ID] = p
			m.wg.Add(1)
			go p.run()
		}
	}
	for id, p := range m.pushers {
		if !seen[id] {
			p.stop()
			delete(m.pushers, id)
		}
	}
	return true
}

// forget stops the pusher of a deleted (or renamed) peer and retires its
// mark as C does (<mark>.YYYYmmddHHMMSS): if the peer comes back, it gets
// everything again from the start of the binlog (capture 08). m.mu is held.
func (m *Manager) forget(id string) {
	path := MarkPath(m.h.Binlog.Dir(), MarkFileName(id, m.h.UseIDs(), m.h.Trackers.Port()))
	if p := m.pushers[id]; p != nil {
		p.stop() // saves the mark first
		delete(m.pushers, id)
	}
	if err := RetireMark(path, m.h.Now()); err != nil {
		m.h.Log.Warn("retire mark file", "peer", id, "err", err)
	}
}

// Changelog takes one entry of the trackers' storage changelog
// (CHANGELOG_REQ after beats): a member deleted or renamed loses its
// pusher and its mark.
func (m *Manager) Changelog(id string, status byte) {
	if status != StatusDeleted && status != StatusIPChanged || id == m.h.Trackers.OwnID() {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.forget(id)
}

// MinReadIndex is the lowest binlog file an open pusher reader is in
// (a large number when none is open): the compressor stops below it.
func (m *Manager) MinReadIndex() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	low := int(^uint(0) >> 1)
	for _, p := range m.pushers {
		if rd := p.openReader.Load(); rd != nil {
			low = min(low, rd.ReadingIndex())
		}
	}
	return low
}

// peer is the leader's current view of member id.
func (m *Manager) peer(id string) (Peer, bool) {
	members, _ := m.h.View.Members()
	for _, p := range members {
		if p.ID == id {
			return p, true
		}
	}
	return Peer{}, false
}
