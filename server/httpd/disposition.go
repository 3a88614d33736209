package httpd

// The nginx module answers a URL with "filename=NAME" with
// "Content-Disposition: attachment; filename=NAME", so that a browser
// saves the file under a human name; apps build such links.

// AppendAttachmentName percent-decodes a query value into dst (and '+' as
// a space, as forms send it) and reports whether it is a usable name: not
// empty, no control characters, at most 255 bytes decoded.
func AppendAttachmentName(dst, raw []byte) ([]byte, bool) {
	start := len(dst)
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '+':
			c = ' '
		case c == '%' && i+2 < len(raw) && unhex(raw[i+1]) >= 0 && unhex(raw[i+2]) >= 0:
			c = byte(unhex(raw[i+1])<<4 | unhex(raw[i+2]))
			i += 2
		}
		if c < 0x20 || c == 0x7f {
			return dst[:start], false
		}
		dst = append(dst, c)
	}
	n := len(dst) - start
	return dst, n > 0 && n <= 255
}

// appendDisposition appends the header value for name: a quoted ASCII
// filename (quotes and backslashes escaped, other bytes as '_'), and for
// names with bytes beyond ASCII also filename* in UTF-8 (RFC 6266).
func appendDisposition(dst, name []byte) []byte {
	dst = append(dst, `attachment; filename="`...)
	ascii := true
	for _, c := range name {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c >= 0x80:
			ascii = false
			dst = append(dst, '_')
		default:
			dst = append(dst, c)
		}
	}
	dst = append(dst, '"')
	if !ascii {
		const hex = "0123456789ABCDEF"
		dst = append(dst, "; filename*=UTF-8''"...)
		for _, c := range name {
			if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' {
				dst = append(dst, c)
			} else {
				dst = append(dst, '%', hex[c>>4], hex[c&15])
			}
		}
	}
	return dst
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
