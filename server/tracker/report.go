package tracker

import (
	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/conf"
)

// Storage reports (cluster.md §1.3-§1.9): BEAT (83), REPORT_DISK_USAGE (84),
// SYNC_REPORT (89), REPORT_STATUS (76), REPLICA_CHG (85), CHANGE_STATUS (59),
// GET_MY_IP (60), CHANGELOG_REQ (77).

// beatsPerSave and syncReportsPerSave: C rewrites the servers file every
// 1000 stat-carrying beats and the timestamp file every 1000 sync reports.
const (
	beatsPerSave       = 1000
	syncReportsPerSave = 1000
)

func handleBeat(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	m := cs.storage
	var req codec.StorageBeat
	if err := req.Decode(body); err != nil {
		return out, errnoOf(err)
	}
	r := s.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	if req.HasStats {
		// the last two fields are the tracker's own
		synced, beat := m.stat.LastSyncedTimestamp, m.stat.LastHeartBeatTime
		m.stat = req.Stats
		m.stat.LastSyncedTimestamp, m.stat.LastHeartBeatTime = synced, beat
		m.beats++
		if m.beats%beatsPerSave == 0 {
			r.saveServers()
		}
	}
	r.markActive(m)
	return s.appendNotice(cs, m, out), codec.OK
}

// markActive records a successful beat or disk report: the storage is
// alive and, unless it is still being set up, ACTIVE.
func (r *registry) markActive(m *storage) {
	m.stat.LastHeartBeatTime = r.unix()
	switch m.status {
	case StatusInit, StatusWaitSync, StatusSyncing, StatusIPChanged, StatusDeleted:
		return
	}
	r.setStatus(m, StatusActive)
}

func handleDiskUsage(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	m := cs.storage
	var req codec.DiskUsageReport
	if err := req.Decode(body); err != nil {
		return out, errnoOf(err)
	}
	r := s.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	g := m.group
	if err := req.CheckPathCount(g.storePathCount); err != nil {
		s.log.Warn("disk usage for the wrong number of paths", "peer", cs.peer, "group", g.name,
			"storage", m.id, "err", err)
		return out, errnoOf(err)
	}
	n := req.Count()
	if cap(m.paths) < n {
		m.paths = make([]codec.PathUsage, n)
	}
	m.paths = m.paths[:n]
	m.totalMB, m.freeMB = 0, 0
	best := 0
	for i := range n {
		p := req.Path(i)
		m.paths[i] = p
		m.totalMB += p.TotalMB
		m.freeMB += p.FreeMB
		if p.FreeMB > m.paths[best].FreeMB {
			best = i
		}
	}
	if r.cfg.StorePath == conf.StorePathLoadBalance {
		m.currentWritePath = best
	}
	g.updateSpace()
	r.updateWriteGroup()
	r.markActive(m)
	return s.appendNotice(cs, m, out), codec.OK
}

func handleSyncReport(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	m := cs.storage
	var req codec.SyncReport
	if err := req.Decode(body); err != nil {
		return out, errnoOf(err)
	}
	r := s.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	g := m.group
	var lo, hi int64
	accepted := 0
	for i := range req.Count() {
		e := req.Entry(i)
		ts := int64(e.Timestamp)
		if ts <= 0 {
			continue
		}
		src := g.find(string(e.ID))
		if src == nil || src == m || src.status != StatusActive {
			continue
		}
		m.syncedFrom[src.id] = ts
		if accepted == 0 || ts < lo {
			lo = ts
		}
		if accepted == 0 || ts > hi {
			hi = ts
		}
		accepted++
	}
	if accepted > 0 {
		// round-robin uploads spread sources: a file is surely here only
		// once every source got this far; otherwise one source matters.
		if r.cfg.StoreServer == conf.StoreServerRoundRobin {
			m.stat.LastSyncedTimestamp = lo
		} else if hi > m.stat.LastSyncedTimestamp {
			m.stat.LastSyncedTimestamp = hi
		}
	}
	r.syncReports++
	if r.syncReports%syncReportsPerSave == 0 {
		r.saveSyncTimestamps()
	}
	return s.appendNotice(cs, m, out), codec.OK
}

