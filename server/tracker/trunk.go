package tracker

import (
	"errors"
	"syscall"

	"github.com/gofdfs/gofdfs/codec"
)

// handleSetTrunkServer answers SERVER_SET_TRUNK_SERVER (94): body = group[16]
// plus an optional storage id, under 32 bytes in all (client.md §4.8). The
// checks come in C's order: length, group, then "leader with trunk files
// on" (EOPNOTSUPP, so the admin tool moves on to the next tracker), so a
// tracker with use_trunk_file off, the default and all that our storages
// serve, answers EINVAL, ENOENT or EOPNOTSUPP and nothing else.
func handleSetTrunkServer(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	if len(body) < codec.GroupNameSize || len(body) >= codec.GroupNameSize+codec.StorageIDSize {
		return out, codec.EINVAL
	}
	id := string(codec.FixedBytes(body[codec.GroupNameSize:]))
	r := s.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.group(codec.FixedBytes(body[:codec.GroupNameSize]))
	if g == nil {
		return out, codec.ENOENT
	}
	if !s.cfg.UseTrunkFile || !s.cl.isLeader() {
		return out, codec.EOPNOTSUPP
	}
	cur := g.find(g.trunkServer)
	curActive := cur != nil && cur.status == StatusActive
	if id == "" {
		if curActive {
			return appendTrunkID(out, cur.id), codec.OK
		}
		// elect one now, as C does (it asks the candidates on the spot)
		name := g.name
		r.mu.Unlock()
		got, err := s.electTrunkServer(name)
		r.mu.Lock()
		if err != nil {
			s.log.Warn("SET_TRUNK_SERVER: election failed", "peer", cs.peer, "group", name, "err", err)
			return out, electionErrno(err)
		}
		return appendTrunkID(out, got), codec.OK
	}
	if curActive {
		if cur.id == id {
			return out, codec.EALREADY
		}
		return out, codec.EEXIST
	}
	m := g.find(id)
	switch {
	case m == nil:
		return out, codec.ENOENT
	case m.status != StatusActive:
		return out, codec.ENONET
	case !m.canWrite():
		return out, codec.EACCES
	}
	s.setTrunkServer(g, m)
	s.log.Info("trunk server set", "peer", cs.peer, "group", g.name, "storage", m.id)
	return appendTrunkID(out, m.id), codec.OK
}

// electionErrno is the status of a failed election: the storage's or the
// network's errno, ENOENT without a candidate.
func electionErrno(err error) codec.Errno {
	var e codec.Errno
	if errors.As(err, &e) {
		return e
	}
	var se syscall.Errno
	if errors.As(err, &se) && se > 0 && se < 256 {
		return codec.Errno(se)
	}
	return codec.EIO
}

// appendTrunkID is the success reply: the id and one NUL.
func appendTrunkID(out []byte, id string) []byte {
	out = append(out, id...)
	return append(out, 0)
}

// setTrunkServer records m as its group's trunk server: the followers get
// it with their next PING reply (the change count moves) and the groups
// file keeps it. Caller holds the registry lock.
func (s *Server) setTrunkServer(g *group, m *storage) {
	g.trunkServer, g.lastTrunkServer = m.id, m.id
	g.trunkChanges++
	s.cl.mu.Lock()
	s.cl.trunkChanges++
	s.cl.mu.Unlock()
	s.reg.saveGroups()
}
