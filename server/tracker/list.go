package tracker

import (
	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/conf"
)

// Monitor lists (client.md §4.5, §4.6): LIST_ONE_GROUP (90),
// LIST_ALL_GROUPS (91), LIST_STORAGE (92), in the configured list dialect.

func handleListOneGroup(s *Server, _ *connState, body, out []byte) ([]byte, codec.Errno) {
	var req codec.GroupNameRequest
	if err := req.Decode(body); err != nil {
		return out, errnoOf(err)
	}
	r := s.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.group(req.GroupName)
	if g == nil {
		return out, codec.ENOENT
	}
	st := s.groupStat(g)
	return st.Append(out), codec.OK
}

func handleListAllGroups(s *Server, _ *connState, body, out []byte) ([]byte, codec.Errno) {
	if len(body) != 0 {
		return out, codec.EINVAL
	}
	r := s.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	if int64(len(r.sorted)*s.dialect.List.GroupStatSize()+headerSize) > s.maxBody+headerSize {
		return out, codec.ENOSPC // C: the answer must fit max_buff_size
	}
	for _, g := range r.sorted {
		st := s.groupStat(g)
		out = st.Append(out)
	}
	return out, codec.OK
}

// groupStat fills a group-stat record (caller holds the lock).
func (s *Server) groupStat(g *group) codec.GroupStat {
	trunkID := int64(-1)
	if s.cfg.UseTrunkFile {
		trunkID = g.currentTrunkFileID
	}
	return codec.GroupStat{
		Dialect:             s.dialect.List,
		GroupName:           g.nameBytes,
		TotalMB:             g.totalMB,
		FreeMB:              g.freeMB,
		ReservedMB:          reservedMB(s.cfg.ReservedStorageSpace, g.totalMB),
		TrunkFreeMB:         g.trunkFreeMB,
		StorageCount:        int64(len(g.storages)),
		StoragePort:         int64(g.port),
		ActiveCount:         int64(g.activeCount()),
		ReadableServerCount: int64(len(g.readable)),
		WritableServerCount: int64(len(g.writable)),
		CurrentWriteServer:  int64(g.currentWriteServer),
		StorePathCount:      int64(g.storePathCount),
		SubdirCountPerPath:  int64(g.subdirCount),
		CurrentTrunkFileID:  trunkID,
	}
}

func handleListStorage(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	var req codec.ListStorageRequest
	if err := req.Decode(body); err != nil {
		return out, errnoOf(err)
	}
	r := s.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.group(req.GroupName)
	if g == nil {
		return out, codec.ENOENT
	}
	if len(req.StorageID) > 0 {
		m := g.find(string(req.StorageID))
		if m == nil {
			return out, codec.ENOENT
		}
		st := s.storageStat(m, cs.peerClass)
		return st.Append(out), codec.OK
	}
	for _, m := range g.byID {
		st := s.storageStat(m, cs.peerClass)
		out = st.Append(out)
	}
	return out, codec.OK
}

// storageStat fills a storage-stat record for a peer of the given IP class
// (a dual-IP storage is listed by the address for that class, as C does).
// Caller holds the lock.
func (s *Server) storageStat(m *storage, peer conf.IPClass) codec.StorageStat {
	return codec.StorageStat{
		Dialect:            s.dialect.List,
		IPSize:             s.dialect.IPSize,
		Status:             m.status,
		RWMode:             m.rwMode,
		ID:                 m.idBytes,
		IP:                 m.ipFor(peer),
		SrcID:              []byte(m.syncSrcID),
		Version:            []byte(m.version),
		JoinTime:           m.joinTime,
		UpTime:             m.upTime,
		TotalMB:            m.totalMB,
		FreeMB:             m.freeMB,
		ReservedMB:         reservedMB(s.cfg.ReservedStorageSpace, m.totalMB),
		UploadPriority:     m.uploadPriority,
		StorePathCount:     int64(m.storePathCount),
		SubdirCountPerPath: int64(m.subdirCount),
		CurrentWritePath:   int64(m.currentWritePath),
		StoragePort:        int64(m.port),
		Stat:               m.stat,
		IfTrunkServer:      m.group.trunkServer != "" && m.group.trunkServer == m.id,
	}
}
