package conf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// RWMode is a storage's rw= option in storage_ids.conf: bit 1 read, bit 2
// write.
type RWMode int

const (
	RWNone  RWMode = 0 // rw=none: neither (e.g. a disaster-recovery copy)
	RWRead  RWMode = 1 // rw=read / readonly
	RWWrite RWMode = 2 // rw=write / writeonly
	RWBoth  RWMode = 3 // rw=both / all, the default
)

// CanRead reports whether the tracker may send downloads to the storage.
func (m RWMode) CanRead() bool { return m&RWRead != 0 }

// CanWrite reports whether the tracker may send uploads to the storage.
func (m RWMode) CanWrite() bool { return m&RWWrite != 0 }

// String is the canonical option value: none, read, write or both.
func (m RWMode) String() string {
	return [...]string{"none", "read", "write", "both"}[m&3]
}

// DefaultStoragePort is the port of a storage_ids.conf entry without one.
const DefaultStoragePort = 23000

// StorageID is one line of storage_ids.conf:
// "<id> <group> <host>[,<host2>][:<port>] [rw=<mode>]".
type StorageID struct {
	ID        string   // canonical decimal 1..16777215
	Group     string   // group name
	Hosts     []string // as written, inner address first (see §5.6); IPv6 without brackets
	IPs       []string // addresses of Hosts: literal ones at load, names after Resolve
	Port      int      // DefaultStoragePort when not written
	PortGiven bool     // the line had an explicit :port
	RW        RWMode
	Item      Item // File and Line of the entry (Key/Value unused)
}

// Resolved reports whether every host has an address.
func (s *StorageID) Resolved() bool { return len(s.IPs) == len(s.Hosts) }

// StorageIDs is a parsed storage_ids.conf. Entries are sorted by id as C
// sorts them (by text), which is also the order the tracker hands them out.
type StorageIDs struct {
	File    string
	Entries []StorageID
}

// LoadStorageIDs reads a storage_ids.conf. Host names are not resolved; see
// Resolve.
func LoadStorageIDs(path string, opts ...Option) (*StorageIDs, error) {
	return loadStorageIDs(path, newOptions(opts))
}

// ParseStorageIDs reads a storage_ids.conf held in memory (also the body of
// the tracker's FETCH_STORAGE_IDS reply, which has the same format).
func ParseStorageIDs(name string, data []byte) (*StorageIDs, error) {
	return parseStorageIDs(name, data)
}

func loadStorageIDs(path string, o *options) (*StorageIDs, error) {
	data, err := o.readFile(path)
	if err != nil {
		return nil, &Error{File: path, Msg: "cannot read storage ids: " + errText(err), Err: err}
	}
	return parseStorageIDs(path, data)
}

