package tracker

import (
	"bytes"
	"net/netip"
	"strconv"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/conf"
)

// STORAGE_JOIN (81, cluster.md §1.2): a storage logs in on its report
// connection. The steps below keep C's order and status rules.

func handleJoin(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	var req codec.StorageJoinRequest
	if err := req.Decode(body); err != nil {
		s.log.Warn("bad JOIN", "peer", cs.peer, "err", err)
		return out, errnoOf(err)
	}
	if req.StoragePort <= 0 || req.StoragePort > 65535 ||
		req.StorePathCount < 1 || req.StorePathCount > codec.MaxStorePaths ||
		req.SubdirCountPerPath < 1 || req.SubdirCountPerPath > 256 {
		s.log.Warn("JOIN with bad port or path counts", "peer", cs.peer, "group", string(req.GroupName),
			"port", req.StoragePort, "store_paths", req.StorePathCount, "subdirs", req.SubdirCountPerPath)
		return out, codec.EINVAL
	}
	self, ok := s.findSelf(cs, &req)
	if !ok {
		s.log.Warn("JOIN: this tracker is not in the storage's tracker list", "peer", cs.peer,
			"group", string(req.GroupName), "trackers", string(bytes.ReplaceAll(req.TrackerList, []byte("\n"), []byte(" "))))
		return out, codec.ENOENT
	}
	s.learnSelf(self)
	s.learnTrackers(&req, self)
	if !s.sys.settled() {
		// OnTraffic holds a JOIN back until its pull is done
		// (joinBootstrap); this one raced another connection's pull
		return out, codec.EAGAIN
	}

	r := s.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	m, st := r.join(cs, &req)
	if st != codec.OK {
		s.log.Warn("JOIN refused", "peer", cs.peer, "group", string(req.GroupName), "status", st.Name())
		return out, st
	}
	s.log.Info("storage joined", "peer", cs.peer, "group", m.group.name, "storage", m.id,
		"status", statusName(m.status), "init_flag", req.InitFlag, "reported", req.Status)
	reply := codec.StorageJoinReply{Status: m.status, SrcID: []byte(m.syncSrcID)}
	return reply.Append(out), codec.OK
}

// findSelf looks for this tracker in the JOIN's tracker list: an entry with
// one of our addresses (bind address, the address the storage reached, the
// current_tracker_ip it says it targets) and our port.
func (s *Server) findSelf(cs *connState, req *codec.StorageJoinRequest) (netip.Addr, bool) {
	port := s.port()
	var mine [3]netip.Addr
	s.mu.Lock()
	mine[0] = s.addr.Addr().Unmap()
	s.mu.Unlock()
	mine[1] = cs.localIP
	if a, err := netip.ParseAddr(string(req.CurrentTrackerIP)); err == nil {
		mine[2] = a.Unmap()
	}
	for entry := range req.Trackers() {
		ips, p, ok := splitTrackerEntry(entry)
		if !ok || p != port {
			continue
		}
		for _, ip := range ips {
			a, err := netip.ParseAddr(string(ip))
			if err != nil {
				continue
			}
			a = a.Unmap()
			for _, m := range mine {
				if m.IsValid() && !m.IsUnspecified() && m == a {
					return a, true
				}
			}
		}
	}
	return netip.Addr{}, false
}

// splitTrackerEntry reads "ip:port", "ip1,ip2:port", "[v6]:port" or
// "[v6a,v6b]:port".
func splitTrackerEntry(e []byte) (ips [][]byte, port int, ok bool) {
	i := bytes.LastIndexByte(e, ':')
	if i <= 0 {
		return nil, 0, false
	}
	p, err := strconv.Atoi(string(e[i+1:]))
	if err != nil {
		return nil, 0, false
	}
	host := e[:i]
	if len(host) >= 2 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	return bytes.Split(host, []byte(",")), p, true
}

// learnSelf remembers our own IP when we listen on every address: it names
// us in leader briefs and GET_LEADER.
func (s *Server) learnSelf(ip netip.Addr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.learnedIP.IsValid() {
		s.learnedIP = ip
	}
}

// learnTrackers merges the JOIN's tracker list into the cluster (the first
// JOIN defines it). A tracker that finds itself alone leads at once: there
// is nobody to ask, and its storages get the leader brief with their first
// beat, as from a lone C tracker after its first election.
func (s *Server) learnTrackers(req *codec.StorageJoinRequest, self netip.Addr) {
	var list []trackerAddr
	for e := range req.Trackers() {
		if a, ok := parseTrackerEntry(e); ok {
			list = append(list, a)
		}
	}
	alone, ok := s.cl.learn(list, self, s.port())
	if !ok {
		return
	}
	s.cl.mu.Lock()
	defer s.cl.mu.Unlock()
	if alone && s.cl.leader < 0 {
		s.cl.setLeaderLocked(s.cl.self)
		s.log.Info("lone tracker, leading", "addr", s.cl.trackers[s.cl.self].String())
	}
}

