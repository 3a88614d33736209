package codec

import (
	"bytes"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/gofdfs/gofdfs/codec/capture"
)

// metaStr writes records as "name=value,..." for readable tests.
func metaStr(b []byte) string {
	var s []string
	for _, p := range ParseMetadata(b) {
		s = append(s, p.Name+"="+p.Value)
	}
	return strings.Join(s, ",")
}

func TestMetadataIter(t *testing.T) {
	long := strings.Repeat("n", 70)
	longV := strings.Repeat("v", 300)
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"a\x02b", "a=b"},
		{"a\x02b\x01c\x02d", "a=b,c=d"},
		{"a\x02b\x01", "a=b"},                     // trailing separator: empty record dropped
		{"junk\x01a\x02b\x01\x01c\x02", "a=b,c="}, // records without 0x02 dropped
		{"\x02v", "=v"},                           // empty name kept, as C does
		{"a\x02b\x02c", "a=b\x02c"},               // the value keeps further 0x02
		{"a\x02b\x00c\x02d", "a=b"},               // C works on a NUL-terminated string
		{long + "\x02" + longV, long[:64] + "=" + longV[:256]},
	} {
		if got := metaStr([]byte(c.in)); got != c.want {
			t.Errorf("%q: %q want %q", c.in, got, c.want)
		}
	}
	pairs := []MetaPair{{"ext_name", "jpg"}, {"width", "160"}}
	if got := AppendMetadata(nil, pairs); string(got) != "ext_name\x02jpg\x01width\x02160" {
		t.Fatalf("%q", got)
	}
	if len(AppendMetadata(nil, nil)) != 0 {
		t.Fatal("empty")
	}
}

// Stored contents seen in the captures (the '-m' files replicated by sync
// and the GET_METADATA reply).
const (
	metaFdfsTestO   = "ext_name\x02jpg\x01width\x02160\x01height\x0280\x01file_size\x02115120"
	metaFdfsTestSet = "ext_name\x02jpg\x01file_size\x02115120\x01height\x0280\x01width\x02160"
)

func TestNormalizeMetadata(t *testing.T) {
	if got := NormalizeMetadata(nil, []byte(metaFdfsTestO)); string(got) != metaFdfsTestSet {
		t.Fatalf("%q", got)
	}
	if got := NormalizeMetadata(nil, []byte(metaFdfsTestSet)); string(got) != metaFdfsTestSet {
		t.Fatal("canonical input must come out unchanged")
	}
	// names compare byte-wise (strcmp), duplicates keep the sender's order
	if got := NormalizeMetadata(nil, []byte("b\x021\x01B\x022\x01a\x023\x01a\x024\x01\xff\x025")); string(got) !=
		"B\x022\x01a\x023\x01a\x024\x01b\x021\x01\xff\x025" {
		t.Fatalf("%q", got)
	}
	many := make([]MetaPair, 40) // beyond the stack array
	for i := range many {
		many[i] = MetaPair{Name: strconv.Itoa(99 - i), Value: "v"}
	}
	got := ParseMetadata(NormalizeMetadata(nil, AppendMetadata(nil, many)))
	if len(got) != 40 || !sort.SliceIsSorted(got, func(i, j int) bool { return got[i].Name < got[j].Name }) {
		t.Fatalf("40 records: %v", got)
	}
}

func TestNormalizeMetadataCQuirk(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		// canonical input: same bytes
		{metaFdfsTestSet, metaFdfsTestSet},
		// trailing separator: canonical, then the packer's NUL fills the last byte
		{"b\x022\x01a\x021\x01", "a\x021\x01b\x022\x00"},
		// a dropped record: canonical, NUL, then the stale tail of the input
		{"zz\x01b\x022\x01a\x021", "a\x021\x01b\x022\x00\x021"},
		// the stale tail has C's split NULs where separators were
		{"b\x022\x01zzzz\x01y\x01a\x021", "a\x021\x01b\x022\x00\x00y\x00a\x021"},
		// no record at all: the input, separators turned to NUL
		{"abc\x01def", "abc\x00def"},
		// past the first NUL nothing is split
		{"zz\x01a\x021\x00\x01x", "a\x021\x00\x021\x00\x01x"},
	} {
		got := NormalizeMetadataC(nil, []byte(c.in))
		if string(got) != c.want || len(got) != len(c.in) {
			t.Errorf("%q: %q want %q", c.in, got, c.want)
		}
		// every C reader stops at the first NUL: same records as ours
		if metaStr(got) != metaStr(NormalizeMetadata(nil, []byte(c.in))) && strings.Contains(c.in, "\x02") {
			t.Errorf("%q: C readers would see %q", c.in, metaStr(got))
		}
	}
}

func TestMergeMetadata(t *testing.T) {
	for _, c := range []struct{ old, update, want string }{
		// captured: fdfs_test setmeta M color=red,width=999 on the fdfs_test upload's metadata
		{metaFdfsTestSet, "color\x02red\x01width\x02999",
			"color\x02red\x01ext_name\x02jpg\x01file_size\x02115120\x01height\x0280\x01width\x02999"},
		{metaFdfsTestSet, "", metaFdfsTestSet},
		{"", "b\x022\x01a\x021", "a\x021\x01b\x022"},
		{"a\x021\x01c\x023", "d\x024\x01b\x022\x01a\x029", "a\x029\x01b\x022\x01c\x023\x01d\x024"},
	} {
		if got := MergeMetadata(nil, []byte(c.old), []byte(c.update)); string(got) != c.want {
			t.Errorf("%q + %q: %q", c.old, c.update, got)
		}
	}
}

