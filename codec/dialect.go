package codec

import (
	"strconv"
	"strings"
)

// The tracker's client-facing replies changed shape across FastDFS releases
// without any negotiation (client.md §4.0, §10.2, §10.3): the width of IP
// fields, the size and field order of the LIST_* records and the layout of
// QUERY_FETCH_ALL. A Dialect names one such shape so that one tracker can be
// configured to answer the clients of a given generation.

// IPSize is the width of the IP fields in the tracker's replies ("ipsz"): 16
// (INET_ADDRSTRLEN, IPv4 only) or 46 (INET6_ADDRSTRLEN). Query replies use
// ipsz-1 bytes per IP (no room for a NUL), stat records ipsz bytes.
// The zero value means IPSize16, the upstream default under
// response_ip_addr_size=auto.
type IPSize int

// The two IP field widths.
const (
	IPSize16 IPSize = IPv4AddrSize
	IPSize46 IPSize = IPv6AddrSize
)

// Width is 16 or 46: the zero value (and anything that is not 46) reads as 16.
func (s IPSize) Width() int {
	if s == IPSize46 {
		return IPv6AddrSize
	}
	return IPv4AddrSize
}

// QueryWidth is the IP field width in query replies: Width()-1 (15 or 45).
func (s IPSize) QueryWidth() int { return s.Width() - 1 }

// normal returns s as one of the two valid values.
func (s IPSize) normal() IPSize { return IPSize(s.Width()) }

// ListDialect is the layout of the SERVER_LIST_* records (group stat of 90/91,
// storage stat of 92) of a range of releases (client.md §10.2). The zero value
// is the current layout.
type ListDialect uint8

// The record layouts, newest first. Sizes are group stat / storage stat.
const (
	// ListV6_15 is V6.15.0 and later (V6.16 included): 113 / 487 with
	// IPSize16 or 517 with IPSize46 (response_ip_addr_size).
	ListV6_15 ListDialect = iota
	// ListV6_13_1 is V6.13.1 to V6.14.x: 113 / 517; IPs always 46 wide. Its
	// records are byte-identical to ListV6_15 with IPSize46.
	ListV6_13_1
	// ListV6_13_0 is V6.13.0: 105 / 509; rw_mode and readable/writable
	// counts, no reserved_mb, no HTTP fields.
	ListV6_13_0
	// ListV6_12 is V6.12.x: 105 / 644; 46-byte IPs, 8-byte version.
	ListV6_12
	// ListV6_11 is V6.11.x: 105 / 642; 46-byte IPs, 6-byte version.
	ListV6_11
	// ListV5_04 is V5.04 to V6.10.x: 105 / 612; 16-byte IPs, domain_name[128]
	// and storage_http_port. What the npm fdfs / fastdfs-client SDKs and the
	// Java 1.2x client expect.
	ListV5_04
	// ListV5_02 is V5.02 and V5.03: 105 / 600; as ListV5_04 with the 336-byte
	// stat block that has no connection counters.
	ListV5_02
)

// listLayout spells out what a ListDialect puts in its records.
type listLayout struct {
	name        string
	groupSize   int  // group stat record size
	groupRW     bool // readable/writable counts instead of http port + active count (V6.13+)
	groupRes    bool // group stat has reserved_mb (V6.13.1+)
	statIP      int  // IP width in storage stat, 0: by IPSize
	rwMode      bool // storage stat has rw_mode after status (V6.13+)
	domain      bool // domain_name[128] after the IP and storage_http_port after the port (<V6.13)
	versionSize int
	reserved    bool // storage stat has reserved_mb after free_mb (V6.13.1+)
	statBlock   int  // stat block size: 348, or 336 before V5.04
}

func (d ListDialect) layout() listLayout {
	switch d {
	case ListV6_13_1:
		return listLayout{name: "v6.13.1", groupSize: 113, groupRW: true, groupRes: true, statIP: IPv6AddrSize,
			rwMode: true, versionSize: 8, reserved: true, statBlock: StatBlockSize}
	case ListV6_13_0:
		return listLayout{name: "v6.13.0", groupSize: 105, groupRW: true, statIP: IPv6AddrSize,
			rwMode: true, versionSize: 8, statBlock: StatBlockSize}
	case ListV6_12:
		return listLayout{name: "v6.12", groupSize: 105, statIP: IPv6AddrSize, domain: true,
			versionSize: 8, statBlock: StatBlockSize}
	case ListV6_11:
		return listLayout{name: "v6.11", groupSize: 105, statIP: IPv6AddrSize, domain: true,
			versionSize: 6, statBlock: StatBlockSize}
	case ListV5_04:
		return listLayout{name: "v5.04", groupSize: 105, statIP: IPv4AddrSize, domain: true,
			versionSize: 6, statBlock: StatBlockSize}
	case ListV5_02:
		return listLayout{name: "v5.02", groupSize: 105, statIP: IPv4AddrSize, domain: true,
			versionSize: 6, statBlock: statBlockSizeV5_02}
	default:
		return listLayout{name: "v6.15", groupSize: 113, groupRW: true, groupRes: true,
			rwMode: true, versionSize: 8, reserved: true, statBlock: StatBlockSize}
	}
}

// String is the oldest release of the range, e.g. "v6.13.1"; ParseListDialect
// reads it back.
func (d ListDialect) String() string { return d.layout().name }

// GroupStatSize is the size of one group-stat record: 113 or 105.
func (d ListDialect) GroupStatSize() int { return d.layout().groupSize }