func parseStorageIDs(file string, data []byte) (*StorageIDs, error) {
	ids := &StorageIDs{File: file}
	var errs []error
	for lineNo := 1; len(data) > 0; lineNo++ {
		var raw []byte
		if nl := bytes.IndexByte(data, '\n'); nl >= 0 {
			raw, data = data[:nl], data[nl+1:]
		} else {
			raw, data = data, nil
		}
		line := string(trimSpace(raw))
		if line == "" || line[0] == '#' {
			continue
		}
		e, err := parseStorageIDLine(line)
		if err != nil {
			errs = append(errs, &Error{File: file, Line: lineNo, Msg: err.Error()})
			continue
		}
		e.Item = Item{File: file, Line: lineNo}
		ids.Entries = append(ids.Entries, e)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(ids.Entries) == 0 {
		return nil, &Error{File: file, Msg: "no storage id in the file"}
	}
	slices.SortStableFunc(ids.Entries, func(a, b StorageID) int { return strings.Compare(a.ID, b.ID) })
	if err := ids.checkDuplicates(); err != nil {
		return nil, err
	}
	return ids, nil
}

// parseStorageIDLine reads "<id> <group> <hosts>[:port] [options]" split by
// spaces and tabs; everything after the hosts is the option text.
func parseStorageIDLine(line string) (StorageID, error) {
	id, rest := cutField(line)
	group, rest := cutField(rest)
	hostPort, options := cutField(rest)
	if group == "" || hostPort == "" {
		return StorageID{}, fmt.Errorf("expect \"<id> <group> <host>[:port] [rw=...]\", got %q", line)
	}
	if !validServerID(id) {
		return StorageID{}, fmt.Errorf("invalid storage id %q: a decimal 1..16777215 without leading zeros, such as 100001", id)
	}
	if !validGroupName(group) {
		return StorageID{}, fmt.Errorf("storage id %s: invalid group name %q (1 to 16 letters and digits)", id, group)
	}
	hosts, port, err := parseHostsPort(hostPort, 0)
	if err != nil {
		return StorageID{}, fmt.Errorf("storage id %s: %q: %v", id, hostPort, err)
	}
	e := StorageID{ID: id, Group: group, Hosts: hosts, Port: port, PortGiven: port != 0, RW: RWBoth}
	if port == 0 {
		e.Port = DefaultStoragePort
	}
	if e.RW, err = parseRW(options); err != nil {
		return StorageID{}, fmt.Errorf("storage id %s: %v", id, err)
	}
	if literal(hosts) {
		if e.Hosts, err = innerFirst(hosts); err != nil {
			return StorageID{}, fmt.Errorf("storage id %s: %v", id, err)
		}
		e.IPs = canonicalIPs(e.Hosts)
	}
	return e, nil
}

// cutField splits off the first space/tab separated field.
func cutField(s string) (field, rest string) {
	s = strings.TrimLeft(s, " \t")
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimLeft(s[i:], " \t")
}

// parseRW reads the option text: empty or "rw=<mode>" (any case).
func parseRW(options string) (RWMode, error) {
	if options == "" {
		return RWBoth, nil
	}
	lower := strings.ToLower(options)
	value, ok := strings.CutPrefix(lower, "rw=")
	if !ok || value == "" {
		return 0, fmt.Errorf("invalid option %q (only rw=both|read|write|none)", options)
	}
	switch value {
	case "both", "all":
		return RWBoth, nil
	case "read", "readonly":
		return RWRead, nil
	case "write", "writeonly":
		return RWWrite, nil
	case "none":
		return RWNone, nil
	}
	return 0, fmt.Errorf("invalid rw value %q (both, all, read, readonly, write, writeonly or none)", options[3:])
}

func literal(hosts []string) bool {
	for _, h := range hosts {
		if !isIPLiteral(h) {
			return false
		}
	}
	return true
}

func canonicalIPs(hosts []string) []string {
	ips := make([]string, len(hosts))
	for i, h := range hosts {
		ips[i] = netip.MustParseAddr(h).String()
	}
	return ips
}

// innerFirst checks the addresses of an entry as fdfs_parse_multi_ips and
// fdfs_check_and_format_ips do (every address at least 8 characters long,
// two addresses of different classes) and orders two addresses inner first.
func innerFirst(hosts []string) ([]string, error) {
	for _, h := range hosts {
		if ClassifyIP(h) == IPClassUnknown {
			return nil, fmt.Errorf("ip address %q is invalid (FastDFS refuses addresses shorter than 8 characters)", h)
		}
	}
	if err := checkDualIPs(hosts); err != nil {
		return nil, err
	}
	if len(hosts) == 2 && ClassifyIP(hosts[0]) == IPClassOuter {
		return []string{hosts[1], hosts[0]}, nil
	}
	return hosts, nil
}

// checkDuplicates refuses a repeated id and a repeated (address, port),
// comparing addresses where known and host names otherwise.
func (s *StorageIDs) checkDuplicates() error {
	var errs []error
	for i := 1; i < len(s.Entries); i++ {
		if a, b := &s.Entries[i-1], &s.Entries[i]; a.ID == b.ID {
			first, second := a, b
			if second.Item.Line < first.Item.Line {
				first, second = second, first
			}
			errs = append(errs, &Error{File: s.File, Line: second.Item.Line,
				Msg: "duplicate storage id " + b.ID + " (first at line " + strconv.Itoa(first.Item.Line) + ")"})
		}
	}
	seen := map[string]*StorageID{}
	for i := range s.Entries {
		e := &s.Entries[i]
		for j, h := range e.Hosts {
			addr := strings.ToLower(h)
			if j < len(e.IPs) {
				addr = e.IPs[j]
			}
			k := net.JoinHostPort(addr, strconv.Itoa(e.Port))
			if prev, dup := seen[k]; dup && prev != e {
				first, second := prev, e
				if second.Item.Line < first.Item.Line {
					first, second = second, first
				}
				errs = append(errs, &Error{File: s.File, Line: second.Item.Line,
					Msg: "duplicate storage address " + k + " (ids " + first.ID + " at line " +
						strconv.Itoa(first.Item.Line) + " and " + second.ID + ")"})
				continue
			}
			seen[k] = e
		}
	}
	return errors.Join(errs...)
}

// Resolve looks up the host names (literal addresses need no lookup) with r
// (nil: net.DefaultResolver), orders dual addresses inner first and checks
// again for duplicate addresses. FastDFS does this at load; we leave it to
// the caller so that loading never touches the network.
func (s *StorageIDs) Resolve(ctx context.Context, r HostResolver) error {
	for i := range s.Entries {
		e := &s.Entries[i]
		if e.Resolved() {
			continue
		}
		ips := make([]string, len(e.Hosts))
		for j, h := range e.Hosts {
			ip, err := resolveHost(ctx, r, h)
			if err != nil {
				return &Error{File: s.File, Line: e.Item.Line, Msg: "storage id " + e.ID + ": " + err.Error(), Err: err}
			}
			ips[j] = ip
		}
		ordered, err := innerFirst(ips)
		if err != nil {
			return &Error{File: s.File, Line: e.Item.Line, Msg: "storage id " + e.ID + ": " + err.Error()}
		}
		if len(ips) == 2 && ordered[0] != ips[0] {
			e.Hosts = []string{e.Hosts[1], e.Hosts[0]}
		}
		e.IPs = ordered
	}
	return s.checkDuplicates()
}

// ByID finds the entry of a storage id, or nil.
func (s *StorageIDs) ByID(id string) *StorageID {
	i, ok := slices.BinarySearchFunc(s.Entries, id, func(e StorageID, id string) int { return strings.Compare(e.ID, id) })
	if !ok {
		return nil
	}
	return &s.Entries[i]
}

// ByAddr finds the entry with address ip (either of its two) and port, or
// nil. Unresolved host names match by name.
func (s *StorageIDs) ByAddr(ip string, port int) *StorageID {
	for i := range s.Entries {
		if e := &s.Entries[i]; e.Port == port && e.hasAddr(ip) {
			return e
		}
	}
	return nil
}

// ByGroupAddr finds the entry of group with address ip, any port, or nil
// (C's lookup by group and IP).
func (s *StorageIDs) ByGroupAddr(group, ip string) *StorageID {
	for i := range s.Entries {
		if e := &s.Entries[i]; e.Group == group && e.hasAddr(ip) {
			return e
		}
	}
	return nil
}

func (e *StorageID) hasAddr(ip string) bool {
	if a, err := netip.ParseAddr(ip); err == nil {
		ip = a.String()
	}
	for j, h := range e.Hosts {
		if j < len(e.IPs) && e.IPs[j] == ip || strings.EqualFold(h, ip) {
			return true
		}
	}
	return false
}

// HasIPv6 reports whether an entry has an IPv6 address (resolved or
// literal): then response_ip_addr_size=auto means 46-byte IP fields.
func (s *StorageIDs) HasIPv6() bool {
	for _, e := range s.Entries {
		for _, ip := range e.IPs {
			if a, err := netip.ParseAddr(ip); err == nil && !a.Unmap().Is4() {
				return true
			}
		}
	}
	return false
}
