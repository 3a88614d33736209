package tracker

import (
	"github.com/gofdfs/gofdfs/codec"
)

// Sync-source commands (cluster.md §4.6, §4.7): which member copies the old
// files to a new storage, and until when.

// handleSyncDestReq answers SYNC_DEST_REQ (87): a new storage asks for its
// source. The first writable ACTIVE member by id becomes it.
func handleSyncDestReq(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	m := cs.storage
	if len(body) != 0 {
		return out, codec.EINVAL
	}
	r := s.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	g := m.group
	var src *storage
	for _, o := range g.writable {
		if o != m {
			src = o
			break
		}
	}
	if src == nil {
		for _, o := range g.storages {
			if o != m && available(o.status) {
				// members exist but none can act as source yet: retry later
				return out, codec.ENOENT
			}
		}
		r.setStatus(m, StatusOnline) // nothing to copy
		r.saveServers()
		return out, codec.OK
	}
	m.syncSrcID, m.syncUntil = src.id, r.unix()
	r.setStatus(m, StatusWaitSync)
	s.log.Info("sync source assigned", "group", g.name, "storage", m.id, "source", src.id, "until", m.syncUntil)
	r.saveServers()
	reply := codec.SyncSource{SrcID: src.idBytes, Until: m.syncUntil}
	return reply.Append(out), codec.OK
}

// handleSyncNotify answers SYNC_NOTIFY (88): a storage tells this tracker
// the source another tracker gave it. Repeats are harmless.
func handleSyncNotify(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	m := cs.storage
	var req codec.SyncSource
	if err := req.Decode(body); err != nil {
		return out, errnoOf(err)
	}
	r := s.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := false
	if len(req.SrcID) == 0 {
		switch m.status {
		case StatusInit, StatusWaitSync, StatusSyncing:
			changed = r.setStatus(m, StatusOnline)
		}
	} else {
		if m.syncSrcID == "" {
			src := m.group.find(string(req.SrcID))
			if src == nil || src.status == StatusDeleted || src.status == StatusIPChanged {
				return out, codec.ENOENT
			}
			m.syncSrcID, m.syncUntil = src.id, req.Until
			changed = true
		}
		if m.status == StatusInit {
			r.setStatus(m, StatusWaitSync)
			changed = true
		}
	}
	if changed {
		r.saveServers()
	}
	return out, codec.OK
}

// handleSyncDestQuery answers SYNC_DEST_QUERY (79): the recorded source.
func handleSyncDestQuery(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	m := cs.storage
	if len(body) != 0 {
		return out, codec.EINVAL
	}
	r := s.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	if m.syncSrcID == "" {
		return out, codec.OK
	}
	reply := codec.SyncSource{SrcID: []byte(m.syncSrcID), Until: m.syncUntil}
	return reply.Append(out), codec.OK
}

// handleSyncSrcReq answers SYNC_SRC_REQ (86): a member asks whether it is
// the source of dest (every member asks for every peer).
func handleSyncSrcReq(s *Server, _ *connState, body, out []byte) ([]byte, codec.Errno) {
	var req codec.SyncSourceRequest
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
	dest := g.find(string(req.DestID))
	if dest == nil || dest.status == StatusInit || dest.status == StatusDeleted || dest.status == StatusIPChanged {
		return out, codec.ENOENT
	}
	if dest.syncSrcID == "" {
		return out, codec.OK
	}
	src := g.find(dest.syncSrcID)
	if src == nil || !(available(src.status) || src.status == StatusRecovery) {
		dest.syncSrcID = "" // a source that cannot serve is forgotten
		r.saveServers()
		return out, codec.OK
	}
	reply := codec.SyncSource{SrcID: src.idBytes, Until: dest.syncUntil}
	return reply.Append(out), codec.OK
}
