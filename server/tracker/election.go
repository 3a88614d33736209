package tracker

import (
	"cmp"
	"errors"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// Leader election and liveness (cluster.md §2.2, §2.3): a background loop
// elects a leader among the trackers the storages named, and a follower
// keeps pinging the leader it knows.

// statusRounding is the granularity of running_time and restart_interval:
// trackers started within the same 300 s count as equally old.
const statusRounding = 300

// WithLeaderInterval sets the base period of the election loop (C: 1 s);
// tests shorten it.
func WithLeaderInterval(d time.Duration) Option { return func(s *Server) { s.leaderInterval = d } }

// pingFailuresLost is how many failed pings make a follower drop its leader.
const pingFailuresLost = 3

// serverVersion is the version we report to other trackers.
const serverVersion = "6.16.1"

// runningStatus is this tracker's GET_STATUS answer.
func (s *Server) runningStatus() codec.TrackerStatus {
	run := int64(s.now().Sub(s.startTime()) / time.Second)
	return codec.TrackerStatus{
		IsLeader:        s.cl.isLeader(),
		RunningTime:     run / statusRounding * statusRounding,
		RestartInterval: s.restartInterval,
	}
}

func (s *Server) startTime() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.startedAt
}

// rankedTracker is one tracker's running status in an election.
type rankedTracker struct {
	index  int
	addr   trackerAddr
	status codec.TrackerStatus
}

// compareStatus orders running statuses so that the best candidate is
// last: a leader over a non-leader, then the longer running, then the one
// down for a shorter time before its start.
func compareStatus(a, b codec.TrackerStatus) int {
	if a.IsLeader != b.IsLeader {
		if a.IsLeader {
			return 1
		}
		return -1
	}
	if c := cmp.Compare(a.RunningTime, b.RunningTime); c != 0 {
		return c
	}
	return cmp.Compare(b.RestartInterval, a.RestartInterval)
}

// compareRanked adds the address tie-breaks of the election: the first
// IP's text, then the port, so every tracker picks the same candidate.
func compareRanked(a, b rankedTracker) int {
	if c := compareStatus(a.status, b.status); c != 0 {
		return c
	}
	if c := cmp.Compare(a.addr.ips[0].String(), b.addr.ips[0].String()); c != 0 {
		return c
	}
	return cmp.Compare(a.addr.port, b.addr.port)
}

// peerStatus asks another tracker for its running status (GET_STATUS).
// ENOENT (it has no groups) comes back as an error like a failure.
func (s *Server) peerStatus(a trackerAddr) (codec.TrackerStatus, error) {
	var st codec.TrackerStatus
	p, err := s.dialTracker(a)
	if err != nil {
		return st, err
	}
	defer p.close()
	return callStatus(p)
}

func callStatus(p *peerConn) (codec.TrackerStatus, error) {
	var st codec.TrackerStatus
	code, body, err := p.call(codec.CmdTrackerGetStatus, nil)
	if err != nil {
		return st, err
	}
	if code != codec.OK {
		return st, code
	}
	return st, st.Decode(body)
}

// leaderLoop runs until the server stops.
func (s *Server) leaderLoop() {
	defer close(s.loopDone)
	f := &follower{}
	defer f.drop()
	wait := s.leaderInterval
	for {
		t := time.NewTimer(wait)
		select {
		case <-s.stopping:
			t.Stop()
			return
		case <-t.C:
		}
		wait = s.leaderTurn(f)
	}
}

// leaderTurn is one turn of the loop; it returns the wait before the next.
func (s *Server) leaderTurn(f *follower) time.Duration {
	leader, self, _ := s.cl.leaderState()
	switch {
	case self < 0: // no JOIN yet: no cluster to elect in
		f.drop()
		return s.leaderInterval
	case leader < 0:
		f.drop()
		return s.elect()
	case leader == self:
		f.drop()
		return s.leaderInterval
	}
	return s.pingLeader(f)
}

// elect runs one election (cluster.md §2.3 steps 1-4).
func (s *Server) elect() time.Duration {
	trackers, self := s.cl.snapshot()
	ranked := make([]rankedTracker, 0, len(trackers))
	for i, a := range trackers {
		if i == self {
			ranked = append(ranked, rankedTracker{i, a, s.runningStatus()})
			continue
		}
		st, err := s.peerStatus(a)
		if err != nil {
			s.log.Debug("election: no status", "tracker", a.String(), "err", err)
			continue
		}
		ranked = append(ranked, rankedTracker{i, a, st})
	}
	slices.SortStableFunc(ranked, compareRanked)
	cand := ranked[len(ranked)-1]
	switch {
	case cand.index == self:
		if s.announce(trackers, self) {
			return s.leaderInterval
		}
		return s.retryDelay()
	case cand.status.IsLeader:
		s.cl.mu.Lock()
		if s.cl.leader < 0 && cand.index < len(s.cl.trackers) && s.cl.trackers[cand.index].equal(cand.addr) {
			s.cl.setLeaderLocked(cand.index)
		}
		s.cl.mu.Unlock()
		s.log.Info("tracker leader found", "leader", cand.addr.String())
		return s.leaderInterval
	}
	// the candidate will announce itself
	return s.retryDelay()
}

