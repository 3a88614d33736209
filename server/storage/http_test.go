package storage

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
)

// httpEnv is a storage with HTTP on, a fake tracker and a client.
type httpEnv struct {
	*env
	base string // "http://127.0.0.1:PORT"
	hc   *http.Client
}

func newHTTPEnv(t *testing.T, extra string, opts ...Option) *httpEnv {
	t.Helper()
	dir := t.TempDir()
	e := &env{t: t, dir: dir, cfg: testConf(t, dir, 1, "http.server_port=8080\n"+extra)}
	e.srv = startServer(t, e.cfg, append([]Option{WithHTTPListenAddr("127.0.0.1:0")}, opts...)...)
	tr := fakeTracker(t, func() string { return e.srv.Addr().String() })
	cli, err := client.New(client.Config{Trackers: []string{tr}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	e.cli = cli
	tp := &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true}
	t.Cleanup(tp.CloseIdleConnections)
	return &httpEnv{env: e, base: "http://" + e.srv.HTTPAddr().String(), hc: &http.Client{Transport: tp,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// get sends method to url with header pairs and returns the response and
// its whole body.
func (h *httpEnv) do(method, url string, hdr ...string) (*http.Response, []byte) {
	h.t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := h.hc.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("%s %s: body: %v", method, url, err)
	}
	return resp, b
}

func wantStatus(t *testing.T, resp *http.Response, code int) {
	t.Helper()
	if resp.StatusCode != code {
		t.Fatalf("%s %s: status %d, want %d (headers %v)", resp.Request.Method, resp.Request.URL, resp.StatusCode, code, resp.Header)
	}
}

func TestHTTPGetHeadKeepAlive(t *testing.T) {
	h := newHTTPEnv(t, "")
	small := randBytes(1, 4096)
	big := randBytes(2, 1<<20)
	idSmall := h.upload(small, "jpg")
	idBig := h.upload(big, "mp4")
	idNoExt := h.upload(randBytes(3, 100), "")

	for _, c := range []struct {
		id    string
		data  []byte
		ctype string
	}{{idSmall, small, "image/jpeg"}, {idBig, big, "video/mp4"}, {idNoExt, randBytes(3, 100), "application/octet-stream"}} {
		resp, body := h.do("GET", h.base+"/"+c.id)
		wantStatus(t, resp, 200)
		if !bytes.Equal(body, c.data) {
			t.Fatalf("GET %s: %d bytes, content differs", c.id, len(body))
		}
		if got := resp.Header.Get("Content-Type"); got != c.ctype {
			t.Errorf("GET %s: Content-Type %q, want %q", c.id, got, c.ctype)
		}
		if resp.ContentLength != int64(len(c.data)) || resp.Header.Get("Accept-Ranges") != "bytes" {
			t.Errorf("GET %s: Content-Length %d, Accept-Ranges %q", c.id, resp.ContentLength, resp.Header.Get("Accept-Ranges"))
		}
		etag, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
		if !strings.HasPrefix(etag, `"`) || lm == "" {
			t.Errorf("GET %s: ETag %q Last-Modified %q", c.id, etag, lm)
		}
		// The creation time in the name is the Last-Modified of a normal file.
		_, remote, _ := codec.SplitFileID([]byte(c.id))
		rf, _ := codec.ParseRemoteFilename(remote, 1)
		f, _ := rf.Fields()
		if want := time.Unix(int64(f.Timestamp), 0).UTC().Format(http.TimeFormat); lm != want {
			t.Errorf("Last-Modified %q, want %q (creation time from the name)", lm, want)
		}
		hresp, hbody := h.do("HEAD", h.base+"/"+c.id)
		wantStatus(t, hresp, 200)
		if len(hbody) != 0 || hresp.ContentLength != int64(len(c.data)) || hresp.Header.Get("ETag") != etag {
			t.Errorf("HEAD %s: %d body bytes, Content-Length %d, ETag %q", c.id, len(hbody), hresp.ContentLength, hresp.Header.Get("ETag"))
		}
	}
	hs := h.srv.http
	if hs.Counters().WorkerSends == 0 || hs.Counters().LoopReads == 0 {
		t.Errorf("worker sends %d, loop reads %d: want both paths taken", hs.Counters().WorkerSends, hs.Counters().LoopReads)
	}

	// ?filename= names the download, as with the nginx module.
	resp, _ := h.do("HEAD", h.base+"/"+idSmall+"?filename=holiday+photo.jpg")
	if got := resp.Header.Get("Content-Disposition"); got != `attachment; filename="holiday photo.jpg"` {
		t.Errorf("Content-Disposition %q", got)
	}

	// Keep-alive: a run of requests, small and large, on one connection.
	var reused, fresh int
	trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) {
		if i.Reused {
			reused++
		} else {
			fresh++
		}
	}}
	for i := range 10 {
		id := idSmall
		if i%3 == 0 {
			id = idBig
		}
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", h.base+"/"+id, nil)
		resp, err := h.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if fresh > 1 || reused < 9 {
		t.Errorf("keep-alive: %d new connections, %d reused", fresh, reused)
	}
}

func TestHTTPRanges(t *testing.T) {
	h := newHTTPEnv(t, "")
	data := randBytes(4, 300000) // beyond the page-cache limit: whole-file ranges go to the worker
	id := h.upload(data, "png")
	url := h.base + "/" + id
	size := int64(len(data))
	single := []struct {
		spec       string
		start, end int64
	}{
		{"bytes=0-99", 0, 99},
		{"bytes=100-", 100, size - 1},
		{"bytes=-500", size - 500, size - 1},
		{"bytes=299990-400000", 299990, size - 1},
		{"bytes=0-0", 0, 0},
		{"bytes=1000-200000", 1000, 200000},
	}
	for _, c := range single {
		resp, body := h.do("GET", url, "Range", c.spec)
		wantStatus(t, resp, 206)
		wantCR := fmt.Sprintf("bytes %d-%d/%d", c.start, c.end, size)
		if resp.Header.Get("Content-Range") != wantCR || !bytes.Equal(body, data[c.start:c.end+1]) {
			t.Errorf("%s: Content-Range %q (want %q), %d bytes", c.spec, resp.Header.Get("Content-Range"), wantCR, len(body))
		}
	}

	// Several ranges: multipart/byteranges, small (loop) and large (worker).
	for _, spec := range []string{"bytes=0-9,20-29,-5", "bytes=0-99999,200000-299999"} {
		resp, body := h.do("GET", url, "Range", spec)
		wantStatus(t, resp, 206)
		mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		if err != nil || mt != "multipart/byteranges" {
			t.Fatalf("%s: Content-Type %q", spec, resp.Header.Get("Content-Type"))
		}
		if resp.ContentLength != int64(len(body)) {
			t.Errorf("%s: Content-Length %d, body %d", spec, resp.ContentLength, len(body))
		}
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		parts := 0
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: part %d: %v", spec, parts, err)
			}
			var a, b, n int64
			if _, err := fmt.Sscanf(p.Header.Get("Content-Range"), "bytes %d-%d/%d", &a, &b, &n); err != nil || n != size {
				t.Fatalf("%s: part Content-Range %q", spec, p.Header.Get("Content-Range"))
			}
			got, _ := io.ReadAll(p)
			if !bytes.Equal(got, data[a:b+1]) || p.Header.Get("Content-Type") != "image/png" {
				t.Errorf("%s: part %d-%d: %d bytes, type %q", spec, a, b, len(got), p.Header.Get("Content-Type"))
			}
			parts++
		}
		if want := strings.Count(spec, ",") + 1; parts != want {
			t.Errorf("%s: %d parts, want %d", spec, parts, want)
		}
	}

	// Unsatisfiable: 416 with the size; a malformed header is ignored.
	resp, _ := h.do("GET", url, "Range", "bytes=400000-")
	wantStatus(t, resp, 416)
	if got := resp.Header.Get("Content-Range"); got != fmt.Sprintf("bytes */%d", size) {
		t.Errorf("416 Content-Range %q", got)
	}
	resp, body := h.do("GET", url, "Range", "bytes=a-b")
	wantStatus(t, resp, 200)
	if len(body) != len(data) {
		t.Errorf("malformed Range: %d bytes", len(body))
	}
	// HEAD with a range: the head of the 206, no body.
	resp, body = h.do("HEAD", url, "Range", "bytes=10-19")
	wantStatus(t, resp, 206)
	if len(body) != 0 || resp.ContentLength != 10 {
		t.Errorf("HEAD range: %d bytes, Content-Length %d", len(body), resp.ContentLength)
	}
}

