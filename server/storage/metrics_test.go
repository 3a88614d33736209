package storage

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/server/metrics/lint"
)

// TestStorageMetricsAndScrubPass: the storage's /metrics text carries the
// exporter's names with this storage's counters; a background scrub pass
// logs and counts a replica whose byte was flipped; promtool (when
// installed) finds nothing but the lint notes on the exporter's own names.
func TestStorageMetricsAndScrubPass(t *testing.T) {
	e := newEnv(t, 1)
	data := randBytes(7, 70000)
	id := e.upload(data, "bin")
	e.mustDownload(id)
	logic := id[strings.Index(id, "/M00/")+len("/M00/"):]
	path := filepath.Join(e.cfg.StorePaths[0].Path, "data", logic)
	b, _ := os.ReadFile(path)
	b[100] ^= 1
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	e.srv.metrics.ScrubPass(context.Background(), 0, e.srv.scrubbed())
	e.srv.metrics.CountHTTPStatus(200)
	e.srv.metrics.CountHTTPStatus(404)
	e.srv.metrics.CountHTTPStatus(599)
	e.srv.ObserveRequest(codec.CmdTruncateFile, time.Now().Add(-3*time.Millisecond).UnixNano())

	// A download is observed when its last byte has left the server (the
	// disk worker's sendfile), which can be just after the client has read
	// it: wait for that observation instead of racing it.
	var text string
	waitFor(t, func() bool {
		var out bytes.Buffer
		if err := WriteMetrics(&out, e.srv.MetricsRegistry()); err != nil {
			t.Fatal(err)
		}
		text = out.String()
		return strings.Contains(text, `gofdfs_storage_request_duration_seconds_count{command="DOWNLOAD_FILE"} 1`)
	})
	for _, want := range []string{
		`fastdfs_storage_upload_total{group="group1",`,
		`fastdfs_storage_upload_bytes_total{group="group1",`,
		`gofdfs_storage_scrub_bad_files 1`,
		`gofdfs_storage_scrub_files_total{result="bad"} 1`,
		`gofdfs_storage_http_requests_total{code="404"} 1`,
		`gofdfs_storage_http_requests_total{code="other"} 1`,
		`gofdfs_storage_request_duration_seconds_bucket{command="TRUNCATE_FILE",le="0.005"} 1`,
		`gofdfs_storage_request_duration_seconds_count{command="UPLOAD_FILE"} 1`,
		`gofdfs_storage_request_duration_seconds_count{command="DOWNLOAD_FILE"} 1`,
		`gofdfs_storage_disk_queue_depth{path="0"} 0`,
		`gofdfs_storage_file_operations_total{op="write",result="success"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in\n%s", want, text)
		}
	}
	if !strings.Contains(text, "fastdfs_storage_upload_total{group=\"group1\",ip=") ||
		!strings.Contains(text, "} 1\n") {
		t.Error("upload counter")
	}
	CheckPromtool(t, text)
}

// CheckPromtool checks text as an operator's CI would (lint.Check: it
// parses, no series twice, only our name families, promlint clean but for
// the upstream exporter's excused names) and, when installed, with
// `promtool check metrics` under the same exceptions.
func CheckPromtool(t *testing.T, text string) {
	t.Helper()
	for _, f := range lint.Check([]byte(text)) {
		t.Errorf("lint: %s", f)
	}
	faults, err := lint.Promtool([]byte(text))
	if errors.Is(err, lint.ErrNoPromtool) {
		t.Log(err, ": exposition checked by promlint only")
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range faults {
		t.Errorf("promtool: %s", f)
	}
}

// The request-path hooks allocate nothing.
func TestMetricsHooksDoNotAllocate(t *testing.T) {
	e := newEnv(t, 1)
	s := e.srv
	s.ObserveRequest(codec.CmdDownloadFile, 1) // the histogram is made on first use
	start := time.Now().UnixNano()
	if n := testing.AllocsPerRun(1000, func() {
		s.ObserveRequest(codec.CmdDownloadFile, start)
		s.metrics.CountHTTPStatus(206)
		s.stats.done(codec.CmdDownloadFile, true, 300<<10, nil)
		s.stats.done(codec.CmdUploadFile, true, 5000, s.now)
	}); n != 0 {
		t.Fatalf("%v allocations per request", n)
	}
}

func BenchmarkObserveRequest(b *testing.B) {
	e := newEnv(b, 1)
	s := e.srv
	start := time.Now().UnixNano()
	b.ReportAllocs()
	for b.Loop() {
		s.ObserveRequest(codec.CmdUploadFile, start)
		s.stats.done(codec.CmdUploadFile, true, 5000, s.now)
	}
}

// BenchmarkScrape: the cost of one /metrics answer of a storage.
func BenchmarkScrape(b *testing.B) {
	e := newEnv(b, 1)
	e.upload([]byte("x"), "txt")
	reg := e.srv.MetricsRegistry()
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := WriteMetrics(&buf, reg); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes/scrape")
}
