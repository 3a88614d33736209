package storage

import (
	"context"
	"sync"
	"time"

	"github.com/gofdfs/gofdfs/server/storage/replica"
)

// Storage statuses the pushers react to (cluster.md §3.1).
const (
	statusWaitSync  = 1
	statusSyncing   = 2
	statusIPChanged = 3
	statusDeleted   = 4
)

// syncManager keeps one pusher per other member of the group, following
// the leader's member list (cluster.md §3.3, §4.4).
type syncManager struct {
	s      *Server
	r      *reporters
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	pushers map[string]*pusher // by peer id

	trunk trunkPushers // the trunk binlog's, while we are the trunk server
}

// startPushers starts the manager with the reporters (it needs their
// tracker links and our id).
func (s *Server) startPushers(r *reporters) *syncManager {
	ctx, cancel := context.WithCancel(r.ctx)
	m := &syncManager{s: s, r: r, ctx: ctx, cancel: cancel, pushers: map[string]*pusher{}}
	m.wg.Add(1)
	go m.run()
	return m
}

// stop ends every pusher (each saves its mark) and waits for them.
func (m *syncManager) stop() {
	m.cancel()
	m.wg.Wait()
}

func (m *syncManager) run() {
	defer m.wg.Done()
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	var gen uint64 = 1<<64 - 1
	for {
		members, g := m.s.Members()
		if g != gen && m.reconcile(members) {
			gen = g
		}
		m.reconcileTrunk(members)
		select {
		case <-m.ctx.Done():
			return
		case <-t.C:
		}
	}
}

// reconcile starts pushers for new members and stops those of members
// that left or were deleted (their marks are retired as C does).
func (m *syncManager) reconcile(members []Peer) bool {
	own := m.r.ownID(nil)
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
		if peer.Status == statusDeleted || peer.Status == statusIPChanged {
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
func (m *syncManager) forget(id string) {
	path := replica.MarkPath(m.s.binlog.Dir(), replica.MarkFileName(id, m.s.prm().UseStorageID || m.s.prm().ClusterIDs, m.r.port))
	if p := m.pushers[id]; p != nil {
		p.stop() // saves the mark first
		delete(m.pushers, id)
	}
	if err := replica.RetireMark(path, m.s.now()); err != nil {
		m.s.log.Warn("retire mark file", "peer", id, "err", err)
	}
}

// changelog takes the trackers' storage changelog (CHANGELOG_REQ after
// beats): a member deleted or renamed loses its pusher and its mark.
func (m *syncManager) changelog(e ChangelogEntry) {
	if e.Status != statusDeleted && e.Status != statusIPChanged || e.ID == m.r.ownID(nil) {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.forget(e.ID)
}

// peer is the leader's current view of member id.
func (m *syncManager) peer(id string) (Peer, bool) {
	members, _ := m.s.Members()
	for _, p := range members {
		if p.ID == id {
			return p, true
		}
	}
	return Peer{}, false
}