func TestHTTPConditional(t *testing.T) {
	h := newHTTPEnv(t, "")
	data := randBytes(6, 5000)
	id := h.upload(data, "gif")
	url := h.base + "/" + id
	resp, _ := h.do("GET", url)
	etag, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")

	resp, body := h.do("GET", url, "If-None-Match", etag)
	wantStatus(t, resp, 304)
	if len(body) != 0 || resp.Header.Get("ETag") != etag {
		t.Errorf("304: %d bytes, ETag %q", len(body), resp.Header.Get("ETag"))
	}
	resp, _ = h.do("GET", url, "If-None-Match", `"other", `+etag)
	wantStatus(t, resp, 304)
	resp, _ = h.do("GET", url, "If-None-Match", `"other"`, "If-Modified-Since", lm)
	wantStatus(t, resp, 200) // If-None-Match decides when present
	resp, _ = h.do("GET", url, "If-Modified-Since", lm)
	wantStatus(t, resp, 304)
	later := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
	resp, _ = h.do("HEAD", url, "If-Modified-Since", later)
	wantStatus(t, resp, 304)
	earlier := time.Unix(1000, 0).UTC().Format(http.TimeFormat)
	resp, _ = h.do("GET", url, "If-Modified-Since", earlier)
	wantStatus(t, resp, 200)

	// If-Range: the range only while the validator matches.
	resp, body = h.do("GET", url, "Range", "bytes=0-9", "If-Range", etag)
	wantStatus(t, resp, 206)
	resp, body = h.do("GET", url, "Range", "bytes=0-9", "If-Range", `"stale"`)
	wantStatus(t, resp, 200)
	if len(body) != len(data) {
		t.Errorf("If-Range mismatch: %d bytes", len(body))
	}
	resp, _ = h.do("GET", url, "Range", "bytes=0-9", "If-Range", lm)
	wantStatus(t, resp, 206)

	// An appender file changes: its validators are mtime and size.
	aid, err := h.cli.UploadAppender(context.Background(), bytes.NewReader(data), int64(len(data)), "bin")
	if err != nil {
		t.Fatal(err)
	}
	resp, _ = h.do("GET", h.base+"/"+aid)
	wantStatus(t, resp, 200)
	etag1 := resp.Header.Get("ETag")
	if err := h.cli.Append(context.Background(), aid, bytes.NewReader([]byte("more")), 4); err != nil {
		t.Fatal(err)
	}
	resp, body = h.do("GET", h.base+"/"+aid, "If-None-Match", etag1)
	wantStatus(t, resp, 200)
	if len(body) != len(data)+4 || resp.Header.Get("ETag") == etag1 {
		t.Errorf("appender after append: %d bytes, ETag %q (was %q)", len(body), resp.Header.Get("ETag"), etag1)
	}
}

