package report

import (
	"net/netip"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
)

// TestPeersSourceOf: a file's source is found by storage id or by IPv4 in
// the member list; an id not listed is not found, an address not listed is
// taken on our port (the group's storages share one).
func TestPeersSourceOf(t *testing.T) {
	var v Peers
	v.SetMembers([]Peer{{ID: "100001", IP: "127.0.2.41", Port: 23001, Status: StatusActive},
		{ID: "127.0.2.42", IP: "127.0.2.42", Port: 23002, Status: StatusActive}})
	for _, c := range []struct {
		name   string
		source uint32
		ip     string
		port   int
		ok     bool
	}{
		{"listed id", 100001, "127.0.2.41", 23001, true},
		{"unlisted id", 100002, "", 0, false},
		{"listed address", codec.SourceFromIPv4([4]byte{127, 0, 2, 42}), "127.0.2.42", 23002, true},
		{"unlisted address", codec.SourceFromIPv4([4]byte{127, 0, 2, 43}), "127.0.2.43", 23000, true},
	} {
		ip, port, ok := v.SourceOf(codec.NameFields{Source: c.source}, 23000)
		want := netip.Addr{}
		if c.ip != "" {
			want = netip.MustParseAddr(c.ip)
		}
		if ip != want || port != c.port || ok != c.ok {
			t.Errorf("%s: SourceOf = %v, %d, %v; want %v, %d, %v", c.name, ip, port, ok, want, c.port, c.ok)
		}
	}
}
