package codec

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/gofdfs/gofdfs/codec/capture"
)

// tkParameterKeys are the keys of the C tracker's PARAMETER_REQ reply in its
// order (client.md §4.14).
var tkParameterKeys = []string{"use_storage_id", "id_type_in_filename", "trust_storage_server_id",
	"response_ip_addr_size", "storage_ip_changed_auto_adjust", "storage_sync_file_max_delay", "store_path",
	"reserved_storage_space", "use_trunk_file", "slot_min_size", "slot_max_size", "trunk_alloc_alignment_size",
	"trunk_file_size", "trunk_create_file_advance", "trunk_create_file_time_base", "trunk_create_file_interval",
	"trunk_create_file_space_threshold", "trunk_init_check_occupying", "trunk_init_reload_from_binlog",
	"trunk_free_space_merge", "delete_unused_trunk_files", "trunk_compress_binlog_min_interval",
	"trunk_compress_binlog_interval", "trunk_compress_binlog_time_base", "trunk_binlog_max_backups",
	"store_slave_file_use_link"}

func init() {
	registerGolden(CmdStorageParameterReq, func(t *testing.T, e *capture.Exchange) {
		if err := DecodeEmptyRequest(e.Request.Cmd, e.Request.Body); err != nil {
			t.Errorf("%s: %v", e, err)
		}
		if !okReply(t, e) {
			return
		}
		var p Parameters
		tkGolden(t, e, "Parameters", &p, e.Reply.Body)
		keys := make([]string, len(p))
		for i := range p {
			keys[i] = p[i].Key
		}
		if !reflect.DeepEqual(keys, tkParameterKeys) {
			t.Errorf("%s: keys %v", e, keys)
		}
	})
	registerGolden(CmdStorageFetchStorageIDs, func(t *testing.T, e *capture.Exchange) {
		var q FetchStorageIDsRequest
		tkGolden(t, e, "FetchStorageIDsRequest", &q, e.Request.Body)
		if !okReply(t, e) {
			return
		}
		var r FetchStorageIDsReply
		tkGolden(t, e, "FetchStorageIDsReply", &r, e.Reply.Body)
		// each line re-encodes to itself
		var text []byte
		for l, err := range r.Lines() {
			if err != nil {
				t.Errorf("%s: %v", e, err)
				return
			}
			text = append(l.Append(text), '\n')
		}
		sameBytes(t, "storage id lines", e, text, r.Text)
	})
}

// TestParametersCapture checks the 740-byte reply of the C tracker value by
// value, and that a Parameters built by hand encodes to exactly it.
func TestParametersCapture(t *testing.T) {
	bodies := capturedBodies(t, CmdStorageParameterReq, true)
	if len(bodies) == 0 {
		t.Fatal("no PARAMETER_REQ reply captured")
	}
	body := bodies[0]
	if len(body) != 740 {
		t.Fatalf("%d bytes", len(body))
	}
	values := []string{"0", "ip", "1", "16", "1", "86400", "0", "20.00%", "0", "256", "1048576", "256",
		"67108864", "0", "02:00", "86400", "21474836480", "0", "0", "1", "0", "86400", "86400", "03:00", "7", "0"}
	var p Parameters
	for i, k := range tkParameterKeys {
		p.Set(k, values[i])
	}
	if got := p.Append(nil); string(got) != string(body) {
		t.Fatalf("built parameters encode differently:\n%s\nwant\n%s", got, body)
	}
	if p.Size() != 740 {
		t.Errorf("Size %d", p.Size())
	}
	var d Parameters
	if err := d.Decode(body); err != nil || !reflect.DeepEqual(d, p) {
		t.Fatalf("decoded %v %v", d, err)
	}
	if v, ok := d.Get("reserved_storage_space"); !ok || v != "20.00%" {
		t.Errorf("reserved_storage_space %q", v)
	}
	if _, ok := d.Get("nope"); ok {
		t.Error("Get of a missing key")
	}
}