func TestHTTPWithoutGroupName(t *testing.T) {
	h := newHTTPEnv(t, "http.url_have_group_name=false\n")
	data := randBytes(7, 2000)
	id := h.upload(data, "jpg")
	remote := strings.TrimPrefix(id, testGroup+"/")
	resp, body := h.do("GET", h.base+"/"+remote)
	wantStatus(t, resp, 200)
	if !bytes.Equal(body, data) {
		t.Fatal("content differs")
	}
	resp, _ = h.do("GET", h.base+"/"+id)
	if resp.StatusCode == 200 {
		t.Errorf("with url_have_group_name=false, /group1/M00/... answered 200")
	}
	if body, _ := curl(t, h.base+"/"+remote); !bytes.Equal(body, data) {
		t.Errorf("curl without group: %d bytes", len(body))
	}
}

func TestHTTPBadRequests(t *testing.T) {
	h := newHTTPEnv(t, "")
	id := h.upload(randBytes(8, 100), "txt")
	_, remote, _ := codec.SplitFileID([]byte(id))
	for _, c := range []struct {
		path string
		code int
	}{
		{"/", 404},
		{"/favicon.ico", 404},
		{"/group1/M00/00/00/../../../../etc/passwd", 400},
		{"/group1/M00/00/00/.hidden", 400},
		{"/group1/M05/00/00/" + string(remote[10:]), 400}, // store path 5 of 1
		{"/group1/M00/0a/00/" + string(remote[10:]), 400}, // lower-case dir
		{"/group1/M00/00/03/" + string(remote[10:]), 404}, // a valid name that is not there (our own)
		{"/group1/M00/00/00/%2e%2e", 404},
	} {
		resp, _ := h.do("GET", h.base+c.path)
		if resp.StatusCode != c.code {
			t.Errorf("GET %s: %d, want %d", c.path, resp.StatusCode, c.code)
		}
	}
	resp, _ := h.do("POST", h.base+"/"+id)
	wantStatus(t, resp, 405)
	if resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("405 Allow %q", resp.Header.Get("Allow"))
	}
	resp, _ = h.do("DELETE", h.base+"/"+id)
	wantStatus(t, resp, 405)

	// Raw requests: garbage, an oversized head, a body; each gets its
	// status and a closed connection, and the server serves on.
	addr := h.srv.HTTPAddr().String()
	for _, c := range []struct {
		req  string
		code int
	}{
		{"NOT HTTP\r\n\r\n", 400},
		{"GET /" + id + " HTTP/1.1\r\n\r\n", 400}, // HTTP/1.1 without Host
		{"GET /x HTTP/2.0\r\n\r\n", 505},
		{"GET /x HTTP/1.1\r\nX: " + strings.Repeat("a", 9000) + "\r\n\r\n", 431},
		{"GET /" + id + " HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 413},
		{"GET /" + id + " HTTP/1.1\r\n Folded: x\r\n\r\n", 400},
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		conn.Write([]byte(c.req))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%q: %v", c.req[:min(len(c.req), 30)], err)
		}
		io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != c.code || !resp.Close {
			t.Errorf("%q: status %d close %v, want %d and close", c.req[:min(len(c.req), 30)], resp.StatusCode, resp.Close, c.code)
		}
		conn.Close()
	}
	resp, _ = h.do("GET", h.base+"/"+id)
	wantStatus(t, resp, 200)
	for path, code := range map[string]string{"/group1/M00/00/00/../../../../etc/passwd": "400", "/group1/M05/00/00/" + string(remote[10:]): "400"} {
		if out, _ := curl(t, "--path-as-is", "-o", "/dev/null", "-w", "%{http_code}", h.base+path); string(out) != code {
			t.Errorf("curl %s: %s, want %s", path, out, code)
		}
	}
}

