package replica

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/gofdfs/gofdfs/internal/peercall"
)

// pusher copies this storage's operations to one peer: it reads the binlog
// from the peer's mark, sends each record with the storage-to-storage sync
// commands, and moves the mark on only once the peer confirmed.
//
// One connection per peer, records in binlog order: sync_min_threads and
// sync_max_threads (6.15, where C spreads batches over up to that many
// connections per peer) are read but not used. With one ordered stream the
// mark is exactly "everything before it is confirmed" (parallel batches
// leave holes that a restart must resend), operations on one file cannot
// overtake each other (C keeps them out of the same batch; an append could
// still pass its create across batches), and every connection announces us
// with REPORT_SERVER_ID. The cost is one round trip per record: on loopback
// the lag stays in milliseconds (TestSyncReplicationLag), but a full copy
// over a long-latency link is bounded by RTT per file; parallel streams
// with a confirmed-prefix mark are the way to go if that ever matters.
type pusher struct {
	m        *Manager
	h        *Host
	id       string // the peer's storage id (its IP without storage ids)
	markPath string
	ctx      context.Context
	cancel   context.CancelFunc
	done     chan struct{}

	mark    Mark
	hasMark bool
	episode bool // the full-copy setup of the peer's current WAIT_SYNC/SYNCING was done
	reader  *Reader
	// openReader is reader for the binlog compressor (other goroutines)
	openReader atomic.Pointer[Reader]
	pc         *peercall.Conn // the sync connection, nil while closed
	dirty      int            // records past the saved mark
	lastIO     time.Time
	backoff    time.Duration

	// full copy: SYNCING is pushed once per episode, OFFLINE again while
	// the trackers still show the peer copying after we finished
	reportedSyncing bool
	reportedDone    time.Time

	// sourceAsked: when SYNC_SRC_REQ last ran. While the peer copies from
	// another member we ask again now and then: its source may have died
	// and been deleted, and the tracker may have made us the new one.
	sourceAsked time.Time

	// consecutive EINVAL refusals of the record at refusedIn/refusedAt
	refusals  int
	refusedIn int
	refusedAt int64

	buf   []byte
	reply []byte // the last reply's body

	// peerHasFiles: a create on this connection was answered EEXIST, so the
	// peer likely holds our files already (a member back after a deletion,
	// a resumed copy): like C, ask QUERY_FILE_INFO before sending content.
	peerHasFiles bool
}

func (m *Manager) newPusher(peer Peer) *pusher {
	ctx, cancel := context.WithCancel(m.ctx)
	useIDs := m.h.UseIDs()
	dir := m.h.Binlog.Dir()
	path := MarkPath(dir, MarkFileName(peer.ID, useIDs, m.h.Trackers.Port()))
	if useIDs && peer.IP != "" {
		// a cluster that switched to storage ids: the mark written under
		// the peer's IP goes on under its id, as C renames it, so the
		// pusher resumes where it was instead of sending everything again
		old := MarkPath(dir, MarkFileName(peer.IP, false, m.h.Trackers.Port()))
		if moved, err := AdoptMark(old, path); err != nil {
			m.h.Log.Error("rename mark file to the storage id", "peer", peer.ID, "err", err)
		} else if moved {
			m.h.Log.Info("mark file renamed to the storage id", "peer", peer.ID, "from", old, "to", path)
		}
	}
	return &pusher{m: m, h: m.h, id: peer.ID, markPath: path, ctx: ctx,
		cancel: cancel, done: make(chan struct{})}
}

func (p *pusher) stop() {
	p.cancel()
	<-p.done
}

// sleep waits d, or less when the binlog grows (wake) or the pusher stops.
func (p *pusher) sleep(d time.Duration, wake <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.ctx.Done():
		return false
	case <-wake:
		return true
	case <-t.C:
		return true
	}
}

func (p *pusher) maxBackoff() time.Duration {
	d := p.h.Conf.HeartBeatInterval
	return min(max(d, time.Second), 30*time.Second)
}

// fail closes the connection after an error and waits a growing delay
// before the next try: a dead peer costs one attempt per delay, never a
// hot loop.
func (p *pusher) fail(what string, err error) {
	p.closeConn()
	p.backoff = min(max(2*p.backoff, 100*time.Millisecond), p.maxBackoff())
	p.h.Log.Warn("sync to peer failed, will retry", "peer", p.id, "what", what, "err", err, "retry_in", p.backoff)
	p.sleep(p.backoff, nil)
}

