package storage

import (
	"errors"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/diskio"
)

// handleDownload frames and validates DOWNLOAD_FILE, which is served on
// the loop (download) as far as it can be.
func (s *Server) handleDownload(cs *connState, c gnet.Conn, hdr codec.Header, n int) step {
	body, st, ok := s.takeWhole(cs, c, hdr, n)
	if !ok {
		return st
	}
	op := &cs.op
	var r codec.DownloadRequest
	if err := r.Decode(body); err != nil {
		return s.replyError(c, errnoOf(err))
	}
	if !s.ownGroup(r.Group) {
		return s.replyError(c, codec.EINVAL)
	}
	if err := s.parseNameView(op, r.Name); err != nil {
		return s.replyError(c, errnoOf(err))
	}
	st = s.download(cs, c, &r)
	op.ref.Name = "" // a view of cs.req: not to outlive the request
	return st
}

// download answers DOWNLOAD_FILE. The range follows the V6.15.4+ rules
// (codec.DownloadRequest.Range), so a 0-byte file cannot be downloaded
// (EINVAL, then the connection closes): that is what current C storages
// answer and what current C clients expect, and the older behaviour (an
// empty success body) is only reachable with offset 0 = size, which the
// newer clients never send.
//
// A range of at most smallReadMax bytes that is in the page cache is read
// with preadv2(RWF_NOWAIT) and written right here; anything else goes to a
// worker, which sends the header and then the range with sendfile on a dup
// of the socket while this connection reads no further requests.
//
// The open and fstat happen on the loop: they touch only the inode, which
// for a file being downloaded is almost always cached.
func (s *Server) download(cs *connState, c gnet.Conn, r *codec.DownloadRequest) step {
	op := &cs.op
	rf, st, base, err := s.openDownload(op)
	if err != nil {
		s.logOpError(cs, err)
		return s.replyError(c, readErrno(err))
	}
	off, length, err := r.Range(st.Size)
	if err != nil {
		_ = rf.Close()
		return s.replyError(c, errnoOf(err))
	}
	off += base
	if length <= smallReadMax {
		bp := s.readPool.Get().(*[]byte)
		buf := (*bp)[:codec.HeaderSize+int(length)]
		n, err := rf.ReadSmall(off, buf[codec.HeaderSize:])
		if err == nil && int64(n) == length {
			codec.Reply(0, int(length)).Put(buf)
			_, _ = c.Write(buf)
			_ = rf.Close()
			s.readPool.Put(bp)
			s.counters.loopReads.Add(1)
			s.stats.done(codec.CmdDownloadFile, true, length, nil)
			s.ObserveRequest(codec.CmdDownloadFile, cs.began)
			cs.began = 0
			return stepNext
		}
		s.readPool.Put(bp)
		if err != nil && !errors.Is(err, diskio.ErrWouldBlock) {
			_ = rf.Close()
			s.logOpError(cs, err)
			return s.replyError(c, errnoOf(err))
		}
	}
	op.file, op.sendOff, op.sendLen = rf.File(), off, length
	cs.waitDrain = true
	return s.startSend(cs, c)
}

// startSend hands the prepared download to a worker once gnet has nothing
// queued for the socket (the worker writes to it directly; earlier replies
// must go first). If gnet still holds bytes, the loop wakes this
// connection again after its own write events have run.
func (s *Server) startSend(cs *connState, c gnet.Conn) step {
	op := &cs.op
	if c.OutboundBuffered() > 0 {
		_ = c.Flush()
		if c.OutboundBuffered() > 0 {
			_ = c.Wake(nil)
			return stepWait
		}
	}
	cs.waitDrain = false
	fd, err := c.Dup()
	if err != nil {
		_ = op.file.Close()
		op.file = nil
		s.log.Error("dup socket for download", "peer", cs.peer, "err", err)
		return s.replyError(c, codec.EIO)
	}
	cs.dup = fd
	s.counters.workerSends.Add(1)
	codec.Reply(0, int(op.sendLen)).Put(op.sendHdr[:])
	cs.busy.Store(true)
	job := diskio.SendJob{Sock: fd, Header: op.sendHdr[:], File: op.file, Offset: op.sendOff,
		Length: op.sendLen, Timeout: s.cfg.NetworkTimeout, Done: cs.sentFn}
	if err := op.path.workers.Pick().Send(job); err != nil {
		cs.busy.Store(false)
		_ = unix.Close(fd)
		cs.dup = -1
		_ = op.file.Close()
		op.file = nil
		return s.replyError(c, codec.EIO)
	}
	return stepWait
}

// sent ends a worker download (worker thread). After a failure part of the
// reply may be out, so the connection is closed.
func (cs *connState) sent(n int64, err error) {
	op := &cs.op
	_ = op.file.Close()
	op.file = nil
	_ = unix.Close(cs.dup)
	cs.dup = -1
	cs.out = cs.out[:0]
	cs.srv.stats.done(codec.CmdDownloadFile, err == nil, n, nil)
	cs.srv.ObserveRequest(codec.CmdDownloadFile, cs.began)
	cs.began = 0
	if err != nil {
		cs.srv.log.Warn("download failed", "peer", cs.peer, "group", string(cs.srv.group),
			"file", op.describe(), "sent", n, "err", err)
		cs.finish(true)
		return
	}
	cs.finish(false)
}
