package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/server/metrics/lint"
)

// TestPrometheusScrapesDaemons starts the real Prometheus server, lets it
// scrape our tracker and two storages (metrics_port), and reads values back
// through its HTTP API; promtool checks every endpoint's exposition.
func TestPrometheusScrapesDaemons(t *testing.T) {
	for _, name := range []string{"prometheus", "promtool"} {
		if _, err := exec.LookPath(name); err != nil {
			t.Skipf("%s is not installed (Debian package prometheus; .ci/run installs it): %v", name, err)
		}
	}
	t.Parallel()
	mport := []int{freePort(t, "127.0.7.51"), freePort(t, "127.0.7.52"), freePort(t, "127.0.7.53")}
	g := startGroupOfTwoWith(t, []string{fmt.Sprintf("metrics_port = %d", mport[0])},
		func(i int) []string { return []string{fmt.Sprintf("metrics_port = %d", mport[i+1])} })
	targets := []string{fmt.Sprintf("127.0.7.51:%d", mport[0]), fmt.Sprintf("127.0.7.52:%d", mport[1]),
		fmt.Sprintf("127.0.7.53:%d", mport[2])}
	id := g.upload(write(t, filepath.Join(g.dir, "p.txt"), "prometheus sees this upload\n"))
	g.waitCopies(id, []byte("prometheus sees this upload\n"))

	for _, tg := range targets {
		resp, err := http.Get("http://" + tg + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %s", tg, resp.Status)
		}
		// the exposition as an operator's CI checks it: parses, no series
		// twice, lint-clean but for the upstream exporter's excused names
		// (lint.Exceptions), by promlint and by the installed promtool
		for _, f := range lint.Check(body) {
			t.Errorf("lint on %s: %s", tg, f)
		}
		faults, err := lint.Promtool(body)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range faults {
			t.Errorf("promtool on %s: %s", tg, f)
		}
	}

	pdir := t.TempDir()
	pport := freePort(t, "127.0.7.50")
	cfg := write(t, filepath.Join(pdir, "prometheus.yml"), fmt.Sprintf(
		"global:\n  scrape_interval: 1s\nscrape_configs:\n"+
			"  - job_name: fdfs_tracker\n    static_configs:\n      - targets: ['%s']\n"+
			"  - job_name: fdfs_storage\n    static_configs:\n      - targets: ['%s', '%s']\n",
		targets[0], targets[1], targets[2]))
	prom := exec.Command("prometheus", "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(pdir, "data"),
		fmt.Sprintf("--web.listen-address=127.0.7.50:%d", pport))
	logf, _ := os.Create(filepath.Join(pdir, "prometheus.log"))
	prom.Stdout, prom.Stderr = logf, logf
	if err := prom.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = prom.Process.Kill()
		_ = prom.Wait()
		logf.Close()
	})
	api := fmt.Sprintf("http://127.0.7.50:%d/api/v1/query?query=", pport)
	query := func(q string) []map[string]any {
		resp, err := http.Get(api + url.QueryEscape(q))
		if err != nil {
			return nil
		}
		defer resp.Body.Close()
		var r struct {
			Status string
			Data   struct{ Result []map[string]any }
		}
		if json.NewDecoder(resp.Body).Decode(&r) != nil || r.Status != "success" {
			return nil
		}
		return r.Data.Result
	}
	value := func(r map[string]any) string { return fmt.Sprint(r["value"].([]any)[1]) }
	metric := func(r map[string]any) map[string]any { return r["metric"].(map[string]any) }

	deadline := time.Now().Add(60 * time.Second)
	for {
		up := query(`sum(up)`)
		tr := query(`fastdfs_storage_upload_total{job="fdfs_tracker",ip="127.0.7.52"}`)
		own := query(`fastdfs_storage_upload_total{job="fdfs_storage"}`)
		sync := query(`fastdfs_storage_sync_in_bytes_total{job="fdfs_storage",ip="127.0.7.53"}`)
		if len(up) == 1 && value(up[0]) == "3" && len(tr) == 1 && value(tr[0]) == "1" && len(own) == 2 &&
			len(sync) == 1 && value(sync[0]) == "28" {
			if m := metric(tr[0]); m["group"] != "group1" || m["storage_id"] != "127.0.7.52" || m["status"] != "7" {
				t.Errorf("tracker's view labels: %v", m)
			}
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(pdir, "prometheus.log"))
			t.Fatalf("Prometheus never had the values: up=%v tracker=%v own=%v sync=%v\n%s", up, tr, own, sync, log)
		}
		time.Sleep(500 * time.Millisecond)
	}
	for _, q := range []string{
		`fastdfs_group_storage_count{group="group1"}`, `fastdfs_tracker_is_leader`,
		`gofdfs_storage_disk_queue_depth{job="fdfs_storage"}`, `fastdfs_storage_total_mb{job="fdfs_tracker"}`,
	} {
		if r := query(q); len(r) == 0 {
			t.Errorf("Prometheus has no %s", q)
		}
	}
	if r := query(`fastdfs_group_storage_count{group="group1"}`); len(r) != 1 || value(r[0]) != "2" {
		t.Errorf("group storage count: %v", r)
	}
}
