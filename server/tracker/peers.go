package tracker

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/internal/peercall"
)

// Tracker membership (cluster.md §1.2 step 3, §2): trackers have no list of
// their own; the first storage JOIN names the cluster and later JOINs add
// to it.

// maxTrackers is FDFS_MAX_TRACKERS.
const maxTrackers = 16

// trackerAddr is one tracker as the storages name it: one or two IPs and a
// port.
type trackerAddr struct {
	ips  []netip.Addr
	port int
}

// String is "ip:port" with the first IP, the form leader announcements and
// GET_LEADER use.
func (a trackerAddr) String() string {
	return netip.AddrPortFrom(a.ips[0], uint16(a.port)).String()
}

// has reports whether ip:port names this tracker.
func (a trackerAddr) has(ip netip.Addr, port int) bool {
	return port == a.port && slices.Contains(a.ips, ip.Unmap())
}

func (a trackerAddr) equal(b trackerAddr) bool {
	return a.port == b.port && slices.Equal(a.ips, b.ips)
}

// compareTrackerAddr is the storages' order of their tracker list: IP
// count, then IP text, then port.
func compareTrackerAddr(a, b trackerAddr) int {
	if c := cmp.Compare(len(a.ips), len(b.ips)); c != 0 {
		return c
	}
	for i := range a.ips {
		if c := cmp.Compare(a.ips[i].String(), b.ips[i].String()); c != 0 {
			return c
		}
	}
	return cmp.Compare(a.port, b.port)
}

// parseTrackerEntry reads one JOIN tracker-list entry.
func parseTrackerEntry(e []byte) (trackerAddr, bool) {
	ips, port, ok := splitTrackerEntry(bytes.TrimSpace(e))
	if !ok || port <= 0 || port > 65535 {
		return trackerAddr{}, false
	}
	a := trackerAddr{port: port}
	for _, ip := range ips {
		p, err := netip.ParseAddr(string(ip))
		if err != nil {
			return trackerAddr{}, false
		}
		a.ips = append(a.ips, p.Unmap())
	}
	return a, len(a.ips) > 0
}

// parseLeaderAddr reads the "ip:port" of NOTIFY/COMMIT_NEXT_LEADER.
func parseLeaderAddr(text []byte) (netip.Addr, int, bool) {
	ap, err := netip.ParseAddrPort(string(text))
	if err != nil {
		return netip.Addr{}, 0, false
	}
	return ap.Addr().Unmap(), int(ap.Port()), true
}

// followerStat is what the leader knows of a follower from JOIN_LEADER and
// PING_LEADER, for TRACKER_CLUSTER_STAT.
type followerStat struct {
	upTime   int64
	version  string
	conns    codec.ConnectionStat
	lastPing time.Time
}

// cluster is the tracker-to-tracker state: the member list, who leads, the
// election in progress. Lock order: registry.mu before cluster.mu (change
// notices read the leader under the registry lock); nothing takes the
// registry lock while holding this one.
type cluster struct {
	mu       sync.Mutex
	trackers []trackerAddr
	self     int // our index in trackers, -1 before the first JOIN
	leader   int // -1: no leader known
	next     int // announced by NOTIFY_NEXT_LEADER, -1 none
	// leaderChanges counts leader changes seen as leader (C's
	// leader_chg_count); a connection whose count differs gets the leader
	// brief in its next change notice.
	leaderChanges int64
	// trunkChanges counts trunk-server assignments; a follower connection
	// whose count differs gets the group list in its next PING reply.
	trunkChanges int64
	// followers by "ip:port" (indexes move as the list grows)
	followers map[string]*followerStat
}

func newCluster() *cluster {
	return &cluster{self: -1, leader: -1, next: -1, trunkChanges: 1, followers: map[string]*followerStat{}}
}

// index finds ip:port in the list, -1 if absent (caller holds mu).
func (c *cluster) index(ip netip.Addr, port int) int {
	for i, t := range c.trackers {
		if t.has(ip, port) {
			return i
		}
	}
	return -1
}

// learn merges the tracker list of a JOIN and locates this tracker, which
// must be in it. It reports whether this tracker is the only one.
func (c *cluster) learn(list []trackerAddr, selfIP netip.Addr, selfPort int) (alone bool, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// the leader and the announced index are indexes: keep them on their
	// trackers while the list grows
	leader, next := c.at(c.leader), c.at(c.next)
	for _, a := range list {
		if slices.ContainsFunc(c.trackers, a.equal) {
			continue
		}
		if len(c.trackers) >= maxTrackers {
			break
		}
		i, _ := slices.BinarySearchFunc(c.trackers, a, compareTrackerAddr)
		c.trackers = slices.Insert(c.trackers, i, a)
	}
	c.leader, c.next = c.find(leader), c.find(next)
	c.self = c.index(selfIP, selfPort)
	return len(c.trackers) == 1 && c.self == 0, c.self >= 0
}

func (c *cluster) at(i int) *trackerAddr {
	if i < 0 || i >= len(c.trackers) {
		return nil
	}
	return &c.trackers[i]
}

func (c *cluster) find(a *trackerAddr) int {
	if a == nil {
		return -1
	}
	return slices.IndexFunc(c.trackers, a.equal)
}