// retryDelay is C's random 1-10 periods before another election attempt.
func (s *Server) retryDelay() time.Duration {
	return s.leaderInterval * time.Duration(1+rand.IntN(10))
}

// announce is the two-phase commit of our own leadership: every tracker
// hears NOTIFY_NEXT_LEADER, then COMMIT_NEXT_LEADER. A tracker we cannot
// reach is skipped; any other error, or a phase no tracker accepted,
// aborts.
func (s *Server) announce(trackers []trackerAddr, self int) bool {
	me := []byte(trackers[self].String())
	for _, phase := range []byte{codec.CmdTrackerNotifyNextLeader, codec.CmdTrackerCommitNextLeader} {
		accepted := 0
		for i, a := range trackers {
			if i == self {
				s.cl.mu.Lock()
				if phase == codec.CmdTrackerNotifyNextLeader {
					s.cl.next = self
				} else if s.cl.next == self {
					s.cl.setLeaderLocked(self)
				}
				s.cl.mu.Unlock()
				accepted++
				continue
			}
			err := s.announceTo(a, phase, me)
			if errors.Is(err, errConnect) {
				continue
			}
			if err != nil {
				s.log.Warn("election aborted", "tracker", a.String(), "cmd", phase, "err", err)
				s.cl.setLeader(-1)
				return false
			}
			accepted++
		}
		if accepted == 0 {
			return false
		}
	}
	if !s.cl.isLeader() {
		return false
	}
	s.log.Info("this tracker is the leader", "addr", string(me))
	return true
}

func (s *Server) announceTo(a trackerAddr, cmd byte, me []byte) error {
	p, err := s.dialTracker(a)
	if err != nil {
		return err
	}
	defer p.close()
	req := codec.LeaderAnnounce{Leader: me}
	code, _, err := p.call(cmd, req.Append(nil))
	if err != nil {
		return err
	}
	if code != codec.OK {
		return code
	}
	return nil
}

// follower is the follower's connection to the leader.
type follower struct {
	conn     *peerConn
	leader   trackerAddr
	failures int
}

func (f *follower) drop() {
	if f.conn != nil {
		f.conn.close()
		f.conn = nil
	}
	f.failures = 0
}

// pingLeader keeps the follower's link: JOIN_LEADER on every new
// connection, then PING_LEADER each turn; the wait doubles per failure
// and three failures in a row lose the leader.
func (s *Server) pingLeader(f *follower) time.Duration {
	leader, ok := s.cl.leaderAddr()
	if !ok {
		f.drop()
		return s.leaderInterval
	}
	if f.conn != nil && !f.leader.equal(leader) {
		f.drop()
	}
	if err := s.pingOnce(f, leader); err != nil {
		f.failures++
		if f.conn != nil {
			f.conn.close()
			f.conn = nil
		}
		s.log.Warn("ping leader failed", "leader", leader.String(), "failures", f.failures, "err", err)
		if f.failures >= pingFailuresLost {
			s.log.Warn("tracker leader lost", "leader", leader.String())
			s.cl.mu.Lock()
			if l := s.cl.at(s.cl.leader); l != nil && l.equal(leader) {
				s.cl.setLeaderLocked(-1)
			}
			s.cl.mu.Unlock()
			f.failures = 0
			return s.leaderInterval
		}
		return s.leaderInterval << f.failures
	}
	f.failures = 0
	return s.leaderInterval
}

func (s *Server) pingOnce(f *follower, leader trackerAddr) error {
	if f.conn == nil {
		p, err := s.dialTracker(leader)
		if err != nil {
			return err
		}
		req := codec.TrackerJoinLeader{UpTime: s.startTime().Unix(), Version: []byte(serverVersion),
			ServerPort: int64(s.port())}
		code, _, err := p.call(codec.CmdTrackerJoinLeader, req.Append(nil))
		if err == nil && code != codec.OK {
			err = code
		}
		if err != nil {
			p.close()
			return err
		}
		f.conn, f.leader = p, leader
	}
	req := codec.PingLeaderRequest{Connection: s.connStat()}
	code, body, err := f.conn.call(codec.CmdTrackerPingLeader, req.Append(nil))
	if err != nil {
		return err
	}
	if code != codec.OK {
		return code
	}
	var reply codec.PingLeaderReply
	if err := reply.Decode(body); err != nil {
		return err
	}
	if reply.Count() > 0 {
		s.applyTrunkServers(&reply)
	}
	return nil
}

// applyTrunkServers takes the leader's trunk-server assignment for our
// groups and saves the groups file when it changed anything.
func (s *Server) applyTrunkServers(reply *codec.PingLeaderReply) {
	r := s.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := false
	for i := range reply.Count() {
		gt := reply.Group(i)
		g := r.group(gt.Group)
		if g == nil {
			continue
		}
		id := string(gt.TrunkServerID)
		if g.trunkServer != id {
			if id != "" {
				g.lastTrunkServer = id
			}
			g.trunkServer = id
			g.trunkChanges++
			changed = true
		}
	}
	if changed {
		r.saveGroups()
	}
}

