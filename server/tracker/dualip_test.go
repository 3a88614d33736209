package tracker

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/conf"
)

// Of a storage with two addresses in storage_ids.conf a peer is given the
// outer address when its own IP is of the outer one's class, else the inner
// one (cluster.md §5.6); conf orders the entry inner first whichever way it
// is written.
func TestDualIPAddressForPeer(t *testing.T) {
	m := newStorage(newGroup("group1", 0), "100001", "127.0.6.2", 23000)
	m.dual = newDualIP([]string{"192.168.77.5", "127.0.6.3"})
	cases := []struct {
		peer string
		want string
	}{
		{"127.0.6.9", "127.0.6.3"},      // outer class: the outer address
		{"8.8.4.44", "127.0.6.3"},       // ditto
		{"8.8.8.8", "192.168.77.5"},     // under 8 characters: class unknown (C classifies the text)
		{"192.168.1.1", "192.168.77.5"}, // private classes get the inner one
		{"10.1.1.1", "192.168.77.5"},
		{"172.16.0.1", "192.168.77.5"},
	}
	for _, c := range cases {
		if got := string(m.ipFor(conf.ClassifyIP(c.peer))); got != c.want {
			t.Errorf("peer %s: %s, want %s", c.peer, got, c.want)
		}
	}
	single := newStorage(newGroup("group1", 0), "100002", "127.0.6.4", 23000)
	if got := string(single.ipFor(conf.ClassifyIP("10.1.1.1"))); got != "127.0.6.4" {
		t.Errorf("one address: %s, want the joined-from 127.0.6.4", got)
	}
}

// Over the wire: the storage joins from 127.0.6.2 under an id whose entry
// names 192.168.77.5 and 127.0.6.3 (outer written first, so conf swaps
// them); a client on loopback (outer class) is sent to 127.0.6.3 by every
// query and sees it so in LIST_STORAGE.
func TestDualIPQueries(t *testing.T) {
	dir := t.TempDir()
	ids := "100001 group1 127.0.6.3,192.168.77.5\n"
	if err := os.WriteFile(filepath.Join(dir, "storage_ids.conf"), []byte(ids), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startTracker(t, testConf(t, dir, "use_storage_id = true", "storage_ids_filename = storage_ids.conf",
		"id_type_in_filename = id"), WithListenAddr("127.0.6.1:0"))
	p := dialPeer(t, s, "127.0.6.2")
	req := p.joinRequest(s, "group1", false, int8(StatusActive))
	req.StorageID = []byte("100001")
	if st, _ := p.call(codec.CmdStorageJoin, req.Append(nil)); st != codec.OK {
		t.Fatalf("JOIN: %s", st.Name())
	}
	p.beat()
	p.diskUsage(codec.PathUsage{TotalMB: 100000, FreeMB: 60000})
	c := newClient(t, s)
	ctx := context.Background()
	st, err := c.QueryStore(ctx, "")
	if err != nil || st.Addr != net.JoinHostPort("127.0.6.3", "23000") {
		t.Fatalf("QUERY_STORE: %+v %v, want the outer 127.0.6.3", st, err)
	}
	f := codec.NameFields{Source: 100001, Timestamp: uint32(1795298000), SizeField: codec.NormalSizeField(10, 1)}
	id := "group1/M00/00/00/" + string(f.AppendB64(nil)) + ".txt"
	for _, q := range []func(context.Context, string) (string, error){
		func(ctx context.Context, id string) (string, error) {
			s, err := c.QueryFetch(ctx, id)
			return s.Addr, err
		},
		func(ctx context.Context, id string) (string, error) {
			s, err := c.QueryUpdate(ctx, id)
			return s.Addr, err
		},
	} {
		if got, err := q(ctx, id); err != nil || got != "127.0.6.3:23000" {
			t.Errorf("fetch/update: %s %v, want 127.0.6.3:23000", got, err)
		}
	}
	all, err := c.QueryFetchAll(ctx, id)
	if err != nil || len(all) != 1 || all[0].Addr != "127.0.6.3:23000" {
		t.Errorf("QUERY_FETCH_ALL: %+v %v", all, err)
	}
	list, err := c.ListStorages(ctx, "group1", "")
	if err != nil || len(list) != 1 || string(codec.FixedBytes(list[0].IP)) != "127.0.6.3" {
		t.Errorf("LIST_STORAGE: %+v %v, want the outer 127.0.6.3", list, err)
	}
}
