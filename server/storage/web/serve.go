package web

import (
	"bytes"
	"errors"
	"os"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/diskio"
	"github.com/gofdfs/gofdfs/server/httpd"
)

// handle answers the request in hc.r.
func (hs *Server) handle(hc *conn, c gnet.Conn) step {
	r := &hc.r
	hc.started = time.Now()
	hc.keepAlive = r.KeepAlive
	hc.sent = 0
	if !r.IsGet() && !r.IsHead() {
		return hs.respondSimple(hc, c, 405, "GET, HEAD")
	}
	if string(r.Path) == "/status" {
		return hs.respondStatus(hc, c)
	}
	if hs.conf.Metrics != nil && string(r.Path) == "/metrics" {
		return hs.respondMetrics(hc, c)
	}
	group, remote, ok := httpd.FilePath(r.Path, hs.cfg.URLHaveGroupName)
	if !ok {
		return hs.respondSimple(hc, c, 404, "")
	}
	core := hs.core
	sameGroup := group == nil || bytes.Equal(group, core.Group())
	if hs.cfg.AntiStealCheckToken {
		if st := hs.checkToken(hc, c, group, remote); st != stepNone {
			return st
		}
	}
	if !sameGroup {
		return hs.notHere(hc, c, group, remote, false)
	}
	rf, path, err := core.ParseName(remote)
	if err != nil {
		hs.log.Debug("http: bad file name", "peer", hc.peerIP, "path", string(r.Path), "err", err)
		return hs.respondSimple(hc, c, 400, "")
	}
	hc.rf, hc.path = rf, path
	// A plain descriptor, no *os.File: its poller registration (fcntls, a
	// failing epoll_ctl, allocations) would be paid on every small answer;
	// a worker send turns it into a File.
	f, st, base, err := hs.open(hc, path)
	if err != nil {
		if errors.Is(err, codec.EINVAL) {
			return hs.respondSimple(hc, c, 400, "")
		}
		if errors.Is(err, os.ErrNotExist) {
			return hs.notHere(hc, c, core.Group(), remote, true)
		}
		if errors.Is(err, diskio.ErrNotRegular) {
			return hs.respondSimple(hc, c, 404, "")
		}
		hs.log.Warn("http: open failed", "peer", hc.peerIP, "group", string(core.Group()), "file", string(remote), "err", err)
		return hs.respondSimple(hc, c, 500, "")
	}
	hc.base = base
	lastMod, etag := hs.validators(hc, st)
	return hs.serveFile(hc, c, f, st.Size, lastMod, etag)
}

// open opens the file hc.rf names: a plain file of its store path, or for
// a trunk-resident file (C's use_trunk_file) the trunk file that holds it,
// with base the offset of its content there; the stat is the content's.
// A malformed trunk part is EINVAL.
func (hs *Server) open(hc *conn, p Path) (diskio.ReadFd, diskio.FileStat, int64, error) {
	if len(hc.rf.Name) == codec.B64PartLen+codec.TrunkPartLen+codec.Ext7Len {
		if ref, ok, err := codec.TrunkRefOf(&hc.rf); ok {
			if err != nil {
				return diskio.ReadFd{}, diskio.FileStat{}, 0, err
			}
			return hs.core.OpenTrunk(&hc.rf, &ref, p)
		}
	}
	f, st, err := p.OpenRead(&hc.rf)
	return f, st, 0, err
}

// checkToken applies http.anti_steal: a missing token or ts is answered
// 400; a refused one with the token_check_fail file (200, as the nginx
// module) or 400 without one (also as the module).
func (hs *Server) checkToken(hc *conn, c gnet.Conn, group, remote []byte) step {
	id := hc.idBuf[:0]
	if group != nil {
		id = append(id, group...)
	} else {
		id = append(id, hs.core.Group()...)
	}
	id = append(id, '/')
	id = append(id, remote...)
	hc.idBuf = id
	err := httpd.CheckToken(hc.r.Query, id, remote, hs.secret, hs.ttl, hs.core.Now().Unix())
	if err == nil {
		return stepNone
	}
	hs.stats.tokenFails.Add(1)
	hs.log.Info("http: token check failed", "peer", hc.peerIP, "file", string(id), "err", err)
	if errors.Is(err, httpd.ErrTokenMissing) || hs.failBody == nil {
		return hs.respondSimple(hc, c, 400, "")
	}
	h := httpd.Head{Status: 200, Minor: hc.r.Minor, Date: hs.dates.Get(hs.core.Now()), ContentType: hs.failType,
		ContentLength: int64(len(hs.failBody)), KeepAlive: hc.keepAlive}
	hc.head = h.Append(hc.head[:0])
	_, _ = c.Write(hc.head)
	var n int64
	if !hc.r.IsHead() {
		_, _ = c.Write(hs.failBody)
		n = int64(len(hs.failBody))
	}
	hs.answered(hc, 200, n)
	return stepNext
}

