package tracker

import (
	"cmp"
	"errors"
	"os"
	"path/filepath"
	"strconv"
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
	if m.id != g.lastTrunkServer {
		s.logTrunkChange(g, g.lastTrunkServer, m)
	}
	g.trunkServer, g.lastTrunkServer = m.id, m.id
	g.trunkChanges++
	s.cl.mu.Lock()
	s.cl.trunkChanges++
	s.cl.mu.Unlock()
	s.reg.saveGroups()
}

// The trunk server's reports (C's tracker_service.c, commands 72-74): the
// group's last trunk container id, which a new trunk server starts after,
// and its free trunk space, which fdfs_monitor shows as trunk_free_mb.
// They come on a joined connection (EACCES otherwise, C's
// TRACKER_CHECK_LOGINED, hence their joinedOnly entries in dispatch.go);
// only the group's trunk server may report.

// handleFetchTrunkFID answers STORAGE_FETCH_TRUNK_FID (72): no body; the
// reply is the group's current_trunk_file_id (4 bytes).
func handleFetchTrunkFID(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	if len(body) != 0 {
		return out, codec.EINVAL
	}
	r := s.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	id := codec.TrunkFileID{ID: int32(cs.storage.group.currentTrunkFileID)}
	return id.Append(out), codec.OK
}

// handleReportTrunkFID takes STORAGE_REPORT_TRUNK_FID (73): the trunk
// server's last container id (4 bytes); the group keeps the largest and
// saves it (storage_groups_new.dat).
func handleReportTrunkFID(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	var req codec.TrunkFileID
	if err := req.Decode(body); err != nil {
		return out, errnoOf(err)
	}
	r := s.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	m := cs.storage
	g := m.group
	if g.trunkServer != m.id {
		s.log.Warn("REPORT_TRUNK_FID from a storage that is not the trunk server", "peer", cs.peer, "storage", m.id)
		return out, codec.EINVAL
	}
	if int64(req.ID) > g.currentTrunkFileID {
		g.currentTrunkFileID = int64(req.ID)
		r.saveGroups()
	}
	return out, codec.OK
}

// handleReportTrunkFree takes STORAGE_REPORT_TRUNK_FREE (74): the trunk
// server's free trunk space in MB (8 bytes).
func handleReportTrunkFree(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	var req codec.TrunkFreeSpace
	if err := req.Decode(body); err != nil {
		return out, errnoOf(err)
	}
	r := s.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	m := cs.storage
	if m.group.trunkServer != m.id {
		s.log.Warn("REPORT_TRUNK_FREE from a storage that is not the trunk server", "peer", cs.peer, "storage", m.id)
		return out, codec.EINVAL
	}
	m.group.trunkFreeMB = req.FreeMB
	return out, codec.OK
}

// trunkChangeLogName is the tracker's record of trunk server changes,
// <base_path>/logs/trunk_server_change.log.
const trunkChangeLogName = "trunk_server_change.log"

// logTrunkChange appends one line to logs/trunk_server_change.log, as C
// writes it when a group's trunk server becomes another storage (local
// time):
//
//	[YYYY-mm-dd HH:MM:SS] <group>  <last>  =>  <new>\n
//
// a server is "ip:port" ("id/ip:port" with use_storage_id), "-" for none,
// or the bare id (id/- with storage ids) of a last one no longer known.
// Caller holds the registry lock.
func (s *Server) logTrunkChange(g *group, lastID string, now *storage) {
	if s.cfg.BasePath == "" {
		return
	}
	name := func(m *storage, id string) string {
		switch {
		case m == nil && s.cfg.UseStorageID:
			return cmp.Or(id, "-") + "/-"
		case m == nil:
			return cmp.Or(id, "-")
		case s.cfg.UseStorageID:
			return m.id + "/" + m.ip + ":" + strconv.Itoa(m.port)
		}
		return m.ip + ":" + strconv.Itoa(m.port)
	}
	var last *storage
	if lastID != "" {
		last = g.find(lastID)
	}
	line := "[" + s.now().Local().Format("2006-01-02 15:04:05") + "] " + g.name + "  " + name(last, lastID) +
		"  =>  " + name(now, "") + "\n"
	path := filepath.Join(s.cfg.BasePath, "logs", trunkChangeLogName)
	_ = os.MkdirAll(filepath.Dir(path), 0o755)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err == nil {
		_, err = f.WriteString(line)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		s.log.Warn("trunk server change log", "file", path, "err", err)
	}
}
