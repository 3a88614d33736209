// Package lint checks a /metrics exposition the way an operator's CI
// would: it must parse, hold no series twice, use only the name families we
// publish, and pass Prometheus' metric lint (promlint, the linter that
// `promtool check metrics` runs), except for an explicit list of names that
// the upstream fdfs_exporter chose and that its Grafana dashboard needs as
// they are.
//
// The decision, for operators: promtool has no switch to silence its lint
// for `check metrics` (its --lint / --lint-fatal flags belong to `check
// rules` only, up to the newest release), and it exits 3 when the lint
// finds anything. Renaming the exporter's names would break its dashboard,
// and publishing them twice (under a lint-clean name as well) would double
// the series and leave the exit code as it is. So the exporter's names stay
// as they are, every name of ours is lint-clean, and a check filters out
// exactly the known notes on the exporter's names, as Prometheus' own
// node_exporter does in its checkmetrics.sh:
//
//	curl -s http://HOST:PORT/metrics | promtool check metrics 2>&1 |
//	    grep -vE '^fastdfs_(group|storage)_[a-z_]+(_mb metric names should not
//	    contain abbreviated units|_count non-histogram and non-summary metrics
//	    should not have "_count" suffix)$'   (one line; conf/grafana/README.md)
//
// Anything left (a parse error, a note on any other name) is a real fault.
// Exceptions lists each excused name with the lint note it draws and why.
package lint

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"sort"
	"strings"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// The two lint notes the exporter's names draw, as promlint words them.
const (
	noteUnits = "metric names should not contain abbreviated units"
	noteCount = `non-histogram and non-summary metrics should not have "_count" suffix`
)

// Exception is one excused lint note.
type Exception struct {
	Note string // promlint's text
	Why  string
}

var (
	exporterMB = Exception{noteUnits, "the upstream fdfs_exporter's name (megabytes, as C's tools print space)"}
	exporterN  = Exception{noteCount, "the upstream fdfs_exporter's name (a gauge of servers)"}
	dashboardN = Exception{noteCount, "the upstream Grafana dashboard's panel queries it (the exporter itself never wrote it)"}
)

// Exceptions are the names allowed a lint note, with the note and the
// reason. Nothing else may draw one.
var Exceptions = map[string]Exception{
	"fastdfs_group_total_mb":              exporterMB,
	"fastdfs_group_free_mb":               exporterMB,
	"fastdfs_group_reserved_mb":           exporterMB,
	"fastdfs_group_available_mb":          exporterMB,
	"fastdfs_group_trunk_free_mb":         exporterMB,
	"fastdfs_storage_total_mb":            exporterMB,
	"fastdfs_storage_free_mb":             exporterMB,
	"fastdfs_storage_reserved_mb":         exporterMB,
	"fastdfs_storage_available_mb":        exporterMB,
	"fastdfs_group_storage_count":         exporterN,
	"fastdfs_group_readable_server_count": exporterN,
	"fastdfs_group_writable_server_count": exporterN,
	"fastdfs_group_active_count":          dashboardN,
}

// ExporterNames are the fastdfs_* names we publish: the upstream
// exporter's and its dashboard's. A fastdfs_* name not listed is a typo or
// an invention, which belongs under gofdfs_.
var ExporterNames = func() map[string]bool {
	m := map[string]bool{}
	for n := range Exceptions {
		m[n] = true
	}
	for _, op := range []string{"upload", "download", "delete", "append", "modify"} {
		m["fastdfs_storage_"+op+"_total"] = true
		m["fastdfs_storage_"+op+"_success"] = true
	}
	for _, n := range []string{"upload_bytes_total", "download_bytes_total", "sync_in_bytes_total",
		"sync_out_bytes_total", "connections_alloc", "connections_current", "connections_max",
		"heartbeat_delay_seconds", "last_heartbeat", "last_synced_timestamp", "synced_delay_seconds"} {
		m["fastdfs_storage_"+n] = true
	}
	for _, n := range []string{"connections_alloc", "connections_current", "connections_max", "is_active", "is_leader"} {
		m["fastdfs_tracker_"+n] = true
	}
	return m
}()

// prefixes are the name families a daemon publishes: the exporter's, ours,
// and client_golang's runtime, process and handler metrics.
var prefixes = []string{"fastdfs_", "gofdfs_", "go_", "process_", "promhttp_"}

// Check parses text (the text exposition format) and returns every fault:
// a parse error, a series given twice, a name outside our families, a
// fastdfs_ name the exporter does not have, and each lint note that
// Exceptions does not excuse. Empty means clean.
func Check(text []byte) []string {
	// the legacy character set: what Prometheus 2.x and promtool accept
	tp := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := tp.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		return []string{"parse: " + err.Error()}
	}
	var faults []string
	names := make([]string, 0, len(fams))
	for n := range fams {
		names = append(names, n)
	}
	sort.Strings(names)
	mfs := make([]*dto.MetricFamily, 0, len(names))
	for _, n := range names {
		mf := fams[n]
		mfs = append(mfs, mf)
		if !hasPrefix(n) {
			faults = append(faults, n+": not one of our name families "+strings.Join(prefixes, ", "))
		}
		if strings.HasPrefix(n, "fastdfs_") && !ExporterNames[n] {
			faults = append(faults, n+": the upstream exporter has no such name (ours go under gofdfs_)")
		}
		seen := map[string]bool{}
		for _, m := range mf.GetMetric() {
			k := labelKey(m)
			if seen[k] {
				faults = append(faults, fmt.Sprintf("%s{%s}: the series is given twice", n, k))
			}
			seen[k] = true
		}
	}
	problems, err := promlint.NewWithMetricFamilies(mfs).Lint()
	if err != nil {
		return append(faults, "promlint: "+err.Error())
	}
	for _, p := range problems {
		if ex, ok := Exceptions[p.Metric]; ok && ex.Note == p.Text {
			continue
		}
		faults = append(faults, p.Metric+" "+p.Text)
	}
	return faults
}

// ErrNoPromtool: promtool is not on PATH (Debian package prometheus).
var ErrNoPromtool = errors.New("promtool is not installed (Debian package prometheus)")

// Promtool runs `promtool check metrics` on text and returns its findings
// that Exceptions does not excuse. promtool exits 0 when clean, 3 when only
// its lint complained (each note a line "NAME NOTE"), anything else when
// the text did not parse: that is a fault whatever it printed.
func Promtool(text []byte) ([]string, error) {
	if _, err := exec.LookPath("promtool"); err != nil {
		return nil, ErrNoPromtool
	}
	cmd := exec.Command("promtool", "check", "metrics")
	cmd.Stdin = bytes.NewReader(text)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		return nil, err
	}
	var faults []string
	if code != 0 && code != 3 {
		faults = append(faults, fmt.Sprintf("promtool exited %d (not a lint finding): %s", code, strings.TrimSpace(string(out))))
	}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l == "" {
			continue
		}
		name, note, _ := strings.Cut(l, " ")
		if ex, ok := Exceptions[name]; ok && ex.Note == note {
			continue
		}
		if code == 0 || code == 3 {
			faults = append(faults, l)
		}
	}
	return faults, nil
}

func hasPrefix(n string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	return false
}

// labelKey is a series' label set in a canonical order.
func labelKey(m *dto.Metric) string {
	ls := model.LabelSet{}
	for _, lp := range m.GetLabel() {
		ls[model.LabelName(lp.GetName())] = model.LabelValue(lp.GetValue())
	}
	return strings.Trim(ls.String(), "{}")
}
