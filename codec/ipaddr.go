package codec

import (
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"strings"
)

// IsIPv6Text is C's is_ipv6_addr: an address text holding a ':'.
func IsIPv6Text(ip string) bool { return strings.IndexByte(ip, ':') >= 0 }

// shortCodeEncoding is FastDFS's base64 (libfastcommon base64_init_ex with
// '-', '_' and '.' as the padding character).
var shortCodeEncoding = base64.URLEncoding.WithPadding('.')

// IPShortCode is C's fdfs_ip_to_shortcode (cluster.md §7.4): the id a C
// 6.x storage and tracker give an IPv6 storage when no storage ids are in
// use. libfastcommon's CRC32_ex(ip, len, 0xFFFFFFFF) is the reflected
// CRC-32 register without the final xor, i.e. ^crc32.IEEE(ip), held in an
// int64; its 8 in-memory bytes (little-endian: CRC then 4 zero bytes) in
// FastDFS base64 give 11 characters and a '.'. C refuses IPv6 without
// storage ids at config load (the ids then name the storages), so this id
// is only met in a C data directory of such a setup.
func IPShortCode(ip string) string {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(^crc32.ChecksumIEEE([]byte(ip))))
	return shortCodeEncoding.EncodeToString(b[:])
}
