package replica

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"time"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/internal/peercall"
)

// The wire side of a pusher: its sync connection, and how each binlog
// record goes on it (cluster.md §4.5).

// connect opens the sync connection and announces us (REPORT_SERVER_ID).
func (p *pusher) connect(peer Peer) error {
	addr := net.JoinHostPort(peer.IP, fmt.Sprint(peer.Port))
	c, err := p.h.Trackers.Dial(addr)
	if err != nil {
		return err
	}
	timeout := p.h.Conf.NetworkTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	p.pc = peercall.New(c, addr, timeout)
	p.peerHasFiles = false
	id := codec.ReportServerID{ID: []byte(p.h.Trackers.OwnID())}
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
	if p.pc != nil {
		_ = p.pc.NC.Close()
		p.pc = nil
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
// reads the reply: the status, and a body in p.reply (QUERY_FILE_INFO's
// answer; C's echo of a successful 40, which callers ignore). The idle
// deadline (network_timeout) is renewed per peercall.Chunk of content, so
// a big file that keeps moving never times out.
func (p *pusher) call(cmd, status byte, fixed []byte, f *os.File, n int64) (codec.Errno, error) {
	stop := p.pc.Watch(p.ctx)
	defer stop()
	var content io.Reader
	if n > 0 {
		content = f
	}
	st, body, err := p.pc.Exchange(p.ctx, cmd, status, fixed, content, n, 4096)
	if err != nil {
		return 0, err
	}
	p.reply = append(p.reply[:0], body...)
	p.lastIO = time.Now()
	p.h.Counters.SyncSent(n, st == codec.OK || st == codec.EEXIST)
	return st, nil
}

// pushSome sends the next records (at most a batch, so the peer's status
// and the window are looked at again). atEnd: nothing left to read.
func (p *pusher) pushSome() (atEnd bool, err error) {
	if p.reader == nil {
		p.reader = NewReader(p.h.Binlog.Dir(), p.mark.BinlogIndex, p.mark.BinlogOffset)
		p.openReader.Store(p.reader)
	}
	freq := max(p.h.Conf.WriteMarkFileFreq, 1)
	var rec codec.BinlogRecord
	for range 256 {
		if p.ctx.Err() != nil {
			return false, nil
		}
		index, off := p.reader.Index(), p.reader.Offset()
		n, perr := p.reader.Next(&rec, p.h.Binlog.WriteIndex())
		if errors.Is(perr, ErrEnd) {
			return true, nil
		}
		var ce *codec.Error
		if perr != nil && !errors.As(perr, &ce) {
			return false, perr
		}
		p.mark.ScanRows++
		if perr != nil {
			p.h.Log.Warn("skipping malformed binlog line", "peer", p.id, "binlog", BinlogFileName(index),
				"offset", off, "len", n, "err", perr)
			p.dirty++
			continue
		}
		if p.wanted(&rec) {
			if err := p.send(&rec); err != nil {
				var pr *peerRefused
				invalid := errors.As(err, &pr) && pr.status == codec.EINVAL
				if invalid && p.refusedIn == index && p.refusedAt == off {
					p.refusals++
				} else if invalid {
					p.refusals, p.refusedIn, p.refusedAt = 1, index, off
				}
				if !invalid || p.refusals < RefusalsBeforeSkip {
					p.reader.Seek(index, off)
					p.mark.ScanRows--
					return false, fmt.Errorf("%c %s: %w", rec.Op, rec.Filename, err)
				}
				p.h.Log.Error("peer refuses a record again and again, skipped", "peer", p.id,
					"op", string(rune(rec.Op)), "file", string(rec.Filename), "status", pr.status)
				p.refusals = 0
			}
			p.mark.SyncRows++
			if iv := p.h.Conf.SyncInterval; iv > 0 {
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

// untilSlack widens the own-operations side of wanted: until is the
// tracker's clock, our binlog timestamps are ours. C sends only own
// operations at or after until, so a member whose clock is behind the
// tracker's skips its operations for as long as it is behind, and the
// full-copy source, done by then, never sends them either: they are lost
// to the new member. Operations sent twice are harmless (the receiver
// answers EEXIST), so we send our own from until-untilSlack on.
const untilSlack = 10 * 60 // seconds of tolerated clock skew

// wanted is C's record filter (§4.4 step 5): our own operations, and
// during a full copy the whole-file replica operations up to until.
func (p *pusher) wanted(rec *codec.BinlogRecord) bool {
	m := &p.mark
	if rec.Op.IsSource() {
		return m.NeedSyncOld || m.Until <= 0 || rec.Timestamp >= m.Until-untilSlack
	}
	switch rec.Op.Source() {
	case codec.BinlogCreate, codec.BinlogDelete, codec.BinlogUpdate, codec.BinlogLink, codec.BinlogRename:
		return m.NeedSyncOld && !m.SyncOldDone && rec.Timestamp <= m.Until
	}
	return false
}

// send copies one record to the peer. A record whose file is gone here
// (deleted since) is skipped, as C does; statuses that mean "already
// there" count as success; ENOENT to a partial update resends the file.
func (p *pusher) send(rec *codec.BinlogRecord) error {
	if _, err := codec.ParseRemoteFilename(rec.Filename, p.h.StorePaths); err != nil {
		p.h.Log.Warn("binlog record names no file of ours, skipped", "peer", p.id, "file", string(rec.Filename), "err", err)
		return nil
	}
	ts := int32(rec.Timestamp)
	switch rec.Op.Source() {
	case codec.BinlogCreate, codec.BinlogUpdate:
		cmd := codec.CmdSyncCreateFile
		if rec.Op.Source() == codec.BinlogUpdate {
			cmd = codec.CmdSyncUpdateFile
		}
		return p.sendFile(cmd, rec.Filename, ts)
	case codec.BinlogRename:
		if !rec.Op.IsSource() { // during a full copy the new name is simply created
			return p.sendFile(codec.CmdSyncCreateFile, rec.Filename, ts)
		}
		req := codec.SyncRenameRequest{Timestamp: ts, Group: p.h.Group, NewFilename: rec.Filename, OldFilename: rec.SrcFilename}
		st, err := p.call(codec.CmdSyncRenameFile, 0, req.Append(p.buf[:0]), nil, 0)
		switch {
		case err != nil:
			return err
		case st == codec.OK || st == codec.EEXIST:
			return nil
		case st == codec.ENOENT:
			return p.sendFile(codec.CmdSyncCreateFile, rec.Filename, ts)
		}
		return fmt.Errorf("status %d", st)
	case codec.BinlogDelete:
		if p.h.Files.Exists(rec.Filename) {
			return nil // back again here: a later record creates it
		}
		req := codec.SyncDeleteRequest{Timestamp: ts, Group: p.h.Group, Filename: rec.Filename}
		st, err := p.call(codec.CmdSyncDeleteFile, 0, req.Append(p.buf[:0]), nil, 0)
		return okStatus(st, err, codec.ENOENT)
	case codec.BinlogLink:
		if !p.h.Files.Exists(rec.Filename) {
			return nil
		}
		req := codec.SyncLinkRequest{Timestamp: ts, Group: p.h.Group, LinkName: rec.Filename, SrcFilename: rec.SrcFilename}
		st, err := p.call(codec.CmdSyncCreateLink, 0, req.Append(p.buf[:0]), nil, 0)
		return okStatus(st, err, codec.ENOENT)
	case codec.BinlogAppend, codec.BinlogModify:
		lf, ok := p.open(rec.Filename)
		if !ok || lf.File == nil {
			return nil // gone here
		}
		defer lf.File.Close()
		if lf.Size < rec.Offset+rec.Length {
			return nil // cut since: a later record carries the file
		}
		if _, err := lf.File.Seek(lf.Offset+rec.Offset, io.SeekStart); err != nil {
			return err
		}
		cmd := codec.CmdSyncAppendFile
		if rec.Op.Source() == codec.BinlogModify {
			cmd = codec.CmdSyncModifyFile
		}
		req := codec.SyncAppendRequest{Offset: rec.Offset, Length: rec.Length, Timestamp: ts, Group: p.h.Group, Filename: rec.Filename}
		status, err := p.call(cmd, 0, req.AppendFixed(p.buf[:0]), lf.File, rec.Length)
		if err == nil && status == codec.ENOENT {
			return p.sendFile(codec.CmdSyncUpdateFile, rec.Filename, ts)
		}
		return okStatus(status, err)
	case codec.BinlogTruncate:
		req := codec.SyncTruncateRequest{OldSize: rec.Offset, NewSize: rec.Length, Timestamp: ts, Group: p.h.Group, Filename: rec.Filename}
		status, err := p.call(codec.CmdSyncTruncateFile, 0, req.Append(p.buf[:0]), nil, 0)
		if err == nil && status == codec.ENOENT {
			// C retries this forever; the whole file settles it
			return p.sendFile(codec.CmdSyncUpdateFile, rec.Filename, ts)
		}
		return okStatus(status, err)
	}
	return nil
}

// open resolves a logic name of ours; ok is false when the file is not
// here (gone since: skipped, as C skips a missing file).
func (p *pusher) open(logic []byte) (LocalFile, bool) {
	lf, err := p.h.Files.Open(logic)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			p.h.Log.Warn("file not sent", "peer", p.id, "file", string(logic), "err", err)
		}
		return LocalFile{}, false
	}
	return lf, true
}

// peerRefused is a record the peer answered with an error status.
type peerRefused struct{ status codec.Errno }

func (e *peerRefused) Error() string { return fmt.Sprintf("peer answered status %d", e.status) }

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
	return &peerRefused{status: st}
}

// RefusalsBeforeSkip: a record the peer calls invalid this many times in a
// row is skipped (logged as an error) rather than stalling every later
// record for ever — C's stall on one bad record is what its users hit
// most (fastdfs#532/#535). Other failures (I/O, a full disk) are retried
// without end: skipping them would lose data.
const RefusalsBeforeSkip = 3

// sendFile sends a whole file (16 or 18) with its content by sendfile
// (plain or from its trunk slot); a symlink goes as SYNC_CREATE_LINK to
// its target.
func (p *pusher) sendFile(cmd byte, logic []byte, ts int32) error {
	lf, ok := p.open(logic)
	if !ok {
		return nil // gone here since
	}
	if lf.File == nil {
		req := codec.SyncLinkRequest{Timestamp: ts, Group: p.h.Group, LinkName: logic, SrcFilename: lf.LinkTarget}
		st, err := p.call(codec.CmdSyncCreateLink, 0, req.Append(p.buf[:0]), nil, 0)
		return okStatus(st, err, codec.ENOENT)
	}
	defer lf.File.Close()
	req := codec.SyncFileRequest{FileSize: lf.Size, Timestamp: ts, Group: p.h.Group, Filename: logic}
	if cmd == codec.CmdSyncCreateFile && p.peerHasFiles {
		size, found, err := p.peerFileSize(logic)
		switch {
		case err != nil:
			return err
		case found && size == lf.Size: // header status EEXIST, no content
			req.NoContent = true
			status, err := p.call(cmd, req.HeaderStatus(), req.AppendFixed(p.buf[:0]), nil, 0)
			return okStatus(status, err)
		case found:
			cmd = codec.CmdSyncUpdateFile
		}
	}
	if lf.Offset != 0 {
		if _, err := lf.File.Seek(lf.Offset, io.SeekStart); err != nil {
			return err
		}
	}
	status, err := p.call(cmd, 0, req.AppendFixed(p.buf[:0]), lf.File, lf.Size)
	if err == nil {
		// as C: set by a whole file the peer had, cleared by one it took
		p.peerHasFiles = status == codec.EEXIST
	}
	return okStatus(status, err)
}

// peerFileSize asks the peer for the size of its copy (QUERY_FILE_INFO with
// header status 1, no CRC, as the C sender).
func (p *pusher) peerFileSize(logic []byte) (size int64, found bool, err error) {
	req := codec.QueryFileInfoRequest{Group: p.h.Group, Name: logic}
	st, err := p.call(codec.CmdQueryFileInfo, 1, req.Append(p.buf[:0]), nil, 0)
	switch {
	case err != nil:
		return 0, false, err
	case st == codec.ENOENT:
		return 0, false, nil
	case st != codec.OK || len(p.reply) < 8:
		return 0, false, &peerRefused{status: st}
	}
	return codec.Int64(p.reply), true, nil
}
