package replica

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// The pusher's side of the tracker: who copies to a new member (86), and
// the member's status pushed while copying (76).

// setup asks the leader for the peer's sync source (SYNC_SRC_REQ, 86):
// are we its full-copy source, and until when (§4.4 step 2).
func (p *pusher) setup(peer Peer) error {
	src, until, err := p.askSyncSource()
	if err != nil {
		return err
	}
	return p.takeSource(peer, src, until)
}

// recheckSource asks the leader again for the source of a peer that copies
// from another member; only a change that makes us its source matters.
func (p *pusher) recheckSource(peer Peer) error {
	src, until, err := p.askSyncSource()
	if err != nil {
		return err
	}
	if src != p.h.Trackers.OwnID() {
		return nil
	}
	p.h.Log.Info("this storage is now the full-copy source of the peer", "peer", p.id, "until", until)
	return p.takeSource(peer, src, until)
}

// takeSource applies the leader's answer about the peer's source.
func (p *pusher) takeSource(peer Peer, src string, until int64) error {
	own := p.h.Trackers.OwnID()
	m := &p.mark
	if src == own {
		// the same episode (we restarted during or just after the copy)
		// goes on; a new one (a new or wiped member) replays everything
		if !(p.hasMark && m.NeedSyncOld && m.Until == until) {
			*m = Mark{NeedSyncOld: true, Until: until}
			p.reportedSyncing = false
			p.h.Log.Info("full copy to new member", "peer", p.id, "until", until)
		}
	} else {
		m.NeedSyncOld, m.SyncOldDone = false, false
		if !p.hasMark {
			m.Until = until
		}
	}
	p.hasMark = true
	p.episode = peer.Status == StatusWaitSync || peer.Status == StatusSyncing
	if p.reader != nil {
		p.reader.Close()
		p.reader = nil
		p.openReader.Store(nil)
	}
	p.dirty++
	p.saveMark()
	return nil
}

// askSyncSource sends SYNC_SRC_REQ to the leader (first tracker while no
// leader is known) on a short connection.
func (p *pusher) askSyncSource() (string, int64, error) {
	r := p.h.Trackers
	p.sourceAsked = time.Now()
	addr := ""
	if l, ok := p.h.View.Leader(); ok {
		addr = net.JoinHostPort(l.IP, fmt.Sprint(l.Port))
	} else if addrs := r.Addrs(); len(addrs) > 0 {
		addr = addrs[0]
	}
	if addr == "" {
		return "", 0, errors.New("no tracker")
	}
	c, err := r.Dial(addr)
	if err != nil {
		return "", 0, err
	}
	defer r.Quit(c)
	req := codec.SyncSourceRequest{Group: p.h.Group, DestID: []byte(p.id)}
	st, reply, err := r.Call(c, codec.CmdStorageSyncSrcReq, req.Append(nil), codec.SyncSourceSize)
	if err != nil {
		return "", 0, err
	}
	if st != codec.OK {
		return "", 0, fmt.Errorf("tracker %s: status %d", addr, st)
	}
	var sr codec.SyncSourceReply
	if err := sr.Decode(reply); err != nil {
		return "", 0, err
	}
	if !sr.Found {
		return "", 0, nil
	}
	return string(sr.Source.SrcID), sr.Source.Until, nil
}

// reportStatus pushes the peer's new status to every tracker (REPORT_STATUS
// on short connections, brief port 0 like C).
func (p *pusher) reportStatus(peer Peer, status byte) {
	r := p.h.Trackers
	req := codec.ReportStatusRequest{Group: p.h.Group,
		Storage: codec.StorageBrief{Status: status, ID: []byte(peer.ID), IP: []byte(peer.IP)}}
	body := req.Append(nil)
	for _, addr := range r.Addrs() {
		c, err := r.Dial(addr)
		if err != nil {
			p.h.Log.Warn("REPORT_STATUS", "tracker", addr, "peer", p.id, "err", err)
			continue
		}
		if st, _, err := r.Call(c, codec.CmdStorageReportStatus, body, 0); err != nil || st != codec.OK {
			p.h.Log.Warn("REPORT_STATUS", "tracker", addr, "peer", p.id, "status", st, "err", err)
		}
		r.Quit(c)
	}
	p.h.Log.Info("peer status reported", "peer", p.id, "status", status)
}
