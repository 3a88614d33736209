package httpd

import (
	"bytes"
	"strconv"
	"sync/atomic"
	"time"
)

// TimeFormat is the IMF-fixdate of RFC 9110 §5.6.7.
const TimeFormat = "Mon, 02 Jan 2006 15:04:05 GMT"

// AppendHTTPDate appends unix time t as an IMF-fixdate.
func AppendHTTPDate(dst []byte, t int64) []byte {
	return time.Unix(t, 0).UTC().AppendFormat(dst, TimeFormat)
}

var monthNames = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// ParseHTTPDate reads an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"),
// the only form senders may generate (RFC 9110 §5.6.7); the two obsolete
// forms are not accepted (the header is then ignored, as for any invalid
// date). It allocates nothing.
func ParseHTTPDate(b []byte) (int64, bool) {
	b = trimOWS(b)
	if len(b) != len(TimeFormat) || b[3] != ',' || b[4] != ' ' || b[7] != ' ' || b[11] != ' ' ||
		b[16] != ' ' || b[19] != ':' || b[22] != ':' || b[25] != ' ' || string(b[26:]) != "GMT" {
		return 0, false
	}
	day, ok1 := twoDigits(b[5:7])
	year, ok2 := parseDigits(b[12:16])
	hour, ok3 := twoDigits(b[17:19])
	minute, ok4 := twoDigits(b[20:22])
	sec, ok5 := twoDigits(b[23:25])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 60 {
		return 0, false
	}
	month := -1
	for i, m := range monthNames {
		if string(b[8:11]) == m {
			month = i + 1
			break
		}
	}
	if month < 0 {
		return 0, false
	}
	t := time.Date(int(year), time.Month(month), day, hour, minute, sec, 0, time.UTC)
	if t.Day() != day { // 31 Feb and the like
		return 0, false
	}
	return t.Unix(), true
}

func twoDigits(b []byte) (int, bool) {
	if b[0] < '0' || b[0] > '9' || b[1] < '0' || b[1] > '9' {
		return 0, false
	}
	return int(b[0]-'0')*10 + int(b[1]-'0'), true
}

// AppendETag appends a strong entity tag built from the parts, each in
// lower-case hex, joined by '-': "5f3a1c2e-1000" for mtime and size is what
// nginx sends for a static file, so a file served by both gets one tag.
func AppendETag(dst []byte, parts ...uint64) []byte {
	dst = append(dst, '"')
	for i, p := range parts {
		if i > 0 {
			dst = append(dst, '-')
		}
		dst = strconv.AppendUint(dst, p, 16)
	}
	return append(dst, '"')
}

// NotModified reports whether a GET or HEAD with these validators is
// answered 304 (RFC 9110 §13.2.2): If-None-Match decides when present
// ("*" or any tag equal by the weak comparison); otherwise
// If-Modified-Since, when it is a valid date not before lastModified.
// (The nginx module answers 304 only when If-Modified-Since is the exact
// Last-Modified string; that case is covered.)
func NotModified(r *Request, etag []byte, lastModified int64) bool {
	if len(r.IfNoneMatch) > 0 {
		match := false
		forEachToken(r.IfNoneMatch, func(tok []byte) {
			if string(tok) == "*" || weakEqual(tok, etag) {
				match = true
			}
		})
		return match
	}
	if len(r.IfModifiedSince) > 0 && lastModified > 0 {
		if ims, ok := ParseHTTPDate(r.IfModifiedSince); ok && lastModified <= ims {
			return true
		}
	}
	return false
}

// RangeApplies reports whether the Range header is to be honoured given
// If-Range (RFC 9110 §13.1.5): without it, yes; with an entity tag, only
// if it is strongly equal to etag; with a date, only if it is exactly
// lastModified.
func RangeApplies(r *Request, etag []byte, lastModified int64) bool {
	v := trimOWS(r.IfRange)
	if len(v) == 0 {
		return true
	}
	if v[0] == '"' || bytes.HasPrefix(v, []byte("W/")) {
		return len(etag) > 0 && bytes.Equal(v, etag) && etag[0] == '"'
	}
	t, ok := ParseHTTPDate(v)
	return ok && t == lastModified
}

// weakEqual compares two entity tags ignoring a W/ prefix.
func weakEqual(a, b []byte) bool {
	a = bytes.TrimPrefix(a, []byte("W/"))
	b = bytes.TrimPrefix(b, []byte("W/"))
	return len(a) > 0 && bytes.Equal(a, b)
}

// DateCache hands out the Date header text of the current second,
// formatting it once per second (one small allocation then) instead of
// once per response. Safe for concurrent use; entries never change once
// published.
type DateCache struct {
	cur atomic.Pointer[dateEntry]
}

type dateEntry struct {
	sec  int64
	text [len(TimeFormat)]byte
}

// Get returns the IMF-fixdate of now; the slice must not be modified.
func (d *DateCache) Get(now time.Time) []byte {
	sec := now.Unix()
	if e := d.cur.Load(); e != nil && e.sec == sec {
		return e.text[:]
	}
	e := &dateEntry{sec: sec}
	AppendHTTPDate(e.text[:0], sec)
	d.cur.Store(e)
	return e.text[:]
}
