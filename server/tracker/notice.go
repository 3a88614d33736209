package tracker

import (
	"github.com/gofdfs/gofdfs/codec"
)

// appendNotice appends the change notice that answers BEAT, DISK_USAGE and
// SYNC_REPORT (cluster.md §1.4). Only the leader tells storages anything: a
// follower, or a tracker before any leader exists, answers the one flags
// byte 0, so storages take lists and the leader from one source. The
// leader brief goes out when the leader changed since this connection last
// heard (always with the leader's first reply on a connection), the member
// list whenever the group changed since the storage last heard. Caller
// holds the registry lock.
func (s *Server) appendNotice(cs *connState, m *storage, out []byte) []byte {
	flagAt := len(out)
	out = append(out, 0)
	me, leading, changes := s.cl.selfIfLeader()
	if !leading {
		return out
	}
	var flags byte
	if cs.leaderNoticed != changes {
		cs.leaderNoticed = changes
		flags |= codec.ChangeTrackerLeader
		// as the storages name us: the first IP of our list entry
		ip := me.ips[0].String()
		id := ip
		if len(id) > codec.StorageIDSize-1 {
			id = id[:codec.StorageIDSize-1]
		}
		b := codec.StorageBrief{Port: int32(me.port), ID: []byte(id), IP: []byte(ip)}
		out = b.Append(out)
	}
	g := m.group
	if m.trunkNoticed != g.trunkChanges {
		m.trunkNoticed = g.trunkChanges
		flags |= codec.ChangeTrunkServer
		var b codec.StorageBrief // all zeros: no trunk server
		if t := g.find(g.trunkServer); t != nil {
			b = codec.StorageBrief{Status: t.status, Port: int32(g.port), ID: t.idBytes, IP: t.ipFor(cs.peerClass)}
		}
		out = b.Append(out)
	}
	if m.noticed != g.changes {
		m.noticed = g.changes
		flags |= codec.ChangeGroupServers
		for _, o := range g.byID {
			b := o.brief(cs.peerClass)
			out = b.Append(out)
		}
	}
	out[flagAt] = flags
	return out
}
