package httpd

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

func TestParseRequest(t *testing.T) {
	for _, c := range []struct {
		name, in string
		n        int // -1: need more
		err      error
		check    func(*Request) string
	}{
		{"get 1.1", "GET /group1/M00/00/00/a.jpg?token=ab&ts=1 HTTP/1.1\r\nHost: h\r\nRange: bytes=0-1\r\n\r\nNEXT", 0, nil, func(r *Request) string {
			if string(r.Path) != "/group1/M00/00/00/a.jpg" || string(r.Query) != "token=ab&ts=1" || string(r.Range) != "bytes=0-1" ||
				string(r.Host) != "h" || !r.KeepAlive || r.Minor != 1 || !r.IsGet() {
				return fmt.Sprintf("%+v", r)
			}
			return ""
		}},
		{"head 1.0 keep-alive", "HEAD /x HTTP/1.0\r\nconnection: Keep-Alive\r\n\r\n", 0, nil, func(r *Request) string {
			if !r.IsHead() || !r.KeepAlive || r.Minor != 0 {
				return fmt.Sprintf("%+v", r)
			}
			return ""
		}},
		{"1.0 default close", "GET /x HTTP/1.0\r\n\r\n", 0, nil, func(r *Request) string {
			if r.KeepAlive {
				return "keep-alive"
			}
			return ""
		}},
		{"1.1 without host", "GET /x HTTP/1.1\r\n\r\n", 0, ErrBadRequest, nil},
		{"1.1 close token", "GET /x HTTP/1.1\r\nHost: h\r\nConnection: foo, close\r\n\r\n", 0, nil, func(r *Request) string {
			if r.KeepAlive {
				return "keep-alive"
			}
			return ""
		}},
		{"bare LF", "GET /x HTTP/1.1\nHost: h\nIf-None-Match:  \"a\" \n\n", 0, nil, func(r *Request) string {
			if string(r.IfNoneMatch) != `"a"` {
				return string(r.IfNoneMatch)
			}
			return ""
		}},
		{"leading empty lines", "\r\n\r\nGET /x HTTP/1.1\r\nHost: h\r\n\r\n", 32, nil, nil},
		{"absolute form", "GET http://host:80/a/b?q HTTP/1.1\r\nHost: host\r\n\r\n", 0, nil, func(r *Request) string {
			if string(r.Path) != "/a/b" || string(r.Query) != "q" {
				return string(r.Path)
			}
			return ""
		}},
		{"partial", "GET /x HTTP/1.1\r\nHost: a\r\n", -1, nil, nil},
		{"empty", "", -1, nil, nil},
		{"bad line", "GET\r\n\r\n", 0, ErrBadRequest, nil},
		{"bad target", "GET x HTTP/1.1\r\n\r\n", 0, ErrBadRequest, nil},
		{"control in target", "GET /a\x01 HTTP/1.1\r\n\r\n", 0, ErrBadRequest, nil},
		{"version", "GET / HTTP/2.0\r\n\r\n", 0, ErrVersion, nil},
		{"not http", "GET / FTP/1.0\r\n\r\n", 0, ErrBadRequest, nil},
		{"no colon", "GET / HTTP/1.1\r\nHost\r\n\r\n", 0, ErrBadRequest, nil},
		{"space in name", "GET / HTTP/1.1\r\nHo st: a\r\n\r\n", 0, ErrBadRequest, nil},
		{"folding", "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", 0, ErrBadRequest, nil},
		{"body", "GET / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", 0, ErrBody, nil},
		{"zero body", "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", 0, nil, nil},
		{"chunked", "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 0, ErrBody, nil},
		{"too large", "GET / HTTP/1.1\r\nX: " + strings.Repeat("a", MaxHeadSize) + "\r\n\r\n", 0, ErrHeadTooLarge, nil},
		{"too large partial", "GET / HTTP/1.1\r\nX: " + strings.Repeat("a", MaxHeadSize), 0, ErrHeadTooLarge, nil},
	} {
		var r Request
		n, err := ParseRequest([]byte(c.in), &r)
		if !errors.Is(err, c.err) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.err)
			continue
		}
		if err != nil {
			continue
		}
		want := strings.Index(c.in, "\r\n\r\n") + 4
		if strings.Contains(c.name, "bare LF") {
			want = strings.Index(c.in, "\n\n") + 2
		}
		if c.n < 0 {
			want = 0
		} else if c.n > 0 {
			want = c.n
		}
		if n != want {
			t.Errorf("%s: n %d, want %d", c.name, n, want)
		}
		if c.check != nil && n > 0 {
			if msg := c.check(&r); msg != "" {
				t.Errorf("%s: %s", c.name, msg)
			}
		}
	}
	if StatusOf(ErrHeadTooLarge) != 431 || StatusOf(ErrVersion) != 505 || StatusOf(ErrBody) != 413 || StatusOf(ErrBadRequest) != 400 {
		t.Error("StatusOf")
	}
}

