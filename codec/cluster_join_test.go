package codec

import (
	"bytes"
	"slices"
	"testing"

	"github.com/gofdfs/gofdfs/codec/capture"
)

func init() {
	registerGolden(CmdStorageJoin, func(t *testing.T, e *capture.Exchange) {
		var r StorageJoinRequest
		if clusterRequest(t, e, &r) {
			var trackers []string
			for a := range r.Trackers() {
				trackers = append(trackers, string(a))
			}
			if r.Dialect != JoinHEAD || string(r.Version) != "6.16.1" || int64(len(trackers)) != r.TrackerCount ||
				len(trackers) == 0 || trackers[0] != "127.0.2.10:22122" && trackers[0] != "127.0.0.10:22122" {
				t.Errorf("%s: dialect %s version %q trackers %q", e, r.Dialect, r.Version, trackers)
			}
			var any StorageJoinRequest
			if err := any.DecodeAnyDialect(e.Request.Body); err != nil || any.Dialect != JoinHEAD {
				t.Errorf("%s: DecodeAnyDialect: %s %v", e, any.Dialect, err)
			}
		}
		clusterReply(t, e, &StorageJoinReply{})
	})
}

// joinHeadBody is a HEAD JOIN body built from the cluster.md §1.2 table.
func joinHeadBody() []byte {
	return cat(
		txt("group1", 17),
		hx("00 00 00 00 00 00 59 d8"), // storage_port 23000
		hx("00 00 00 00 00 00 00 01"), // store_path_count
		hx("00 00 00 00 00 00 01 00"), // subdir_count_per_path 256
		hx("00 00 00 00 00 00 00 0a"), // upload_priority
		hx("00 00 00 00 6b 02 1a 02"), // join_time
		hx("00 00 00 00 6b 02 1a 03"), // up_time
		txt("6.16.1", 8),
		[]byte{1, 0xff}, // init_flag, status -1
		txt("100001", 16),
		txt("127.0.2.10", 46),
		hx("00 00 00 00 00 00 00 02"),
		[]byte("127.0.2.10:22122\n127.0.2.11:22122\n"),
	)
}

func TestStorageJoinRequestHEAD(t *testing.T) {
	want := joinHeadBody()
	if len(want) != 145+34 {
		t.Fatalf("table body is %d bytes", len(want))
	}
	r := StorageJoinRequest{GroupName: []byte("group1"), StoragePort: 23000, StorePathCount: 1,
		SubdirCountPerPath: 256, UploadPriority: 10, JoinTime: 0x6b021a02, UpTime: 0x6b021a03,
		Version: []byte("6.16.1"), InitFlag: true, Status: -1, StorageID: []byte("100001"),
		CurrentTrackerIP: []byte("127.0.2.10")}
	r.AddTracker([]byte("127.0.2.10:22122"))
	r.AddTracker([]byte("127.0.2.11:22122"))
	clusterHandBuilt(t, "StorageJoinRequest HEAD", &r, &StorageJoinRequest{}, want)

	var got StorageJoinRequest
	if err := got.Decode(want); err != nil {
		t.Fatal(err)
	}
	if got.Status != -1 || !got.InitFlag || string(got.StorageID) != "100001" ||
		!slices.EqualFunc(slices.Collect(got.Trackers()), [][]byte{[]byte("127.0.2.10:22122"), []byte("127.0.2.11:22122")}, bytes.Equal) {
		t.Errorf("decoded %+v", got)
	}
	// 6.16 may fill all 8 version bytes
	full := bytes.Clone(want)
	copy(full[65:73], "6.16.100")
	if err := got.Decode(full); err != nil || string(got.Version) != "6.16.100" {
		t.Errorf("8-byte version: %q %v", got.Version, err)
	}
}

func TestStorageJoinRequestRejects(t *testing.T) {
	body := joinHeadBody()
	mod := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(body)) }
	clusterRejects(t, "StorageJoinRequest", &StorageJoinRequest{}, EINVAL,
		body[:144],
		mod(func(b []byte) []byte { copy(b, "grp-1"); return b }),                   // group charset
		mod(func(b []byte) []byte { clear(b[:17]); return b }),                      // empty group
		mod(func(b []byte) []byte { b[144] = 0; return b }),                         // 0 trackers
		mod(func(b []byte) []byte { b[144] = 17; return b }),                        // 17 trackers
		mod(func(b []byte) []byte { b[144] = 3; return b }),                         // 3 announced, 2 listed
		mod(func(b []byte) []byte { return b[:len(b)-1] }),                          // last line unterminated
		mod(func(b []byte) []byte { return append(b, '\n') }),                       // empty line
		mod(func(b []byte) []byte { return append(b[:145], make([]byte, 201)...) }), // > 145 + 2*100
	)
	var r StorageJoinRequest
	clusterRejects(t, "StorageJoinReply", &StorageJoinReply{}, EINVAL, make([]byte, 16), make([]byte, 18))
	if err := r.DecodeAnyDialect(body[:100]); err == nil {
		t.Error("DecodeAnyDialect accepted 100 bytes")
	}
}

