package codec

import (
	"bytes"
	"encoding/binary"
)

// Sizes of fixed fields shared by many layouts.
const (
	GroupNameSize     = 16 // group name on the wire, no NUL when 16 long
	GroupNameStatSize = 17 // group name inside stat structs and JOIN: always NUL-terminated
	StorageIDSize     = 16
	IPv4AddrSize      = 16 // INET_ADDRSTRLEN
	IPv6AddrSize      = 46 // INET6_ADDRSTRLEN, libfastcommon IP_ADDRESS_SIZE since 1.0.71
	VersionSize       = 8  // FDFS_VERSION_SIZE since V6.12
	ExtSize           = 6  // file extension without the dot
	PrefixSize        = 16 // slave prefix
	IPPortSize        = 52 // "ip:port" text field in cluster stats
	MaxFilenameLen    = 127
)

// PutFixed writes s into dst left-aligned and zero-fills the rest. Text longer
// than dst is cut, as C's fixed-field copies do.
func PutFixed(dst []byte, s string) {
	n := copy(dst, s)
	clear(dst[n:])
}

// PutFixedBytes is PutFixed for a byte slice.
func PutFixedBytes(dst []byte, s []byte) {
	n := copy(dst, s)
	clear(dst[n:])
}

// AppendFixed appends s as an n-byte zero-padded field.
func AppendFixed(dst []byte, s string, n int) []byte {
	if len(s) > n {
		s = s[:n]
	}
	dst = append(dst, s...)
	for i := len(s); i < n; i++ {
		dst = append(dst, 0)
	}
	return dst
}

// AppendFixedBytes is AppendFixed for a byte slice.
func AppendFixedBytes(dst []byte, s []byte, n int) []byte {
	if len(s) > n {
		s = s[:n]
	}
	dst = append(dst, s...)
	for i := len(s); i < n; i++ {
		dst = append(dst, 0)
	}
	return dst
}

// FixedBytes returns field up to its first NUL (the whole field if it has
// none). It aliases field and never allocates.
func FixedBytes(field []byte) []byte {
	if i := bytes.IndexByte(field, 0); i >= 0 {
		return field[:i]
	}
	return field
}

// FixedString is FixedBytes as a string (allocates).
func FixedString(field []byte) string { return string(FixedBytes(field)) }

// AppendInt64 appends v big-endian.
func AppendInt64(dst []byte, v int64) []byte {
	return binary.BigEndian.AppendUint64(dst, uint64(v))
}

// AppendInt32 appends v big-endian.
func AppendInt32(dst []byte, v int32) []byte {
	return binary.BigEndian.AppendUint32(dst, uint32(v))
}

// Int64 reads a big-endian int64 from the first 8 bytes of b.
func Int64(b []byte) int64 { return int64(binary.BigEndian.Uint64(b)) }

// Int32 reads a big-endian int32 from the first 4 bytes of b.
func Int32(b []byte) int32 { return int32(binary.BigEndian.Uint32(b)) }

// PutInt64 writes v big-endian into the first 8 bytes of b.
func PutInt64(b []byte, v int64) { binary.BigEndian.PutUint64(b, uint64(v)) }

// PutInt32 writes v big-endian into the first 4 bytes of b.
func PutInt32(b []byte, v int32) { binary.BigEndian.PutUint32(b, uint32(v)) }

// ValidGroupName reports whether name is a group name the C servers accept:
// 1 to 16 characters of [A-Za-z0-9].
func ValidGroupName(name []byte) bool {
	if len(name) == 0 || len(name) > GroupNameSize {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