// TestHTTPPipelining sends several requests in one write and reads the
// answers in order; HTTP/1.0 without keep-alive is closed after its answer.
func TestHTTPPipelining(t *testing.T) {
	h := newHTTPEnv(t, "")
	small := randBytes(9, 3000)
	big := randBytes(10, 500000)
	ids := []string{h.upload(small, "txt"), h.upload(big, "bin")}
	conn, err := net.Dial("tcp", h.srv.HTTPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	var req bytes.Buffer
	order := []int{0, 1, 0, 1, 0}
	for _, i := range order {
		fmt.Fprintf(&req, "GET /%s HTTP/1.1\r\nHost: x\r\n\r\n", ids[i])
	}
	conn.Write(req.Bytes())
	br := bufio.NewReader(conn)
	for n, i := range order {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("answer %d: %v", n, err)
		}
		b, _ := io.ReadAll(resp.Body)
		want := small
		if i == 1 {
			want = big
		}
		if resp.StatusCode != 200 || !bytes.Equal(b, want) {
			t.Fatalf("answer %d: status %d, %d bytes", n, resp.StatusCode, len(b))
		}
	}
	c2, err := net.Dial("tcp", h.srv.HTTPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	c2.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c2, "GET /%s HTTP/1.0\r\n\r\n", ids[0])
	all, err := io.ReadAll(c2) // ends only if the server closes
	if err != nil || !bytes.HasSuffix(all, small) || !bytes.Contains(all, []byte("Connection: close")) {
		t.Errorf("HTTP/1.0: %v, %d bytes", err, len(all))
	}
}

