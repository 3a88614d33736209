package tracker

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/server/metrics"
	"github.com/gofdfs/gofdfs/server/metrics/lint"
)

// TestTrackerMetricsLint: a tracker's /metrics with a group, a storage,
// trunk space and a request histogram parses, has every series once, and
// passes promlint (and promtool, when installed) but for the upstream
// exporter's excused names; each of those names is there.
func TestTrackerMetricsLint(t *testing.T) {
	s := startTracker(t, testConf(t, t.TempDir(), "use_trunk_file = true"))
	dialPeer(t, s, "127.0.0.2").join(s, "group1")
	s.cmdTimes.Observe(codec.CmdServerListOneGroup, 2*time.Millisecond)
	r := metrics.NewRegistry()
	r.MustRegister(s.MetricsCollector())
	mfs, err := r.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	enc := expfmt.NewEncoder(&out, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	text := out.String()
	for name := range lint.Exceptions {
		if !strings.Contains(text, "\n"+name+"{") {
			t.Errorf("no %s", name)
		}
	}
	if !strings.Contains(text, "gofdfs_tracker_request_duration_seconds_count{command=") {
		t.Error("no request histogram")
	}
	for _, f := range lint.Check(out.Bytes()) {
		t.Errorf("lint: %s", f)
	}
	faults, err := lint.Promtool(out.Bytes())
	if errors.Is(err, lint.ErrNoPromtool) {
		t.Log(err)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range faults {
		t.Errorf("promtool: %s", f)
	}
}