// join applies steps 5-12 of cluster.md §1.2 (caller holds the lock).
func (r *registry) join(cs *connState, req *codec.StorageJoinRequest) (*storage, codec.Errno) {
	cfg := r.cfg
	port := int(req.StoragePort)
	groupName := string(req.GroupName)

	// step 6: the storage's identity
	id := cs.peer
	rw := codec.RWModeBoth
	var dual *dualIP
	if cfg.UseStorageID && cfg.StorageIDs != nil {
		var e *conf.StorageID
		if cfg.TrustStorageServerID && len(req.StorageID) > 0 {
			e = cfg.StorageIDs.ByID(string(req.StorageID))
			if e == nil {
				return nil, codec.ENOENT
			}
			if e.Group != groupName {
				return nil, codec.EINVAL
			}
		} else {
			e = cfg.StorageIDs.ByAddr(cs.peer, port)
			if e == nil || e.Group != groupName {
				return nil, codec.ENOENT
			}
		}
		id = e.ID
		rw = wireRWMode(e.RW)
		addrs := e.IPs
		if len(addrs) == 0 {
			addrs = e.Hosts
		}
		dual = newDualIP(addrs)
	}

	g := r.groups[groupName]
	created := false
	if g == nil {
		g = newGroup(groupName, r.cfg.StoreServer) // not registered before the checks pass
		created = true
	}
	m := g.find(id)

	// step 7: port consistency
	newPort := g.port
	if g.port == 0 {
		newPort = port
	} else if g.port != port {
		switch {
		case cfg.UseStorageID && cfg.IDTypeInFilename == conf.IDTypeID:
			newPort = -1
		case allMembers(g, m, func(o *storage) bool { return o.port == port }):
			newPort = port
		default:
			return nil, codec.EINVAL
		}
	}
	// step 8: a removed server may not come back silently
	if m == nil && !req.InitFlag && (req.Status < 0 || byte(req.Status) == StatusIPChanged ||
		byte(req.Status) == StatusDeleted || byte(req.Status) == StatusNone) {
		return nil, codec.EFAULT
	}
	// step 10 (checked before anything changes): path and subdir counts
	newPaths, newSubdirs := g.storePathCount, g.subdirCount
	if pc := int(req.StorePathCount); g.storePathCount == 0 {
		newPaths = pc
	} else if pc != g.storePathCount {
		if allMembers(g, m, func(o *storage) bool { return o.storePathCount == pc }) {
			newPaths = pc
		} else if pc < g.storePathCount {
			return nil, codec.EINVAL
		}
	}
	if sc := int(req.SubdirCountPerPath); g.subdirCount == 0 {
		newSubdirs = sc
	} else if sc != g.subdirCount {
		if !allMembers(g, m, func(o *storage) bool { return o.subdirCount == sc }) {
			return nil, codec.EINVAL
		}
		newSubdirs = sc
	}

	// step 5: the group exists from now on
	if created {
		g = r.addGroup(groupName) // saved with everything below: a new group means a new storage
	}
	g.port, g.storePathCount, g.subdirCount = newPort, newPaths, newSubdirs

	// step 9: add or update the record
	inserted := false
	if m == nil {
		m = newStorage(g, id, cs.peer, port)
		m.rwMode = rw
		m.status = StatusInit
		if !req.InitFlag && req.Status > 0 {
			m.status = byte(req.Status)
			if m.status == StatusActive {
				m.status = StatusOnline
			}
		}
		g.add(m)
		inserted = true
	} else {
		if m.status == StatusDeleted || m.status == StatusIPChanged {
			r.setStatus(m, StatusInit)
		}
		if m.ip != cs.peer || m.port != port {
			m.setIdentity(m.id, cs.peer, port)
		}
		m.rwMode = rw
	}
	m.dual = dual
	m.storePathCount = int(req.StorePathCount)
	m.subdirCount = int(req.SubdirCountPerPath)
	m.uploadPriority = req.UploadPriority
	m.joinTime = req.JoinTime
	m.upTime = req.UpTime
	m.version = string(req.Version)

	// step 12: back online; a new storage needs no changelog history
	switch m.status {
	case StatusOffline, StatusRecovery:
		r.setStatus(m, StatusOnline)
	case StatusInit:
		m.changelogOffset = int64(len(r.changelog))
	}
	m.conn = cs
	cs.storage = m
	cs.leaderNoticed = 0
	// step 11
	if inserted {
		r.saveAll()
	}
	return m, codec.OK
}

// allMembers reports whether every live member other than self satisfies ok.
func allMembers(g *group, self *storage, ok func(*storage) bool) bool {
	for _, o := range g.storages {
		if o == self || o.status == StatusDeleted || o.status == StatusIPChanged {
			continue
		}
		if !ok(o) {
			return false
		}
	}
	return true
}