// tokenFormula is client.md §9 written out: md5(file id ‖ secret ‖ ts).
func tokenFormula(fileID, secret string, ts int64) string {
	sum := md5.Sum([]byte(fileID + secret + strconv.FormatInt(ts, 10)))
	return hex.EncodeToString(sum[:])
}

func TestHTTPAntiStealToken(t *testing.T) {
	const secret = "FastDFS1234567890"
	dir := t.TempDir()
	fail := filepath.Join(dir, "anti-steal.jpg")
	failData := []byte("\xff\xd8\xff not your file")
	if err := os.WriteFile(fail, failData, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, withFail := range []bool{false, true} {
		extra := "http.anti_steal.check_token=true\nhttp.anti_steal.token_ttl=900\nhttp.anti_steal.secret_key=" + secret + "\n"
		if withFail {
			extra += "http.anti_steal.token_check_fail=" + fail + "\n"
		}
		h := newHTTPEnv(t, extra)
		data := randBytes(11, 7000)
		id := h.upload(data, "jpg")
		remote := strings.TrimPrefix(id, testGroup+"/")
		now := time.Now()

		// Our client library, over the file ID with the group (fdfs_test's form).
		q, err := client.HTTPTokenQuery(id, secret, now)
		if err != nil {
			t.Fatal(err)
		}
		resp, body := h.do("GET", h.base+"/"+id+"?"+q)
		wantStatus(t, resp, 200)
		if !bytes.Equal(body, data) {
			t.Fatal("token by client library: content differs")
		}
		// The formula of client.md §9, over the name without the group (the nginx module's form).
		ts := now.Unix()
		resp, body = h.do("GET", fmt.Sprintf("%s/%s?token=%s&ts=%d", h.base, id, tokenFormula(remote, secret, ts), ts))
		wantStatus(t, resp, 200)
		if !bytes.Equal(body, data) {
			t.Fatal("token by formula: content differs")
		}
		// Refused: wrong secret, expired, wrong length; missing is always 400.
		refused := []string{
			fmt.Sprintf("token=%s&ts=%d", tokenFormula(id, "other", ts), ts),
			fmt.Sprintf("token=%s&ts=%d", tokenFormula(id, secret, ts-901), ts-901),
			fmt.Sprintf("token=%s&ts=%d", tokenFormula(id, secret, ts)[:31], ts),
			fmt.Sprintf("token=%s&ts=%d", tokenFormula(id, secret, ts), ts+1),
		}
		for _, q := range refused {
			resp, body := h.do("GET", h.base+"/"+id+"?"+q)
			if withFail {
				wantStatus(t, resp, 200)
				if !bytes.Equal(body, failData) || resp.Header.Get("Content-Type") != "image/jpeg" {
					t.Errorf("%s: token_check_fail answer %q type %q", q, body, resp.Header.Get("Content-Type"))
				}
				if haveCurl() {
					if body, _ := curl(t, h.base+"/"+id+"?"+q); !bytes.Equal(body, failData) {
						t.Errorf("curl %s: token_check_fail answer %q", q, body)
					}
				}
			} else {
				wantStatus(t, resp, 400)
			}
		}
		for _, q := range []string{"", "?token=abc", fmt.Sprintf("?ts=%d", ts)} {
			resp, _ := h.do("GET", h.base+"/"+id+q)
			wantStatus(t, resp, 400)
		}
		want := int64(7)
		if withFail && haveCurl() {
			want += 4 // the curl requests
		}
		if n := h.srv.http.Counters().TokenFails; n != want {
			t.Errorf("token fails counted %d, want %d", n, want)
		}
	}
}

// TestHTTPRedirectAndProxy runs three storages of one group on 127.0.9.2-4
// sharing a binary and an HTTP port: a file uploaded to .2 is asked for on
// .3 (redirect mode) and .4 (proxy mode), which do not have it.
func TestHTTPRedirectAndProxy(t *testing.T) {
	port := freeTCPPort(t, "127.0.9.2")
	hport := freeTCPPort(t, "127.0.9.2")
	start := func(ip, extra string) *Server {
		dir := t.TempDir()
		cfg := testConf(t, dir, 1, fmt.Sprintf("http.server_port=%d\n%s", hport, extra))
		return startServer(t, cfg, WithListenAddr(fmt.Sprintf("%s:%d", ip, port)),
			WithHTTPListenAddr(fmt.Sprintf("%s:%d", ip, hport)), WithSourceIP(netip.MustParseAddr(ip)))
	}
	src := start("127.0.9.2", "")
	redir := start("127.0.9.3", "http.response_mode=redirect\n")
	proxy := start("127.0.9.4", "http.response_mode=proxy\n")
	stale := start("127.0.9.5", "http.storage_sync_file_max_delay=1\n")
	tr := fakeTracker(t, func() string { return src.Addr().String() })
	cli, err := client.New(client.Config{Trackers: []string{tr}})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	data := randBytes(12, 200000)
	id, err := cli.Upload(context.Background(), bytes.NewReader(data), int64(len(data)), "jpg")
	if err != nil {
		t.Fatal(err)
	}
	h := &httpEnv{env: &env{t: t}, hc: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
	url := func(s *Server) string { return "http://" + s.HTTPAddr().String() + "/" + id }

	resp, body := h.do("GET", url(redir)+"?x=1")
	wantStatus(t, resp, 302)
	want := fmt.Sprintf("http://127.0.9.2:%d/%s?x=1&redirect=1", hport, id)
	if loc := resp.Header.Get("Location"); loc != want {
		t.Fatalf("Location %q, want %q", loc, want)
	}
	resp, body = h.do("GET", resp.Header.Get("Location"))
	wantStatus(t, resp, 200)
	if !bytes.Equal(body, data) {
		t.Fatal("redirect target: content differs")
	}
	// The mark stops a second bounce.
	resp, _ = h.do("GET", url(redir)+"?redirect=1")
	wantStatus(t, resp, 404)

	// Proxy: whole, HEAD, ranges, conditional, all passed through.
	resp, body = h.do("GET", url(proxy))
	wantStatus(t, resp, 200)
	if !bytes.Equal(body, data) || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("proxy: %d bytes, type %q", len(body), resp.Header.Get("Content-Type"))
	}
	etag := resp.Header.Get("ETag")
	direct, _ := h.do("GET", url(src))
	if direct.Header.Get("ETag") != etag || direct.Header.Get("Last-Modified") != resp.Header.Get("Last-Modified") {
		t.Errorf("validators differ: proxy %q, source %q", etag, direct.Header.Get("ETag"))
	}
	resp, body = h.do("GET", url(proxy), "Range", "bytes=100-199")
	wantStatus(t, resp, 206)
	if !bytes.Equal(body, data[100:200]) {
		t.Error("proxy range: content differs")
	}
	resp, body = h.do("GET", url(proxy), "Range", "bytes=0-4,-5")
	wantStatus(t, resp, 206)
	if !bytes.Contains(body, data[:5]) || !bytes.Contains(body, data[len(data)-5:]) {
		t.Error("proxy multipart: ranges missing")
	}
	resp, body = h.do("HEAD", url(proxy))
	wantStatus(t, resp, 200)
	if len(body) != 0 || resp.ContentLength != int64(len(data)) {
		t.Errorf("proxy HEAD: %d bytes, Content-Length %d", len(body), resp.ContentLength)
	}
	resp, _ = h.do("GET", url(proxy), "If-None-Match", etag)
	wantStatus(t, resp, 304)
	// A name that the source does not have either: the source's 404.
	_, remote, _ := codec.SplitFileID([]byte(id))
	missing := strings.Replace(url(proxy), string(remote[len(remote)-7:]), "0000000.jpg"[:7], 1)
	if missing != url(proxy) {
		resp, _ = h.do("GET", missing)
		wantStatus(t, resp, 404)
	}
	if proxy.http.Counters().Proxied == 0 || redir.http.Counters().Redirects == 0 {
		t.Error("counters: no proxied or redirected request counted")
	}

	// Older than storage_sync_file_max_delay: it will not come, 404.
	time.Sleep(2100 * time.Millisecond)
	resp, _ = h.do("GET", url(stale))
	wantStatus(t, resp, 404)
	// A file whose source is the storage asked: 404, no bounce to itself.
	resp, _ = h.do("GET", "http://"+src.HTTPAddr().String()+"/"+strings.Replace(id, "/00/00/", "/00/01/", 1))
	wantStatus(t, resp, 404)
}

func TestHTTPAccessLogAndStatus(t *testing.T) {
	h := newHTTPEnv(t, "http.access_log=true\n")
	id := h.upload(randBytes(13, 1234), "txt")
	h.do("GET", h.base+"/"+id, "User-Agent", `agent "quoted"`, "Referer", "http://example/")
	h.do("HEAD", h.base+"/"+id)
	h.do("GET", h.base+"/nothing")
	resp, body := h.do("GET", h.base+"/status")
	wantStatus(t, resp, 200)
	var st struct {
		Group   string           `json:"group"`
		Storage map[string]int64 `json:"storage"`
		HTTP    map[string]int64 `json:"http"`
	}
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatalf("status: %v\n%s", err, body)
	}
	if st.Group != testGroup || st.Storage["success_upload_count"] != 1 || st.HTTP["requests"] != 3 ||
		st.HTTP["status_2xx"] != 2 || st.HTTP["status_4xx"] != 1 || st.HTTP["body_bytes"] != 1234 {
		t.Errorf("status: %s", body)
	}
	logPath := filepath.Join(h.dir, "logs", "http_access.log")
	var lines []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		b, _ := os.ReadFile(logPath)
		if lines = strings.Split(strings.TrimSuffix(string(b), "\n"), "\n"); len(lines) >= 4 {
			break
		}
	}
	if len(lines) < 4 {
		t.Fatalf("access log has %d lines: %q", len(lines), lines)
	}
	wantPrefix := []string{
		`127.0.0.1 - - [`, `] "GET /` + id + ` HTTP/1.1" 200 1234 "http://example/" "agent \x22quoted\x22"`,
	}
	if !strings.HasPrefix(lines[0], wantPrefix[0]) || !strings.HasSuffix(lines[0], wantPrefix[1]) {
		t.Errorf("line 1: %q", lines[0])
	}
	if !strings.Contains(lines[1], `"HEAD /`+id+` HTTP/1.1" 200 0 "-" "Go-http-client/1.1"`) ||
		!strings.Contains(lines[2], `"GET /nothing HTTP/1.1" 404 `) {
		t.Errorf("lines 2-3: %q", lines[1:3])
	}
}