// StorageStatIPWidth is the IP field width in storage-stat records: fixed by
// the older layouts, ipsz for ListV6_15.
func (d ListDialect) StorageStatIPWidth(ipsz IPSize) int {
	if w := d.layout().statIP; w != 0 {
		return w
	}
	return ipsz.Width()
}

// StorageStatSize is the size of one storage-stat record with IP fields of
// the given width where the layout leaves it open.
func (d ListDialect) StorageStatSize(ipsz IPSize) int {
	l := d.layout()
	n := 1 + StorageIDSize + d.StorageStatIPWidth(ipsz) + StorageIDSize + l.versionSize +
		9*8 + l.statBlock + 1
	if l.rwMode {
		n++
	}
	if l.domain {
		n += domainNameSize + 8
	}
	if l.reserved {
		n += 8
	}
	return n
}

// FetchAllFormat is the layout of the QUERY_FETCH_ALL (105) reply, which
// changed in V6.16.0 (client.md §4.4). The zero value is the current one.
type FetchAllFormat uint8

const (
	// FetchAllV6_16: group, then every server as IP + its own port.
	FetchAllV6_16 FetchAllFormat = iota
	// FetchAllV6_15: group, first server as IP + port, every further server
	// as IP only (all share the first port). Up to V6.15.x.
	FetchAllV6_15
)

func (f FetchAllFormat) String() string {
	if f == FetchAllV6_15 {
		return "v6.15"
	}
	return "v6.16"
}

// Dialect is the whole client-facing reply shape of a release range: IP
// width, list-record layout and FETCH_ALL layout. The zero value is the
// default, V6.16 with 16-byte IPs.
type Dialect struct {
	IPSize   IPSize
	List     ListDialect
	FetchAll FetchAllFormat
}

// DefaultDialect is V6.16 with IPSize16: what a C V6.16 tracker answers under
// response_ip_addr_size=auto without IPv6 storages.
func DefaultDialect() Dialect { return Dialect{IPSize: IPSize16} }

// release is a FastDFS version; a part left out when parsing is "the newest
// of that series" and reads as a large number.
type release struct{ major, minor, patch int }

const releaseAny = 1 << 30

func (r release) before(major, minor, patch int) bool {
	if r.major != major {
		return r.major < major
	}
	if r.minor != minor {
		return r.minor < minor
	}
	return r.patch < patch
}

// parseRelease reads "v6.16", "V6.13.1", "6.09", "v5" ... Missing parts mean
// the newest release of that series: "v6.13" is V6.13.x (x ≥ 1), "v5" is
// V5.12. Only majors 5 and 6 exist as wire dialects here.
func parseRelease(s string) (release, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "v"), "V")
	parts := strings.Split(s, ".")
	if len(parts) > 3 {
		return release{}, false
	}
	r := release{releaseAny, releaseAny, releaseAny}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || len(p) > 3 || p[0] == '+' {
			return release{}, false
		}
		switch i {
		case 0:
			r.major = n
		case 1:
			r.minor = n
		case 2:
			r.patch = n
		}
	}
	if r.major != 5 && r.major != 6 {
		return release{}, false
	}
	return r, true
}

func (r release) listDialect() ListDialect {
	switch {
	case r.before(5, 4, 0):
		return ListV5_02
	case r.before(6, 11, 0):
		return ListV5_04
	case r.before(6, 12, 0):
		return ListV6_11
	case r.before(6, 13, 0):
		return ListV6_12
	case r.before(6, 13, 1):
		return ListV6_13_0
	case r.before(6, 15, 0):
		return ListV6_13_1
	default:
		return ListV6_15
	}
}

func errDialect(s string) *Error {
	return invalid("Dialect", "unknown release "+strconv.Quote(s)+
		", want e.g. v6.16, v6.15, v6.13.1, v6.13.0, v6.12, v6.11, v5.04, v5.02 or v5")
}

// ParseListDialect names a list-record layout by the release whose clients
// must read it: "v6.16", "6.15.3", "v6.14", "v6.13.0", "v6.10", "v5" (V5.04
// to V6.10, the old SDKs), "v5.02" ... Parts left out mean the newest release
// of the series ("v6.13" is V6.13.1+). An empty string is the default,
// ListV6_15.
func ParseListDialect(s string) (ListDialect, error) {
	if strings.TrimSpace(s) == "" {
		return ListV6_15, nil
	}
	r, ok := parseRelease(s)
	if !ok {
		return 0, errDialect(s)
	}
	return r.listDialect(), nil
}

// ParseDialect is ParseListDialect for the whole reply shape of a release:
// IPSize46 for V6.11 to V6.14 (which always used 46), IPSize16 otherwise (the
// V6.15+ default, and the only width before V6.11); FetchAllV6_15 before
// V6.16. An empty string is DefaultDialect.
func ParseDialect(s string) (Dialect, error) {
	if strings.TrimSpace(s) == "" {
		return DefaultDialect(), nil
	}
	r, ok := parseRelease(s)
	if !ok {
		return Dialect{}, errDialect(s)
	}
	d := Dialect{IPSize: IPSize16, List: r.listDialect(), FetchAll: FetchAllV6_16}
	if !r.before(6, 11, 0) && r.before(6, 15, 0) {
		d.IPSize = IPSize46
	}
	if r.before(6, 16, 0) {
		d.FetchAll = FetchAllV6_15
	}
	return d, nil
}