// validators are Last-Modified and ETag. A normal file (in a trunk file
// or not) never changes, so both come from its name, the same on every
// storage of the group: the creation time (what the nginx module sends)
// and a tag of creation time, size and CRC32. Appender and slave files
// take mtime and size, the tag nginx itself would send for them.
func (hs *Server) validators(hc *conn, st diskio.FileStat) (int64, []byte) {
	rf := &hc.rf
	buf := hc.etag[:0]
	if fields, err := rf.Fields(); err == nil && fields.Timestamp > 0 &&
		(rf.Kind(fields) == codec.KindNormal || rf.Kind(fields) == codec.KindTrunk) {
		buf = httpd.AppendETag(buf, uint64(fields.Timestamp), uint64(st.Size), uint64(fields.CRC32))
		hc.etag = buf
		return int64(fields.Timestamp), buf
	}
	mt := st.ModTime.Unix()
	buf = httpd.AppendETag(buf, uint64(mt), uint64(st.Size))
	hc.etag = buf
	return mt, buf
}

// plan decides the answer for a file of size bytes: it builds the head in
// hc.head and the ranges to send in hc.ranges, and reports the status and
// the body length (-1: the answer is complete with the head).
func (hs *Server) plan(hc *conn, size, lastMod int64, etag []byte, contentType string) (int, int64) {
	r := &hc.r
	h := httpd.Head{Status: 200, Minor: r.Minor, Date: hs.dates.Get(hc.started), ContentType: contentType,
		LastModified: lastMod, ETag: etag, AcceptRanges: true, KeepAlive: hc.keepAlive}
	hc.multipart, hc.nRanges, hc.next = false, 0, 0
	if raw, ok := httpd.QueryParam(r.Query, "filename"); ok {
		// ?filename=NAME: saved under that name, as with the nginx module
		if name, ok := httpd.AppendAttachmentName(hc.attach[:0], raw); ok {
			hc.attach = name
			h.Attachment = name
		}
	}
	if httpd.NotModified(r, etag, lastMod) {
		h.Status, h.ContentType, h.ContentLength, h.Attachment = 304, "", -1, nil
		hc.head = h.Append(hc.head[:0])
		return 304, -1
	}
	if len(r.Range) > 0 && httpd.RangeApplies(r, etag, lastMod) {
		rs, res := httpd.ParseRanges(r.Range, size, hc.ranges[:0])
		if res == httpd.RangePartial && len(rs) > 1 && !hs.cfg.MultiRangeEnabled {
			res = httpd.RangeUnsatisfiable // http.multi_range.enabled = false: 416, as the nginx module
		}
		switch res {
		case httpd.RangeUnsatisfiable:
			h = httpd.Head{Status: 416, Minor: r.Minor, Date: h.Date, Unsatisfied: true, Size: size,
				ContentLength: 0, KeepAlive: hc.keepAlive}
			hc.head = h.Append(hc.head[:0])
			return 416, -1
		case httpd.RangePartial:
			hc.nRanges = len(rs)
			h.Status = 206
			if len(rs) == 1 {
				h.HasRange, h.Range, h.Size, h.ContentLength = true, rs[0], size, rs[0].Length
				hc.head = h.Append(hc.head[:0])
				return 206, rs[0].Length
			}
			hc.multipart = true
			hc.boundary = httpd.AppendBoundary(hc.boundary[:0], hs.seq.Add(1)^uint64(time.Now().UnixNano()))
			hc.mp = httpd.Multipart{Boundary: hc.boundary, ContentType: contentType, Size: size}
			h.MultipartBoundary = hc.boundary
			h.ContentLength = hc.mp.ContentLength(rs)
			hc.head = h.Append(hc.head[:0])
			return 206, h.ContentLength
		}
	}
	hc.ranges[0] = httpd.ByteRange{Start: 0, Length: size}
	hc.nRanges = 1
	h.ContentLength = size
	hc.head = h.Append(hc.head[:0])
	return 200, size
}

