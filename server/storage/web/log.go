package web

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/panjf2000/gnet/v2"
	"github.com/prometheus/common/expfmt"

	"github.com/gofdfs/gofdfs/server/httpd"
)

// accessLog buffers access lines in memory and writes them out once a
// second (the engine's tick) or when 64 KiB have gathered, so a request
// never waits for the log's disk.
type accessLog struct {
	mu   sync.Mutex
	f    *os.File
	buf  []byte
	path string
}

const accessLogFlushAt = 64 << 10

func openAccessLog(path string) (*accessLog, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &accessLog{f: f, path: path, buf: make([]byte, 0, accessLogFlushAt+4096)}, nil
}

func (l *accessLog) write(ip string, t time.Time, r *httpd.Request, status int, body int64) {
	l.mu.Lock()
	l.buf = httpd.AppendAccessLine(l.buf, ip, t, r, status, body)
	full := len(l.buf) >= accessLogFlushAt
	l.mu.Unlock()
	if full {
		_ = l.flush()
	}
}

func (l *accessLog) flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) == 0 || l.f == nil {
		return nil
	}
	_, err := l.f.Write(l.buf)
	l.buf = l.buf[:0]
	return err
}

func (l *accessLog) close() error {
	err := l.flush()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f != nil {
		if cerr := l.f.Close(); err == nil {
			err = cerr
		}
		l.f = nil
	}
	return err
}

// respondStatus serves /status: the storage's counters as JSON (the
// binary protocol's stat block, which the trackers get in BEATs, and the
// HTTP server's own).
func (hs *Server) respondStatus(hc *conn, c gnet.Conn) step {
	b := hc.req[len(hc.req):] // build after the request copy, in the same buffer
	b = append(b, '{')
	b = hs.core.AppendStatus(b)
	h := &hs.stats
	b = append(b, ",\"http\":{\"requests\":"...)
	b = strconv.AppendInt(b, h.requests.Load(), 10)
	for k := 1; k < len(h.byClass); k++ {
		b = append(b, ",\"status_"...)
		b = strconv.AppendInt(b, int64(k), 10)
		b = append(b, "xx\":"...)
		b = strconv.AppendInt(b, h.byClass[k].Load(), 10)
	}
	for _, kv := range [...]struct {
		k string
		v int64
	}{{"body_bytes", h.bodyBytes.Load()}, {"loop_reads", h.loopReads.Load()},
		{"worker_sends", h.workerSends.Load()}, {"redirects", h.redirects.Load()},
		{"proxied", h.proxied.Load()}, {"token_fails", h.tokenFails.Load()},
		{"current_connections", h.connCur.Load()}} {
		b = append(b, ",\""...)
		b = append(b, kv.k...)
		b = append(b, "\":"...)
		b = strconv.AppendInt(b, kv.v, 10)
	}
	b = append(b, "}}\n"...)
	body := b
	hd := httpd.Head{Status: 200, Minor: hc.r.Minor, Date: hs.dates.Get(hs.core.Now()), ContentType: "application/json",
		ContentLength: int64(len(body)), KeepAlive: hc.keepAlive}
	hc.head = hd.Append(hc.head[:0])
	if !hc.r.IsHead() {
		hc.head = append(hc.head, body...)
	}
	_, _ = c.Write(hc.head)
	hs.answered(hc, 200, int64(len(body)))
	return stepNext
}

// respondMetrics serves /metrics (metrics on): the Prometheus text
// exposition of the storage's registry, the same as on metrics_port.
// Scrapes are rare; gathering runs on the loop like /status.
func (hs *Server) respondMetrics(hc *conn, c gnet.Conn) step {
	var body bytes.Buffer
	if err := hs.conf.Metrics(&body); err != nil {
		hs.log.Warn("http: /metrics", "peer", hc.peerIP, "err", err)
		if body.Len() == 0 {
			return hs.respondSimple(hc, c, 500, "")
		}
	}
	hd := httpd.Head{Status: 200, Minor: hc.r.Minor, Date: hs.dates.Get(hs.core.Now()),
		ContentType: string(expfmt.NewFormat(expfmt.TypeTextPlain)), ContentLength: int64(body.Len()),
		KeepAlive: hc.keepAlive}
	hc.head = hd.Append(hc.head[:0])
	if !hc.r.IsHead() {
		hc.head = append(hc.head, body.Bytes()...)
	}
	_, _ = c.Write(hc.head)
	hs.answered(hc, 200, int64(body.Len()))
	return stepNext
}