// The older dialects, from the cluster.md §10.1 layouts: told apart by length.
func TestStorageJoinRequestOldDialects(t *testing.T) {
	head := func(httpDomain bool) []byte {
		b := cat(txt("group1", 17), hx("00 00 00 00 00 00 59 d8"))
		if httpDomain {
			b = append(b, hx("00 00 00 00 00 00 1f 90")...) // http port 8080
		}
		b = cat(b, hx("00 00 00 00 00 00 00 01"), hx("00 00 00 00 00 00 01 00"), hx("00 00 00 00 00 00 00 0a"),
			hx("00 00 00 00 5a 00 00 00"), hx("00 00 00 00 5a 00 00 01"))
		return b
	}
	cases := []struct {
		d    JoinDialect
		body []byte
		ip   string
	}{
		{JoinV5, cat(head(true), txt("5.12", 8), txt("www.example.com", 128), []byte{0, 7},
			hx("00 00 00 00 00 00 00 01"), txt("10.0.0.1:22122", 22)), ""},
		{JoinV600, cat(head(true), txt("6.08", 8), txt("", 128), []byte{0, 7}, txt("10.0.0.1", 16),
			hx("00 00 00 00 00 00 00 02"), txt("10.0.0.1:22122", 40), txt("10.0.0.2,172.16.0.2:22122", 40)), "10.0.0.1"},
		{JoinV611, cat(head(true), txt("6.11.0", 8), txt("", 128), []byte{1, 0}, txt("100001", 16), txt("10.0.0.1", 46),
			hx("00 00 00 00 00 00 00 01"), txt("10.0.0.1:22122", 100)), "10.0.0.1"},
		{JoinV613, cat(head(false), txt("6.13.0", 8), []byte{0, 6}, txt("100001", 16), txt("10.0.0.1", 46),
			hx("00 00 00 00 00 00 00 01"), txt("[fe80::1]:22122", 100)), "10.0.0.1"},
	}
	wantLens := map[JoinDialect]int{JoinV5: 219 + 22, JoinV600: 235 + 80, JoinV611: 281 + 100, JoinV613: 145 + 100}
	for _, c := range cases {
		if len(c.body) != wantLens[c.d] {
			t.Fatalf("%s: table body is %d bytes, want %d", c.d, len(c.body), wantLens[c.d])
		}
		var r StorageJoinRequest
		if err := r.Decode(c.body); err == nil {
			t.Errorf("%s: the HEAD decoder accepted an old body", c.d)
		}
		if err := r.DecodeAnyDialect(c.body); err != nil || r.Dialect != c.d {
			t.Errorf("%s: DecodeAnyDialect: %s %v", c.d, r.Dialect, err)
			continue
		}
		if string(r.CurrentTrackerIP) != c.ip || r.StoragePort != 23000 || r.StorePathCount != 1 {
			t.Errorf("%s: decoded %+v", c.d, r)
		}
		first := ""
		for a := range r.Trackers() {
			first = string(a)
			break
		}
		if first != "10.0.0.1:22122" && first != "[fe80::1]:22122" {
			t.Errorf("%s: first tracker %q", c.d, first)
		}
		if got := r.Append(nil); !bytes.Equal(got, c.body) || r.Size() != len(c.body) {
			t.Errorf("%s: re-encoded\n got %x\nwant %x", c.d, got, c.body)
		}
		// AddTracker builds the dialect's entries
		fresh := r
		fresh.TrackerList, fresh.TrackerCount = nil, 0
		for a := range r.Trackers() {
			fresh.AddTracker(a)
		}
		if !bytes.Equal(fresh.Append(nil), c.body) {
			t.Errorf("%s: AddTracker built another list", c.d)
		}
	}
	if cases[0].d.String() != "V5" || JoinHEAD.String() != "HEAD" || JoinDialect(9).String() != "JoinDialect(9)" {
		t.Error("JoinDialect.String")
	}
	var v5 StorageJoinRequest
	if err := v5.DecodeAnyDialect(cases[0].body); err != nil || v5.HTTPPort != 8080 ||
		string(v5.DomainName) != "www.example.com" || v5.Status != 7 {
		t.Errorf("V5 fields: %+v %v", v5, err)
	}
}

func TestStorageJoinReply(t *testing.T) {
	clusterHandBuilt(t, "StorageJoinReply", &StorageJoinReply{Status: 1, SrcID: []byte("127.0.2.22")},
		&StorageJoinReply{}, cat([]byte{1}, txt("127.0.2.22", 16)))
}

// joinAnyDialect adapts DecodeAnyDialect to the fuzz helper.
type joinAnyDialect struct{ StorageJoinRequest }

func (j *joinAnyDialect) Decode(body []byte) error { return j.DecodeAnyDialect(body) }

func FuzzStorageJoinRequest(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &StorageJoinRequest{} },
		append(capturedBodies(f, CmdStorageJoin, false), joinHeadBody())...)
}

func FuzzStorageJoinRequestAnyDialect(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &joinAnyDialect{} },
		append(capturedBodies(f, CmdStorageJoin, false), joinHeadBody())...)
}

func FuzzStorageJoinReply(f *testing.F) {
	clusterFuzz(f, func() clusterLayout { return &StorageJoinReply{} }, capturedBodies(f, CmdStorageJoin, true)...)
}
