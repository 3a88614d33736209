package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/diskio"
)

// Storage statuses the pushers react to (cluster.md §3.1).
const (
	statusWaitSync  = 1
	statusSyncing   = 2
	statusIPChanged = 3
	statusDeleted   = 4
)

// syncManager keeps one pusher per other member of the group, following
// the leader's member list (cluster.md §3.3, §4.4).
type syncManager struct {
	s      *Server
	r      *reporters
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	pushers map[string]*pusher // by peer id
}

// startPushers starts the manager with the reporters (it needs their
// tracker links and our id).
func (s *Server) startPushers(r *reporters) *syncManager {
	ctx, cancel := context.WithCancel(r.ctx)
	m := &syncManager{s: s, r: r, ctx: ctx, cancel: cancel, pushers: map[string]*pusher{}}
	m.wg.Add(1)
	go m.run()
	return m
}

// stop ends every pusher (each saves its mark) and waits for them.
func (m *syncManager) stop() {
	m.cancel()
	m.wg.Wait()
}

func (m *syncManager) run() {
	defer m.wg.Done()
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	var gen uint64 = 1<<64 - 1
	for {
		if members, g := m.s.Members(); g != gen && m.reconcile(members) {
			gen = g
		}
		select {
		case <-m.ctx.Done():
			return
		case <-t.C:
		}
	}
}

