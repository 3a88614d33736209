package httpd

import (
	"bytes"
	"errors"
)

// MaxHeadSize is the largest request head accepted (request line and
// header fields with their line ends). A download request needs a few
// hundred bytes; nginx's default large_client_header_buffers is 8 KiB.
const MaxHeadSize = 8 << 10

// Errors of ParseRequest; StatusOf gives the status to answer.
var (
	ErrHeadTooLarge = errors.New("httpd: request head larger than 8 KiB")
	ErrBadRequest   = errors.New("httpd: malformed request")
	ErrVersion      = errors.New("httpd: HTTP version not supported")
	ErrBody         = errors.New("httpd: request with a body")
)

// StatusOf is the status a ParseRequest error is answered with (the
// connection is closed after it).
func StatusOf(err error) int {
	switch err {
	case ErrHeadTooLarge:
		return 431
	case ErrVersion:
		return 505
	case ErrBody:
		return 413
	}
	return 400
}

// Request is a parsed request head. Its slices alias the bytes given to
// ParseRequest; the caller keeps those until it is done with the request.
type Request struct {
	Method []byte
	Target []byte // the request-target as sent
	Path   []byte // Target up to '?', or the path of an absolute-form target
	Query  []byte // after '?', without it
	Minor  int    // HTTP/1.Minor: 0 or 1

	// KeepAlive is the connection's persistence after this request: HTTP/1.1
	// unless "Connection: close", HTTP/1.0 only with "Connection: keep-alive".
	KeepAlive bool

	Host, Range, IfNoneMatch, IfModifiedSince, IfRange, Referer, UserAgent []byte

	HeadLen int // bytes of the head, its empty line included
}

// IsGet and IsHead compare the method (case-sensitive, RFC 9110).
func (r *Request) IsGet() bool  { return string(r.Method) == "GET" }
func (r *Request) IsHead() bool { return string(r.Method) == "HEAD" }

// ParseRequest parses the request head at the start of b. It returns the
// head's length, 0 with a nil error when b holds no complete head yet, or
// an error (see StatusOf). It allocates nothing.
func ParseRequest(b []byte, r *Request) (int, error) {
	*r = Request{}
	end := headEnd(b)
	if end < 0 {
		if len(b) >= MaxHeadSize {
			return 0, ErrHeadTooLarge
		}
		return 0, nil
	}
	if end > MaxHeadSize {
		return 0, ErrHeadTooLarge
	}
	r.HeadLen = end
	head := b[:end]
	// RFC 9112 §2.2: a server SHOULD ignore empty lines before the request line.
	for len(head) > 0 && (head[0] == '\r' || head[0] == '\n') {
		head = head[1:]
	}
	line, rest := cutLine(head)
	if err := r.parseRequestLine(line); err != nil {
		return 0, err
	}
	keepAlive, closeConn := false, false
	for len(rest) > 0 {
		line, rest = cutLine(rest)
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			return 0, ErrBadRequest // obsolete line folding
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return 0, ErrBadRequest
		}
		name, value := line[:colon], trimOWS(line[colon+1:])
		for _, c := range name {
			if !isTokenChar(c) {
				return 0, ErrBadRequest
			}
		}
		switch {
		case equalFold(name, "host"):
			r.Host = value
		case equalFold(name, "range"):
			r.Range = value
		case equalFold(name, "if-none-match"):
			r.IfNoneMatch = value
		case equalFold(name, "if-modified-since"):
			r.IfModifiedSince = value
		case equalFold(name, "if-range"):
			r.IfRange = value
		case equalFold(name, "referer"):
			r.Referer = value
		case equalFold(name, "user-agent"):
			r.UserAgent = value
		case equalFold(name, "connection"):
			forEachToken(value, func(tok []byte) {
				switch {
				case equalFold(tok, "close"):
					closeConn = true
				case equalFold(tok, "keep-alive"):
					keepAlive = true
				}
			})
		case equalFold(name, "content-length"):
			if !allByte(value, '0') {
				return 0, ErrBody
			}
		case equalFold(name, "transfer-encoding"):
			return 0, ErrBody
		}
	}
	if r.Minor >= 1 && r.Host == nil {
		return 0, ErrBadRequest // RFC 9112 §3.2: an HTTP/1.1 request without Host is answered 400
	}
	if r.Minor >= 1 {
		r.KeepAlive = !closeConn
	} else {
		r.KeepAlive = keepAlive && !closeConn
	}
	return end, nil
}

