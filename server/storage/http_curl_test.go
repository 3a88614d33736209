package storage

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
)

func haveCurl() bool {
	_, err := exec.LookPath("curl")
	return err == nil
}

// curl runs curl with args and returns its stdout and stderr; the test is
// skipped when curl is not installed (.ci/run installs it).
func curl(t *testing.T, args ...string) ([]byte, string) {
	t.Helper()
	path, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not installed: the curl client tests need it (apt-get install curl)")
	}
	var out, errb bytes.Buffer
	cmd := exec.Command(path, append([]string{"-sS", "--max-time", "20"}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("curl %v: %v\n%s", args, err, errb.String())
	}
	return out.Bytes(), errb.String()
}

// TestHTTPCurl drives the cases of the net/http tests with curl.
func TestHTTPCurl(t *testing.T) {
	const secret = "curlsecret"
	h := newHTTPEnv(t, "http.anti_steal.check_token=true\nhttp.anti_steal.secret_key="+secret+"\n")
	data := randBytes(30, 300000)
	id := h.upload(data, "jpg")
	q, err := client.HTTPTokenQuery(id, secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	url := h.base + "/" + id + "?" + q
	ts := time.Now().Unix()
	remote := strings.TrimPrefix(id, testGroup+"/")
	formulaURL := fmt.Sprintf("%s/%s?token=%s&ts=%d", h.base, id, tokenFormula(remote, secret, ts), ts)

	// GET (token by the client library) and GET (token by the formula).
	for _, u := range []string{url, formulaURL} {
		body, _ := curl(t, u)
		if !bytes.Equal(body, data) {
			t.Fatalf("curl GET %s: %d bytes, content differs", u, len(body))
		}
	}
	// A wrong token, and none: 400 (no token_check_fail file).
	out, _ := curl(t, "-o", "/dev/null", "-w", "%{http_code}", h.base+"/"+id+"?token="+strings.Repeat("0", 32)+"&ts=0")
	if string(out) != "400" {
		t.Errorf("wrong token: %s", out)
	}
	// HEAD.
	out, _ = curl(t, "-I", url)
	head := string(out)
	if !strings.HasPrefix(head, "HTTP/1.1 200 OK\r\n") || !strings.Contains(head, "Content-Length: 300000\r\n") ||
		!strings.Contains(head, "Content-Type: image/jpeg\r\n") {
		t.Errorf("curl -I:\n%s", head)
	}
	etag := headerValue(head, "ETag")
	// Range, several ranges, unsatisfiable.
	body, _ := curl(t, "-r", "100-299", url)
	if !bytes.Equal(body, data[100:300]) {
		t.Errorf("curl -r 100-299: %d bytes", len(body))
	}
	out, _ = curl(t, "-D", "-", "-r", "0-9,-10", url)
	if !bytes.Contains(out, []byte("206 Partial Content")) || !bytes.Contains(out, []byte("multipart/byteranges; boundary=")) ||
		!bytes.Contains(out, data[:10]) || !bytes.Contains(out, data[len(data)-10:]) {
		t.Errorf("curl multi-range: %q", out[:min(len(out), 300)])
	}
	out, _ = curl(t, "-o", "/dev/null", "-w", "%{http_code}", "-r", "400000-", url)
	if string(out) != "416" {
		t.Errorf("unsatisfiable range: %s", out)
	}
	// Conditional.
	out, _ = curl(t, "-o", "/dev/null", "-w", "%{http_code}", "-H", "If-None-Match: "+etag, url)
	if string(out) != "304" {
		t.Errorf("If-None-Match: %s", out)
	}
	lm := headerValue(head, "Last-Modified")
	out, _ = curl(t, "-o", "/dev/null", "-w", "%{http_code}", "-H", "If-Modified-Since: "+lm, url)
	if string(out) != "304" {
		t.Errorf("If-Modified-Since: %s", out)
	}
	// Keep-alive: three URLs in one curl run share one connection.
	_, trace := curl(t, "-v", "-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null", url, url, url)
	if n := strings.Count(trace, "Re-using existing connection") + strings.Count(trace, "Reusing existing"); n != 2 {
		t.Errorf("keep-alive: %d reuses in curl -v:\n%s", n, trace)
	}
	// Status page.
	out, _ = curl(t, h.base+"/status")
	if !bytes.Contains(out, []byte(`"token_fails":1`)) {
		t.Errorf("status: %s", out)
	}
}

// TestHTTPCurlRedirectProxy follows a 302 with curl -L and fetches through
// a proxying storage, three storages on 127.0.9.6-8.
func TestHTTPCurlRedirectProxy(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not installed: the curl client tests need it (apt-get install curl)")
	}
	port := freeTCPPort(t, "127.0.9.6")
	hport := freeTCPPort(t, "127.0.9.6")
	start := func(ip, extra string) *Server {
		cfg := testConf(t, t.TempDir(), 1, fmt.Sprintf("http.server_port=%d\n%s", hport, extra))
		return startServer(t, cfg, WithListenAddr(fmt.Sprintf("%s:%d", ip, port)),
			WithHTTPListenAddr(fmt.Sprintf("%s:%d", ip, hport)), WithSourceIP(netip.MustParseAddr(ip)))
	}
	src := start("127.0.9.6", "")
	redir := start("127.0.9.7", "http.response_mode=redirect\n")
	proxy := start("127.0.9.8", "")
	tr := fakeTracker(t, func() string { return src.Addr().String() })
	cli, err := client.New(client.Config{Trackers: []string{tr}})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	data := randBytes(31, 100000)
	id, err := cli.Upload(context.Background(), bytes.NewReader(data), int64(len(data)), "mp4")
	if err != nil {
		t.Fatal(err)
	}
	body, trace := curl(t, "-v", "-L", "http://"+redir.HTTPAddr().String()+"/"+id)
	if !bytes.Equal(body, data) || !strings.Contains(trace, "302 Found") {
		t.Errorf("curl -L via redirect: %d bytes\n%s", len(body), trace)
	}
	body, _ = curl(t, "http://"+proxy.HTTPAddr().String()+"/"+id)
	if !bytes.Equal(body, data) {
		t.Errorf("curl via proxy: %d bytes", len(body))
	}
	body, _ = curl(t, "-r", "10-19", "http://"+proxy.HTTPAddr().String()+"/"+id)
	if !bytes.Equal(body, data[10:20]) {
		t.Errorf("curl range via proxy: %q", body)
	}
}

func headerValue(head, name string) string {
	for _, line := range strings.Split(head, "\r\n") {
		if k, v, ok := strings.Cut(line, ": "); ok && strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}
