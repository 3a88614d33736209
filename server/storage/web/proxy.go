package web

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/conf"
	"github.com/gofdfs/gofdfs/internal/peercall"
	"github.com/gofdfs/gofdfs/server/httpd"
)

// notHere answers a request for a file this storage does not have: the
// nginx module's rules. The source storage is decoded from the file ID
// (its IPv4 address, or its storage id looked up in the group's member
// list). A file of our group whose source is this storage, or that is
// older than http.storage_sync_file_max_delay, is not coming: 404.
// Otherwise, by http.response_mode, a 302 to the same URL on the source
// with "redirect=1" added (a request that already carries it is not
// bounced again: 404), or the file fetched from the source over the
// binary protocol and passed through.
func (hs *Server) notHere(hc *conn, c gnet.Conn, group, remote []byte, sameGroup bool) step {
	r := &hc.r
	if _, again := httpd.QueryParam(r.Query, "redirect"); again {
		return hs.respondSimple(hc, c, 404, "")
	}
	rf, err := codec.ParseRemoteFilename(remote, codec.MaxStorePaths)
	if err != nil {
		return hs.respondSimple(hc, c, 400, "")
	}
	fields, err := rf.Fields()
	if err != nil {
		return hs.respondSimple(hc, c, 404, "")
	}
	ip, port, known := hs.core.SourceOf(fields)
	if !known {
		hs.log.Info("http: source storage of a missing file unknown", "file", string(remote))
		return hs.respondSimple(hc, c, 404, "")
	}
	age := hs.core.Now().Sub(time.Unix(int64(fields.Timestamp), 0))
	if sameGroup && (hs.isLocal(hc, ip) || fields.Timestamp > 0 && age > hs.cfg.SyncFileMaxDelay) {
		return hs.respondSimple(hc, c, 404, "")
	}
	if hs.cfg.ResponseMode == conf.ResponseRedirect {
		return hs.redirect(hc, c, ip)
	}
	if hs.proxying.Load() >= maxProxying {
		return hs.respondSimple(hc, c, 503, "")
	}
	hc.rf, hc.path = rf, nil
	hc.proxyAddr = net.JoinHostPort(ip.String(), strconv.Itoa(port))
	hc.proxyGroup = append(hc.proxyGroup[:0], group...)
	hc.proxyName = append(hc.proxyName[:0], remote...)
	hc.waitDrain, hc.proxyPending = true, true
	return hs.startSend(hc, c)
}

// isLocal reports whether ip is this storage: the address in its new file
// names, the one the trackers see, or the one the client reached.
func (hs *Server) isLocal(hc *conn, ip netip.Addr) bool {
	if hs.core.IsMe(ip) {
		return true
	}
	if a, ok := hc.local.(*net.TCPAddr); ok {
		if l, ok := netip.AddrFromSlice(a.IP); ok && l.Unmap() == ip {
			return true
		}
	}
	return false
}

// redirect answers 302 to the request's URL on the source storage's HTTP
// server (this server's port: the group's storages share their conf),
// with "redirect=1" added, as the nginx module.
func (hs *Server) redirect(hc *conn, c gnet.Conn, ip netip.Addr) step {
	r := &hc.r
	loc := hc.idBuf[:0]
	loc = append(loc, "http://"...)
	loc = ip.AppendTo(loc)
	if a, ok := hc.local.(*net.TCPAddr); ok && a.Port != 80 {
		loc = append(loc, ':')
		loc = strconv.AppendInt(loc, int64(a.Port), 10)
	}
	loc = append(loc, r.Path...)
	if len(r.Query) > 0 {
		loc = append(loc, '?')
		loc = append(loc, r.Query...)
		loc = append(loc, '&')
	} else {
		loc = append(loc, '?')
	}
	loc = append(loc, "redirect=1"...)
	hc.idBuf = loc
	h := httpd.Head{Status: 302, Minor: r.Minor, Date: hs.dates.Get(hs.core.Now()), Location: loc,
		ContentLength: 0, KeepAlive: hc.keepAlive}
	hc.head = h.Append(hc.head[:0])
	_, _ = c.Write(hc.head)
	hs.stats.redirects.Add(1)
	hs.answered(hc, 302, 0)
	return stepNext
}

// startProxy hands the socket to a fetch-through goroutine (socket dup in
// hc.dup, busy set). Such requests are rare (a replica behind), so a
// goroutine each is fine; their number is bounded.
func (hs *Server) startProxy(hc *conn) {
	hs.proxying.Add(1)
	hs.stats.proxied.Add(1)
	go func() {
		defer hs.proxying.Add(-1)
		f := os.NewFile(uintptr(hc.dup), "http client")
		hc.dup = -1
		client, err := net.FileConn(f)
		_ = f.Close()
		if err != nil {
			hc.finish(500, 0, true)
			return
		}
		status, n, err := hs.fetchThrough(hc, client)
		_ = client.Close()
		if err != nil {
			hs.log.Warn("http: fetch-through failed", "source", hc.proxyAddr,
				"file", string(hc.proxyName), "status", status, "sent", n, "err", err)
		}
		hc.finish(status, n, err != nil)
	}()
}