// TestMetadataAgainstCaptures replays every captured SET_METADATA in time
// order and checks the stored state against what the C storage served:
// GET_METADATA replies and the "-m" files its sync pushed to the peers.
func TestMetadataAgainstCaptures(t *testing.T) {
	var ex []*capture.Exchange
	for _, e := range loadCaptures(t) {
		switch e.Request.Cmd {
		case CmdSetMetadata, CmdGetMetadata, CmdSyncCreateFile, CmdSyncUpdateFile:
			ex = append(ex, e)
		}
	}
	at := func(e *capture.Exchange) float64 {
		f, err := strconv.ParseFloat(e.Request.Time, 64)
		if err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		return f
	}
	sort.SliceStable(ex, func(i, j int) bool { return at(ex[i]) < at(ex[j]) })
	state := map[string][]byte{}     // name -> stored metadata
	history := map[string][]string{} // name -> every stored state
	checked := 0
	for _, e := range ex {
		switch e.Request.Cmd {
		case CmdSetMetadata:
			var r SetMetadataRequest
			if err := r.Decode(e.Request.Body); err != nil || e.Reply == nil || e.Reply.Status != 0 {
				continue
			}
			name := string(r.Name)
			old, exists := state[name]
			switch {
			case r.Op == MetaOverwrite && len(r.Metadata) == 0:
				delete(state, name)
				continue
			case r.Op == MetaMerge && exists:
				state[name] = MergeMetadata(nil, old, r.Metadata)
			case r.Op == MetaMerge && len(r.Metadata) == 0:
				continue
			default:
				state[name] = NormalizeMetadata(nil, r.Metadata)
			}
			history[name] = append(history[name], string(state[name]))
		case CmdGetMetadata:
			var r GetMetadataRequest
			if r.Decode(e.Request.Body) != nil || !okReply(t, e) {
				continue
			}
			if want, ok := state[string(r.Name)]; ok {
				sameBytes(t, "stored metadata", e, e.Reply.Body, want)
				checked++
			}
		default: // sync of a "-m" file: body ends in name + "-m" + content
			for name, states := range history {
				i := bytes.Index(e.Request.Body, []byte(name+MetaFileSuffix))
				if i < 0 {
					continue
				}
				content := e.Request.Body[i+len(name)+len(MetaFileSuffix):]
				if len(content) == 0 {
					continue // a sync without content (header status 17)
				}
				found := false
				for _, s := range states {
					found = found || s == string(content)
				}
				if !found {
					t.Errorf("%s: synced %q is no state of %s: %q", e, content, name, states)
				}
				checked++
			}
		}
	}
	if checked < 5 {
		t.Fatalf("only %d captured metadata contents checked", checked)
	}
}

func TestMetadataZeroAlloc(t *testing.T) {
	body := []byte(metaFdfsTestO)
	buf := make([]byte, 0, 256)
	n := testing.AllocsPerRun(500, func() {
		it := NewMetadataIter(body)
		count := 0
		for _, _, ok := it.Next(); ok; _, _, ok = it.Next() {
			count++
		}
		if count != 4 {
			t.Fatal(count)
		}
		_ = NormalizeMetadata(buf[:0], body)
		_ = MergeMetadata(buf[:0], body, body)
		_ = NormalizeMetadataC(buf[:0], body)
	})
	if n != 0 {
		t.Fatalf("%v allocs", n)
	}
}

func BenchmarkMetadataNormalize(b *testing.B) {
	body := []byte(metaFdfsTestO)
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		if len(NormalizeMetadata(buf[:0], body)) != len(body) {
			b.Fatal("length")
		}
	}
}

func FuzzMetadata(f *testing.F) {
	for _, b := range capturedBodies(f, CmdGetMetadata, true) {
		f.Add(b, []byte("color\x02red"))
	}
	f.Add([]byte(metaFdfsTestO), []byte("a\x02\x02\x01\x01b"))
	f.Add([]byte("zz\x01a\x021\x00\x01x"), []byte{})
	f.Fuzz(func(t *testing.T, a, b []byte) {
		norm := NormalizeMetadata(nil, a)
		if again := NormalizeMetadata(nil, norm); !bytes.Equal(again, norm) {
			t.Fatalf("%q: not idempotent: %q then %q", a, norm, again)
		}
		if got := AppendMetadata(nil, ParseMetadata(norm)); !bytes.Equal(got, norm) {
			t.Fatalf("%q: re-encodes as %q", norm, got)
		}
		recs := ParseMetadata(norm)
		if len(recs) != len(ParseMetadata(a)) {
			t.Fatalf("%q: %d records, normalized %d", a, len(ParseMetadata(a)), len(recs))
		}
		for i, r := range recs {
			if len(r.Name) > MetaNameMaxLen || len(r.Value) > MetaValueMaxLen ||
				i > 0 && recs[i-1].Name > r.Name {
				t.Fatalf("%q: record %d %q", norm, i, r)
			}
		}
		quirk := NormalizeMetadataC(nil, a)
		if len(quirk) != len(a) {
			t.Fatalf("%q: C writes %d bytes", a, len(quirk))
		}
		if len(recs) > 0 && !bytes.Equal(NormalizeMetadata(nil, quirk), norm) {
			t.Fatalf("%q: C's stored bytes %q read differently", a, quirk)
		}
		merged := ParseMetadata(MergeMetadata(nil, norm, b))
		for i := 1; i < len(merged); i++ {
			if merged[i-1].Name > merged[i].Name {
				t.Fatalf("merge of %q and %q not sorted: %q", norm, b, merged)
			}
		}
		for _, u := range ParseMetadata(b) { // the update's names are all there
			found := false
			for _, m := range merged {
				found = found || m.Name == u.Name
			}
			if !found {
				t.Fatalf("merge lost %q", u.Name)
			}
		}
	})
}
