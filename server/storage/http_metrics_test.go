package storage

import (
	"strings"
	"testing"
)

// TestHTTPMetrics: with metrics on, GET /metrics on http.server_port is
// the Prometheus exposition and counts every HTTP answer by status, those
// answered on the loop (small file, 404) and by a disk worker (1 MiB, a
// range of it) alike.
func TestHTTPMetrics(t *testing.T) {
	h := newHTTPEnv(t, "metrics_port=9\n")
	small := h.upload(randBytes(21, 4096), "txt")
	big := h.upload(randBytes(22, 1<<20), "bin")
	for range 3 {
		resp, _ := h.do("GET", h.base+"/"+small)
		wantStatus(t, resp, 200)
	}
	resp, _ := h.do("GET", h.base+"/"+big)
	wantStatus(t, resp, 200)
	for range 2 {
		resp, _ := h.do("GET", h.base+"/nothing")
		wantStatus(t, resp, 404)
	}
	resp, body := h.do("GET", h.base+"/"+big, "Range", "bytes=100-300000")
	wantStatus(t, resp, 206)
	if len(body) != 299901 {
		t.Fatalf("206: %d bytes", len(body))
	}

	resp, body = h.do("GET", h.base+"/metrics")
	wantStatus(t, resp, 200)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("/metrics Content-Type %q", ct)
	}
	text := string(body)
	for _, want := range []string{
		`gofdfs_storage_http_requests_total{code="200"} 4`,
		`gofdfs_storage_http_requests_total{code="206"} 1`,
		`gofdfs_storage_http_requests_total{code="404"} 2`,
		`fastdfs_storage_upload_total{`,
	} {
		if !strings.Contains(text, want+"\n") && !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, grepLines(text, "http_requests"))
		}
	}
	if strings.Contains(text, `code="other"`) {
		t.Errorf("/metrics counts other statuses:\n%s", grepLines(text, "http_requests"))
	}
	// The scrape itself is an answer too: the next one sees it.
	_, body = h.do("GET", h.base+"/metrics")
	if want := `gofdfs_storage_http_requests_total{code="200"} 5`; !strings.Contains(string(body), want) {
		t.Errorf("second scrape lacks %q:\n%s", want, grepLines(string(body), "http_requests"))
	}
}

// TestHTTPMetricsOff: without metrics_port, /metrics is a path like any
// other (no such file).
func TestHTTPMetricsOff(t *testing.T) {
	h := newHTTPEnv(t, "")
	resp, _ := h.do("GET", h.base+"/metrics")
	wantStatus(t, resp, 404)
}

func grepLines(text, sub string) string {
	var out []string
	for l := range strings.SplitSeq(text, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