// reconcile starts pushers for new members and stops those of members
// that left or were deleted (their marks are retired as C does).
func (m *syncManager) reconcile(members []Peer) bool {
	own := m.r.ownID(nil)
	if own == "" {
		return false // who we are is not known yet
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := map[string]bool{}
	for _, peer := range members {
		if peer.ID == "" || peer.ID == own {
			continue
		}
		seen[peer.ID] = true
		p := m.pushers[peer.ID]
		if peer.Status == statusDeleted || peer.Status == statusIPChanged {
			if p != nil {
				p.stop()
				delete(m.pushers, peer.ID)
				if err := retireMark(p.markPath, time.Now()); err != nil {
					m.s.log.Warn("retire mark file", "peer", peer.ID, "err", err)
				}
			}
			continue
		}
		if p == nil {
			p = m.newPusher(peer.ID)
			m.pushers[peer.ID] = p
			m.wg.Add(1)
			go p.run()
		}
	}
	for id, p := range m.pushers {
		if !seen[id] {
			p.stop()
			delete(m.pushers, id)
		}
	}
	return true
}

// peer is the leader's current view of member id.
func (m *syncManager) peer(id string) (Peer, bool) {
	members, _ := m.s.Members()
	for _, p := range members {
		if p.ID == id {
			return p, true
		}
	}
	return Peer{}, false
}

// pusher copies this storage's operations to one peer: it reads the binlog
// from the peer's mark, sends each record with the storage-to-storage sync
// commands, and moves the mark on only once the peer confirmed.
type pusher struct {
	m        *syncManager
	s        *Server
	id       string // the peer's storage id (its IP without storage ids)
	markPath string
	ctx      context.Context
	cancel   context.CancelFunc
	done     chan struct{}

	mark    syncMark
	hasMark bool
	episode bool // the full-copy setup of the peer's current WAIT_SYNC/SYNCING was done
	reader  *binlogReader
	conn    net.Conn
	dirty   int // records past the saved mark
	lastIO  time.Time
	backoff time.Duration

	hdr [codec.HeaderSize]byte
	buf []byte
}

func (m *syncManager) newPusher(id string) *pusher {
	ctx, cancel := context.WithCancel(m.ctx)
	p := m.s.prm()
	name := markFileName(id, p.UseStorageID || p.ClusterIDs, m.r.port)
	return &pusher{m: m, s: m.s, id: id, markPath: markPath(m.s.binlog.Dir(), name), ctx: ctx,
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
	d := p.s.cfg.HeartBeatInterval
	return min(max(d, time.Second), 30*time.Second)
}

// fail closes the connection after an error and waits a growing delay
// before the next try: a dead peer costs one attempt per delay, never a
// hot loop.
func (p *pusher) fail(what string, err error) {
	p.closeConn()
	p.backoff = min(max(2*p.backoff, 100*time.Millisecond), p.maxBackoff())
	p.s.log.Warn("sync to peer failed, will retry", "peer", p.id, "what", what, "err", err, "retry_in", p.backoff)
	p.sleep(p.backoff, nil)
}

func (p *pusher) run() {
	defer p.m.wg.Done()
	defer close(p.done)
	wake, unwatch := p.s.binlog.Watch()
	defer unwatch()
	defer func() {
		p.closeConn()
		p.saveMark()
		if p.reader != nil {
			p.reader.close()
		}
	}()
	m, ok, err := loadMark(p.markPath)
	if err != nil {
		p.s.log.Error("mark file unreadable: syncing the peer from the start", "peer", p.id, "err", err)
	}
	p.mark, p.hasMark = m, ok
	wait := p.s.cfg.SyncWait
	if wait <= 0 {
		wait = 100 * time.Millisecond
	}
	for p.ctx.Err() == nil {
		peer, ok := p.m.peer(p.id)
		if !ok || peer.Status == statusInit {
			p.sleep(wait, nil)
			continue
		}
		copying := peer.Status == statusWaitSync || peer.Status == statusSyncing
		if !copying {
			p.episode = false
		}
		if !p.hasMark || copying && !p.episode {
			if err := p.setup(peer); err != nil {
				p.fail("SYNC_SRC_REQ", err)
				continue
			}
		}
		source := p.mark.NeedSyncOld && !p.mark.SyncOldDone
		if peer.Status != statusActive && !(source && copying) {
			p.closeConn()
			p.sleep(wait, nil) // non-sources wait for ACTIVE (§4.4 step 3)
			continue
		}
		if d := p.outsideWindow(time.Now()); d > 0 {
			p.closeConn()
			p.sleep(min(d, time.Second), nil)
			continue
		}
		if p.conn == nil {
			if err := p.connect(peer); err != nil {
				p.fail("connect", err)
				continue
			}
		}
		if source && peer.Status == statusWaitSync {
			p.reportStatus(peer, statusSyncing)
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
			p.s.log.Info("full copy to new member done", "peer", p.id, "rows", p.mark.SyncRows)
			if copying {
				p.reportStatus(peer, statusOffline)
			}
		}
		if p.dirty > 0 {
			p.saveMark() // idle with progress
		}
		if hb := p.s.cfg.HeartBeatInterval; hb > 0 && time.Since(p.lastIO) >= hb {
			if err := p.activeTest(); err != nil {
				p.fail("ACTIVE_TEST", err)
				continue
			}
		}
		p.sleep(wait, wake)
	}
}

// outsideWindow is how long until sync_start_time when now is outside
// the daily sync_start_time..sync_end_time window (0 inside).
func (p *pusher) outsideWindow(now time.Time) time.Duration {
	start, end := p.s.cfg.SyncStartTime.Offset(), p.s.cfg.SyncEndTime.Offset()
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

// setup asks the leader for the peer's sync source (SYNC_SRC_REQ, 86):
// are we its full-copy source, and until when (§4.4 step 2).
func (p *pusher) setup(peer Peer) error {
	src, until, err := p.askSyncSource()
	if err != nil {
		return err
	}
	own := p.m.r.ownID(nil)
	m := &p.mark
	if src == own {
		if !(m.NeedSyncOld && !m.SyncOldDone && m.Until == until && p.hasMark) {
			// a new (or wiped) member: replay everything we have
			*m = syncMark{NeedSyncOld: true, Until: until}
			p.s.log.Info("full copy to new member", "peer", p.id, "until", until)
		}
	} else {
		m.NeedSyncOld, m.SyncOldDone = false, false
		if !p.hasMark {
			m.Until = until
		}
	}
	p.hasMark = true
	p.episode = peer.Status == statusWaitSync || peer.Status == statusSyncing
	if p.reader != nil {
		p.reader.close()
		p.reader = nil
	}
	p.dirty++
	p.saveMark()
	return nil
}

// askSyncSource sends SYNC_SRC_REQ to the leader (first tracker while no
// leader is known) on a short connection.
func (p *pusher) askSyncSource() (string, int64, error) {
	r := p.m.r
	addr := ""
	if l, ok := p.s.Leader(); ok {
		addr = net.JoinHostPort(l.IP, fmt.Sprint(l.Port))
	} else if len(r.links) > 0 {
		addr = r.links[0].addr
	}
	if addr == "" {
		return "", 0, errors.New("no tracker")
	}
	c, err := r.dial(addr)
	if err != nil {
		return "", 0, err
	}
	defer r.quit(c)
	req := codec.SyncSourceRequest{Group: p.s.group, DestID: []byte(p.id)}
	st, reply, err := r.call(c, codec.CmdStorageSyncSrcReq, req.Append(nil), codec.SyncSourceSize)
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
	r := p.m.r
	req := codec.ReportStatusRequest{Group: p.s.group,
		Storage: codec.StorageBrief{Status: status, ID: []byte(peer.ID), IP: []byte(peer.IP)}}
	body := req.Append(nil)
	for _, l := range r.links {
		c, err := r.dial(l.addr)
		if err != nil {
			p.s.log.Warn("REPORT_STATUS", "tracker", l.addr, "peer", p.id, "err", err)
			continue
		}
		if st, _, err := r.call(c, codec.CmdStorageReportStatus, body, 0); err != nil || st != codec.OK {
			p.s.log.Warn("REPORT_STATUS", "tracker", l.addr, "peer", p.id, "status", st, "err", err)
		}
		r.quit(c)
	}
	p.s.log.Info("peer status reported", "peer", p.id, "status", status)
}

func (p *pusher) saveMark() {
	if p.dirty == 0 || !p.hasMark {
		return
	}
	if p.reader != nil {
		p.mark.BinlogIndex, p.mark.BinlogOffset = p.reader.index, p.reader.off
	}
	if err := saveMark(p.markPath, &p.mark); err != nil {
		p.s.log.Error("save mark file", "peer", p.id, "err", err)
		return
	}
	p.dirty = 0
}

// connect opens the sync connection and announces us (REPORT_SERVER_ID).
func (p *pusher) connect(peer Peer) error {
	c, err := p.m.r.dial(net.JoinHostPort(peer.IP, fmt.Sprint(peer.Port)))
	if err != nil {
		return err
	}
	p.conn = c
	id := codec.ReportServerID{ID: []byte(p.m.r.ownID(nil))}
	st, err := p.call(codec.CmdReportServerID, 0, id.Append(p.buf[:0]), nil, 0)
	if err == nil && st != codec.OK {
		err = fmt.Errorf("REPORT_SERVER_ID: status %d", st)
	}
	if err != nil {
		p.closeConn()
		return err
	}
	return nil
}

func (p *pusher) closeConn() {
	if p.conn != nil {
		_ = p.conn.Close()
		p.conn = nil
	}
}

func (p *pusher) activeTest() error {
	st, err := p.call(codec.CmdActiveTest, 0, nil, nil, 0)
	if err == nil && st != codec.OK {
		err = fmt.Errorf("status %d", st)
	}
	return err
}

// call sends header + fixed, then n content bytes from f (sendfile), and
// reads the reply status. A reply body (C's echo of a successful 40) is
// read and dropped.
func (p *pusher) call(cmd, status byte, fixed []byte, f *os.File, n int64) (codec.Errno, error) {
	c := p.conn
	timeout := p.s.cfg.NetworkTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	_ = c.SetDeadline(time.Now().Add(timeout))
	stop := context.AfterFunc(p.ctx, func() { _ = c.SetDeadline(time.Now()) })
	defer stop()
	h := codec.Header{BodyLen: int64(len(fixed)) + n, Cmd: cmd, Status: status}
	pkt := h.Append(make([]byte, 0, codec.HeaderSize+len(fixed)))
	pkt = append(pkt, fixed...)
	if _, err := c.Write(pkt); err != nil {
		return 0, err
	}
	if n > 0 {
		sent, err := io.Copy(c, io.LimitReader(f, n)) // sendfile(2) for *os.File
		if err == nil && sent != n {
			err = fmt.Errorf("file shrank while sent: %d of %d bytes", sent, n)
		}
		if err != nil {
			return 0, err
		}
	}
	if _, err := io.ReadFull(c, p.hdr[:]); err != nil {
		return 0, err
	}
	rh, err := codec.DecodeHeader(p.hdr[:])
	if err != nil {
		return 0, err
	}
	if rh.BodyLen > 4096 {
		return 0, fmt.Errorf("reply to %s: %d body bytes", codec.CmdName(cmd), rh.BodyLen)
	}
	if rh.BodyLen > 0 {
		if _, err := io.CopyN(io.Discard, c, rh.BodyLen); err != nil {
			return 0, err
		}
	}
	p.lastIO = time.Now()
	st := codec.Errno(rh.Status)
	p.s.stats.syncBytes(&p.s.stats.syncOut, n, st == codec.OK || st == codec.EEXIST)
	return st, nil
}

// pushSome sends the next records (at most a batch, so the peer's status
// and the window are looked at again). atEnd: nothing left to read.
func (p *pusher) pushSome() (atEnd bool, err error) {
	if p.reader == nil {
		p.reader = newBinlogReader(p.s.binlog.Dir(), p.mark.BinlogIndex, p.mark.BinlogOffset)
	}
	freq := max(p.s.cfg.WriteMarkFileFreq, 1)
	var rec codec.BinlogRecord
	for range 256 {
		if p.ctx.Err() != nil {
			return false, nil
		}
		index, off := p.reader.index, p.reader.off
		n, perr := p.reader.next(&rec, p.s.binlog.WriteIndex())
		if errors.Is(perr, errBinlogEnd) {
			return true, nil
		}
		var ce *codec.Error
		if perr != nil && !errors.As(perr, &ce) {
			return false, perr
		}
		p.mark.ScanRows++
		if perr != nil {
			p.s.log.Warn("skipping malformed binlog line", "peer", p.id, "binlog", BinlogFileName(index),
				"offset", off, "len", n, "err", perr)
			p.dirty++
			continue
		}
		if p.wanted(&rec) {
			if err := p.send(&rec); err != nil {
				p.reader.seek(index, off)
				p.mark.ScanRows--
				return false, fmt.Errorf("%c %s: %w", rec.Op, rec.Filename, err)
			}
			p.mark.SyncRows++
			if iv := p.s.cfg.SyncInterval; iv > 0 {
				p.sleep(iv, nil)
			}
		}
		p.dirty++
		if p.dirty >= freq {
			p.saveMark()
		}
	}
	return false, nil
}

// wanted is C's record filter (§4.4 step 5): our own operations, and
// during a full copy the whole-file replica operations up to until.
func (p *pusher) wanted(rec *codec.BinlogRecord) bool {
	m := &p.mark
	if rec.Op.IsSource() {
		return m.NeedSyncOld || m.Until <= 0 || rec.Timestamp >= m.Until
	}
	switch rec.Op.Source() {
	case codec.BinlogCreate, codec.BinlogDelete, codec.BinlogUpdate, codec.BinlogLink, codec.BinlogRename:
		return m.NeedSyncOld && !m.SyncOldDone && rec.Timestamp <= m.Until
	}
	return false
}

// local resolves a logical name of ours.
func (p *pusher) local(logic []byte) (*storePath, diskio.FileRef, error) {
	rf, err := codec.ParseRemoteFilename(logic, len(p.s.paths))
	if err != nil {
		return nil, diskio.FileRef{}, err
	}
	return p.s.paths[rf.StorePath], diskio.FileRef{High: int(rf.High), Low: int(rf.Low), Name: string(rf.Name)}, nil
}

// send copies one record to the peer. A record whose file is gone here
// (deleted since) is skipped, as C does; statuses that mean "already
// there" count as success; ENOENT to a partial update resends the file.
func (p *pusher) send(rec *codec.BinlogRecord) error {
	sp, ref, err := p.local(rec.Filename)
	if err != nil {
		p.s.log.Warn("binlog record names no file of ours, skipped", "peer", p.id, "file", string(rec.Filename), "err", err)
		return nil
	}
	ts := int32(rec.Timestamp)
	switch rec.Op.Source() {
	case codec.BinlogCreate, codec.BinlogUpdate:
		cmd := codec.CmdSyncCreateFile
		if rec.Op.Source() == codec.BinlogUpdate {
			cmd = codec.CmdSyncUpdateFile
		}
		return p.sendFile(cmd, sp, ref, rec.Filename, ts)
	case codec.BinlogRename:
		if !rec.Op.IsSource() { // during a full copy the new name is simply created
			return p.sendFile(codec.CmdSyncCreateFile, sp, ref, rec.Filename, ts)
		}
		req := codec.SyncRenameRequest{Timestamp: ts, Group: p.s.group, NewFilename: rec.Filename, OldFilename: rec.SrcFilename}
		st, err := p.call(codec.CmdSyncRenameFile, 0, req.Append(p.buf[:0]), nil, 0)
		switch {
		case err != nil:
			return err
		case st == codec.OK || st == codec.EEXIST:
			return nil
		case st == codec.ENOENT:
			return p.sendFile(codec.CmdSyncCreateFile, sp, ref, rec.Filename, ts)
		}
		return fmt.Errorf("status %d", st)
	case codec.BinlogDelete:
		if _, err := sp.disk.Lstat(ref); err == nil {
			return nil // back again here: a later record creates it
		}
		req := codec.SyncDeleteRequest{Timestamp: ts, Group: p.s.group, Filename: rec.Filename}
		st, err := p.call(codec.CmdSyncDeleteFile, 0, req.Append(p.buf[:0]), nil, 0)
		return okStatus(st, err, codec.ENOENT)
	case codec.BinlogLink:
		if _, err := sp.disk.Lstat(ref); err != nil {
			return nil
		}
		req := codec.SyncLinkRequest{Timestamp: ts, Group: p.s.group, LinkName: rec.Filename, SrcFilename: rec.SrcFilename}
		st, err := p.call(codec.CmdSyncCreateLink, 0, req.Append(p.buf[:0]), nil, 0)
		return okStatus(st, err, codec.ENOENT)
	case codec.BinlogAppend, codec.BinlogModify:
		f, st, err := sp.disk.OpenRead(ref)
		if err != nil {
			return nil // gone here
		}
		defer f.Close()
		if st.Size < rec.Offset+rec.Length {
			return nil // cut since: a later record carries the file
		}
		if _, err := f.Seek(rec.Offset, io.SeekStart); err != nil {
			return err
		}
		cmd := codec.CmdSyncAppendFile
		if rec.Op.Source() == codec.BinlogModify {
			cmd = codec.CmdSyncModifyFile
		}
		req := codec.SyncAppendRequest{Offset: rec.Offset, Length: rec.Length, Timestamp: ts, Group: p.s.group, Filename: rec.Filename}
		status, err := p.call(cmd, 0, req.AppendFixed(p.buf[:0]), f, rec.Length)
		if err == nil && status == codec.ENOENT {
			return p.sendFile(codec.CmdSyncUpdateFile, sp, ref, rec.Filename, ts)
		}
		return okStatus(status, err)
	case codec.BinlogTruncate:
		req := codec.SyncTruncateRequest{OldSize: rec.Offset, NewSize: rec.Length, Timestamp: ts, Group: p.s.group, Filename: rec.Filename}
		status, err := p.call(codec.CmdSyncTruncateFile, 0, req.Append(p.buf[:0]), nil, 0)
		if err == nil && status == codec.ENOENT {
			// C retries this forever; the whole file settles it
			return p.sendFile(codec.CmdSyncUpdateFile, sp, ref, rec.Filename, ts)
		}
		return okStatus(status, err)
	}
	return nil
}

// okStatus: nil for 0, EEXIST and the extra statuses given.
func okStatus(st codec.Errno, err error, also ...codec.Errno) error {
	if err != nil {
		return err
	}
	if st == codec.OK || st == codec.EEXIST {
		return nil
	}
	for _, a := range also {
		if st == a {
			return nil
		}
	}
	return fmt.Errorf("peer answered status %d", st)
}

// sendFile sends a whole file (16 or 18) with its content by sendfile; a
// symlink goes as SYNC_CREATE_LINK to its target.
func (p *pusher) sendFile(cmd byte, sp *storePath, ref diskio.FileRef, logic []byte, ts int32) error {
	lst, err := sp.disk.Lstat(ref)
	if err != nil {
		return nil // gone here since
	}
	if lst.IsSymlink() {
		target, err := sp.disk.LinkTarget(ref)
		if err != nil {
			return nil
		}
		req := codec.SyncLinkRequest{Timestamp: ts, Group: p.s.group, LinkName: logic,
			SrcFilename: appendLogic(nil, sp.index, target)}
		st, err := p.call(codec.CmdSyncCreateLink, 0, req.Append(p.buf[:0]), nil, 0)
		return okStatus(st, err, codec.ENOENT)
	}
	f, st, err := sp.disk.OpenRead(ref)
	if err != nil {
		return nil
	}
	defer f.Close()
	req := codec.SyncFileRequest{FileSize: st.Size, Timestamp: ts, Group: p.s.group, Filename: logic}
	status, err := p.call(cmd, 0, req.AppendFixed(p.buf[:0]), f, st.Size)
	return okStatus(status, err)
}