func (r *Request) parseRequestLine(line []byte) error {
	sp := bytes.IndexByte(line, ' ')
	if sp <= 0 {
		return ErrBadRequest
	}
	r.Method = line[:sp]
	for _, c := range r.Method {
		if !isTokenChar(c) {
			return ErrBadRequest
		}
	}
	line = line[sp+1:]
	sp = bytes.IndexByte(line, ' ')
	if sp <= 0 {
		return ErrBadRequest
	}
	r.Target, line = line[:sp], line[sp+1:]
	for _, c := range r.Target {
		if c <= ' ' || c >= 0x7f {
			return ErrBadRequest
		}
	}
	switch {
	case string(line) == "HTTP/1.1":
		r.Minor = 1
	case string(line) == "HTTP/1.0":
		r.Minor = 0
	case len(line) == 8 && string(line[:5]) == "HTTP/" && line[6] == '.':
		return ErrVersion
	default:
		return ErrBadRequest
	}
	t := r.Target
	// absolute-form (RFC 9112 §3.2.2): keep the path.
	if len(t) > 7 && equalFold(t[:7], "http://") {
		i := bytes.IndexByte(t[7:], '/')
		if i < 0 {
			return ErrBadRequest // no path: nothing to serve
		}
		t = t[7+i:]
	}
	if len(t) == 0 || t[0] != '/' {
		return ErrBadRequest // authority-form and "*" are for CONNECT and OPTIONS
	}
	if q := bytes.IndexByte(t, '?'); q >= 0 {
		r.Path, r.Query = t[:q], t[q+1:]
	} else {
		r.Path = t
	}
	if h := bytes.IndexByte(r.Path, '#'); h >= 0 {
		r.Path = r.Path[:h]
	}
	return nil
}

// headEnd is the length of the head up to and including its empty line
// (CRLF CRLF, or bare LFs, which RFC 9112 §2.2 lets a server accept), or -1.
func headEnd(b []byte) int {
	for i := 0; i < len(b); i++ {
		if b[i] != '\n' {
			continue
		}
		j := i + 1
		if j < len(b) && b[j] == '\r' {
			j++
		}
		if j < len(b) && b[j] == '\n' {
			// The empty line only ends the head once a request line was seen.
			if bytes.ContainsFunc(b[:i], func(r rune) bool { return r != '\r' && r != '\n' }) {
				return j + 1
			}
		}
	}
	return -1
}

// cutLine splits off the first line, without its CRLF or LF.
func cutLine(b []byte) (line, rest []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return b, nil
	}
	line, rest = b[:i], b[i+1:]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, rest
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// forEachToken calls fn with each element of a comma-separated list.
func forEachToken(v []byte, fn func([]byte)) {
	for len(v) > 0 {
		i := bytes.IndexByte(v, ',')
		var tok []byte
		if i < 0 {
			tok, v = v, nil
		} else {
			tok, v = v[:i], v[i+1:]
		}
		if tok = trimOWS(tok); len(tok) > 0 {
			fn(tok)
		}
	}
}

// equalFold compares b with the lower-case ASCII s, ignoring b's case.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

func allByte(b []byte, c byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, x := range b {
		if x != c {
			return false
		}
	}
	return true
}

// isTokenChar is RFC 9110's tchar.
func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// QueryParam returns the raw value of the first name=value pair of query
// called name (no percent-decoding: tokens, timestamps and the redirect
// mark are plain ASCII). ok is false when the name is absent.
func QueryParam(query []byte, name string) (value []byte, ok bool) {
	for len(query) > 0 {
		i := bytes.IndexByte(query, '&')
		var kv []byte
		if i < 0 {
			kv, query = query, nil
		} else {
			kv, query = query[:i], query[i+1:]
		}
		k, v := kv, []byte(nil)
		if eq := bytes.IndexByte(kv, '='); eq >= 0 {
			k, v = kv[:eq], kv[eq+1:]
		}
		if string(k) == name {
			return v, true
		}
	}
	return nil, false
}
