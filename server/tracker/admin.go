package tracker

import (
	"strconv"

	"github.com/gofdfs/gofdfs/codec"
)

// Administration (client.md §4.7-§4.10, §4.14): DELETE_STORAGE (93),
// DELETE_GROUP (108), GET_LEADER (95) and PARAMETER_REQ (75).

func handleDeleteStorage(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	if len(body) <= codec.GroupNameSize || len(body) >= codec.GroupNameSize+codec.StorageIDSize {
		return out, codec.EINVAL
	}
	groupName := codec.FixedBytes(body[:codec.GroupNameSize])
	id := string(codec.FixedBytes(body[codec.GroupNameSize:]))
	r := s.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.group(groupName)
	if g == nil {
		return out, codec.ENOENT
	}
	m := g.find(id)
	if m == nil {
		return out, codec.ENOENT
	}
	switch m.status {
	case StatusIPChanged:
		return out, codec.ENOENT
	case StatusOnline, StatusActive, StatusRecovery:
		return out, codec.EBUSY
	case StatusDeleted:
		return out, codec.EALREADY
	}
	r.setStatus(m, StatusDeleted)
	m.clearStats()
	for _, o := range g.storages {
		if o.syncSrcID == m.id {
			o.syncSrcID = "" // C keeps sync_until_timestamp (tracker_files/)
		}
	}
	line := codec.ChangelogLine{Timestamp: r.unix(), Group: g.nameBytes, StorageID: m.idBytes, Status: StatusDeleted}
	if err := r.appendChangelog(line.Append(nil)); err != nil {
		s.log.Error("append changelog", "group", g.name, "storage", m.id, "err", err)
		return out, codec.EIO
	}
	s.log.Info("storage deleted", "peer", cs.peer, "group", g.name, "storage", m.id)
	r.saveServers()
	return out, codec.OK
}

func handleDeleteGroup(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
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
	// Deleted and superseded records are history, not members: a group
	// whose storages were all deleted can go.
	for _, m := range g.storages {
		if m.status != StatusDeleted && m.status != StatusIPChanged {
			return out, codec.EBUSY
		}
	}
	r.removeGroup(g)
	s.log.Info("group deleted", "peer", cs.peer, "group", g.name)
	r.saveGroups()
	r.saveServers()
	return out, codec.OK
}

// handleGetLeader answers GET_LEADER (95): the elected leader, ENOENT
// while there is none. Of a dual-IP leader the address of the asker's IP
// family is given.
func handleGetLeader(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	if len(body) != 0 {
		return out, codec.EINVAL
	}
	leader, ok := s.cl.leaderAddr()
	if !ok {
		return out, codec.ENOENT
	}
	ip, port := leader.ips[0], leader.port
	for _, a := range leader.ips {
		if a.Is4() == cs.peerIP.Is4() {
			ip = a
			break
		}
	}
	if ip.Is6() {
		out = append(out, '[')
		out = ip.AppendTo(out)
		out = append(out, ']')
	} else {
		out = ip.AppendTo(out)
	}
	out = append(out, ':')
	return strconv.AppendInt(out, int64(port), 10), codec.OK
}

func handleParameterReq(s *Server, _ *connState, body, out []byte) ([]byte, codec.Errno) {
	if len(body) != 0 {
		return out, codec.EINVAL
	}
	return s.parameters().Append(out), codec.OK
}

// parameters is the PARAMETER_REQ reply: the 26 keys of the C tracker, in
// its order (cluster_startup_fresh, 740 bytes with the sample conf).
func (s *Server) parameters() codec.Parameters {
	c := s.cfg
	b := func(v bool) string {
		if v {
			return "1"
		}
		return "0"
	}
	i := func(v int64) string { return strconv.FormatInt(v, 10) }
	secs := func(d interface{ Seconds() float64 }) string { return i(int64(d.Seconds())) }
	return codec.Parameters{
		{Key: "use_storage_id", Value: b(c.UseStorageID)},
		{Key: "id_type_in_filename", Value: string(c.IDTypeInFilename)},
		{Key: "trust_storage_server_id", Value: b(c.TrustStorageServerID)},
		{Key: "response_ip_addr_size", Value: i(int64(c.ResponseIPAddrSize.Width(c.UseStorageID, c.StorageIDs)))},
		{Key: "storage_ip_changed_auto_adjust", Value: b(c.StorageIPChangedAutoAdjust)},
		{Key: "storage_sync_file_max_delay", Value: secs(c.StorageSyncFileMaxDelay)},
		{Key: "store_path", Value: i(int64(c.StorePath))},
		{Key: "reserved_storage_space", Value: c.ReservedStorageSpace.String()},
		{Key: "use_trunk_file", Value: b(c.UseTrunkFile)},
		{Key: "slot_min_size", Value: i(c.SlotMinSize)},
		{Key: "slot_max_size", Value: i(c.SlotMaxSize)},
		{Key: "trunk_alloc_alignment_size", Value: i(int64(c.TrunkAllocAlignmentSize))},
		{Key: "trunk_file_size", Value: i(c.TrunkFileSize)},
		{Key: "trunk_create_file_advance", Value: b(c.TrunkCreateFileAdvance)},
		{Key: "trunk_create_file_time_base", Value: c.TrunkCreateFileTimeBase.String()},
		{Key: "trunk_create_file_interval", Value: secs(c.TrunkCreateFileInterval)},
		{Key: "trunk_create_file_space_threshold", Value: i(c.TrunkCreateFileSpaceThreshold)},
		{Key: "trunk_init_check_occupying", Value: b(c.TrunkInitCheckOccupying)},
		{Key: "trunk_init_reload_from_binlog", Value: b(c.TrunkInitReloadFromBinlog)},
		{Key: "trunk_free_space_merge", Value: b(c.TrunkFreeSpaceMerge)},
		{Key: "delete_unused_trunk_files", Value: b(c.DeleteUnusedTrunkFiles)},
		{Key: "trunk_compress_binlog_min_interval", Value: secs(c.TrunkCompressBinlogMinInterval)},
		{Key: "trunk_compress_binlog_interval", Value: secs(c.TrunkCompressBinlogInterval)},
		{Key: "trunk_compress_binlog_time_base", Value: c.TrunkCompressBinlogTimeBase.String()},
		{Key: "trunk_binlog_max_backups", Value: i(int64(c.TrunkBinlogMaxBackups))},
		{Key: "store_slave_file_use_link", Value: b(c.StoreSlaveFileUseLink)},
	}
}