// fetchThrough asks the source for the file's size (QUERY_FILE_INFO),
// answers with the same rules as for a local file, and passes each range
// through from DOWNLOAD_FILE replies. An error after the head went out
// means a truncated answer: the connection is closed.
func (hs *Server) fetchThrough(hc *conn, client net.Conn) (int, int64, error) {
	timeout := hs.conf.NetworkTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	d := net.Dialer{Timeout: hs.conf.ConnectTimeout}
	if d.Timeout <= 0 {
		d.Timeout = 10 * time.Second
	}
	// bound to bind_addr with client_bind, as the reporters' connections
	if hs.conf.LocalIP.IsValid() {
		d.LocalAddr = &net.TCPAddr{IP: hs.conf.LocalIP.AsSlice()}
	}
	ctx := context.Background()
	src, err := peercall.Dial(ctx, &d, hc.proxyAddr, timeout)
	if err != nil {
		return hs.proxyFail(hc, client, 502, err)
	}
	defer src.NC.Close()
	group := hc.proxyGroup
	if len(group) == 0 {
		group = hs.core.Group()
	}
	// QUERY_FILE_INFO carries its flags in the header's status byte
	info := codec.QueryFileInfoRequest{Flags: codec.QueryFlagNoCRC, Group: group, Name: hc.proxyName}
	st, body, err := src.Exchange(ctx, codec.CmdQueryFileInfo, info.Flags, info.Append(nil), nil, 0, 256)
	if err != nil {
		return hs.proxyFail(hc, client, 502, err)
	}
	if st != codec.OK {
		status := 502
		if st == codec.ENOENT {
			status = 404
		}
		return hs.proxyFail(hc, client, status, nil)
	}
	var fi codec.FileInfoReply
	if err := fi.Decode(body); err != nil {
		return hs.proxyFail(hc, client, 502, err)
	}
	lastMod, etag := hs.proxyValidators(hc, fi)
	status, bodyLen := hs.plan(hc, fi.FileSize, lastMod, etag, hs.mime.ByName(hc.proxyName))
	hc.status = status
	_ = client.SetWriteDeadline(time.Now().Add(timeout))
	if _, err := client.Write(hc.head); err != nil {
		return status, 0, err
	}
	if bodyLen <= 0 || hc.r.IsHead() {
		return status, 0, nil
	}
	var sent int64
	for i := range hc.nRanges {
		rg := hc.ranges[i]
		if hc.multipart {
			if _, err := client.Write(hc.mp.AppendPartHead(hc.head[:0], rg)); err != nil {
				return status, sent, err
			}
		}
		req := codec.DownloadRequest{Offset: rg.Start, Bytes: rg.Length, Group: group, Name: hc.proxyName}
		if err := src.Send(ctx, codec.CmdDownloadFile, 0, req.Append(src.Buf[:0]), nil, 0); err != nil {
			return status, sent, err
		}
		h, err := src.RecvHeader(ctx, codec.CmdName(codec.CmdDownloadFile))
		if err != nil {
			return status, sent, err
		}
		if h.Status != 0 || h.BodyLen != rg.Length {
			return status, sent, fmt.Errorf("source %s answered status %d with %d bytes for %d", hc.proxyAddr,
				h.Status, h.BodyLen, rg.Length)
		}
		n, err := copyWithDeadlines(client, src.NC, rg.Length, timeout)
		sent += n
		if err != nil {
			return status, sent, err
		}
	}
	if hc.multipart {
		if _, err := client.Write(hc.mp.AppendTail(hc.head[:0])); err != nil {
			return status, sent, err
		}
	}
	return status, sent, nil
}

// proxyValidators are validators() for a file known from QUERY_FILE_INFO.
func (hs *Server) proxyValidators(hc *conn, fi codec.FileInfoReply) (int64, []byte) {
	rf := &hc.rf
	buf := hc.etag[:0]
	if fields, err := rf.Fields(); err == nil && rf.Kind(fields) == codec.KindNormal &&
		!fields.IsTrunk() && fields.Timestamp > 0 {
		buf = httpd.AppendETag(buf, uint64(fields.Timestamp), uint64(fi.FileSize), uint64(fields.CRC32))
		hc.etag = buf
		return int64(fields.Timestamp), buf
	}
	buf = httpd.AppendETag(buf, uint64(fi.CreateTime), uint64(fi.FileSize))
	hc.etag = buf
	return fi.CreateTime, buf
}

// proxyFail answers status before any head went out.
func (hs *Server) proxyFail(hc *conn, client net.Conn, status int, cause error) (int, int64, error) {
	body := httpd.StatusText(status)
	h := httpd.Head{Status: status, Minor: hc.r.Minor, Date: hs.dates.Get(hs.core.Now()),
		ContentType: "text/plain; charset=utf-8", ContentLength: int64(len(body) + 1), KeepAlive: hc.keepAlive}
	out := h.Append(hc.head[:0])
	if !hc.r.IsHead() {
		out = append(out, body...)
		out = append(out, '\n')
	}
	hc.head = out
	_ = client.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := client.Write(out); err != nil && cause == nil {
		cause = err
	}
	if cause != nil {
		hs.log.Info("http: fetch-through", "source", hc.proxyAddr, "file", string(hc.proxyName), "err", cause)
	}
	return status, 0, nil
}

// copyWithDeadlines moves n bytes, renewing the deadlines while bytes
// move (a slow but steady transfer is not cut off).
func copyWithDeadlines(dst, src net.Conn, n int64, idle time.Duration) (int64, error) {
	var done int64
	for done < n {
		step := min(n-done, 4<<20)
		_ = src.SetReadDeadline(time.Now().Add(idle))
		_ = dst.SetWriteDeadline(time.Now().Add(idle))
		m, err := io.CopyN(dst, src, step)
		done += m
		if err != nil {
			return done, err
		}
	}
	return done, nil
}
