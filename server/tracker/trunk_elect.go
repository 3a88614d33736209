package tracker

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// Trunk-server election (use_trunk_file = true, leader only), as C ranks
// the candidates:
//
//  1. the group's store server is asked first for the size of its trunk
//     binlog (TRUNK_GET_BINLOG_SIZE); if it does not answer there is no
//     election this time;
//  2. every other writable ACTIVE member is asked in id order; one that
//     does not answer is passed over; a strictly larger binlog wins (ties
//     keep the earlier candidate);
//  3. if the group had another trunk server before, the winner is first
//     told TRUNK_DELETE_BINLOG_MARKS (its peers must fetch its whole trunk
//     binlog again); if that fails there is no election this time.
//
// A group without a trunk server gets one at the next tick; a trunk server
// silent for check_trunk_times x check_active_interval (2, or 3 during its
// first 10 intervals of uptime; 5 with trunk_init_check_occupying; doubled
// with trunk_init_reload_from_binlog) is dropped and another elected.
// Elections talk to storages, so they run off the event loop, one at a time
// per group.

// trunkElections tracks the running elections. The zero value is ready.
type trunkElections struct {
	mu      sync.Mutex
	running map[string]bool // group name -> an election is under way
	wg      sync.WaitGroup
}

// trunkCandidate is a storage to ask, copied out of the registry.
type trunkCandidate struct {
	id   string
	addr string
}

// checkTrunkServers runs from tick: drop silent trunk servers and start an
// election for every group without one.
func (s *Server) checkTrunkServers() {
	if !s.cfg.UseTrunkFile || !s.cl.isLeader() {
		return
	}
	r := s.reg
	var need []string
	dropped := map[string]bool{}
	r.mu.Lock()
	now := r.unix()
	interval := int64(s.cfg.CheckActiveInterval / time.Second)
	for _, g := range r.sorted {
		if g.trunkServer != "" {
			m := g.find(g.trunkServer)
			if m == nil {
				s.dropTrunkServer(g, "no longer a member")
				dropped[g.name] = true
			} else if idle := now - m.stat.LastHeartBeatTime; idle > s.trunkCheckTimes(now-m.upTime)*interval {
				s.dropTrunkServer(g, "silent for "+strconv.FormatInt(idle, 10)+" s")
				dropped[g.name] = true
			}
		}
		if g.trunkServer == "" && g.storeServer != nil {
			need = append(need, g.name)
		}
	}
	r.mu.Unlock()
	for _, name := range need {
		s.startTrunkElection(name, dropped[name])
	}
}

// trunkCheckTimes is how many check_active_interval a trunk server may be
// silent, by its uptime in seconds.
func (s *Server) trunkCheckTimes(up int64) int64 {
	if up > 10*int64(s.cfg.CheckActiveInterval/time.Second) {
		return 2
	}
	n := int64(3)
	if s.cfg.TrunkInitCheckOccupying {
		n = 5
	}
	if s.cfg.TrunkInitReloadFromBinlog {
		n *= 2
	}
	return n
}

// dropTrunkServer clears a group's trunk server (registry lock held); the
// members hear "no trunk server" with their next notice. The last trunk
// server is kept: a different successor must drop its binlog marks.
func (s *Server) dropTrunkServer(g *group, why string) {
	s.log.Warn("trunk server dropped, electing another", "group", g.name, "storage", g.trunkServer, "why", why)
	g.trunkServer = ""
	g.trunkChanges++
	s.cl.mu.Lock()
	s.cl.trunkChanges++
	s.cl.mu.Unlock()
	s.reg.saveGroups()
}

// startTrunkElection runs an election for the group in the background
// unless one is running. After a drop (dropped), a failed election also
// forgets the last trunk server, as C does when it finds no successor.
func (s *Server) startTrunkElection(group string, dropped bool) {
	e := &s.trunkElect
	e.mu.Lock()
	if e.running[group] {
		e.mu.Unlock()
		return
	}
	if e.running == nil {
		e.running = map[string]bool{}
	}
	e.running[group] = true
	e.wg.Add(1)
	e.mu.Unlock()
	go func() {
		defer func() {
			e.mu.Lock()
			delete(e.running, group)
			e.mu.Unlock()
			e.wg.Done()
		}()
		if _, err := s.electTrunkServer(group); err != nil {
			s.log.Warn("trunk server election", "group", group, "err", err)
			if dropped {
				s.reg.mu.Lock()
				if g := s.reg.group([]byte(group)); g != nil && g.trunkServer == "" {
					g.lastTrunkServer = ""
					s.reg.saveGroups()
				}
				s.reg.mu.Unlock()
			}
		}
	}()
}