func TestQueryParamAndFilePath(t *testing.T) {
	q := []byte("a=1&token=abc&ts=&redirect")
	for _, c := range []struct {
		name, val string
		ok        bool
	}{{"a", "1", true}, {"token", "abc", true}, {"ts", "", true}, {"redirect", "", true}, {"x", "", false}} {
		v, ok := QueryParam(q, c.name)
		if string(v) != c.val || ok != c.ok {
			t.Errorf("QueryParam %s: %q %v", c.name, v, ok)
		}
	}
	for _, c := range []struct {
		path         string
		group        bool
		wantG, wantR string
		ok           bool
	}{
		{"/group1/M00/00/00/a.jpg", true, "group1", "M00/00/00/a.jpg", true},
		{"/M00/00/00/a.jpg", false, "", "M00/00/00/a.jpg", true},
		{"/group1", true, "", "", false},
		{"/group1/", true, "", "", false},
		{"//M00", true, "", "", false},
		{"/", false, "", "", false},
		{"/g/M00/%2e%2e/x", true, "", "", false},
	} {
		g, r, ok := FilePath([]byte(c.path), c.group)
		if string(g) != c.wantG || string(r) != c.wantR || ok != c.ok {
			t.Errorf("FilePath %s: %q %q %v", c.path, g, r, ok)
		}
	}
}

func TestParseRanges(t *testing.T) {
	const size = 1000
	for _, c := range []struct {
		h    string
		res  RangeResult
		want []ByteRange
	}{
		{"bytes=0-499", RangePartial, []ByteRange{{0, 500}}},
		{"bytes=500-", RangePartial, []ByteRange{{500, 500}}},
		{"bytes=-200", RangePartial, []ByteRange{{800, 200}}},
		{"bytes=-2000", RangePartial, []ByteRange{{0, 1000}}},
		{"bytes=900-5000", RangePartial, []ByteRange{{900, 100}}},
		{"bytes=0-0, 10-19 ,-1", RangePartial, []ByteRange{{0, 1}, {10, 10}, {999, 1}}},
		{"bytes=1000-,0-1", RangePartial, []ByteRange{{0, 2}}},
		{"bytes=1000-", RangeUnsatisfiable, nil},
		{"bytes=-0", RangeUnsatisfiable, nil},
		{"bytes=5-4", RangeNone, nil},
		{"bytes=a-", RangeNone, nil},
		{"bytes=1", RangeNone, nil},
		{"items=0-1", RangeNone, nil},
		{"bytes=", RangeNone, nil},
		{"", RangeNone, nil},
		{"bytes=" + strings.Repeat("0-0,", MaxRanges) + "0-0", RangeNone, nil},
		{"bytes=99999999999999999999-", RangeNone, nil},
	} {
		var buf [MaxRanges]ByteRange
		got, res := ParseRanges([]byte(c.h), size, buf[:0])
		if res != c.res || fmt.Sprint(got) != fmt.Sprint(append([]ByteRange{}, c.want...)) && len(c.want) > 0 {
			t.Errorf("%q: %v %v, want %v %v", c.h, got, res, c.want, c.res)
		}
	}
	var buf [MaxRanges]ByteRange
	if _, res := ParseRanges([]byte("bytes=0-"), 0, buf[:0]); res != RangeUnsatisfiable {
		t.Errorf("empty file: %v", res)
	}
}

