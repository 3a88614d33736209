package storage

import (
	"fmt"
	"strconv"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/internal/peercall"
)

// The trunk server's reports to each tracker, after each beat as C sends
// them: the last container id handed out (STORAGE_REPORT_TRUNK_FID, when
// it grew) and the free trunk space in MB (STORAGE_REPORT_TRUNK_FREE, when
// it changed); on becoming trunk server, STORAGE_FETCH_TRUNK_FID first, so
// a new trunk server numbers its containers after the group's last one.
// current_trunk_file_id goes back into .data_init_flag when it moves.

// trunkReport is one report session's memory of what it told its tracker.
type trunkReport struct {
	fetched  bool  // FETCH_TRUNK_FID done since we became trunk server
	lastFID  int32 // last id reported
	lastFree int64 // last free MB reported (-1: none)
}

// reportTrunk sends this session's due trunk reports.
func (l *link) reportTrunk(c *peercall.Conn) error {
	r := l.r
	s := r.s
	s.saveContainerID(r.flag)
	tr := &l.trunkRep
	if !s.trunk.On() || !s.isTrunkServer() {
		*tr = trunkReport{lastFree: -1}
		return nil
	}
	st, err := s.trunkStore()
	if err != nil {
		return nil // logged where it opens; uploads answer for it
	}
	if !tr.fetched {
		status, reply, err := r.exchange(c, codec.CmdStorageFetchTrunkFID, nil, 4)
		if err != nil {
			return fmt.Errorf("FETCH_TRUNK_FID: %w", err)
		}
		var id codec.TrunkFileID
		if status == codec.OK && id.Decode(reply) == nil {
			s.raiseContainerID(id.ID)
			s.saveContainerID(r.flag)
		} else {
			s.log.Warn("FETCH_TRUNK_FID", "tracker", l.addr, "status", status, "reply_len", len(reply))
		}
		tr.fetched = true
	}
	id := s.trunk.ContainerID()
	if id > tr.lastFID {
		body := codec.TrunkFileID{ID: id}
		if status, _, err := r.exchange(c, codec.CmdStorageReportTrunkFID, body.Append(nil), 0); err != nil {
			return fmt.Errorf("REPORT_TRUNK_FID: %w", err)
		} else if status != codec.OK {
			return fmt.Errorf("REPORT_TRUNK_FID refused: %w", status)
		}
		tr.lastFID = id
	}
	if free := st.FreeBytes() / (1 << 20); free != tr.lastFree {
		body := codec.TrunkFreeSpace{FreeMB: free}
		if status, _, err := r.exchange(c, codec.CmdStorageReportTrunkFree, body.Append(nil), 0); err != nil {
			return fmt.Errorf("REPORT_TRUNK_FREE: %w", err)
		} else if status != codec.OK {
			return fmt.Errorf("REPORT_TRUNK_FREE refused: %w", status)
		}
		tr.lastFree = free
	}
	return nil
}

// raiseContainerID makes new containers number after id.
func (s *Server) raiseContainerID(id int32) {
	s.trunk.RaiseContainerID(id)
}

// saveContainerID writes current_trunk_file_id into .data_init_flag when
// it moved, as C does.
func (s *Server) saveContainerID(flag *dataFlag) {
	if flag == nil {
		return
	}
	id := s.trunk.ContainerID()
	v := strconv.Itoa(int(id))
	if id == 0 || flag.get("current_trunk_file_id") == v {
		return
	}
	if err := flag.set("current_trunk_file_id", v); err != nil {
		s.log.Warn("save current_trunk_file_id", "err", err)
	}
}