func (p *pusher) run() {
	defer p.m.wg.Done()
	defer close(p.done)
	wake, unwatch := p.h.Binlog.Watch()
	defer unwatch()
	defer func() {
		p.closeConn()
		p.saveMark()
		p.openReader.Store(nil)
		if p.reader != nil {
			p.reader.Close()
		}
	}()
	m, ok, err := LoadMark(p.markPath)
	if err != nil {
		// The damaged file is kept beside the new one for a look, not
		// saved over: the operator may want to know what broke it.
		kept, rerr := SetAsideMark(p.markPath, time.Now())
		if rerr != nil {
			kept = rerr.Error()
		}
		p.h.Log.Error("mark file unreadable: syncing the peer from the start", "peer", p.id, "err", err, "kept_as", kept)
	}
	p.mark, p.hasMark = m, ok
	wait := p.h.Conf.SyncWait
	if wait <= 0 {
		wait = 100 * time.Millisecond
	}
	for p.ctx.Err() == nil {
		peer, ok := p.m.peer(p.id)
		if !ok || peer.Status == StatusInit {
			p.sleep(wait, nil)
			continue
		}
		copying := peer.Status == StatusWaitSync || peer.Status == StatusSyncing
		if !copying {
			p.episode = false
		}
		if !p.hasMark || copying && !p.episode {
			if err := p.setup(peer); err != nil {
				p.fail("SYNC_SRC_REQ", err)
				continue
			}
		} else if copying && !p.mark.NeedSyncOld && time.Since(p.sourceAsked) >= p.maxBackoff() {
			if err := p.recheckSource(peer); err != nil {
				p.fail("SYNC_SRC_REQ", err)
				continue
			}
		}
		source := p.mark.NeedSyncOld && !p.mark.SyncOldDone
		if copying && p.mark.NeedSyncOld && p.mark.SyncOldDone && time.Since(p.reportedDone) >= 5*time.Second {
			// our OFFLINE report was lost (a tracker down, or we restarted
			// in between): the peer would wait for ever
			p.reportStatus(peer, StatusOffline)
			p.reportedDone = time.Now()
		}
		if peer.Status != StatusActive && !(source && copying) {
			p.closeConn()
			p.sleep(wait, nil) // non-sources wait for ACTIVE (§4.4 step 3)
			continue
		}
		if d := p.outsideWindow(p.h.Now()); d > 0 {
			p.closeConn()
			p.sleep(min(d, time.Second), nil)
			continue
		}
		if p.pc == nil {
			if err := p.connect(peer); err != nil {
				p.fail("connect", err)
				continue
			}
		}
		if source && peer.Status == StatusWaitSync && !p.reportedSyncing {
			p.reportStatus(peer, StatusSyncing)
			p.reportedSyncing = true
		}
		atEnd, err := p.pushSome()
		if err != nil {
			p.saveMark()
			p.fail("push", err)
			continue
		}
		p.backoff = 0
		if !atEnd {
			continue
		}
		if source {
			p.mark.SyncOldDone = true
			p.dirty++
			p.h.Log.Info("full copy to new member done", "peer", p.id, "rows", p.mark.SyncRows)
			if copying {
				p.reportStatus(peer, StatusOffline)
				p.reportedDone = time.Now()
			}
		}
		if hb := p.h.Conf.HeartBeatInterval; hb > 0 && time.Since(p.lastIO) >= hb {
			if err := p.activeTest(); err != nil {
				p.fail("ACTIVE_TEST", err)
				continue
			}
		}
		// The mark is saved when the binlog stayed quiet for a whole
		// sync_wait_msec (C: "idle with progress"), not at every end of
		// the binlog: a file arriving meanwhile goes out without waiting
		// for a write and a rename.
		if !p.idle(wait, wake) && p.dirty > 0 {
			p.saveMark()
		}
	}
}

// idle waits up to d for the binlog to grow; woken reports that it did.
func (p *pusher) idle(d time.Duration, wake <-chan struct{}) (woken bool) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.ctx.Done():
	case <-wake:
		return true
	case <-t.C:
	}
	return false
}

// outsideWindow is how long until sync_start_time when now is outside
// the daily sync_start_time..sync_end_time window (0 inside).
func (p *pusher) outsideWindow(now time.Time) time.Duration {
	start, end := p.h.Conf.SyncStartTime.Offset(), p.h.Conf.SyncEndTime.Offset()
	if start == end || start == 0 && end >= 23*time.Hour+59*time.Minute {
		return 0
	}
	y, mo, d := now.Date()
	midnight := time.Date(y, mo, d, 0, 0, 0, 0, now.Location())
	at := now.Sub(midnight)
	in := start <= at && at <= end+time.Minute
	if start > end { // a window across midnight
		in = at >= start || at <= end+time.Minute
	}
	if in {
		return 0
	}
	if at < start {
		return start - at
	}
	return 24*time.Hour - at + start
}

func (p *pusher) saveMark() {
	if p.dirty == 0 || !p.hasMark {
		return
	}
	if p.reader != nil {
		p.mark.BinlogIndex, p.mark.BinlogOffset = p.reader.Index(), p.reader.Offset()
	}
	if err := SaveMark(p.markPath, &p.mark); err != nil {
		p.h.Log.Error("save mark file", "peer", p.id, "err", err)
		return
	}
	p.dirty = 0
}
