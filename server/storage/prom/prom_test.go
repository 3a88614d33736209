package prom

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/server/metrics/lint"
	"github.com/gofdfs/gofdfs/server/storage/replica"
)

// snapshotSource is a storage seen from its metrics: a fixed snapshot and
// queue depths, and a real binlog directory with a peer's mark.
type snapshotSource struct {
	snap   Snapshot
	depths []int
}

func (s *snapshotSource) Snapshot(_ time.Time, dst *Snapshot) { *dst = s.snap }
func (s *snapshotSource) QueueDepths(dst []int) []int         { return append(dst, s.depths...) }

// The collector writes the snapshot's counters under the exporter's names
// and labels, the lag of a peer from its mark file, and our own series;
// the exposition passes the lint the daemons' /metrics is held to.
func TestCollectorExposition(t *testing.T) {
	dir := t.TempDir()
	line := "1600000000 C M00/00/00/wKgAZl9hKxOAV5bOAAAKmQ0oXv8683.txt\n"
	if err := os.WriteFile(filepath.Join(dir, replica.BinlogFileName(0)), []byte(line+line), 0o644); err != nil {
		t.Fatal(err)
	}
	mark := "binlog_index=0\nbinlog_offset=" + strconv.Itoa(len(line)) + "\nneed_sync_old=0\nsync_old_done=0\nuntil_timestamp=0\nscan_row_count=0\nsync_row_count=0\n"
	if err := os.WriteFile(filepath.Join(dir, "127.0.3.2_23000.mark"), []byte(mark), 0o644); err != nil {
		t.Fatal(err)
	}
	src := &snapshotSource{depths: []int{2, 0}, snap: Snapshot{Group: "group1", StorageID: "127.0.3.1", IP: "127.0.3.1",
		Stats:   codec.StatBlock{TotalUploadCount: 5, SuccessUploadCount: 4, TotalUploadBytes: 4096},
		FileOps: [6]int64{3, 3, 0, 0, 9, 8}, TotalMB: 1000, FreeMB: 400, ReservedMB: 100, BinlogDir: dir}}
	m := New()
	m.CountHTTPStatus(404)
	m.CountHTTPStatus(599)
	m.ObserveRequest(codec.CmdUploadFile, time.Now().Add(-time.Millisecond).UnixNano())
	done := make(chan struct{})
	defer close(done)
	var out bytes.Buffer
	if err := Write(&out, m.Registry(src, func() time.Time { return time.Unix(1600000010, 0) }, done)); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		`fastdfs_storage_upload_total{group="group1",ip="127.0.3.1",storage_id="127.0.3.1"} 5`,
		`fastdfs_storage_upload_success{group="group1",ip="127.0.3.1",storage_id="127.0.3.1"} 4`,
		`fastdfs_storage_available_mb{group="group1",ip="127.0.3.1",storage_id="127.0.3.1"} 300`,
		`gofdfs_storage_file_operations_total{op="write",result="failure"} 1`,
		`gofdfs_storage_disk_queue_depth{path="0"} 2`,
		`gofdfs_storage_sync_lag_bytes{peer="127.0.3.2"} ` + strconv.Itoa(len(line)),
		`gofdfs_storage_sync_lag_seconds{peer="127.0.3.2"} 10`,
		`gofdfs_storage_http_requests_total{code="other"} 1`,
		`gofdfs_storage_request_duration_seconds_count{command="UPLOAD_FILE"} 1`,
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("no %q in\n%s", want, text)
		}
	}
	for _, f := range lint.Check([]byte(text)) {
		t.Errorf("lint: %s", f)
	}
}
