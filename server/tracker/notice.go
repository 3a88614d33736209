package tracker

import (
	"github.com/gofdfs/gofdfs/codec"
)

// appendNotice appends the change notice that answers BEAT, DISK_USAGE and
// SYNC_REPORT (cluster.md §1.4) as the leader sends it: this tracker is the
// only one, so it is the leader. The leader brief goes with the first reply
// on every connection, the member list whenever the group changed since the
// storage last heard. Caller holds the registry lock.
func (s *Server) appendNotice(cs *connState, m *storage, out []byte) []byte {
	flagAt := len(out)
	out = append(out, 0)
	var flags byte
	if !cs.leaderNoticed {
		cs.leaderNoticed = true
		flags |= codec.ChangeTrackerLeader
		ip := s.selfIP(cs)
		id := ip.String()
		if len(id) > codec.StorageIDSize-1 {
			id = id[:codec.StorageIDSize-1]
		}
		b := codec.StorageBrief{Port: int32(s.port()), ID: []byte(id), IP: []byte(ip.String())}
		out = b.Append(out)
	}
	g := m.group
	if m.noticed != g.changes {
		m.noticed = g.changes
		flags |= codec.ChangeGroupServers
		for _, o := range g.byID {
			b := o.brief()
			out = b.Append(out)
		}
	}
	out[flagAt] = flags
	return out
}
