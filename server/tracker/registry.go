package tracker

import (
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gofdfs/gofdfs/conf"
)

// registry is the tracker's cluster state: groups, their storages, the
// changelog. Queries are answered from it and reports update it.
//
// Concurrency: gnet runs one event loop per core and any of them may touch
// any group (a client's query and a storage's beat land on different
// loops), so the registry is guarded by one mutex rather than owned by one
// loop. Every critical section is short, in-memory work (state files are
// written under the lock too, as C does, but only on membership and status
// changes, never on the query path); with at most a few thousand storages
// and queries of a few hundred nanoseconds, one lock costs less than handing
// requests between loops would.
type registry struct {
	mu  sync.Mutex
	cfg *conf.Tracker
	log *slog.Logger
	now func() time.Time

	groups map[string]*group
	sorted []*group // by name: LIST_ALL_GROUPS order and store_lookup index space

	currentWriteGroup int

	// changelog is storage_changelog.dat as on disk; storages read it from
	// their changelog_offset.
	changelog []byte

	// store is where state files live; nil keeps everything in memory.
	store *stateFiles

	// syncReports counts SYNC_REPORTs; every 1000th rewrites the timestamp file.
	syncReports int

	// loadedAs maps, while state files load, a storage's key in the files
	// (group + "/" + id) to its id now: a tracker switched to storage ids
	// finds IP-keyed records and converts them, as C does.
	loadedAs map[string]string
}

func newRegistry(cfg *conf.Tracker, log *slog.Logger, now func() time.Time, store *stateFiles) *registry {
	return &registry{cfg: cfg, log: log, now: now, groups: map[string]*group{}, store: store}
}

func (r *registry) unix() int64 { return r.now().Unix() }

// group returns the named group or nil; name is a wire field, the lookup
// does not allocate.
func (r *registry) group(name []byte) *group {
	return r.groups[string(name)]
}

// addGroup creates a group and keeps the name order.
func (r *registry) addGroup(name string) *group {
	g := newGroup(name, r.cfg.StoreServer)
	r.groups[name] = g
	i, _ := slices.BinarySearchFunc(r.sorted, name, func(g *group, n string) int { return strings.Compare(g.name, n) })
	r.sorted = slices.Insert(r.sorted, i, g)
	if r.currentWriteGroup >= len(r.sorted) {
		r.currentWriteGroup = 0
	}
	return g
}

// removeGroup drops a group (DELETE_GROUP).
func (r *registry) removeGroup(g *group) {
	delete(r.groups, g.name)
	if i := slices.Index(r.sorted, g); i >= 0 {
		r.sorted = slices.Delete(r.sorted, i, i+1)
	}
	if r.currentWriteGroup >= len(r.sorted) {
		r.currentWriteGroup = 0
	}
}

// setStatus changes a storage's status, with the side effects every path
// shares: a storage leaving the lists must be told everything again later.
func (r *registry) setStatus(s *storage, status byte) bool {
	old := s.status
	if !s.group.setStatus(s, status) {
		return false
	}
	if status == StatusOffline {
		s.noticed = 0
		s.trunkNoticed = 0
	}
	r.log.Info("storage status changed", "group", s.group.name, "storage", s.id,
		"from", statusName(old), "to", statusName(status))
	return true
}

// checkActive turns ACTIVE storages silent for longer than
// check_active_interval OFFLINE (cluster.md §3.2).
func (r *registry) checkActive() {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.unix()
	limit := int64(r.cfg.CheckActiveInterval / time.Second)
	for _, g := range r.sorted {
		for _, s := range g.storages {
			if s.status == StatusActive && now-s.stat.LastHeartBeatTime > limit {
				r.log.Warn("storage idle too long, set offline", "group", g.name, "storage", s.id,
					"last_beat", s.stat.LastHeartBeatTime, "interval", limit)
				r.setStatus(s, StatusOffline)
			}
		}
	}
}

// connClosed runs C's connection-close logic for a joined storage.
func (r *registry) connClosed(cs *connState) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := cs.storage
	if s == nil || s.conn != cs {
		return
	}
	s.conn = nil
	if available(s.status) {
		s.upTime = 0
		r.setStatus(s, StatusOffline)
	}
}

// updateWriteGroup is store_lookup=2's choice after every disk report: the
// group with the most free space among those with writable servers.
func (r *registry) updateWriteGroup() {
	if r.cfg.StoreLookup != conf.StoreLookupLoadBalance {
		return
	}
	best := -1
	for i, g := range r.sorted {
		if len(g.writable) == 0 {
			continue
		}
		if best < 0 || g.freeMB > r.sorted[best].freeMB {
			best = i
		}
	}
	if best >= 0 {
		r.currentWriteGroup = best
	}
}

var statusNames = map[byte]string{
	StatusInit: "INIT", StatusWaitSync: "WAIT_SYNC", StatusSyncing: "SYNCING",
	StatusIPChanged: "IP_CHANGED", StatusDeleted: "DELETED", StatusOffline: "OFFLINE",
	StatusOnline: "ONLINE", StatusActive: "ACTIVE", StatusRecovery: "RECOVERY", StatusNone: "NONE",
}

func statusName(s byte) string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return "UNKNOWN"
}
