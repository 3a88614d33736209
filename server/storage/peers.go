package storage

import (
	"net/netip"
	"slices"
	"sync"

	"github.com/gofdfs/gofdfs/codec"
)

// Peer is one storage of the group as the leader tracker lists it, or the
// leader tracker itself (Status 0).
type Peer struct {
	ID     string
	IP     string
	Port   int
	Status byte
}

func peerOf(b *codec.StorageBrief) Peer {
	return Peer{ID: string(codec.FixedBytes(b.ID)), IP: string(codec.FixedBytes(b.IP)),
		Port: int(b.Port), Status: b.Status}
}

// peerView is what change notices told this storage (cluster.md §1.4): the
// leader tracker and the group's member list from the leader.
type peerView struct {
	mu        sync.RWMutex
	leader    Peer
	hasLeader bool
	members   []Peer // sorted by id, as the leader sends them; self included
	hasList   bool
	gen       uint64 // bumped on every change of members
}

// Leader is the leader tracker from the last change notice that named one
// (ok false when none is known).
func (s *Server) Leader() (p Peer, ok bool) {
	s.peers.mu.RLock()
	defer s.peers.mu.RUnlock()
	return s.peers.leader, s.peers.hasLeader
}

// Members is the group member list from the leader's last change notice
// (this storage included), and a generation number that changes with it.
func (s *Server) Members() ([]Peer, uint64) {
	s.peers.mu.RLock()
	defer s.peers.mu.RUnlock()
	return slices.Clone(s.peers.members), s.peers.gen
}

// applyNotice merges one change notice. It reports whether the reply
// carried a member list (only the leader sends one).
func (v *peerView) applyNotice(n *codec.ChangeNotice) (fromLeader bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if n.Flags&codec.ChangeTrackerLeader != 0 {
		p := peerOf(&n.Leader)
		v.leader, v.hasLeader = p, p.IP != "" && p.Port > 0
	}
	if n.Flags&codec.ChangeGroupServers != 0 {
		list := make([]Peer, 0, n.MemberCount())
		for i := range n.MemberCount() {
			b := n.Member(i)
			list = append(list, peerOf(&b))
		}
		if !slices.Equal(list, v.members) || !v.hasList {
			v.members, v.hasList = list, true
			v.gen++
		}
		fromLeader = true
	}
	return fromLeader
}

// status is the leader's view of storage id (ok false if not listed).
func (v *peerView) status(id string) (byte, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	for _, m := range v.members {
		if m.ID == id {
			return m.Status, true
		}
	}
	return 0, false
}

// ids lists the members' ids (for SYNC_REPORT).
func (v *peerView) ids() []string {
	v.mu.RLock()
	defer v.mu.RUnlock()
	out := make([]string, 0, len(v.members))
	for _, m := range v.members {
		out = append(out, m.ID)
	}
	return out
}

// MyIP is this storage's address as the trackers see it (GET_MY_IP); ok is
// false until a tracker answered.
func (s *Server) MyIP() (ip netip.Addr, ok bool) {
	if p := s.myIP.Load(); p != nil {
		return *p, true
	}
	return netip.Addr{}, false
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
	return r.flag.get("sync_old_done") == "1", r.flag.get("sync_src_server"), r.flag.getInt("sync_until_timestamp")
}