// electTrunkServer elects the group's trunk server now and returns its id.
func (s *Server) electTrunkServer(group string) (string, error) {
	r := s.reg
	r.mu.Lock()
	g := r.group([]byte(group))
	if g == nil {
		r.mu.Unlock()
		return "", fmt.Errorf("group %s: %w", group, codec.ENOENT)
	}
	if cur := g.find(g.trunkServer); cur != nil && cur.status == StatusActive {
		id := cur.id
		r.mu.Unlock()
		return id, nil
	}
	if g.storeServer == nil {
		r.mu.Unlock()
		return "", fmt.Errorf("group %s has no writable ACTIVE storage: %w", group, codec.ENOENT)
	}
	cands := []trunkCandidate{{id: g.storeServer.id, addr: hostPort(g.storeServer.ip, g.storeServer.port)}}
	for _, m := range g.writable {
		if m != g.storeServer {
			cands = append(cands, trunkCandidate{id: m.id, addr: hostPort(m.ip, m.port)})
		}
	}
	last := g.lastTrunkServer
	r.mu.Unlock()

	best := cands[0]
	bestSize, err := s.trunkBinlogSize(best.addr)
	if err != nil {
		return "", fmt.Errorf("store server %s (%s): %w", best.id, best.addr, err)
	}
	for _, c := range cands[1:] {
		size, err := s.trunkBinlogSize(c.addr)
		if err != nil {
			s.log.Info("trunk candidate did not answer", "group", group, "storage", c.id, "err", err)
			continue
		}
		if size > bestSize {
			best, bestSize = c, size
		}
	}
	if last != "" && last != best.id {
		if err := s.storageCall(best.addr, codec.CmdTrunkDeleteBinlogMarks, 0); err != nil {
			return "", fmt.Errorf("TRUNK_DELETE_BINLOG_MARKS to %s (%s): %w", best.id, best.addr, err)
		}
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	g = r.group([]byte(group))
	m := (*storage)(nil)
	if g != nil {
		m = g.find(best.id)
	}
	if m == nil || m.status != StatusActive || !m.canWrite() {
		return "", fmt.Errorf("group %s: elected storage %s left meanwhile: %w", group, best.id, codec.ENOENT)
	}
	if cur := g.find(g.trunkServer); cur != nil && cur.status == StatusActive {
		return cur.id, nil // set meanwhile (SET_TRUNK_SERVER)
	}
	s.setTrunkServer(g, m)
	s.log.Info("trunk server elected", "group", group, "storage", m.id, "trunk_binlog_size", bestSize)
	return m.id, nil
}

// trunkBinlogSize asks a storage for the size of its trunk binlog.
func (s *Server) trunkBinlogSize(addr string) (int64, error) {
	body, err := s.storageExchange(addr, codec.CmdTrunkGetBinlogSize, 8)
	if err != nil {
		return 0, err
	}
	var r codec.TrunkBinlogSize
	if err := r.Decode(body); err != nil {
		return 0, err
	}
	return r.BinlogSize, nil
}

// storageCall sends a header-only command to a storage and checks that the
// reply carries want body bytes and status 0.
func (s *Server) storageCall(addr string, cmd byte, want int) error {
	_, err := s.storageExchange(addr, cmd, want)
	return err
}

// storageExchange sends a header-only command and returns the reply body,
// which must be want bytes long.
func (s *Server) storageExchange(addr string, cmd byte, want int) ([]byte, error) {
	c, err := net.DialTimeout("tcp", addr, s.cfg.ConnectTimeout)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(s.cfg.NetworkTimeout))
	if _, err := c.Write(codec.Request(cmd, 0).Append(nil)); err != nil {
		return nil, err
	}
	var hb [codec.HeaderSize]byte
	if _, err := io.ReadFull(c, hb[:]); err != nil {
		return nil, err
	}
	h, err := codec.DecodeHeader(hb[:])
	if err != nil {
		return nil, err
	}
	if h.Status != 0 {
		return nil, fmt.Errorf("%s: %w", codec.CmdName(cmd), codec.Errno(h.Status))
	}
	if h.BodyLen != int64(want) {
		return nil, fmt.Errorf("%s: reply body of %d bytes, want %d", codec.CmdName(cmd), h.BodyLen, want)
	}
	body := make([]byte, want)
	if _, err := io.ReadFull(c, body); err != nil {
		return nil, err
	}
	return body, nil
}

// waitTrunkElections waits for the running elections (server stop).
func (s *Server) waitTrunkElections() { s.trunkElect.wg.Wait() }