// ---- receiving side ----------------------------------------------------

// handleTrackerGetStatus answers GET_STATUS (64); a tracker without groups
// has nothing worth leading or copying and says ENOENT.
func handleTrackerGetStatus(s *Server, _ *connState, body, out []byte) ([]byte, codec.Errno) {
	if len(body) != 0 {
		return out, codec.EINVAL
	}
	if s.reg.groupCount() == 0 {
		return out, codec.ENOENT
	}
	st := s.runningStatus()
	return st.Append(out), codec.OK
}

// handleNotifyNextLeader (66): phase one of another tracker's election.
func handleNotifyNextLeader(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	var req codec.LeaderAnnounce
	if err := req.Decode(body); err != nil {
		return out, errnoOf(err)
	}
	ip, port, ok := parseLeaderAddr(req.Leader)
	c := s.cl
	c.mu.Lock()
	defer c.mu.Unlock()
	i := -1
	if ok {
		i = c.index(ip, port)
	}
	if i < 0 {
		s.log.Warn("NOTIFY_NEXT_LEADER for an unknown tracker", "peer", cs.peer, "leader", string(req.Leader))
		return out, codec.ENOENT
	}
	if c.leader == c.self && c.self >= 0 && i != c.self {
		// two leaders: step down and let the election run again
		s.log.Warn("another tracker claims leadership, stepping down", "peer", cs.peer, "leader", string(req.Leader))
		c.setLeaderLocked(-1)
		return out, codec.EINVAL
	}
	c.next = i
	return out, codec.OK
}

// handleCommitNextLeader (67): phase two; the leader must be the one
// announced.
func handleCommitNextLeader(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	var req codec.LeaderAnnounce
	if err := req.Decode(body); err != nil {
		return out, errnoOf(err)
	}
	ip, port, ok := parseLeaderAddr(req.Leader)
	c := s.cl
	c.mu.Lock()
	defer c.mu.Unlock()
	i := -1
	if ok {
		i = c.index(ip, port)
	}
	if i < 0 {
		return out, codec.ENOENT
	}
	if i != c.next {
		return out, codec.EINVAL
	}
	c.setLeaderLocked(i)
	s.log.Info("tracker leader committed", "peer", cs.peer, "leader", string(req.Leader))
	return out, codec.OK
}

// handleNotifyReselectLeader (68): a storage saw two leaders; the leader
// steps down.
func handleNotifyReselectLeader(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	if len(body) != 0 {
		return out, codec.EINVAL
	}
	c := s.cl
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.self < 0 || c.leader != c.self {
		return out, codec.EOPNOTSUPP
	}
	s.log.Warn("asked to reselect the leader, stepping down", "peer", cs.peer)
	c.setLeaderLocked(-1)
	return out, codec.OK
}

// handleJoinLeader (58): a follower registers on its ping connection.
func handleJoinLeader(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	var req codec.TrackerJoinLeader
	if err := req.Decode(body); err != nil {
		return out, errnoOf(err)
	}
	c := s.cl
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.self < 0 || c.leader != c.self {
		return out, codec.EOPNOTSUPP
	}
	if cs.follower != "" {
		return out, codec.EEXIST
	}
	i := c.index(cs.peerIP, int(req.ServerPort))
	if i < 0 {
		s.log.Warn("JOIN_LEADER from a tracker not in the list", "peer", cs.peer, "port", req.ServerPort)
		return out, codec.ENOENT
	}
	key := c.trackers[i].String()
	cs.follower = key
	cs.trunkNoticed = 0
	c.followers[key] = &followerStat{upTime: req.UpTime, version: string(req.Version), lastPing: s.now()}
	s.log.Info("follower joined", "tracker", key, "version", string(req.Version))
	return out, codec.OK
}

// handlePingLeader (65): a follower's heartbeat; the first one, and any
// after a trunk-server change, gets every group's trunk server.
func handlePingLeader(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	var req codec.PingLeaderRequest
	if err := req.Decode(body); err != nil {
		return out, errnoOf(err)
	}
	c := s.cl
	c.mu.Lock()
	if c.self < 0 || c.leader != c.self {
		c.mu.Unlock()
		return out, codec.EOPNOTSUPP
	}
	f := c.followers[cs.follower]
	if cs.follower == "" || f == nil {
		c.mu.Unlock()
		return out, codec.EINVAL
	}
	f.conns = req.Connection
	f.lastPing = s.now()
	trunk := c.trunkChanges
	c.mu.Unlock()
	if cs.trunkNoticed == trunk {
		return out, codec.OK
	}
	cs.trunkNoticed = trunk
	return s.reg.appendTrunkServers(out), codec.OK
}

// appendTrunkServers appends one record per group (by name): the group and
// its trunk server id.
func (r *registry) appendTrunkServers(out []byte) []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	var rep codec.PingLeaderReply
	rep.Records = out
	for _, g := range r.sorted {
		rep.Add(codec.GroupTrunk{Group: g.nameBytes, TrunkServerID: []byte(g.trunkServer)})
	}
	return rep.Records
}

// groupCount is the number of groups.
func (r *registry) groupCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sorted)
}
