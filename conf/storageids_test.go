package conf

import (
	"context"
	"errors"
	"net/netip"
	"reflect"
	"testing"
)

func TestStorageIDsCSample(t *testing.T) {
	path := cSample(t, "storage_ids.conf")
	ids, err := LoadStorageIDs(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []StorageID{
		{ID: "100001", Group: "group1", Hosts: []string{"192.168.0.196"}, IPs: []string{"192.168.0.196"},
			Port: 23000, RW: RWBoth, Item: Item{File: path, Line: 33}},
		{ID: "100002", Group: "group1", Hosts: []string{"192.168.0.197"}, IPs: []string{"192.168.0.197"},
			Port: 23000, RW: RWBoth, Item: Item{File: path, Line: 34}},
		{ID: "100003", Group: "group1", Hosts: []string{"2409:8a20:42d:2f40:587a:4c47:72c0:ad8e"},
			IPs: []string{"2409:8a20:42d:2f40:587a:4c47:72c0:ad8e"}, Port: 23001, PortGiven: true, RW: RWNone,
			Item: Item{File: path, Line: 35}},
	}
	if !reflect.DeepEqual(ids.Entries, want) {
		t.Fatalf("entries:\n got %+v\nwant %+v", ids.Entries, want)
	}
	if !ids.HasIPv6() {
		t.Error("HasIPv6 = false")
	}
	if e := ids.ByID("100003"); e == nil || e.RW.CanRead() || e.RW.CanWrite() || e.RW.String() != "none" {
		t.Errorf("ByID(100003) = %+v", e)
	}
	if ids.ByID("100004") != nil || ids.ByID("1") != nil {
		t.Error("ByID found a missing id")
	}
	if e := ids.ByAddr("192.168.0.197", 23000); e == nil || e.ID != "100002" {
		t.Errorf("ByAddr = %+v", e)
	}
	if e := ids.ByAddr("2409:8a20:042d:2f40:587a:4c47:72c0:ad8e", 23001); e == nil || e.ID != "100003" {
		t.Errorf("ByAddr(non-canonical IPv6) = %+v", e)
	}
	if ids.ByAddr("192.168.0.197", 23001) != nil {
		t.Error("ByAddr matched the wrong port")
	}
	if e := ids.ByGroupAddr("group1", "192.168.0.196"); e == nil || e.ID != "100001" {
		t.Errorf("ByGroupAddr = %+v", e)
	}
	if ids.ByGroupAddr("group2", "192.168.0.196") != nil {
		t.Error("ByGroupAddr matched the wrong group")
	}
}

func TestStorageIDsFormat(t *testing.T) {
	src := "# comment\n" +
		"\n" +
		"  300 g2\t122.244.141.46,10.0.0.3:23005   rw=READONLY  \n" + // outer first: swapped
		"20 group1 [2409:8a20::1,10.0.0.20]:23001 rw=write\n" +
		"100 g2 storage-a.example.com,storage-b.example.com rw=All\n"
	ids, err := ParseStorageIDs("ids.conf", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, e := range ids.Entries {
		order = append(order, e.ID)
	}
	if !reflect.DeepEqual(order, []string{"100", "20", "300"}) {
		t.Errorf("order %v: C sorts ids as text", order)
	}
	e := ids.ByID("300")
	if !reflect.DeepEqual(e.Hosts, []string{"10.0.0.3", "122.244.141.46"}) || e.Port != 23005 || e.RW != RWRead || e.Item.Line != 3 {
		t.Errorf("300 = %+v", e)
	}
	e = ids.ByID("20")
	if !reflect.DeepEqual(e.IPs, []string{"10.0.0.20", "2409:8a20::1"}) || e.Port != 23001 || e.RW != RWWrite || !e.RW.CanWrite() || e.RW.CanRead() {
		t.Errorf("20 = %+v", e)
	}
	e = ids.ByID("100")
	if e.Resolved() || e.IPs != nil || e.RW != RWBoth {
		t.Errorf("host names must stay unresolved at load: %+v", e)
	}
	if got := ids.ByAddr("storage-b.example.com", 23000); got == nil || got.ID != "100" {
		t.Errorf("ByAddr by name = %+v", got)
	}
}

func TestStorageIDsErrors(t *testing.T) {
	cases := []struct {
		name, src string
		want      []string
	}{
		{"empty", "# nothing\n", []string{"ids.conf: no storage id"}},
		{"no host", "\n100001 group1\n", []string{"ids.conf:2: ", "expect"}},
		{"leading zero", "0100 group1 10.0.0.1\n", []string{"ids.conf:1: ", "invalid storage id \"0100\""}},
		{"zero", "0 group1 10.0.0.1\n", []string{"invalid storage id \"0\""}},
		{"too big", "16777216 group1 10.0.0.1\n", []string{"invalid storage id"}},
		{"sign", "+5 group1 10.0.0.1\n", []string{"invalid storage id"}},
		{"group", "1 group_1 10.0.0.1\n", []string{"ids.conf:1: ", "invalid group name"}},
		{"rw", "1 group1 10.0.0.1 rw=maybe\n", []string{"ids.conf:1: ", "invalid rw value \"maybe\""}},
		{"option", "1 group1 10.0.0.1 weight=3\n", []string{"invalid option"}},
		{"bare IPv6", "1 group1 fe80::1234:5678\n", []string{"brackets"}},
		{"short ip", "1 group1 1.2.3.4\n", []string{"ids.conf:1: ", "shorter than 8"}},
		{"same class", "1 group1 10.0.0.1,10.0.0.2\n", []string{"same type"}},
		// Two IPv6 addresses are both "outer" for FastDFS (its sample's comment notwithstanding).
		{"two IPv6", "1 group1 [2409:8a20::1,fe80::1ee9:90a8:1351:436c]\n", []string{"same type"}},
		{"port", "1 group1 10.0.0.1:0\n", []string{"invalid port"}},
		{"dup id", "7 group1 10.0.0.1\n8 group1 10.0.0.2\n7 group1 10.0.0.3\n", []string{"ids.conf:3: duplicate storage id 7 (first at line 1)"}},
		{"dup addr", "7 group1 10.0.0.1\n8 group2 10.0.0.1:23000\n", []string{"ids.conf:2: duplicate storage address 10.0.0.1:23000"}},
		{"dup dual addr", "7 group1 10.0.0.1,122.1.1.1\n8 group1 122.1.1.1\n", []string{"ids.conf:2: duplicate storage address 122.1.1.1:23000"}},
		{"dup name", "7 group1 Host.example\n8 group1 host.example\n", []string{"ids.conf:2: duplicate storage address host.example:23000"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseStorageIDs("ids.conf", []byte(c.src))
			wantErr(t, err, c.want...)
		})
	}
	// Same address, different ports: several instances on one host.
	if _, err := ParseStorageIDs("ids.conf", []byte("7 group1 10.0.0.1:23000\n8 group1 10.0.0.1:23001\n")); err != nil {
		t.Errorf("two instances on one host: %v", err)
	}
	// All bad lines are reported, each with its line.
	_, err := ParseStorageIDs("ids.conf", []byte("x group1 10.0.0.1\n5 group1 10.0.0.1\ny group1 10.0.0.9\n"))
	wantErr(t, err, "ids.conf:1: ", "ids.conf:3: ")
}

// fakeResolver answers from a map, so Resolve is tested without DNS.
type fakeResolver map[string][]netip.Addr

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := f[host]; ok {
		return a, nil
	}
	return nil, errors.New("no such host")
}

func TestStorageIDsResolve(t *testing.T) {
	r := fakeResolver{
		"pub.example":  {netip.MustParseAddr("2001:db8::10"), netip.MustParseAddr("122.244.141.46")},
		"priv.example": {netip.MustParseAddr("192.168.1.10")},
		"v6.example":   {netip.MustParseAddr("2001:db8::77")},
		"dup.example":  {netip.MustParseAddr("10.0.0.1")},
	}
	ids, err := ParseStorageIDs("ids.conf", []byte("1 group1 pub.example,priv.example\n2 group1 v6.example:23001\n3 group1 10.0.0.1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if ids.HasIPv6() {
		t.Error("HasIPv6 before Resolve must only see literal addresses")
	}
	if err := ids.Resolve(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	e := ids.ByID("1")
	// IPv4 preferred; the outer address moves second, its host name with it.
	if !reflect.DeepEqual(e.IPs, []string{"192.168.1.10", "122.244.141.46"}) ||
		!reflect.DeepEqual(e.Hosts, []string{"priv.example", "pub.example"}) {
		t.Errorf("resolved 1 = %+v", e)
	}
	if got := ids.ByAddr("122.244.141.46", 23000); got == nil || got.ID != "1" {
		t.Errorf("ByAddr after Resolve = %+v", got)
	}
	if !ids.HasIPv6() {
		t.Error("HasIPv6 after Resolve = false")
	}

	ids, _ = ParseStorageIDs("ids.conf", []byte("3 group1 10.0.0.1\n\n4 group1 dup.example\n"))
	wantErr(t, ids.Resolve(context.Background(), r), "ids.conf:3: duplicate storage address 10.0.0.1:23000")
	ids, _ = ParseStorageIDs("ids.conf", []byte("5 group1 missing.example\n"))
	wantErr(t, ids.Resolve(context.Background(), r), "ids.conf:1: storage id 5: no such host")

	ts := TrackerServer{Hosts: []string{"priv.example", "10.0.0.9"}, Port: 22122}
	if ips, err := ts.Resolve(context.Background(), r); err != nil || !reflect.DeepEqual(ips, []string{"192.168.1.10", "10.0.0.9"}) {
		t.Errorf("TrackerServer.Resolve = %v, %v", ips, err)
	}
	ts = TrackerServer{Hosts: []string{"dup.example", "10.0.0.9"}, Port: 22122}
	if _, err := ts.Resolve(context.Background(), r); err == nil {
		t.Error("two 10.x addresses for one tracker must be refused")
	}
}

func TestClassifyIP(t *testing.T) {
	for ip, want := range map[string]IPClass{
		"10.1.2.3": IPClass10, "172.16.0.1": IPClass172, "172.31.9.9": IPClass172, "172.32.0.1": IPClassOuter,
		"192.168.1.1": IPClass192, "8.8.8.8": IPClassUnknown, "122.244.141.46": IPClassOuter,
		"2409:8a20::1": IPClassOuter, "::1": IPClassUnknown,
	} {
		if got := ClassifyIP(ip); got != want {
			t.Errorf("ClassifyIP(%s) = %d, want %d", ip, got, want)
		}
	}
}
