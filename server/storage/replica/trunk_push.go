package replica

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/server/storage/trunk"
)

// Replication of the trunk binlog (data/trunk/binlog) from the group's
// trunk server to the other members, as C 6.16 does it (see package
// trunk's sync.go for the files): while this storage is the trunk server,
// one trunkPusher per member sends the binlog from the member's mark on;
// a member appends what it receives (TRUNK_SYNC_BINLOG) and empties its
// copy on TRUNK_TRUNCATE_BINLOG_FILE. The members keep it for the day the
// tracker makes one of them trunk server.

// trunkPushers keeps one trunkPusher per member while this storage is the
// trunk server (part of the Manager: same members, same lifetime).
type trunkPushers struct {
	mu      sync.Mutex
	running map[string]*trunkPusher // by peer id
}

// reconcileTrunk starts and stops the trunk binlog pushers: one per member
// that is not deleted, renamed or unknown, while a tracker names this
// storage the trunk server and trunk files are on.
func (m *Manager) reconcileTrunk(members []Peer) {
	tp := &m.trunk
	tp.mu.Lock()
	defer tp.mu.Unlock()
	own := m.h.Trackers.OwnID()
	want := map[string]Peer{}
	if own != "" && m.h.Trunk.IsTrunkServer() {
		for _, p := range members {
			if p.ID == "" || p.ID == own || p.Status == StatusDeleted || p.Status == StatusIPChanged ||
				p.Status == StatusNone || m.h.Trunk.IsMe(p.IP, p.Port) {
				continue
			}
			want[p.ID] = p
		}
	}
	for id, p := range tp.running {
		if w, ok := want[id]; !ok || w.IP != p.peer.IP || w.Port != p.peer.Port || p.exited() {
			p.cancel()
			<-p.done
			delete(tp.running, id)
		}
	}
	if tp.running == nil {
		tp.running = map[string]*trunkPusher{}
	}
	for id, peer := range want {
		if tp.running[id] != nil {
			continue
		}
		ctx, cancel := context.WithCancel(m.ctx)
		p := &trunkPusher{h: m.h, m: m, peer: peer, ctx: ctx, cancel: cancel, done: make(chan struct{}),
			markName: MarkFileName(peer.ID, m.h.UseIDs(), m.h.Trackers.Port())}
		tp.running[id] = p
		m.wg.Add(1)
		go p.run()
	}
}

// trunkPusher sends the trunk binlog to one member.
type trunkPusher struct {
	h        *Host
	m        *Manager
	peer     Peer
	markName string
	ctx      context.Context
	cancel   context.CancelFunc
	done     chan struct{}

	conn     net.Conn
	off      int64 // binlog offset the member has
	markedAt int64 // the offset the mark file holds
	lastIO   time.Time
	buf      []byte
}

func (p *trunkPusher) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *trunkPusher) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// run connects, truncates the member's copy when starting from 0, and
// sends what the binlog has beyond the mark, polling for more, until this
// storage is no longer the trunk server.
func (p *trunkPusher) run() {
	defer p.m.wg.Done()
	defer close(p.done)
	st, err := p.h.Trunk.Store()
	if err != nil {
		return
	}
	p.buf = make([]byte, codec.TrunkBinlogChunkMax)
	addr := net.JoinHostPort(p.peer.IP, strconv.Itoa(p.peer.Port))
	p.h.Log.Info("trunk binlog sync to member started", "peer", p.peer.ID, "addr", addr)
	defer p.h.Log.Info("trunk binlog sync to member stopped", "peer", p.peer.ID, "addr", addr)
	for p.ctx.Err() == nil && p.h.Trunk.IsTrunkServer() {
		err := p.session(st, addr)
		p.saveMark(st)
		if p.conn != nil {
			_ = p.conn.Close()
			p.conn = nil
		}
		if p.ctx.Err() != nil {
			return
		}
		if err != nil {
			p.h.Log.Warn("trunk binlog sync to member failed, will retry", "peer", p.peer.ID, "addr", addr, "err", err)
		}
		if !p.sleep(time.Second) {
			return
		}
	}
}

