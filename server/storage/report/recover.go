package report

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/internal/peercall"
)

// A new member whose full-copy source vanished (cluster.md §4.6 end): it
// must not stay WAIT_SYNC/SYNCING for ever. Two ways in:
//   - every tracker answers its SYNC_NOTIFY with ENOENT (the source is
//     unknown or deleted there): C's path, GET_STATUS (71) to every tracker
//     for our highest status, SYNC_DEST_QUERY (79), and, while that status
//     is below OFFLINE, SYNC_DEST_REQ (87) again at the next join;
//   - the storage changelog says the source was DELETED: C only clears the
//     source, and its next join's empty SYNC_NOTIFY turns it ONLINE without
//     the old files. We clear it too but, while our copy is not finished,
//     also ask for a new source at once (rejoin + 87), so the member still
//     gets every file, from another member.

// notifyUnknown: SYNC_NOTIFY answered ENOENT on this link.
const notifyUnknown = int32(codec.ENOENT)

// allNotifyUnknown reports whether every tracker answered our last
// SYNC_NOTIFY with ENOENT.
func (r *Reporter) allNotifyUnknown() bool {
	for _, l := range r.links {
		if l.notifyResult.Load() != notifyUnknown {
			return false
		}
	}
	return len(r.links) > 0
}

// maxOwnStatus asks every tracker GET_STATUS (71) for our record and
// returns the highest status (ok false when no tracker answered).
func (r *Reporter) maxOwnStatus() (byte, bool) {
	ip := ""
	if p, ok := r.cfg.Host.MyIP(); ok {
		ip = p.String()
	}
	req := codec.StorageLookupRequest{Group: r.cfg.Group,
		Addr: []byte(net.JoinHostPort(ip, strconv.Itoa(r.port)))}
	body := req.Append(nil)
	var best byte
	found := false
	for _, l := range r.links {
		c, err := r.open(l.addr)
		if err != nil {
			continue
		}
		st, reply, err := r.exchange(c, codec.CmdStorageGetStatus, body, codec.StorageBriefSize)
		r.hangUp(c)
		if err != nil || st != codec.OK {
			r.log.Warn("GET_STATUS", "tracker", l.addr, "status", st, "err", err)
			continue
		}
		var b codec.StorageBrief
		if err := b.Decode(reply); err != nil {
			r.log.Warn("GET_STATUS reply", "tracker", l.addr, "err", err)
			continue
		}
		if !found || b.Status > best {
			best = b.Status
		}
		found = true
	}
	return best, found
}

// recoverSource runs C's recovery after every tracker refused our source
// (c is this link's report connection). The caller ends the session: the
// next join sends SYNC_DEST_REQ when the copy has to start over.
func (l *link) recoverSource(c *peercall.Conn) error {
	r := l.r
	status, ok := r.maxOwnStatus()
	if !ok {
		return fmt.Errorf("sync source %q unknown to every tracker; GET_STATUS unanswered", r.flag.Get("sync_src_server"))
	}
	// what the tracker recorded (logged: C sends it and keeps nothing either)
	if st, reply, err := r.exchange(c, codec.CmdStorageSyncDestQuery, nil, codec.SyncSourceSize); err == nil && st == codec.OK {
		var sr codec.SyncSourceReply
		if sr.Decode(reply) == nil && sr.Found {
			r.log.Info("SYNC_DEST_QUERY", "tracker", l.addr, "src", string(sr.Source.SrcID), "until", sr.Source.Until)
		}
	}
	old := r.flag.Get("sync_src_server")
	if status < StatusOffline {
		r.restartCopy("sync source unknown to every tracker", old, status)
		return fmt.Errorf("sync source %q gone: asking for a new one (%w)", old, errRejoin)
	}
	// our copy was finished: the source no longer matters
	if err := r.flag.Set("sync_src_server", ""); err != nil {
		r.log.Error("save .data_init_flag", "err", err)
	}
	return nil
}

// restartCopy forgets the sync source and marks the full copy as not
// set up, so that the next join asks SYNC_DEST_REQ (87) again.
func (r *Reporter) restartCopy(why, old string, status byte) {
	r.syncMu.Lock()
	defer r.syncMu.Unlock()
	if err := r.flag.Set("sync_old_done", "0", "sync_src_server", ""); err != nil {
		r.log.Error("save .data_init_flag", "err", err)
	}
	r.log.Warn("full copy starts over from a new source", "why", why, "old_src", old, "my_status", status)
}

// sourceChangelog follows the storage changelog for our own sync source
// (C: a DELETED source is cleared, an IP_CHANGED one renamed without
// storage ids). It reports whether the links must re-join.
func (r *Reporter) sourceChangelog(e ChangelogEntry) bool {
	if r.flag == nil {
		return false // a reporter built by hand in a test
	}
	src := r.flag.Get("sync_src_server")
	if src == "" || e.ID != src {
		return false
	}
	switch e.Status {
	case StatusIPChanged:
		if p := r.cfg.Host.Params(); !p.UseStorageID && !p.ClusterIDs && e.NewID != "" {
			if err := r.flag.Set("sync_src_server", e.NewID); err != nil {
				r.log.Error("save .data_init_flag", "err", err)
			}
		}
		return false
	case StatusDeleted:
		st, listed := r.cfg.Peers.Status(r.ownID(nil))
		if listed && (st == StatusInit || st == StatusWaitSync || st == StatusSyncing) {
			r.restartCopy("sync source deleted", src, st)
			return true
		}
		if err := r.flag.Set("sync_src_server", ""); err != nil {
			r.log.Error("save .data_init_flag", "err", err)
		}
	}
	return false
}

// sourceGraceBeats: how many heart_beat_intervals a new member waits for
// its OFFLINE source to come back before it asks for another one. C waits
// for ever (until an operator deletes the source); the new member would
// stay WAIT_SYNC/SYNCING, never serving reads, for as long as the source
// is down. A copy that starts over costs little: the new source asks
// QUERY_FILE_INFO before sending content the member already holds.
const sourceGraceBeats = 5

// watchSource runs after every beat: while our copy is not finished and
// the leader lists our source as gone (deleted, renamed, unlisted) or
// OFFLINE for sourceGraceBeats heartbeats, the copy starts over from a
// new source. It reports whether the links must re-join.
func (r *Reporter) watchSource() bool {
	r.srcWatchMu.Lock()
	defer r.srcWatchMu.Unlock()
	src := r.flag.Get("sync_src_server")
	own, listed := r.cfg.Peers.Status(r.ownID(nil))
	if src == "" || r.flag.Get("sync_old_done") != "1" || !listed || (own != StatusWaitSync && own != StatusSyncing) {
		r.srcGoneSince = time.Time{}
		return false
	}
	st, ok := r.cfg.Peers.Status(src)
	gone := !ok || st == StatusDeleted || st == StatusIPChanged
	if !gone && st != StatusOffline {
		r.srcGoneSince = time.Time{}
		return false
	}
	now := time.Now()
	if r.srcGoneSince.IsZero() {
		r.srcGoneSince = now
	}
	if !gone && now.Sub(r.srcGoneSince) < sourceGraceBeats*r.retryDelay() {
		return false
	}
	r.srcGoneSince = time.Time{}
	why := "sync source offline too long"
	if gone {
		why = "sync source no longer in the group"
	}
	r.restartCopy(why, src, own)
	return true
}
