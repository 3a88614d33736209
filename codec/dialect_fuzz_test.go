package codec

import (
	"strings"
	"testing"
)

// dialectSeeds are the release names the docs, the conf samples and the
// error message offer, plus shapes near them.
var dialectSeeds = []string{"", "v6.16", "v6.15", "6.15.3", "v6.14", "v6.13.1", "v6.13.0", "v6.13", "v6.12",
	"v6.11", "v6.10", "v5.04", "v5.02", "v5", "V6.16", " v6.16 ", "v3.11", "v6.", "v6..1", "v+6.1"}

// A dialect name parses to one of the known layouts or to an error; a
// ListDialect's String reads back as itself, and ParseDialect agrees with
// ParseListDialect on the list layout.
func FuzzParseListDialect(f *testing.F) {
	for _, s := range dialectSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseListDialect(s)
		if err != nil {
			if !strings.Contains(err.Error(), "unknown release") {
				t.Fatalf("%q: unexpected error %v", s, err)
			}
			return
		}
		if d > ListV5_02 {
			t.Fatalf("%q: list dialect %d out of range", s, d)
		}
		back, err := ParseListDialect(d.String())
		if err != nil || back != d {
			t.Fatalf("%q: %v reads back as %v (%v)", s, d, back, err)
		}
	})
}

func FuzzParseDialect(f *testing.F) {
	for _, s := range dialectSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDialect(s)
		list, lerr := ParseListDialect(s)
		if (err == nil) != (lerr == nil) {
			t.Fatalf("%q: ParseDialect %v, ParseListDialect %v", s, err, lerr)
		}
		if err != nil {
			return
		}
		if d.List != list {
			t.Fatalf("%q: list %v, ParseListDialect says %v", s, d.List, list)
		}
		if d.IPSize != IPSize16 && d.IPSize != IPSize46 {
			t.Fatalf("%q: ip size %d", s, d.IPSize)
		}
		if d.FetchAll != FetchAllV6_16 && d.FetchAll != FetchAllV6_15 {
			t.Fatalf("%q: fetch-all format %d", s, d.FetchAll)
		}
		// the IP width C fixed in each range (V6.11-V6.14: 46)
		if wide := list == ListV6_11 || list == ListV6_12 || list == ListV6_13_0 || list == ListV6_13_1; wide != (d.IPSize == IPSize46) {
			t.Fatalf("%q: list %v with ip size %d", s, list, d.IPSize)
		}
	})
}

// An empty-body request accepts exactly the empty body and names the
// command in its error.
func FuzzDecodeEmptyRequest(f *testing.F) {
	f.Add(byte(CmdStorageChangeStatus), []byte{})
	f.Add(byte(CmdStorageGetStatus), []byte{0})
	f.Add(byte(0), []byte("group1\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, cmd byte, body []byte) {
		err := DecodeEmptyRequest(cmd, body)
		if (err == nil) != (len(body) == 0) {
			t.Fatalf("cmd %d, %d-byte body: %v", cmd, len(body), err)
		}
		if err != nil && !strings.Contains(err.Error(), CmdName(cmd)) {
			t.Fatalf("cmd %d: error %q does not name %q", cmd, err, CmdName(cmd))
		}
	})
}
