package lint

import (
	"errors"
	"strings"
	"testing"
)

const clean = `# HELP fastdfs_group_total_mb Disk total space in MB
# TYPE fastdfs_group_total_mb gauge
fastdfs_group_total_mb{group="group1"} 100
# HELP fastdfs_group_storage_count Number of storage servers in group
# TYPE fastdfs_group_storage_count gauge
fastdfs_group_storage_count{group="group1"} 2
# HELP fastdfs_storage_upload_total Total upload operations
# TYPE fastdfs_storage_upload_total counter
fastdfs_storage_upload_total{group="group1",ip="127.0.0.2"} 3
# HELP gofdfs_storage_disk_queue_depth Jobs in flight
# TYPE gofdfs_storage_disk_queue_depth gauge
gofdfs_storage_disk_queue_depth{path="0"} 0
`

// TestCheck: the exporter's names pass with their known notes; every other
// kind of fault is named, by promlint in process and by promtool when it is
// installed.
func TestCheck(t *testing.T) {
	if f := Check([]byte(clean)); len(f) != 0 {
		t.Fatalf("clean text: %q", f)
	}
	if f, err := Promtool([]byte(clean)); err != nil && !errors.Is(err, ErrNoPromtool) || len(f) != 0 {
		t.Fatalf("promtool on clean text: %q %v", f, err)
	}
	for _, c := range []struct {
		name, text, want string
		promtool         bool // promtool sees it too
	}{
		{"our name with a unit abbreviation", "# HELP gofdfs_storage_free_mb x\n# TYPE gofdfs_storage_free_mb gauge\ngofdfs_storage_free_mb 1\n",
			"gofdfs_storage_free_mb metric names should not contain abbreviated units", true},
		{"our counter without _total", "# HELP gofdfs_storage_scrubs x\n# TYPE gofdfs_storage_scrubs counter\ngofdfs_storage_scrubs 1\n",
			`gofdfs_storage_scrubs counter metrics should have "_total" suffix`, true},
		{"an exporter name with a note it is not excused", "# TYPE fastdfs_group_free_mb gauge\nfastdfs_group_free_mb 1\n",
			"fastdfs_group_free_mb no help text", true},
		{"an invented fastdfs_ name", "# HELP fastdfs_storage_bogus x\n# TYPE fastdfs_storage_bogus gauge\nfastdfs_storage_bogus 1\n",
			"fastdfs_storage_bogus: the upstream exporter has no such name", false},
		{"a foreign family", "# HELP foo_bar x\n# TYPE foo_bar gauge\nfoo_bar 1\n", "foo_bar: not one of our name families", false},
		{"a series twice", "# HELP gofdfs_x x\n# TYPE gofdfs_x gauge\ngofdfs_x{a=\"1\",b=\"2\"} 1\ngofdfs_x{b=\"2\",a=\"1\"} 2\n",
			"the series is given twice", false},
		{"bad format", "gofdfs_x{a=1} 1\n", "parse:", true},
	} {
		faults := Check([]byte(c.text))
		if !contains(faults, c.want) {
			t.Errorf("%s: want %q in %q", c.name, c.want, faults)
		}
		if !c.promtool {
			continue
		}
		pf, err := Promtool([]byte(c.text))
		if errors.Is(err, ErrNoPromtool) {
			continue
		}
		want := c.want
		if want == "parse:" {
			want = "promtool exited 1"
		}
		if err != nil || !contains(pf, want) {
			t.Errorf("%s: promtool: want %q in %q (%v)", c.name, want, pf, err)
		}
	}
}

func contains(faults []string, want string) bool {
	for _, f := range faults {
		if strings.Contains(f, want) {
			return true
		}
	}
	return false
}
