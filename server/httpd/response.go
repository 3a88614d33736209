package httpd

import "strconv"

// StatusText is the reason phrase of the statuses this server sends.
func StatusText(code int) string {
	switch code {
	case 200:
		return "OK"
	case 206:
		return "Partial Content"
	case 302:
		return "Found"
	case 304:
		return "Not Modified"
	case 400:
		return "Bad Request"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 405:
		return "Method Not Allowed"
	case 413:
		return "Content Too Large"
	case 416:
		return "Range Not Satisfiable"
	case 431:
		return "Request Header Fields Too Large"
	case 500:
		return "Internal Server Error"
	case 502:
		return "Bad Gateway"
	case 503:
		return "Service Unavailable"
	case 505:
		return "HTTP Version Not Supported"
	}
	return "Status " + strconv.Itoa(code)
}

// ServerName is the Server header's value.
const ServerName = "gofdfs"

// Head is a response head to build. Zero fields are left out.
type Head struct {
	Status int
	Minor  int    // the request's HTTP/1.Minor: the response says HTTP/1.1 either way, Connection follows it
	Date   []byte // the Date value (DateCache.Get); nil leaves Date out
	// ContentLength < 0 leaves Content-Length out (304 answers).
	ContentLength int64
	ContentType   string
	// MultipartBoundary, when set, makes the type multipart/byteranges.
	MultipartBoundary []byte
	// Range with Size gives "Content-Range: bytes first-last/size";
	// Unsatisfied with Size gives "bytes */size" (416).
	HasRange     bool
	Range        ByteRange
	Size         int64
	Unsatisfied  bool
	LastModified int64
	ETag         []byte
	Location     []byte
	AcceptRanges bool
	KeepAlive    bool
	// Allow is sent with 405.
	Allow string
	// Attachment, when set, is sent as Content-Disposition: attachment
	// with this file name (decoded, see AppendAttachmentName).
	Attachment []byte
}

// Append appends the head, its empty line included.
func (h *Head) Append(dst []byte) []byte {
	dst = append(dst, "HTTP/1.1 "...)
	dst = strconv.AppendInt(dst, int64(h.Status), 10)
	dst = append(dst, ' ')
	dst = append(dst, StatusText(h.Status)...)
	dst = append(dst, "\r\nServer: "+ServerName+"\r\n"...)
	if len(h.Date) > 0 {
		dst = append(dst, "Date: "...)
		dst = append(dst, h.Date...)
		dst = append(dst, "\r\n"...)
	}
	if len(h.MultipartBoundary) > 0 {
		dst = append(dst, "Content-Type: multipart/byteranges; boundary="...)
		dst = append(dst, h.MultipartBoundary...)
		dst = append(dst, "\r\n"...)
	} else if h.ContentType != "" {
		dst = append(dst, "Content-Type: "...)
		dst = append(dst, h.ContentType...)
		dst = append(dst, "\r\n"...)
	}
	if h.ContentLength >= 0 {
		dst = append(dst, "Content-Length: "...)
		dst = strconv.AppendInt(dst, h.ContentLength, 10)
		dst = append(dst, "\r\n"...)
	}
	if h.HasRange {
		dst = append(dst, "Content-Range: "...)
		dst = appendContentRange(dst, h.Range, h.Size)
		dst = append(dst, "\r\n"...)
	} else if h.Unsatisfied {
		dst = append(dst, "Content-Range: bytes */"...)
		dst = strconv.AppendInt(dst, h.Size, 10)
		dst = append(dst, "\r\n"...)
	}
	if h.LastModified > 0 {
		dst = append(dst, "Last-Modified: "...)
		dst = AppendHTTPDate(dst, h.LastModified)
		dst = append(dst, "\r\n"...)
	}
	if len(h.ETag) > 0 {
		dst = append(dst, "ETag: "...)
		dst = append(dst, h.ETag...)
		dst = append(dst, "\r\n"...)
	}
	if len(h.Location) > 0 {
		dst = append(dst, "Location: "...)
		dst = append(dst, h.Location...)
		dst = append(dst, "\r\n"...)
	}
	if h.AcceptRanges {
		dst = append(dst, "Accept-Ranges: bytes\r\n"...)
	}
	if len(h.Attachment) > 0 {
		dst = append(dst, "Content-Disposition: "...)
		dst = appendDisposition(dst, h.Attachment)
		dst = append(dst, "\r\n"...)
	}
	if h.Allow != "" {
		dst = append(dst, "Allow: "...)
		dst = append(dst, h.Allow...)
		dst = append(dst, "\r\n"...)
	}
	switch {
	case !h.KeepAlive:
		dst = append(dst, "Connection: close\r\n"...)
	case h.Minor == 0:
		dst = append(dst, "Connection: keep-alive\r\n"...)
	}
	return append(dst, "\r\n"...)
}

func appendContentRange(dst []byte, r ByteRange, size int64) []byte {
	dst = append(dst, "bytes "...)
	dst = strconv.AppendInt(dst, r.Start, 10)
	dst = append(dst, '-')
	dst = strconv.AppendInt(dst, r.End(), 10)
	dst = append(dst, '/')
	return strconv.AppendInt(dst, size, 10)
}

// Multipart lays out a multipart/byteranges body (RFC 9110 §14.6): before
// each range its part head, after the last one the closing delimiter.
type Multipart struct {
	Boundary    []byte
	ContentType string // of the file
	Size        int64  // of the file
}

// AppendBoundary appends a boundary made from seed: 20 hex digits (a
// boundary needs to be absent from the parts; a per-response value that
// looks like nothing in a file does).
func AppendBoundary(dst []byte, seed uint64) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, "gofdfs"...)
	for i := 60; i >= 0; i -= 4 {
		dst = append(dst, hex[seed>>uint(i)&15])
	}
	return append(dst, "0000"...)
}

// AppendPartHead appends what precedes range r.
func (m *Multipart) AppendPartHead(dst []byte, r ByteRange) []byte {
	dst = append(dst, "\r\n--"...)
	dst = append(dst, m.Boundary...)
	dst = append(dst, "\r\nContent-Type: "...)
	dst = append(dst, m.ContentType...)
	dst = append(dst, "\r\nContent-Range: "...)
	dst = appendContentRange(dst, r, m.Size)
	return append(dst, "\r\n\r\n"...)
}

// AppendTail appends the closing delimiter.
func (m *Multipart) AppendTail(dst []byte) []byte {
	dst = append(dst, "\r\n--"...)
	dst = append(dst, m.Boundary...)
	return append(dst, "--\r\n"...)
}

// ContentLength is the body length for ranges.
func (m *Multipart) ContentLength(ranges []ByteRange) int64 {
	var buf [256]byte
	var n int64
	for _, r := range ranges {
		n += int64(len(m.AppendPartHead(buf[:0], r))) + r.Length
	}
	return n + int64(len(m.AppendTail(buf[:0])))
}
