package report

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

// TrunkServer is what the reporter needs of the storage's trunk side.
type TrunkServer interface {
	// TrunkParams takes the trunk keys of the PARAMETER_REQ reply.
	TrunkParams(p codec.Parameters)
	// TrunkNotice takes every change notice (it may name the trunk server).
	TrunkNotice(n *codec.ChangeNotice)
	// TrunkFree is the trunk allocator's free space in bytes; serving is
	// false unless trunk files are on and a tracker named this storage the
	// group's trunk server; err: the allocator does not open (reports wait).
	TrunkFree() (free int64, serving bool, err error)
	// ContainerID is the last trunk container id handed out;
	// RaiseContainerID makes new containers number after id.
	ContainerID() int32
	RaiseContainerID(id int32)
}

// trunkReport is one report session's memory of what it told its tracker.
type trunkReport struct {
	fetched  bool  // FETCH_TRUNK_FID done since we became trunk server
	lastFID  int32 // last id reported
	lastFree int64 // last free MB reported (-1: none)
}

// reportTrunk sends this session's due trunk reports.
func (l *link) reportTrunk(c *peercall.Conn) error {
	r := l.r
	t := r.cfg.Trunk
	if t == nil {
		return nil
	}
	r.saveContainerID()
	tr := &l.trunkRep
	freeBytes, serving, err := t.TrunkFree()
	if !serving {
		*tr = trunkReport{lastFree: -1}
		return nil
	}
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
			t.RaiseContainerID(id.ID)
			r.saveContainerID()
		} else {
			r.log.Warn("FETCH_TRUNK_FID", "tracker", l.addr, "status", status, "reply_len", len(reply))
		}
		tr.fetched = true
	}
	if id := t.ContainerID(); id > tr.lastFID {
		body := codec.TrunkFileID{ID: id}
		if status, _, err := r.exchange(c, codec.CmdStorageReportTrunkFID, body.Append(nil), 0); err != nil {
			return fmt.Errorf("REPORT_TRUNK_FID: %w", err)
		} else if status != codec.OK {
			return fmt.Errorf("REPORT_TRUNK_FID refused: %w", status)
		}
		tr.lastFID = id
	}
	if free := freeBytes / (1 << 20); free != tr.lastFree {
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

// saveContainerID writes current_trunk_file_id into .data_init_flag when
// it moved, as C does.
func (r *Reporter) saveContainerID() {
	id := r.cfg.Trunk.ContainerID()
	v := strconv.Itoa(int(id))
	if id == 0 || r.flag.Get("current_trunk_file_id") == v {
		return
	}
	if err := r.flag.Set("current_trunk_file_id", v); err != nil {
		r.log.Warn("save current_trunk_file_id", "err", err)
	}
}