// TestHTTPStartErrors: a taken HTTP port fails Start (and leaves nothing
// running); the listen override without http.server_port fails New.
func TestHTTPStartErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := t.TempDir()
	cfg := testConf(t, dir, 1, "http.server_port=8080\n")
	s, err := New(cfg, WithListenAddr("127.0.0.1:0"), WithHTTPListenAddr(ln.Addr().String()),
		WithLogger(quietLogger()), WithReporting(false), WithMulticore(false))
	if err != nil {
		t.Fatal(err)
	}
	err = s.Start()
	if err == nil || !strings.Contains(err.Error(), "http listen") {
		t.Fatalf("Start with the HTTP port taken: %v", err)
	}
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		t.Fatal("storage still running after a failed Start")
	}
	if _, err := New(testConf(t, t.TempDir(), 1, ""), WithHTTPListenAddr("127.0.0.1:0")); err == nil {
		t.Error("WithHTTPListenAddr without http.server_port accepted")
	}
	cfg = testConf(t, t.TempDir(), 1, "http.server_port=8080\nhttp.mime_types_filename=/nonexistent/mime.types\n")
	if _, err := New(cfg, WithHTTPListenAddr("127.0.0.1:0")); err == nil || !strings.Contains(err.Error(), "mime_types") {
		t.Errorf("missing mime.types: %v", err)
	}
}
