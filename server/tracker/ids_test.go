package tracker

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
)

// With use_storage_id the storage's id and permissions come from
// storage_ids.conf: a read-only storage serves downloads but never uploads.
func TestStorageIDs(t *testing.T) {
	dir := t.TempDir()
	ids := "100001 group1 127.0.0.2\n100002 group1 127.0.0.3 rw=read\n100003 group2 127.0.0.4\n"
	if err := os.WriteFile(filepath.Join(dir, "storage_ids.conf"), []byte(ids), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConf(t, dir, "use_storage_id = true", "storage_ids_filename = storage_ids.conf",
		"id_type_in_filename = id", "store_lookup = 1", "store_group = group1", "download_server = 1")
	s := startTracker(t, cfg)
	c := newClient(t, s)
	ctx := context.Background()

	join := func(ip, group, id string) (codec.Errno, *peer) {
		p := dialPeer(t, s, ip)
		req := p.joinRequest(s, group, false, int8(StatusActive))
		req.StorageID = []byte(id)
		st, _ := p.call(codec.CmdStorageJoin, req.Append(nil))
		return st, p
	}
	if st, _ := join("127.0.0.4", "group1", "100003"); st != codec.EINVAL {
		t.Fatalf("JOIN with an id of another group: %s, want EINVAL", st.Name())
	}
	if st, _ := join("127.0.0.6", "group1", "100009"); st != codec.ENOENT {
		t.Fatalf("JOIN with an unknown id: %s, want ENOENT", st.Name())
	}
	for _, m := range []struct{ ip, id string }{{"127.0.0.2", "100001"}, {"127.0.0.3", "100002"}} {
		st, p := join(m.ip, "group1", m.id)
		if st != codec.OK {
			t.Fatalf("JOIN %s: %s", m.id, st.Name())
		}
		p.beat()
		p.diskUsage(codec.PathUsage{TotalMB: 100000, FreeMB: 60000})
	}
	list, err := c.ListStorages(ctx, "group1", "")
	if err != nil || len(list) != 2 || string(list[0].ID) != "100001" || string(list[1].ID) != "100002" ||
		list[1].RWMode != codec.RWModeRead || string(list[1].IP) != "127.0.0.3" {
		t.Fatalf("LIST_STORAGE: %v %+v", err, list)
	}
	for range 3 {
		got, err := c.QueryStore(ctx, "")
		if err != nil || got.Addr != "127.0.0.2:23000" {
			t.Fatalf("QueryStore: %+v %v (the read-only storage must not get uploads)", got, err)
		}
	}
	// a file whose name carries id 100002 is fetched from that storage
	f := codec.NameFields{Source: 100002, Timestamp: uint32(1795298000), SizeField: codec.NormalSizeField(10, 1)}
	id := "group1/M00/00/00/" + string(f.AppendB64(nil)) + ".txt"
	got, err := c.QueryFetch(ctx, id)
	if err != nil || got.Addr != "127.0.0.3:23000" {
		t.Fatalf("QueryFetch of a file of 100002: %+v %v", got, err)
	}
	// and updated on a writable one
	got, err = c.QueryUpdate(ctx, id)
	if err != nil || got.Addr != "127.0.0.2:23000" {
		t.Fatalf("QueryUpdate of a file of read-only 100002: %+v %v", got, err)
	}
}

func TestStorageIDCommands(t *testing.T) {
	dir := t.TempDir()
	ids := "100001 group1 127.0.0.2\n100002 group1 127.0.0.3:23001 rw=read\n100003 group2 10.0.0.4,88.8.8.4\n"
	if err := os.WriteFile(filepath.Join(dir, "storage_ids.conf"), []byte(ids), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startTracker(t, testConf(t, dir, "use_storage_id = true", "storage_ids_filename = storage_ids.conf"))
	p := dialPeer(t, s, "127.0.0.2")

	req := codec.FetchStorageIDsRequest{StartIndex: 0}
	st, body := p.call(codec.CmdStorageFetchStorageIDs, req.Append(nil))
	var reply codec.FetchStorageIDsReply
	if st != codec.OK || reply.Decode(body) != nil || reply.Total != 3 || reply.Count != 3 {
		t.Fatalf("FETCH_STORAGE_IDS: %s %q", st.Name(), body)
	}
	want := "100001 group1 127.0.0.2:23000\n100002 group1 127.0.0.3:23001 rw=read\n100003 group2 10.0.0.4,88.8.8.4:23000\n"
	if string(reply.Text) != want {
		t.Fatalf("ids text:\n got %q\nwant %q", reply.Text, want)
	}
	req.StartIndex = 2
	if st, body = p.call(codec.CmdStorageFetchStorageIDs, req.Append(nil)); st != codec.OK || reply.Decode(body) != nil || reply.Count != 1 {
		t.Fatalf("FETCH_STORAGE_IDS from 2: %s %q", st.Name(), body)
	}
	req.StartIndex = 3
	if st, _ = p.call(codec.CmdStorageFetchStorageIDs, req.Append(nil)); st != codec.EINVAL {
		t.Fatalf("FETCH_STORAGE_IDS past the end: %s", st.Name())
	}
	if st, _ = p.call(codec.CmdStorageFetchStorageIDs, []byte{0, 0, 0, 0}); st != codec.EINVAL {
		t.Fatalf("FETCH_STORAGE_IDS in the 4-byte form: %s", st.Name())
	}

	lookup := func(cmd byte, group, addr string) (codec.Errno, []byte) {
		r := codec.StorageLookupRequest{Group: []byte(group), Addr: []byte(addr)}
		return p.call(cmd, r.Append(nil))
	}
	if st, body := lookup(codec.CmdStorageGetServerID, "group1", "127.0.0.3:23001"); st != codec.OK || string(body) != "100002" {
		t.Fatalf("GET_SERVER_ID: %s %q", st.Name(), body)
	}
	if st, _ := lookup(codec.CmdStorageGetServerID, "group2", "127.0.0.3:23001"); st != codec.ENOENT {
		t.Fatalf("GET_SERVER_ID in the wrong group: %s", st.Name())
	}
	if st, _ := lookup(codec.CmdStorageGetStatus, "group1", "127.0.0.2:23000"); st != codec.ENOENT {
		t.Fatalf("GET_STATUS before the join: %s", st.Name())
	}
	j := p.joinRequest(s, "group1", true, 0)
	j.StorageID = []byte("100001")
	if st, _ := p.call(codec.CmdStorageJoin, j.Append(nil)); st != codec.OK {
		t.Fatalf("JOIN: %s", st.Name())
	}
	st, body = lookup(codec.CmdStorageGetStatus, "group1", "127.0.0.2:23000")
	var b codec.StorageBrief
	if st != codec.OK || b.Decode(body) != nil || string(b.ID) != "100001" || b.Status != StatusInit || string(b.IP) != "127.0.0.2" {
		t.Fatalf("GET_STATUS: %s %+v", st.Name(), b)
	}
	gn := codec.GetGroupNameRequest{Port: 23000}
	st, body = p.call(codec.CmdStorageGetGroupName, gn.Append(nil))
	var g codec.GetGroupNameReply
	if st != codec.OK || g.Decode(body) != nil || string(g.Group) != "group1" {
		t.Fatalf("GET_GROUP_NAME: %s %q", st.Name(), body)
	}
}

func TestStorageIDCommandsWithoutIDs(t *testing.T) {
	s := startTracker(t, testConf(t, t.TempDir()))
	p := dialPeer(t, s, "127.0.0.2")
	req := codec.FetchStorageIDsRequest{AllowEmpty: true}
	if st, body := p.call(codec.CmdStorageFetchStorageIDs, req.Append(nil)); st != codec.OK || string(body) != string(make([]byte, 8)) {
		t.Fatalf("FETCH_STORAGE_IDS allow_empty: %s %x", st.Name(), body)
	}
	req.AllowEmpty = false
	if st, _ := p.call(codec.CmdStorageFetchStorageIDs, req.Append(nil)); st != codec.EOPNOTSUPP {
		t.Fatalf("FETCH_STORAGE_IDS: %s, want EOPNOTSUPP", st.Name())
	}
	r := codec.StorageLookupRequest{Group: []byte("group1"), Addr: []byte("127.0.0.7:23000")}
	if st, body := p.call(codec.CmdStorageGetServerID, r.Append(nil)); st != codec.OK || string(body) != "127.0.0.7" {
		t.Fatalf("GET_SERVER_ID: %s %q", st.Name(), body)
	}
	gn := codec.GetGroupNameRequest{Port: 23000}
	if st, _ := p.call(codec.CmdStorageGetGroupName, gn.Append(nil)); st != codec.EOPNOTSUPP {
		t.Fatalf("GET_GROUP_NAME: %s, want EOPNOTSUPP", st.Name())
	}
}