// snapshot copies the list and our index.
func (c *cluster) snapshot() ([]trackerAddr, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.trackers), c.self
}

// leaderState returns the leader index, our index and the change count.
func (c *cluster) leaderState() (leader, self int, changes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.leader, c.self, c.leaderChanges
}

// selfIfLeader returns our list entry and the change count when we lead.
func (c *cluster) selfIfLeader() (trackerAddr, bool, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.self < 0 || c.leader != c.self {
		return trackerAddr{}, false, 0
	}
	return c.trackers[c.self], true, c.leaderChanges
}

// isLeader reports whether this tracker leads.
func (c *cluster) isLeader() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.self >= 0 && c.leader == c.self
}

// leaderAddr is the leader's address, false when there is none.
func (c *cluster) leaderAddr() (trackerAddr, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.leader < 0 {
		return trackerAddr{}, false
	}
	return c.trackers[c.leader], true
}

// setLeader records a new leader; becoming or ceasing to be the leader
// counts as a change storages must hear about.
func (c *cluster) setLeader(i int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setLeaderLocked(i)
}

func (c *cluster) setLeaderLocked(i int) {
	was := c.leader == c.self && c.self >= 0
	c.leader = i
	if is := i == c.self && i >= 0; is || was {
		c.leaderChanges++
	}
}

// ---- outgoing tracker connections ----------------------------------------

// peerConn is one blocking connection to another tracker, used by the
// election loop and the state-file pull (never on an event loop's hot path).
type peerConn struct {
	conn net.Conn
	pc   *peercall.Conn // the exchange: deadline, reply checks, errors naming the peer
	set  *peerSet
}

// peerSet tracks the open tracker connections so Stop can cut them: a
// shutdown must not wait out a network timeout on a dead peer.
type peerSet struct {
	ctx     context.Context // ends dials in progress at stop
	cancel  context.CancelFunc
	mu      sync.Mutex
	conns   map[*peerConn]struct{}
	stopped bool
}

func newPeerSet() peerSet {
	ctx, cancel := context.WithCancel(context.Background())
	return peerSet{ctx: ctx, cancel: cancel}
}

var errStopping = errors.New("tracker stopping")

func (ps *peerSet) add(p *peerConn) error {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.stopped {
		return errStopping
	}
	if ps.conns == nil {
		ps.conns = map[*peerConn]struct{}{}
	}
	ps.conns[p] = struct{}{}
	return nil
}

func (ps *peerSet) remove(p *peerConn) {
	ps.mu.Lock()
	delete(ps.conns, p)
	ps.mu.Unlock()
}

// stop closes every open connection and refuses new ones.
func (ps *peerSet) stop() {
	ps.cancel()
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.stopped = true
	for p := range ps.conns {
		_ = p.conn.Close()
	}
}

// errConnect marks a failure to connect, which elections tolerate.
var errConnect = errors.New("cannot connect")

// dialTracker connects to another tracker from our own address: bind_addr
// (or the address we listen on), so trackers sharing a host on 127.0.0.x
// see each other's real addresses.
func (s *Server) dialTracker(a trackerAddr) (*peerConn, error) {
	d := net.Dialer{Timeout: s.cfg.ConnectTimeout}
	if d.Timeout <= 0 {
		d.Timeout = 10 * time.Second
	}
	if ip := s.bindIP(); ip.IsValid() {
		d.LocalAddr = &net.TCPAddr{IP: ip.AsSlice()}
	}
	addr := net.JoinHostPort(a.ips[0].String(), strconv.Itoa(a.port))
	c, err := d.DialContext(s.peers.ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", errConnect, addr, err)
	}
	t := s.cfg.NetworkTimeout
	if t <= 0 {
		t = 30 * time.Second
	}
	p := &peerConn{conn: c, pc: peercall.New(c, addr, t), set: &s.peers}
	if err := s.peers.add(p); err != nil {
		_ = c.Close()
		return nil, err
	}
	return p, nil
}

// bindIP is the local address outgoing tracker connections use, invalid
// when we listen on every address (the kernel picks, as C does).
func (s *Server) bindIP() netip.Addr {
	s.mu.Lock()
	a := s.addr.Addr()
	s.mu.Unlock()
	if a.IsValid() && !a.IsUnspecified() {
		return a.Unmap()
	}
	if ip, err := netip.ParseAddr(s.cfg.BindAddr); err == nil && !ip.IsUnspecified() {
		return ip
	}
	return netip.Addr{}
}

// call sends one request and reads the reply: its status as sent and a
// body of its own (callers keep it past the next call).
func (p *peerConn) call(cmd byte, body []byte) (codec.Errno, []byte, error) {
	st, reply, err := p.pc.Exchange(context.Background(), cmd, 0, body, nil, 0, 1<<20)
	return st, bytes.Clone(reply), err
}

// close says QUIT, as C's connection pool does, and closes.
func (p *peerConn) close() {
	p.set.remove(p)
	_ = p.conn.SetDeadline(time.Now().Add(time.Second))
	_, _ = p.conn.Write(codec.Request(codec.CmdQuit, 0).Append(nil))
	_ = p.conn.Close()
}
