package conf

import (
	"encoding/json"
	"os"
	"regexp"
	"testing"
)

// TestGrafanaDashboard: the dashboard is valid JSON and every metric its
// queries name is one the daemons expose (the upstream exporter's names on
// the tracker, ours on both).
func TestGrafanaDashboard(t *testing.T) {
	b, err := os.ReadFile("grafana/gofdfs-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	exposed := regexp.MustCompile(`^(fastdfs_(group|storage|tracker)_[a-z_]+|gofdfs_(storage|tracker)_[a-z_]+)$`)
	name := regexp.MustCompile(`\b(fastdfs|gofdfs)_[a-z_]+`)
	n := 0
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			for _, m := range name.FindAllString(tg.Expr, -1) {
				n++
				if !exposed.MatchString(m) {
					t.Errorf("%s: %s", p.Title, m)
				}
			}
		}
	}
	if len(d.Panels) < 10 || n < 15 {
		t.Fatalf("%d panels, %d metric references", len(d.Panels), n)
	}
}
