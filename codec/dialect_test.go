package codec

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"testing"

	"github.com/gofdfs/gofdfs/codec/capture"
)

// Helpers shared by the tracker layout tests (prefix tk).

// tkPad is s as an n-byte zero-padded field.
func tkPad(s string, n int) []byte { return AppendFixed(nil, s, n) }

func tkI64(v int64) []byte { return AppendInt64(nil, v) }

func tkI32(v int32) []byte { return AppendInt32(nil, v) }

func tkCat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// tkUnique drops repeated bodies: fuzz seeds from the captures repeat a lot.
func tkUnique(bodies [][]byte) [][]byte {
	seen := map[string]bool{}
	var out [][]byte
	for _, b := range bodies {
		if !seen[string(b)] {
			seen[string(b)] = true
			out = append(out, b)
		}
	}
	return out
}

// tkLayout is what every body layout implements.
type tkLayout interface {
	Size() int
	Append(dst []byte) []byte
	Decode(body []byte) error
}

// tkEncodes checks that l encodes to want, that Size agrees, and that want
// decodes into a fresh value equal to l.
func tkEncodes(t *testing.T, name string, l tkLayout, fresh tkLayout, want []byte) {
	t.Helper()
	got := l.Append(nil)
	if !bytes.Equal(got, want) {
		t.Errorf("%s encodes\n got: %s\nwant: %s", name, hex.EncodeToString(got), hex.EncodeToString(want))
	}
	if l.Size() != len(want) {
		t.Errorf("%s: Size %d, want %d", name, l.Size(), len(want))
	}
	if err := fresh.Decode(want); err != nil {
		t.Fatalf("%s: decode: %v", name, err)
	}
	if !reflect.DeepEqual(fresh, l) {
		t.Errorf("%s decodes to\n%+v\nwant\n%+v", name, fresh, l)
	}
}

// tkGolden decodes a captured body into l, re-encodes it and compares.
func tkGolden(t *testing.T, e *capture.Exchange, what string, l tkLayout, body []byte) {
	t.Helper()
	if err := l.Decode(body); err != nil {
		t.Errorf("%s: %s: %v", e, what, err)
		return
	}
	if l.Size() != len(body) {
		t.Errorf("%s: %s: Size %d, body %d", e, what, l.Size(), len(body))
	}
	sameBytes(t, what, e, l.Append(nil), body)
}

