package report

import (
	"net/netip"
	"slices"
	"strconv"
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

// Peers is what change notices told this storage (cluster.md §1.4): the
// leader tracker and the group's member list from the leader. The zero
// value knows nothing yet.
type Peers struct {
	mu        sync.RWMutex
	leader    Peer
	hasLeader bool
	members   []Peer // sorted by id, as the leader sends them; self included
	hasList   bool
	gen       uint64 // bumped on every change of members
}

// Leader is the leader tracker from the last change notice that named one
// (ok false when none is known).
func (v *Peers) Leader() (p Peer, ok bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.leader, v.hasLeader
}

// Members is the group member list from the leader's last change notice
// (this storage included), and a generation number that changes with it.
func (v *Peers) Members() ([]Peer, uint64) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return slices.Clone(v.members), v.gen
}

// SetMembers replaces the member list as a leader's notice would (for a
// storage whose group is known without a tracker: tests that drive the
// replication by hand).
func (v *Peers) SetMembers(list []Peer) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.members, v.hasList = slices.Clone(list), true
	v.gen++
}

// ApplyNotice merges one change notice. It reports whether the reply
// carried a member list (only the leader sends one).
func (v *Peers) ApplyNotice(n *codec.ChangeNotice) (fromLeader bool) {
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

// Status is the leader's view of storage id (ok false if not listed).
func (v *Peers) Status(id string) (byte, bool) {
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
func (v *Peers) ids() []string {
	v.mu.RLock()
	defer v.mu.RUnlock()
	out := make([]string, 0, len(v.members))
	for _, m := range v.members {
		out = append(out, m.ID)
	}
	return out
}

// SourceOf finds the storage a file was uploaded to in the member list, by
// storage id or IPv4 address (its name's source field). An address not in
// the list (no tracker yet) is taken on ourPort: the group's storages
// listen on one port.
func (v *Peers) SourceOf(f codec.NameFields, ourPort int) (netip.Addr, int, bool) {
	members, _ := v.Members()
	if f.SourceIsID() {
		id := strconv.FormatUint(uint64(f.Source), 10)
		for _, m := range members {
			if m.ID == id {
				ip, err := netip.ParseAddr(m.IP)
				return ip, m.Port, err == nil
			}
		}
		return netip.Addr{}, 0, false
	}
	ip := netip.AddrFrom4(f.SourceIPv4())
	for _, m := range members {
		if m.IP == ip.String() && m.Port > 0 {
			return ip, m.Port, true
		}
	}
	return ip, ourPort, true
}
