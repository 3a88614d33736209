package httpd

import (
	"strconv"
	"time"
)

// AppendAccessLine appends one access log line in the combined log format
// (NCSA common log format plus referer and user agent, nginx's default
// "combined"), newline included:
//
//	127.0.0.1 - - [22/Nov/2026:01:10:23 +0000] "GET /group1/M00/00/00/x.jpg HTTP/1.1" 200 4096 "-" "curl/8.5.0"
//
// Bytes are body bytes sent. Request line, referer and user agent are
// escaped as nginx does (\xHH for '"', '\\' and bytes outside printable
// ASCII) so a line can always be split again.
func AppendAccessLine(dst []byte, remoteIP string, t time.Time, r *Request, status int, bodyBytes int64) []byte {
	if remoteIP == "" {
		remoteIP = "-"
	}
	dst = append(dst, remoteIP...)
	dst = append(dst, " - - ["...)
	dst = t.AppendFormat(dst, "02/Jan/2006:15:04:05 -0700")
	dst = append(dst, "] \""...)
	if r != nil && len(r.Method) > 0 {
		dst = appendEscaped(dst, r.Method)
		dst = append(dst, ' ')
		dst = appendEscaped(dst, r.Target)
		dst = append(dst, " HTTP/1."...)
		dst = strconv.AppendInt(dst, int64(r.Minor), 10)
	} else {
		dst = append(dst, '-')
	}
	dst = append(dst, "\" "...)
	dst = strconv.AppendInt(dst, int64(status), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, bodyBytes, 10)
	dst = append(dst, " \""...)
	dst = appendOrDash(dst, r, func(r *Request) []byte { return r.Referer })
	dst = append(dst, "\" \""...)
	dst = appendOrDash(dst, r, func(r *Request) []byte { return r.UserAgent })
	return append(dst, "\"\n"...)
}

func appendOrDash(dst []byte, r *Request, field func(*Request) []byte) []byte {
	if r == nil || len(field(r)) == 0 {
		return append(dst, '-')
	}
	return appendEscaped(dst, field(r))
}

func appendEscaped(dst, b []byte) []byte {
	const hex = "0123456789ABCDEF"
	for _, c := range b {
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			dst = append(dst, '\\', 'x', hex[c>>4], hex[c&15])
			continue
		}
		dst = append(dst, c)
	}
	return dst
}