func TestParametersLenient(t *testing.T) {
	var p Parameters
	in := "# comment\r\n use_storage_id = 1 \r\n\nno equals sign\n=novalue\nkey=a=b\nlast=x"
	if err := p.Decode([]byte(in)); err != nil {
		t.Fatal(err)
	}
	want := Parameters{{"use_storage_id", "1"}, {"key", "a=b"}, {"last", "x"}}
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("got %q", p)
	}
	p.Set("key", "c")
	p.Set("new", "")
	if string(p.Append(nil)) != "use_storage_id=1\nkey=c\nlast=x\nnew=\n" {
		t.Fatalf("%q", p.Append(nil))
	}
	// Decode replaces what was there
	if err := p.Decode(nil); err != nil || len(p) != 0 {
		t.Fatalf("%v %v", p, err)
	}
}

func TestFetchStorageIDsRequestBytes(t *testing.T) {
	tkEncodes(t, "FetchStorageIDsRequest", &FetchStorageIDsRequest{StartIndex: 3, AllowEmpty: true},
		&FetchStorageIDsRequest{}, []byte{0, 0, 0, 3, 1})
	tkEncodes(t, "FetchStorageIDsRequest/v6.10", &FetchStorageIDsRequest{StartIndex: 258, Short: true},
		&FetchStorageIDsRequest{}, []byte{0, 0, 1, 2})
	for _, b := range [][]byte{nil, {0, 0, 0}, {0, 0, 0, 0, 0, 0}, {0xff, 0xff, 0xff, 0xff, 0}} {
		if err := new(FetchStorageIDsRequest).Decode(b); !errors.Is(err, EINVAL) {
			t.Errorf("%x: %v", b, err)
		}
	}
}

func TestFetchStorageIDsReplyBytes(t *testing.T) {
	lines := "100001 group1 192.168.0.196\n" +
		"100002 group1 10.0.0.2,114.1.2.3:23001\n" +
		"100003 group2 [fe80::1,2001:db8::2]:23000 rw=read\n" +
		"100004 group2 [::1] rw=none\n"
	want := tkCat(tkI32(9), tkI32(4), []byte(lines))
	r := &FetchStorageIDsReply{Total: 9, Count: 4, Text: []byte(lines)}
	tkEncodes(t, "FetchStorageIDsReply", r, &FetchStorageIDsReply{}, want)

	wantLines := []StorageIDLine{
		{ID: []byte("100001"), GroupName: []byte("group1"), IP: []byte("192.168.0.196"),
			RWMode: RWModeBoth},
		{ID: []byte("100002"), GroupName: []byte("group1"), IP: []byte("10.0.0.2"), IP2: []byte("114.1.2.3"),
			Port: 23001, RWMode: RWModeBoth},
		{ID: []byte("100003"), GroupName: []byte("group2"), IP: []byte("fe80::1"), IP2: []byte("2001:db8::2"),
			Port: 23000, RWMode: RWModeRead},
		{ID: []byte("100004"), GroupName: []byte("group2"), IP: []byte("::1"), RWMode: RWModeNone},
	}
	i := 0
	var text []byte
	for l, err := range r.Lines() {
		if err != nil {
			t.Fatal(err)
		}
		if i >= len(wantLines) || !reflect.DeepEqual(l, wantLines[i]) {
			t.Errorf("line %d: %+v", i, l)
		}
		if l.Size() != len(l.Append(nil)) {
			t.Errorf("line %d: Size %d, encoded %d", i, l.Size(), len(l.Append(nil)))
		}
		text = append(l.Append(text), '\n')
		i++
	}
	if i != 4 || string(text) != lines {
		t.Errorf("%d lines re-encoded as\n%s", i, text)
	}

	// allow_empty with ids off: 8 zero bytes
	tkEncodes(t, "FetchStorageIDsReply/empty", &FetchStorageIDsReply{Text: []byte{}}, &FetchStorageIDsReply{},
		make([]byte, 8))
	bad := [][]byte{nil, make([]byte, 7), tkCat(tkI32(1), tkI32(2), []byte("a g 1.2.3.4\nb g 1.2.3.5\n")),
		tkCat(tkI32(2), tkI32(2), []byte("a g 1.2.3.4\n")), tkCat(tkI32(0), tkI32(-1))}
	for _, b := range bad {
		if err := new(FetchStorageIDsReply).Decode(b); !errors.Is(err, EINVAL) {
			t.Errorf("%q: %v", b, err)
		}
	}
}

