package httpd

import "bytes"

// MaxRanges is the most ranges one request may ask for; a Range header with
// more is ignored (the whole file is sent), as RFC 9110 §14.2 allows, so
// that nobody makes the server send a file many times over in tiny pieces.
const MaxRanges = 16

// ByteRange is a satisfiable range: Length bytes from Start.
type ByteRange struct {
	Start, Length int64
}

// End is the offset of the range's last byte.
func (r ByteRange) End() int64 { return r.Start + r.Length - 1 }

// RangeResult is what a Range header means for a file of a given size.
type RangeResult uint8

const (
	RangeNone          RangeResult = iota // no usable Range header: send the whole file (200)
	RangePartial                          // the returned ranges (206)
	RangeUnsatisfiable                    // none of the ranges is in the file (416)
)

// ParseRanges reads a Range header value for a file of size bytes into
// dst[:0] (use a [MaxRanges]ByteRange array). Per RFC 9110 §14.2: a header
// that is not "bytes=" followed by a well-formed range list, or that holds
// more than MaxRanges ranges, is ignored (RangeNone); ranges starting at or
// beyond the end are dropped, and if none is left the answer is
// RangeUnsatisfiable; an end beyond the file is cut at its last byte; a
// suffix range "-N" is the last N bytes. (C's nginx module instead answers
// 416 when any one range is bad; clients that ask for sane ranges see no
// difference.)
func ParseRanges(h []byte, size int64, dst []ByteRange) ([]ByteRange, RangeResult) {
	out := dst[:0]
	spec, ok := bytes.CutPrefix(trimOWS(h), []byte("bytes="))
	if !ok || len(h) == 0 {
		return out, RangeNone
	}
	count, seen := 0, 0
	for len(spec) > 0 {
		i := bytes.IndexByte(spec, ',')
		var part []byte
		if i < 0 {
			part, spec = spec, nil
		} else {
			part, spec = spec[:i], spec[i+1:]
		}
		part = trimOWS(part)
		if len(part) == 0 {
			continue // RFC 9110 list rules allow empty elements
		}
		count++
		if count > MaxRanges {
			return dst[:0], RangeNone
		}
		dash := bytes.IndexByte(part, '-')
		if dash < 0 {
			return dst[:0], RangeNone
		}
		first, last := part[:dash], part[dash+1:]
		var r ByteRange
		switch {
		case len(first) == 0: // suffix: the last N bytes
			n, ok := parseDigits(last)
			if !ok {
				return dst[:0], RangeNone
			}
			if n == 0 || size == 0 {
				continue // unsatisfiable
			}
			n = min(n, size)
			r = ByteRange{Start: size - n, Length: n}
		default:
			start, ok := parseDigits(first)
			if !ok {
				return dst[:0], RangeNone
			}
			end := int64(-1)
			if len(last) > 0 {
				if end, ok = parseDigits(last); !ok || end < start {
					return dst[:0], RangeNone
				}
			}
			if start >= size {
				continue // unsatisfiable
			}
			if end < 0 || end >= size {
				end = size - 1
			}
			r = ByteRange{Start: start, Length: end - start + 1}
		}
		seen++
		out = append(out, r)
	}
	switch {
	case count == 0:
		return out, RangeNone
	case seen == 0:
		return out, RangeUnsatisfiable
	}
	return out, RangePartial
}

// parseDigits reads a non-negative decimal that fits in an int64.
func parseDigits(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