func TestHTTPDates(t *testing.T) {
	for _, ts := range []int64{0, 784111777, 1700000000, 4102444800} {
		b := AppendHTTPDate(nil, ts)
		if want := time.Unix(ts, 0).UTC().Format(http.TimeFormat); string(b) != want {
			t.Errorf("AppendHTTPDate(%d) = %s, want %s", ts, b, want)
		}
		got, ok := ParseHTTPDate(b)
		if !ok || got != ts {
			t.Errorf("ParseHTTPDate(%s) = %d %v", b, got, ok)
		}
	}
	for _, bad := range []string{"", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "Sun, 31 Feb 2021 00:00:00 GMT",
		"Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Xyz 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT"} {
		if _, ok := ParseHTTPDate([]byte(bad)); ok {
			t.Errorf("ParseHTTPDate(%q) accepted", bad)
		}
	}
}

func TestConditional(t *testing.T) {
	etag := AppendETag(nil, 0x5f3a1c2e, 0x1000)
	if string(etag) != `"5f3a1c2e-1000"` {
		t.Fatalf("etag %s", etag)
	}
	const lm = 1700000000
	date := string(AppendHTTPDate(nil, lm))
	for _, c := range []struct {
		inm, ims string
		want     bool
	}{
		{`"5f3a1c2e-1000"`, "", true},
		{`W/"5f3a1c2e-1000"`, "", true},
		{`"x", "5f3a1c2e-1000"`, "", true},
		{`*`, "", true},
		{`"x"`, date, false},
		{"", date, true},
		{"", string(AppendHTTPDate(nil, lm+10)), true},
		{"", string(AppendHTTPDate(nil, lm-1)), false},
		{"", "garbage", false},
		{"", "", false},
	} {
		r := Request{IfNoneMatch: []byte(c.inm), IfModifiedSince: []byte(c.ims)}
		if got := NotModified(&r, etag, lm); got != c.want {
			t.Errorf("INM %q IMS %q: %v", c.inm, c.ims, got)
		}
	}
	for _, c := range []struct {
		ifRange string
		want    bool
	}{{"", true}, {string(etag), true}, {`"other"`, false}, {`W/"5f3a1c2e-1000"`, false}, {date, true},
		{string(AppendHTTPDate(nil, lm+1)), false}, {"junk", false}} {
		r := Request{IfRange: []byte(c.ifRange)}
		if got := RangeApplies(&r, etag, lm); got != c.want {
			t.Errorf("If-Range %q: %v", c.ifRange, got)
		}
	}
}