// tkStable is the fuzz property of a decoder: whatever it accepts encodes to
// Size bytes (the same length when sameLen) that decode, into b, to an equal
// value.
func tkStable(t *testing.T, body []byte, a, b tkLayout, sameLen bool) {
	t.Helper()
	if err := a.Decode(body); err != nil {
		var ce *Error
		if !errors.As(err, &ce) || ce.Errno == OK {
			t.Fatalf("decode error %v is not a *codec.Error with an errno", err)
		}
		return
	}
	enc := a.Append(nil)
	if len(enc) != a.Size() || (sameLen && len(enc) != len(body)) {
		t.Fatalf("body %d bytes, re-encoded %d, Size %d", len(body), len(enc), a.Size())
	}
	if err := b.Decode(enc); err != nil {
		t.Fatalf("re-encoded %x does not decode: %v", enc, err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("unstable:\n%+v\n%+v", a, b)
	}
}

func TestIPSize(t *testing.T) {
	for _, c := range []struct {
		s            IPSize
		width, query int
	}{{0, 16, 15}, {IPSize16, 16, 15}, {IPSize46, 46, 45}, {7, 16, 15}} {
		if c.s.Width() != c.width || c.s.QueryWidth() != c.query {
			t.Errorf("IPSize(%d): %d/%d, want %d/%d", c.s, c.s.Width(), c.s.QueryWidth(), c.width, c.query)
		}
	}
}

// TestListDialectSizes checks every layout's record sizes against the table
// of client.md §10.2.
func TestListDialectSizes(t *testing.T) {
	for _, c := range []struct {
		d            ListDialect
		group        int
		stat16       int
		stat46       int
		statIP16     int
		name         string
		statBlockLen int
	}{
		{ListV6_15, 113, 487, 517, 16, "v6.15", 348},
		{ListV6_13_1, 113, 517, 517, 46, "v6.13.1", 348},
		{ListV6_13_0, 105, 509, 509, 46, "v6.13.0", 348},
		{ListV6_12, 105, 644, 644, 46, "v6.12", 348},
		{ListV6_11, 105, 642, 642, 46, "v6.11", 348},
		{ListV5_04, 105, 612, 612, 16, "v5.04", 348},
		{ListV5_02, 105, 600, 600, 16, "v5.02", 336},
	} {
		if got := c.d.GroupStatSize(); got != c.group {
			t.Errorf("%v group stat %d, want %d", c.d, got, c.group)
		}
		if got := c.d.StorageStatSize(IPSize16); got != c.stat16 {
			t.Errorf("%v storage stat (16) %d, want %d", c.d, got, c.stat16)
		}
		if got := c.d.StorageStatSize(IPSize46); got != c.stat46 {
			t.Errorf("%v storage stat (46) %d, want %d", c.d, got, c.stat46)
		}
		if got := c.d.StorageStatIPWidth(IPSize16); got != c.statIP16 {
			t.Errorf("%v storage stat IP %d, want %d", c.d, got, c.statIP16)
		}
		if c.d.String() != c.name || c.d.layout().statBlock != c.statBlockLen {
			t.Errorf("%v: name %q, stat block %d", c.d, c.d.String(), c.d.layout().statBlock)
		}
		back, err := ParseListDialect(c.d.String())
		if err != nil || back != c.d {
			t.Errorf("ParseListDialect(%q) = %v, %v", c.d.String(), back, err)
		}
	}
}

func TestParseListDialect(t *testing.T) {
	for s, want := range map[string]ListDialect{
		"": ListV6_15, "v6.16": ListV6_15, "V6.16.1": ListV6_15, "6.15.0": ListV6_15, "v6": ListV6_15,
		" v6.15 ": ListV6_15,
		"v6.14":   ListV6_13_1, "v6.13": ListV6_13_1, "v6.13.2": ListV6_13_1, "v6.13.1": ListV6_13_1,
		"v6.13.0": ListV6_13_0,
		"v6.12":   ListV6_12, "v6.12.4": ListV6_12,
		"v6.11": ListV6_11, "6.11.0": ListV6_11,
		"v6.10": ListV5_04, "v6.10.0": ListV5_04, "v6.09": ListV5_04, "6.9.1": ListV5_04, "v6.0": ListV5_04,
		"v5": ListV5_04, "v5.12": ListV5_04, "v5.04": ListV5_04, "5.4": ListV5_04,
		"v5.03": ListV5_02, "v5.02": ListV5_02, "v5.0": ListV5_02,
	} {
		got, err := ParseListDialect(s)
		if err != nil || got != want {
			t.Errorf("ParseListDialect(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"v4", "v7.0", "latest", "v6.x", "6.16.1.2", "v", "6.-1", "6.+1", "v6.", "6..1", "v6.1000"} {
		if _, err := ParseListDialect(s); err == nil || !errors.Is(err, EINVAL) {
			t.Errorf("ParseListDialect(%q): %v, want EINVAL", s, err)
		}
	}
}

func TestParseDialect(t *testing.T) {
	for s, want := range map[string]Dialect{
		"":        {IPSize16, ListV6_15, FetchAllV6_16},
		"v6.16":   {IPSize16, ListV6_15, FetchAllV6_16},
		"v6":      {IPSize16, ListV6_15, FetchAllV6_16},
		"v6.15.5": {IPSize16, ListV6_15, FetchAllV6_15},
		"v6.14":   {IPSize46, ListV6_13_1, FetchAllV6_15},
		"v6.13.0": {IPSize46, ListV6_13_0, FetchAllV6_15},
		"v6.12":   {IPSize46, ListV6_12, FetchAllV6_15},
		"v6.11":   {IPSize46, ListV6_11, FetchAllV6_15},
		"v6.10":   {IPSize16, ListV5_04, FetchAllV6_15},
		"v5":      {IPSize16, ListV5_04, FetchAllV6_15},
		"v5.02":   {IPSize16, ListV5_02, FetchAllV6_15},
	} {
		got, err := ParseDialect(s)
		if err != nil || got != want {
			t.Errorf("ParseDialect(%q) = %+v, %v; want %+v", s, got, err, want)
		}
	}
	if DefaultDialect() != (Dialect{IPSize: IPSize16}) {
		t.Error("DefaultDialect")
	}
	if _, err := ParseDialect("v3.11"); err == nil {
		t.Error("v3.11 accepted")
	}
	if FetchAllV6_15.String() != "v6.15" || FetchAllV6_16.String() != "v6.16" {
		t.Error("FetchAllFormat names")
	}
}