// serveFile answers from an open local file: HEAD, 304 and 416 with the
// head alone, bodies up to Config.SmallReadMax from the page cache right here,
// anything else by sendfile on the store path's worker.
func (hs *Server) serveFile(hc *conn, c gnet.Conn, f diskio.ReadFd, size, lastMod int64, etag []byte) step {
	status, bodyLen := hs.plan(hc, size, lastMod, etag, hs.mime.ByName(hc.rf.Name))
	hc.status = status
	if bodyLen < 0 || hc.r.IsHead() || bodyLen == 0 {
		_ = f.Close()
		_, _ = c.Write(hc.head)
		hs.answered(hc, status, 0)
		return stepNext
	}
	if bodyLen <= hs.conf.SmallReadMax {
		if hs.writeSmall(hc, c, f, bodyLen) {
			_ = f.Close()
			hs.stats.loopReads.Add(1)
			hs.answered(hc, status, bodyLen)
			return stepNext
		}
	}
	hc.file = f.File()
	hc.waitDrain = true
	return hs.startSend(hc, c)
}

// writeSmall writes head and body from the page cache if all of it is
// cached (diskio.ReadSmall), and reports whether it did.
func (hs *Server) writeSmall(hc *conn, c gnet.Conn, f diskio.ReadFd, bodyLen int64) bool {
	bp := hs.readPool.Get().(*[]byte)
	defer hs.readPool.Put(bp)
	buf := append((*bp)[:0], hc.head...)
	for i := range hc.nRanges {
		rg := hc.ranges[i]
		if hc.multipart {
			buf = hc.mp.AppendPartHead(buf, rg)
		}
		at := len(buf)
		buf = append(buf, make([]byte, rg.Length)...)
		n, err := f.ReadSmall(hc.base+rg.Start, buf[at:])
		if err != nil || int64(n) != rg.Length {
			if err != nil && !errors.Is(err, diskio.ErrWouldBlock) {
				hs.log.Warn("http: read failed", "file", string(hc.rf.Logic), "err", err)
			}
			*bp = buf[:0]
			return false
		}
	}
	if hc.multipart {
		buf = hc.mp.AppendTail(buf)
	}
	_, _ = c.Write(buf)
	*bp = buf[:0]
	_ = bodyLen
	return true
}

// startSend hands the answer to a disk worker once gnet has nothing
// queued for the socket (the worker writes to it directly).
func (hs *Server) startSend(hc *conn, c gnet.Conn) step {
	if c.OutboundBuffered() > 0 {
		_ = c.Flush()
		if c.OutboundBuffered() > 0 {
			_ = c.Wake(nil)
			return stepWait
		}
	}
	hc.waitDrain = false
	fd, err := c.Dup()
	if err != nil {
		hc.closeSend()
		hc.proxyPending = false
		hs.log.Error("http: dup socket", "peer", hc.peerIP, "err", err)
		return stepClose
	}
	hc.dup = fd
	if hc.proxyPending {
		hc.proxyPending = false
		hc.busy.Store(true)
		hs.startProxy(hc)
		return stepWait
	}
	hs.stats.workerSends.Add(1)
	hc.busy.Store(true)
	if err := hc.sendNext(); err != nil {
		hc.busy.Store(false)
		hc.closeSend()
		return stepClose
	}
	return stepWait
}

// sendNext queues the next piece: range next with its part head (the
// response head before the first), or the multipart tail.
func (hc *conn) sendNext() error {
	var hdr []byte
	if hc.next == 0 {
		hdr = hc.head // head already built; part head appended below
	} else {
		hdr = hc.head[:0]
	}
	job := diskio.SendJob{Sock: hc.dup, Timeout: hc.hs.conf.NetworkTimeout, Done: hc.sentFn}
	if hc.next < hc.nRanges {
		rg := hc.ranges[hc.next]
		if hc.multipart {
			hdr = hc.mp.AppendPartHead(hdr, rg)
		}
		job.File, job.Offset, job.Length = hc.file, hc.base+rg.Start, rg.Length
	} else {
		hdr = hc.mp.AppendTail(hdr)
	}
	hc.head = hdr
	job.Header = hdr
	hc.next++
	return hc.path.Send(job)
}

// sentRange ends one worker send (worker thread): on to the next range,
// or done.
func (hc *conn) sentRange(n int64, err error) {
	hc.sent += n
	if err == nil && hc.multipart && hc.next <= hc.nRanges {
		if err = hc.sendNext(); err == nil {
			return
		}
	}
	hc.closeSend()
	if err != nil {
		hc.hs.log.Info("http: send failed", "peer", hc.peerIP, "file", string(hc.rf.Logic),
			"sent", hc.sent, "err", err)
	}
	hc.finish(hc.status, hc.sent, err != nil)
}

func (hc *conn) closeSend() {
	if hc.file != nil {
		_ = hc.file.Close()
		hc.file = nil
	}
	if hc.dup >= 0 {
		_ = unix.Close(hc.dup)
		hc.dup = -1
	}
}