func TestCheckToken(t *testing.T) {
	const secret = "FastDFS1234567890"
	const id = "group1/M00/00/00/wKgBaGdPAQeAVYpWAAAAGL5bpiQ123.txt"
	remote := id[len("group1/"):]
	now := int64(1700000000)
	formula := func(fileID string, ts int64) string {
		s := md5.Sum([]byte(fileID + secret + strconv.FormatInt(ts, 10)))
		return hex.EncodeToString(s[:])
	}
	q := func(tok string, ts int64) []byte { return []byte("token=" + tok + "&ts=" + strconv.FormatInt(ts, 10)) }
	codecTok, _ := codec.Token(remote, secret, now-5)
	for _, c := range []struct {
		name  string
		query []byte
		errno codec.Errno // 0 ok; 255 missing
	}{
		{"module form", q(formula(remote, now-5), now-5), 0},
		{"fdfs_test form", q(formula(id, now-5), now-5), 0},
		{"codec.Token", q(codecTok, now-5), 0},
		{"ts 0 never expires", q(formula(id, 0), 0), 0},
		{"expired", q(formula(id, now-700), now-700), codec.ETIMEDOUT},
		{"wrong secret", q(hex.EncodeToString(make([]byte, 16)), now), codec.EPERM},
		{"upper case", q(strings.ToUpper(formula(id, now)), now), codec.EPERM},
		{"short", q("abc", now), codec.EINVAL},
		{"missing ts", []byte("token=" + formula(id, now)), 255},
		{"missing token", []byte("ts=1"), 255},
	} {
		err := CheckToken(c.query, []byte(id), []byte(remote), secret, 600, now)
		switch {
		case c.errno == 0 && err != nil, c.errno == 255 && !errors.Is(err, ErrTokenMissing):
			t.Errorf("%s: %v", c.name, err)
		case c.errno != 0 && c.errno != 255:
			var ce *codec.Error
			if !errors.As(err, &ce) || ce.Errno != c.errno {
				t.Errorf("%s: %v, want errno %d", c.name, err, c.errno)
			}
		}
	}
	for in, want := range map[string]int64{"123": 123, " 42x": 42, "-7": -7, "": 0, "abc": 0, "99999999999": 1<<31 - 1} {
		if got := atoi32([]byte(in)); got != want {
			t.Errorf("atoi32(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestMimeTypes(t *testing.T) {
	m, err := NewMimeTypes(nil, "")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"a.jpg": "image/jpeg", "A.JPG": "image/jpeg", "x/y.mp4": "video/mp4",
		"noext": DefaultContentType, "a.unknownext": DefaultContentType, "a.": DefaultContentType} {
		if got := m.ByName([]byte(name)); got != want {
			t.Errorf("builtin %s: %s", name, got)
		}
	}
	apache := []byte("# comment\ntext/plain\t\ttxt asc\nimage/jpeg jpeg jpg\nimage/x-other jpg\n\n")
	m, err = NewMimeTypes(apache, "text/x-default")
	if err != nil {
		t.Fatal(err)
	}
	if m.ByName([]byte("a.asc")) != "text/plain" || m.ByName([]byte("a.jpg")) != "image/jpeg" ||
		m.ByName([]byte("a.mp4")) != "text/x-default" || m.Len() != 4 {
		t.Errorf("apache table: %v", m.byExt)
	}
	nginx := []byte("types {\n    text/html  html htm;\n    image/gif gif;\n}\n")
	if m, err = NewMimeTypes(nginx, ""); err != nil || m.ByName([]byte("x.htm")) != "text/html" || m.Len() != 3 {
		t.Errorf("nginx table: %v %v", err, m)
	}
	if _, err := NewMimeTypes([]byte("notatype jpg\n"), ""); err == nil {
		t.Error("bad line accepted")
	}
}

func TestHeadAndMultipart(t *testing.T) {
	h := Head{Status: 206, Minor: 1, Date: AppendHTTPDate(nil, 1700000000), ContentType: "image/png", ContentLength: 10,
		HasRange: true, Range: ByteRange{10, 10}, Size: 100, LastModified: 1600000000,
		ETag: []byte(`"a-b"`), AcceptRanges: true, KeepAlive: true}
	got := string(h.Append(nil))
	want := "HTTP/1.1 206 Partial Content\r\nServer: gofdfs\r\nDate: Tue, 14 Nov 2023 22:13:20 GMT\r\n" +
		"Content-Type: image/png\r\nContent-Length: 10\r\nContent-Range: bytes 10-19/100\r\n" +
		"Last-Modified: Sun, 13 Sep 2020 12:26:40 GMT\r\nETag: \"a-b\"\r\nAccept-Ranges: bytes\r\n\r\n"
	if got != want {
		t.Errorf("head:\n%q\nwant\n%q", got, want)
	}
	h = Head{Status: 416, Minor: 0, Unsatisfied: true, Size: 5, ContentLength: 0, KeepAlive: true}
	if got := string(h.Append(nil)); !strings.Contains(got, "Content-Range: bytes */5\r\n") ||
		!strings.Contains(got, "Connection: keep-alive\r\n") {
		t.Errorf("416 head %q", got)
	}
	h = Head{Status: 304, ContentLength: -1}
	if got := string(h.Append(nil)); strings.Contains(got, "Content-Length") || !strings.Contains(got, "Connection: close") {
		t.Errorf("304 head %q", got)
	}

	// A multipart body laid out by Multipart is what mime/multipart reads,
	// and ContentLength counts it exactly.
	data := []byte(strings.Repeat("0123456789", 10))
	mp := Multipart{Boundary: AppendBoundary(nil, 0xdeadbeef), ContentType: "text/plain", Size: int64(len(data))}
	ranges := []ByteRange{{0, 5}, {50, 10}, {99, 1}}
	var body []byte
	for _, r := range ranges {
		body = mp.AppendPartHead(body, r)
		body = append(body, data[r.Start:r.Start+r.Length]...)
	}
	body = mp.AppendTail(body)
	if int64(len(body)) != mp.ContentLength(ranges) {
		t.Errorf("ContentLength %d, body %d", mp.ContentLength(ranges), len(body))
	}
	mr := multipart.NewReader(bytes.NewReader(body), string(mp.Boundary))
	for i, r := range ranges {
		p, err := mr.NextPart()
		if err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		b, _ := io.ReadAll(p)
		if !bytes.Equal(b, data[r.Start:r.Start+r.Length]) ||
			p.Header.Get("Content-Range") != fmt.Sprintf("bytes %d-%d/100", r.Start, r.End()) {
			t.Errorf("part %d: %q %q", i, b, p.Header.Get("Content-Range"))
		}
	}
	if _, err := mr.NextPart(); err != io.EOF {
		t.Errorf("after the last part: %v", err)
	}
}

func TestAccessLine(t *testing.T) {
	var r Request
	ParseRequest([]byte("GET /a\"b?x=1 HTTP/1.1\r\nReferer: http://r/\r\nUser-Agent: ua\x7f\r\n\r\n"), &r)
	at := time.Date(2026, 11, 22, 1, 10, 23, 0, time.UTC)
	got := string(AppendAccessLine(nil, "127.0.0.1", at, &r, 200, 4096))
	want := `127.0.0.1 - - [22/Nov/2026:01:10:23 +0000] "GET /a\x22b?x=1 HTTP/1.1" 200 4096 "http://r/" "ua\x7F"` + "\n"
	if got != want {
		t.Errorf("line\n%s\nwant\n%s", got, want)
	}
	if got := string(AppendAccessLine(nil, "", at, &Request{}, 400, 0)); !strings.HasPrefix(got, `- - - [`) ||
		!strings.Contains(got, `] "-" 400 0 "-" "-"`) {
		t.Errorf("bad request line %q", got)
	}
}

// The per-request path allocates nothing: parsing, query, path, ranges,
// validators, token, MIME lookup, head, access line.
func TestHotPathAllocs(t *testing.T) {
	tok, _ := codec.Token("M00/00/00/wKgBaGdPAQeAVYpWAAAAGL5bpiQ123.jpg", "secret", 1700000000)
	in := []byte("GET /group1/M00/00/00/wKgBaGdPAQeAVYpWAAAAGL5bpiQ123.jpg?token=" + tok + "&ts=1700000000 HTTP/1.1\r\n" +
		"Host: 127.0.0.1\r\nUser-Agent: wrk\r\nRange: bytes=0-99,200-\r\nIf-None-Match: \"x\"\r\nIf-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT\r\n\r\n")
	m, _ := NewMimeTypes(nil, "")
	var r Request
	var ranges [MaxRanges]ByteRange
	out := make([]byte, 0, 4096)
	etag := make([]byte, 0, 64)
	now := time.Now()
	var dates DateCache
	dates.Get(now)
	allocs := testing.AllocsPerRun(200, func() {
		if n, err := ParseRequest(in, &r); n == 0 || err != nil {
			t.Fatal(n, err)
		}
		g, rem, _ := FilePath(r.Path, true)
		if err := CheckToken(r.Query, g, rem, "secret", 600, 1700000000); err != nil {
			t.Fatal(err)
		}
		ct := m.ByName(rem)
		etag = AppendETag(etag[:0], 1700000000, 4096, 0xabcdef)
		_ = NotModified(&r, etag, 1700000000)
		_ = RangeApplies(&r, etag, 1700000000)
		rs, _ := ParseRanges(r.Range, 4096, ranges[:0])
		h := Head{Status: 206, Date: dates.Get(now), ContentType: ct, ContentLength: 100, HasRange: true,
			Range: rs[0], Size: 4096, LastModified: 1700000000, ETag: etag, KeepAlive: true, AcceptRanges: true}
		out = h.Append(out[:0])
		out = AppendAccessLine(out[:0], "127.0.0.1", now, &r, 206, 100)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per request", allocs)
	}
}

func BenchmarkParseRequest(b *testing.B) {
	in := []byte("GET /group1/M00/00/00/wKgBaGdPAQeAVYpWAAAAGL5bpiQ123.jpg HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n" +
		"User-Agent: Mozilla/5.0\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n")
	var r Request
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if n, err := ParseRequest(in, &r); n == 0 || err != nil {
			b.Fatal(n, err)
		}
	}
}

func BenchmarkHead(b *testing.B) {
	h := Head{Status: 200, Date: AppendHTTPDate(nil, 1700000000), ContentType: "image/jpeg", ContentLength: 4096,
		LastModified: 1700000000, ETag: []byte(`"6553f100-1000-abcdef"`), KeepAlive: true, AcceptRanges: true}
	out := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		out = h.Append(out[:0])
	}
}

func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{"GET / HTTP/1.1\r\nHost: h\r\n\r\n", "HEAD /a?b HTTP/1.0\r\nRange: bytes=0-1\r\n\r\n",
		"GET http://h/x HTTP/1.1\nHost: h\nA: b\n\n", "\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Request
		n, err := ParseRequest(b, &r)
		if err == nil && n > 0 {
			if n > len(b) || len(r.Path) == 0 || r.Path[0] != '/' {
				t.Fatalf("n %d path %q", n, r.Path)
			}
			var buf [MaxRanges]ByteRange
			rs, res := ParseRanges(r.Range, 12345, buf[:0])
			for _, x := range rs {
				if res != RangePartial || x.Start < 0 || x.Length <= 0 || x.End() >= 12345 {
					t.Fatalf("range %v res %v from %q", x, res, r.Range)
				}
			}
		}
	})
}