// session is one connection's worth of pushing.
func (p *trunkPusher) session(st *trunk.Store, addr string) error {
	c, err := p.h.Trackers.Dial(addr)
	if err != nil {
		return err
	}
	p.conn = c
	gen := st.Generation() // a compression rewrites the binlog: offsets start over
	if err := p.loadMark(st); err != nil {
		return err
	}
	if p.off == 0 {
		if err := p.call(codec.CmdTrunkTruncateBinlogFile, nil); err != nil {
			return fmt.Errorf("TRUNK_TRUNCATE_BINLOG_FILE: %w", err)
		}
	}
	beat := p.h.Conf.HeartBeatInterval
	if beat <= 0 {
		beat = 30 * time.Second
	}
	wait := p.h.Conf.SyncWait
	if wait <= 0 {
		wait = 100 * time.Millisecond
	}
	p.lastIO = time.Now()
	for p.ctx.Err() == nil && p.h.Trunk.IsTrunkServer() {
		n, size, err := st.ReadLines(p.off, p.buf)
		if err != nil {
			return err
		}
		if size < p.off || st.Generation() != gen {
			// the binlog was cut under us (compressed): send it all again
			p.h.Log.Warn("trunk binlog shorter than the member's mark, resending it", "peer", p.peer.ID,
				"offset", p.off, "binlog_size", size)
			p.off = 0
			return nil
		}
		if n == 0 {
			if p.off != p.markedAt {
				p.saveMark(st)
			}
			if time.Since(p.lastIO) >= beat {
				if err := p.call(codec.CmdActiveTest, nil); err != nil {
					return fmt.Errorf("ACTIVE_TEST: %w", err)
				}
			}
			if !p.sleep(wait) {
				return nil
			}
			continue
		}
		if err := p.call(codec.CmdTrunkSyncBinlog, p.buf[:n]); err != nil {
			return fmt.Errorf("TRUNK_SYNC_BINLOG at %d: %w", p.off, err)
		}
		p.off += int64(n)
		if iv := p.h.Conf.SyncInterval; iv > 0 && !p.sleep(iv) {
			return nil
		}
	}
	return nil
}

// call sends one request and reads its header-only answer.
func (p *trunkPusher) call(cmd byte, body []byte) error {
	c := p.conn
	timeout := p.h.Conf.NetworkTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	_ = c.SetDeadline(time.Now().Add(timeout))
	stop := context.AfterFunc(p.ctx, func() { _ = c.SetDeadline(time.Now()) })
	defer stop()
	pkt := codec.Request(cmd, len(body)).Append(make([]byte, 0, codec.HeaderSize))
	if _, err := (&net.Buffers{pkt, body}).WriteTo(c); err != nil {
		return err
	}
	var hb [codec.HeaderSize]byte
	if _, err := io.ReadFull(c, hb[:]); err != nil {
		return err
	}
	h, err := codec.DecodeHeader(hb[:])
	if err != nil {
		return err
	}
	if h.BodyLen > 0 {
		if _, err := io.CopyN(io.Discard, c, min(h.BodyLen, 4096)); err != nil {
			return err
		}
		if h.BodyLen > 4096 {
			return fmt.Errorf("reply to %s: %d body bytes", codec.CmdName(cmd), h.BodyLen)
		}
	}
	p.lastIO = time.Now()
	if h.Status != 0 {
		return codec.Errno(h.Status)
	}
	return nil
}

// markKey is the one key of a trunk sync mark file.
const trunkMarkKey = "binlog_offset="

// loadMark reads the member's mark (data/trunk/<peer>.mark); a member
// without one starts at 0 and gets a mark at once, as C writes it. An
// offset beyond the binlog's end starts over at 0.
func (p *trunkPusher) loadMark(st *trunk.Store) error {
	path := st.MarkPath(p.markName)
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		p.off, p.markedAt = 0, -1
		p.saveMark(st)
		return nil
	case err != nil:
		return err
	}
	off, ok := parseTrunkMark(b)
	if !ok {
		return fmt.Errorf("trunk mark file %s: no %s line in %q", path, strings.TrimSuffix(trunkMarkKey, "="), b)
	}
	if size := st.BinlogSize(); off > size {
		p.h.Log.Warn("trunk mark beyond the trunk binlog, from 0", "mark", path, "offset", off, "binlog_size", size)
		off = 0
	}
	p.off, p.markedAt = off, off
	return nil
}

// parseTrunkMark reads binlog_offset from a mark file's lines.
func parseTrunkMark(b []byte) (int64, bool) {
	for _, l := range bytes.Split(b, []byte{'\n'}) {
		v, ok := bytes.CutPrefix(bytes.TrimSpace(l), []byte(trunkMarkKey))
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
		return n, err == nil && n >= 0
	}
	return 0, false
}

// saveMark writes "binlog_offset=<n>\n" through a temp file and a rename.
func (p *trunkPusher) saveMark(st *trunk.Store) {
	if p.off == p.markedAt {
		return
	}
	path := st.MarkPath(p.markName)
	b := strconv.AppendInt([]byte(trunkMarkKey), p.off, 10)
	b = append(b, '\n')
	tmp := path + ".tmp"
	err := os.WriteFile(tmp, b, 0o644)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		p.h.Log.Error("trunk mark file", "peer", p.peer.ID, "err", err)
		return
	}
	p.markedAt = p.off
}