func TestStorageIDLineParse(t *testing.T) {
	var l StorageIDLine
	if err := l.Parse([]byte("  100001\tgroup1   192.168.0.1:23000  rw=write future=1\r\n")); err != nil ||
		string(l.ID) != "100001" || string(l.GroupName) != "group1" || string(l.IP) != "192.168.0.1" ||
		l.Port != 23000 || l.RWMode != RWModeWrite {
		t.Fatalf("%+v %v", l, err)
	}
	for _, s := range []string{"", "100001", "100001 group1", "1 g [::1", "1 g [::1]x", "1 g 1.2.3.4:0",
		"1 g 1.2.3.4:x", "1 g 1.2.3.4:70000", "1 g ,1.2.3.4", "1 g 1.2.3.4,", "1 g a,b,c", "1 g 1.2.3.4 rw=all",
		"1 g a]:b:80"} {
		if err := l.Parse([]byte(s)); !errors.Is(err, EINVAL) || !strings.Contains(err.Error(), "StorageIDLine") {
			t.Errorf("%q: %v", s, err)
		}
	}
}

func TestConfigZeroAllocIDs(t *testing.T) {
	text := []byte("100001 group1 192.168.0.196:23000\n100002 group1 10.0.0.2,114.1.2.3:23001 rw=read\n")
	body := tkCat(tkI32(2), tkI32(2), text)
	req := []byte{0, 0, 0, 0, 1}
	var r FetchStorageIDsReply
	var q FetchStorageIDsRequest
	n := testing.AllocsPerRun(200, func() {
		if q.Decode(req) != nil || r.Decode(body) != nil {
			t.Fatal("decode")
		}
		for _, err := range r.Lines() {
			if err != nil {
				t.Fatal(err)
			}
		}
	})
	if n != 0 {
		t.Fatalf("%v allocations", n)
	}
}

func FuzzParameters(f *testing.F) {
	for _, b := range tkUnique(capturedBodies(f, CmdStorageParameterReq, true)) {
		f.Add(b)
	}
	f.Add([]byte("# c\r\n a = b \nx\n=y\nk=v=w"))
	f.Fuzz(func(t *testing.T, body []byte) {
		var a, b Parameters
		tkStable(t, body, &a, &b, false)
		for _, kv := range a {
			if kv.Key == "" || strings.ContainsAny(kv.Key, "=\n") || strings.Contains(kv.Value, "\n") {
				t.Fatalf("decoded %q", kv)
			}
		}
	})
}

func FuzzFetchStorageIDsRequest(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 1})
	f.Add([]byte{0, 0, 0, 7})
	f.Fuzz(func(t *testing.T, body []byte) {
		tkStable(t, body, &FetchStorageIDsRequest{}, &FetchStorageIDsRequest{}, true)
	})
}

// FuzzFetchStorageIDsReply checks the reply and every line in it: a line
// that parses re-encodes to one that parses the same.
func FuzzFetchStorageIDsReply(f *testing.F) {
	f.Add(tkCat(tkI32(3), tkI32(2), []byte("100001 group1 192.168.0.196\n100003 g2 [fe80::1,::2]:23000 rw=read\n")))
	f.Add(make([]byte, 8))
	f.Fuzz(func(t *testing.T, body []byte) {
		tkStable(t, body, &FetchStorageIDsReply{}, &FetchStorageIDsReply{}, true)
		var r FetchStorageIDsReply
		if r.Decode(body) != nil {
			return
		}
		for l, err := range r.Lines() {
			if err != nil {
				if !errors.Is(err, EINVAL) {
					t.Fatal(err)
				}
				return
			}
			enc := l.Append(nil)
			if len(enc) != l.Size() {
				t.Fatalf("Size %d, encoded %q", l.Size(), enc)
			}
			var again StorageIDLine
			if err := again.Parse(enc); err != nil || !reflect.DeepEqual(again, l) {
				t.Fatalf("line %q re-encoded as %q: %+v %v", body[8:], enc, again, err)
			}
		}
	})
}