func TestDateCache(t *testing.T) {
	var d DateCache
	t0 := time.Unix(1700000000, 0)
	a := d.Get(t0)
	if string(a) != "Tue, 14 Nov 2023 22:13:20 GMT" || &d.Get(t0.Add(500 * time.Millisecond))[0] != &a[0] {
		t.Errorf("same second: %s", a)
	}
	if b := d.Get(t0.Add(time.Second)); string(b) != "Tue, 14 Nov 2023 22:13:21 GMT" || string(a) != "Tue, 14 Nov 2023 22:13:20 GMT" {
		t.Errorf("next second: %s (old %s)", b, a)
	}
}

func TestAttachment(t *testing.T) {
	for _, c := range []struct {
		raw, want string
		ok        bool
	}{
		{"photo.jpg", `attachment; filename="photo.jpg"`, true},
		{"my+%22best%22+photo.jpg", `attachment; filename="my \"best\" photo.jpg"`, true},
		{"%E7%85%A7%E7%89%87.jpg", `attachment; filename="______.jpg"; filename*=UTF-8''%E7%85%A7%E7%89%87.jpg`, true},
		{"a%0d%0aSet-Cookie:x", "", false},
		{"", "", false},
		{"bad%zz", `attachment; filename="bad%zz"`, true},
	} {
		name, ok := AppendAttachmentName(nil, []byte(c.raw))
		if ok != c.ok {
			t.Errorf("%q: ok %v", c.raw, ok)
			continue
		}
		if ok {
			h := Head{Status: 200, ContentLength: 0, Attachment: name}
			got := string(h.Append(nil))
			if !strings.Contains(got, "\r\nContent-Disposition: "+c.want+"\r\n") {
				t.Errorf("%q: %q", c.raw, got)
			}
		}
	}
}
