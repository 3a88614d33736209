package conf

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// MaxTrackers is FDFS_MAX_TRACKERS: C reads at most 16 tracker_server lines.
const MaxTrackers = 16

// TrackerServer is one tracker_server entry: one host, or two (an inner and
// an outer address of the same tracker), and a port.
type TrackerServer struct {
	Hosts []string // as written (IPv6 without brackets); not resolved
	Port  int      // 22122 when the entry has none
	Item  Item     // the line it came from
}

// String formats the entry as FastDFS writes it: "host[,host2]:port", IPv6
// hosts inside brackets "[a,b]:port".
func (t TrackerServer) String() string {
	return formatHostsPort(t.Hosts, t.Port)
}

// HostResolver looks up host names; *net.Resolver is one.
type HostResolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Resolve returns the IP address of each host: literal addresses as they
// are, names through r (nil: net.DefaultResolver), preferring IPv4 as
// FastDFS's getIpaddrByName does.
func (t TrackerServer) Resolve(ctx context.Context, r HostResolver) ([]string, error) {
	ips := make([]string, len(t.Hosts))
	for i, h := range t.Hosts {
		ip, err := resolveHost(ctx, r, h)
		if err != nil {
			return nil, fmt.Errorf("%s: tracker_server %s: %w", t.Item.Pos(), t, err)
		}
		ips[i] = ip
	}
	if err := checkDualIPs(ips); err != nil {
		return nil, fmt.Errorf("%s: tracker_server %s: %w", t.Item.Pos(), t, err)
	}
	return ips, nil
}

// compareTrackerServers is FastDFS's order of the tracker list: by number of
// addresses, then address by address (text, then port).
func compareTrackerServers(a, b TrackerServer) int {
	if c := len(a.Hosts) - len(b.Hosts); c != 0 {
		return c
	}
	for i := range a.Hosts {
		if c := strings.Compare(a.Hosts[i], b.Hosts[i]); c != 0 {
			return c
		}
	}
	return a.Port - b.Port
}

// trackerServers reads the tracker_server lines: the first MaxTrackers
// entries, parsed, sorted and without duplicates, as C builds its list.
func (r *reader) trackerServers(required bool) []TrackerServer {
	items := r.items("tracker_server")
	if len(items) == 0 {
		if required {
			r.failMissing("tracker_server", "required key is missing (at least one tracker)")
		}
		return nil
	}
	if len(items) > MaxTrackers {
		r.warn(fmt.Sprintf("more than %d tracker_server entries; the rest are ignored as FastDFS does", MaxTrackers),
			items[MaxTrackers])
		items = items[:MaxTrackers]
	}
	var list []TrackerServer
	for _, it := range items {
		hosts, port, err := parseHostsPort(it.Value, 22122)
		if err == nil {
			err = checkDualIPs(hosts)
		}
		if err != nil {
			r.fail(it, "%q: %v", it.Value, err)
			continue
		}
		list = append(list, TrackerServer{Hosts: hosts, Port: port, Item: it})
	}
	slices.SortStableFunc(list, compareTrackerServers)
	return slices.CompactFunc(list, func(a, b TrackerServer) bool { return compareTrackerServers(a, b) == 0 })
}

// parseHostsPort reads "host[,host2][:port]" or "[v6[,v6b]][:port]".
func parseHostsPort(s string, defPort int) (hosts []string, port int, err error) {
	hostPart, portPart := s, ""
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return nil, 0, fmt.Errorf("missing ']' after the IPv6 address")
		}
		hostPart, portPart = s[1:end], s[end+1:]
		if portPart != "" && portPart[0] != ':' {
			return nil, 0, fmt.Errorf("expect ':port' after ']'")
		}
	} else if i := strings.LastIndexByte(s, ':'); i >= 0 {
		if strings.Count(s, ":") > 1 {
			return nil, 0, fmt.Errorf("an IPv6 address must be written in brackets: [addr]:port")
		}
		hostPart, portPart = s[:i], s[i:]
	}

	port = defPort
	if portPart != "" {
		n, clean := ParseCInt(portPart[1:])
		if !clean || n <= 0 || n > 65535 {
			return nil, 0, fmt.Errorf("invalid port %q", portPart[1:])
		}
		port = int(n)
	}

	for _, h := range strings.Split(hostPart, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			return nil, 0, fmt.Errorf("empty host")
		}
		hosts = append(hosts, h)
	}
	if len(hosts) > 2 {
		return nil, 0, fmt.Errorf("at most two addresses (inner and outer) per server")
	}
	return hosts, port, nil
}

// formatHostsPort is the inverse of parseHostsPort.
func formatHostsPort(hosts []string, port int) string {
	joined := strings.Join(hosts, ",")
	for _, h := range hosts {
		if strings.Contains(h, ":") {
			joined = "[" + joined + "]"
			break
		}
	}
	return joined + ":" + strconv.Itoa(port)
}

// IPClass is FastDFS's classification of an address, used to choose which
// of a server's two addresses to give a peer (cluster.md §5.6).
type IPClass int

const (
	IPClassUnknown IPClass = 0 // shorter than 8 characters (storage_ids.conf refuses these)
	IPClass10      IPClass = 1 // 10.x.x.x
	IPClass172     IPClass = 2 // 172.16.0.0 - 172.31.255.255
	IPClass192     IPClass = 3 // 192.168.x.x
	IPClassOuter   IPClass = 4 // everything else, IPv6 included
)

// ClassifyIP classifies an address string as the C code does (by text).
func ClassifyIP(ip string) IPClass {
	switch {
	case len(ip) < 8:
		return IPClassUnknown
	case strings.HasPrefix(ip, "10."):
		return IPClass10
	case strings.HasPrefix(ip, "192.168."):
		return IPClass192
	case strings.HasPrefix(ip, "172."):
		if n, _ := ParseCInt(strings.SplitN(ip[4:], ".", 2)[0]); n >= 16 && n < 32 {
			return IPClass172
		}
	}
	return IPClassOuter
}

// checkDualIPs applies FastDFS's rule for two addresses of one server
// (fdfs_check_server_ips): they must be of different classes, one inner and
// one outer or two different private ranges. Host names are checked only
// once resolved (Resolve).
func checkDualIPs(hosts []string) error {
	if len(hosts) != 2 || !isIPLiteral(hosts[0]) || !isIPLiteral(hosts[1]) {
		return nil
	}
	if ClassifyIP(hosts[0]) == ClassifyIP(hosts[1]) {
		return fmt.Errorf("dual addresses %s and %s are of the same type; give an inner and an outer address, or two different private ranges", hosts[0], hosts[1])
	}
	return nil
}

func isIPLiteral(h string) bool {
	_, err := netip.ParseAddr(h)
	return err == nil
}

// resolveHost returns h itself when it is an IP address, else its first
// IPv4 address (first IPv6 address when it has none).
func resolveHost(ctx context.Context, r HostResolver, h string) (string, error) {
	if a, err := netip.ParseAddr(h); err == nil {
		return a.String(), nil
	}
	if r == nil {
		r = net.DefaultResolver
	}
	addrs, err := r.LookupNetIP(ctx, "ip", h)
	if err != nil {
		return "", err
	}
	for _, a := range addrs {
		if a.Unmap().Is4() {
			return a.Unmap().String(), nil
		}
	}
	if len(addrs) == 0 {
		return "", fmt.Errorf("host %s has no address", h)
	}
	return addrs[0].String(), nil
}
