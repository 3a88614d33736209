package storage

import "github.com/gofdfs/gofdfs/codec"

// The receiving side of the trunk binlog's replication; the trunk server's
// pushers are in package replica (trunk_push.go).

// trunkBinlogCommand serves TRUNK_SYNC_BINLOG, TRUNK_TRUNCATE_BINLOG_FILE
// and TRUNK_DELETE_BINLOG_MARKS with C's refusals: EINVAL without
// use_trunk_file, and EINVAL on the trunk server itself (its binlog is
// the group's: nobody may overwrite it).
func (s *Server) trunkBinlogCommand(cs *connState, hdr codec.Header, body []byte) (codec.Errno, []byte) {
	name := codec.CmdName(hdr.Cmd)
	if hdr.Cmd == codec.CmdTrunkSyncBinlog {
		var r codec.TrunkBinlogChunk
		if err := r.Decode(body); err != nil {
			s.log.Warn(name+" refused", "peer", cs.peer, "err", err)
			return codec.EINVAL, nil
		}
	} else if len(body) != 0 {
		return codec.EINVAL, nil
	}
	if !s.trunk.on.Load() {
		s.log.Warn(name+" refused: use_trunk_file is off", "peer", cs.peer)
		return codec.EINVAL, nil
	}
	if s.isTrunkServer() {
		s.log.Warn(name+" refused: this storage is the trunk server", "peer", cs.peer)
		return codec.EINVAL, nil
	}
	st, err := s.trunkStore()
	if err != nil {
		return codec.EIO, nil
	}
	switch hdr.Cmd {
	case codec.CmdTrunkSyncBinlog:
		err = st.AppendSynced(body)
	case codec.CmdTrunkTruncateBinlogFile:
		s.trunk.mu.Lock()
		keep := s.trunk.maxBackups
		s.trunk.mu.Unlock()
		err = st.Truncate(keep)
		if err == nil {
			s.log.Info("trunk binlog truncated by the trunk server", "peer", cs.peer)
		}
	default:
		err = st.DeleteBinlogMarks()
	}
	if err != nil {
		s.log.Error(name, "peer", cs.peer, "err", err)
		return errnoOf(err), nil
	}
	return codec.OK, nil
}
