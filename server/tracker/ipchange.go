package tracker

import (
	"slices"
	"strings"

	"github.com/gofdfs/gofdfs/codec"
)

// REPORT_IP_CHANGED (78, cluster.md §1.9): a storage without storage ids
// restarted on a new IP. Its record moves to the new IP (keeping status and
// counters) and a record of the old IP stays behind as IP_CHANGED, so
// peers reading the changelog can rename their mark files.

func handleReportIPChanged(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	var req codec.ReportIPChangedRequest
	if err := req.Decode(body); err != nil {
		return out, errnoOf(err)
	}
	if s.cfg.UseStorageID {
		return out, codec.EOPNOTSUPP
	}
	if string(req.NewIP) != cs.peer {
		s.log.Warn("REPORT_IP_CHANGED from another address", "peer", cs.peer, "new_ip", string(req.NewIP))
		return out, codec.EINVAL
	}
	r := s.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.group(req.Group)
	if g == nil {
		return out, codec.ENOENT
	}
	oldIP, newIP := string(req.OldIP), string(req.NewIP)
	m := g.find(oldIP)
	switch {
	case m == nil || m.status == StatusDeleted:
		return out, codec.ENOENT
	case m.status == StatusIPChanged:
		return out, codec.EALREADY
	case m.status == StatusOnline || m.status == StatusActive || m.status == StatusRecovery:
		return out, codec.EBUSY
	}
	if n := g.find(newIP); n != nil {
		if persisted(n) {
			return out, codec.EEXIST
		}
		g.remove(n) // a dead record of the new IP makes way
	}
	g.rename(m, newIP, newIP)
	stale := newStorage(g, oldIP, oldIP, m.port)
	stale.status = StatusIPChanged
	stale.version, stale.joinTime = m.version, m.joinTime
	stale.storePathCount, stale.subdirCount = m.storePathCount, m.subdirCount
	g.add(stale)
	for _, o := range g.storages {
		if o.syncSrcID == oldIP {
			o.syncSrcID = newIP
		}
		if ts, ok := o.syncedFrom[oldIP]; ok {
			delete(o.syncedFrom, oldIP)
			o.syncedFrom[newIP] = ts
		}
	}
	line := codec.ChangelogLine{Timestamp: r.unix(), Group: g.nameBytes, StorageID: req.OldIP,
		Status: StatusIPChanged, NewID: req.NewIP}
	if err := r.appendChangelog(line.Append(nil)); err != nil {
		s.log.Error("append changelog", "group", g.name, "storage", oldIP, "err", err)
		return out, codec.EIO
	}
	s.log.Info("storage IP changed", "group", g.name, "old_ip", oldIP, "new_ip", newIP)
	_ = r.saveAll()
	return out, codec.OK
}

// rename gives a member a new id and IP and keeps byID sorted.
func (g *group) rename(m *storage, id, ip string) {
	g.dropByID(m)
	m.setIdentity(id, ip, m.port)
	i, _ := slices.BinarySearchFunc(g.byID, id, func(s *storage, id string) int { return strings.Compare(s.id, id) })
	g.byID = slices.Insert(g.byID, i, m)
	g.refresh()
}

// remove drops a record from the group.
func (g *group) remove(m *storage) {
	g.dropByID(m)
	if i := slices.Index(g.storages, m); i >= 0 {
		g.storages = slices.Delete(g.storages, i, i+1)
	}
	g.refresh()
}

func (g *group) dropByID(m *storage) {
	if i := slices.Index(g.byID, m); i >= 0 {
		g.byID = slices.Delete(g.byID, i, i+1)
	}
}