func handleReportStatus(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	var req codec.ReportStatusRequest
	if err := req.Decode(body); err != nil {
		return out, errnoOf(err)
	}
	r := s.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.group(req.Group)
	if g == nil {
		return out, codec.ENOENT
	}
	if r.applyBrief(g, &req.Storage) {
		s.log.Info("storage status reported", "peer", cs.peer, "group", g.name,
			"storage", string(req.Storage.ID), "status", statusName(req.Storage.Status))
		r.saveServers()
	}
	return out, codec.OK
}

// applyBrief is the REPORT_STATUS rule of cluster.md §1.6; it reports
// whether the registry changed.
func (r *registry) applyBrief(g *group, b *codec.StorageBrief) bool {
	if b.Status == StatusNone {
		return false
	}
	m := g.find(string(b.ID))
	if m == nil {
		switch b.Status {
		case StatusDeleted, StatusIPChanged, StatusActive, StatusOnline:
			return false
		}
		// C storages send port 0 here: the group's port is the better guess
		port := int(b.Port)
		if port <= 0 {
			port = g.port
		}
		n := newStorage(g, string(b.ID), string(b.IP), port)
		n.status = b.Status
		g.add(n)
		return true
	}
	if m.status == b.Status {
		return false
	}
	switch m.status {
	case StatusInit, StatusOnline, StatusActive, StatusRecovery:
		return false
	}
	if b.Status == StatusDeleted || b.Status == StatusIPChanged || b.Status > m.status {
		return r.setStatus(m, b.Status)
	}
	return false
}

// handleReplicaChange answers REPLICA_CHG (85). The leader ignores these
// pushes (captured in 03_new_member); this tracker is the leader.
func handleReplicaChange(_ *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	var req codec.ReplicaChange
	if err := req.Decode(body); err != nil {
		return out, errnoOf(err)
	}
	return out, codec.OK
}

func handleChangeStatus(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	m := cs.storage
	var req codec.ChangeStatusRequest
	if err := req.Decode(body); err != nil {
		return out, errnoOf(err)
	}
	r := s.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	if m.status == req.Status || available(m.status) && available(req.Status) {
		return out, codec.OK
	}
	status := req.Status
	if status == StatusOnline || status == StatusActive {
		status = StatusOffline // it has to beat its way back
	}
	s.log.Info("storage asks for a status change", "peer", cs.peer, "group", m.group.name,
		"storage", m.id, "from", statusName(m.status), "asked", statusName(req.Status))
	r.setStatus(m, status)
	r.saveServers()
	return out, codec.OK
}

func handleGetMyIP(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	var req codec.GetMyIPRequest
	if err := req.Decode(body); err != nil {
		return out, errnoOf(err)
	}
	if ids := s.cfg.StorageIDs; s.cfg.UseStorageID && ids != nil {
		if e := ids.ByAddr(cs.peer, int(req.Port)); e != nil && e.Group == string(req.Group) {
			for i, ip := range e.IPs {
				if i > 0 {
					out = append(out, ',')
				}
				out = append(out, ip...)
			}
			return out, codec.OK
		}
	}
	return append(out, cs.peer...), codec.OK
}

func handleChangelogReq(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	var req codec.ChangelogRequest
	if err := req.Decode(body); err != nil {
		return out, errnoOf(err)
	}
	joined := req.Group == nil
	if joined != (cs.storage != nil) {
		// C wants the empty form exactly on a joined connection
		return out, codec.EINVAL
	}
	r := s.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	m := cs.storage
	if !joined {
		g := r.group(req.Group)
		if g == nil {
			return out, codec.ENOENT
		}
		if m = g.find(string(req.StorageID)); m == nil {
			return out, codec.ENOENT
		}
	}
	off := m.changelogOffset
	if off < 0 || off > int64(len(r.changelog)) {
		off = int64(len(r.changelog))
	}
	chunk := r.changelog[off:]
	if len(chunk) > codec.ChangelogMaxChunk {
		chunk = chunk[:codec.ChangelogMaxChunk]
	}
	if len(chunk) > 0 {
		m.changelogOffset = off + int64(len(chunk))
		r.saveServers()
	}
	return append(out, chunk...), codec.OK
}
