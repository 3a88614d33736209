// Package prom is the Prometheus side of one storage: its collector, the
// state only the metrics keep (request duration histograms, HTTP answers
// by status, the disk busy sampler, scrub results) and the background
// scrub that feeds them. Its own operation counters use the upstream
// fdfs_exporter's names (the tracker exposes the same facts for every
// storage with the exporter's labels); the rest are ours: request
// durations per command, replication lag per peer, disk worker queues,
// HTTP answers by status and scrub results. Everything but the histograms
// is read at scrape time from what the storage keeps anyway, through
// Source.
package prom

import (
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/server/metrics"
)

var (
	selfLabels = []string{"group", "storage_id", "ip"}
	descSelf   = func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("fastdfs_storage_"+name, help, selfLabels, nil)
	}

	mOps = func() (m [5][2]*prometheus.Desc) {
		for i, op := range []string{"upload", "download", "delete", "append", "modify"} {
			m[i][0] = descSelf(op+"_total", "Total "+op+" operations")
			m[i][1] = descSelf(op+"_success", "Successful "+op+" operations")
		}
		return m
	}()
	mUpBytes    = descSelf("upload_bytes_total", "Total uploaded bytes")
	mDownBytes  = descSelf("download_bytes_total", "Total downloaded bytes")
	mSyncIn     = descSelf("sync_in_bytes_total", "Total sync in bytes")
	mSyncOut    = descSelf("sync_out_bytes_total", "Total sync out bytes")
	mTotalMB    = descSelf("total_mb", "Disk total space in MB")
	mFreeMB     = descSelf("free_mb", "Disk free space in MB")
	mReservedMB = descSelf("reserved_mb", "Disk reserved space in MB")
	mAvailMB    = descSelf("available_mb", "Disk available space in MB")
	mConnAlloc  = descSelf("connections_alloc", "Alloc connection count")
	mConnCur    = descSelf("connections_current", "Current connection count")
	mConnMax    = descSelf("connections_max", "Maximum connection count")

	mFileOps = prometheus.NewDesc("gofdfs_storage_file_operations_total",
		"File opens, reads and writes as C's storage counts them (buff_size units)", []string{"op", "result"}, nil)
	mLagSeconds = prometheus.NewDesc("gofdfs_storage_sync_lag_seconds",
		"Age of the oldest binlog record not yet pushed to the peer (0: caught up), as of the peer's last saved mark",
		[]string{"peer"}, nil)
	mLagBytes = prometheus.NewDesc("gofdfs_storage_sync_lag_bytes",
		"Binlog bytes not yet pushed to the peer, as of its last saved mark", []string{"peer"}, nil)
	mQueue = prometheus.NewDesc("gofdfs_storage_disk_queue_depth",
		"Jobs accepted by the store path's disk workers and not yet completed", []string{"path"}, nil)
	mBusy = prometheus.NewDesc("gofdfs_storage_disk_busy_seconds_total",
		"Time the store path's disk workers had at least one job (sampled every 50 ms from the first scrape on)",
		[]string{"path"}, nil)
	mHTTP = prometheus.NewDesc("gofdfs_storage_http_requests_total",
		"HTTP requests answered, by status code", []string{"code"}, nil)
	mScrubFiles = prometheus.NewDesc("gofdfs_storage_scrub_files_total",
		"Files checked by the background scrub, by result", []string{"result"}, nil)
	mScrubBad = prometheus.NewDesc("gofdfs_storage_scrub_bad_files",
		"Files whose content does not match the size and CRC32 of their ID, at the last complete scrub", nil, nil)
	mScrubLast = prometheus.NewDesc("gofdfs_storage_scrub_last_complete_timestamp_seconds",
		"When the last background scrub pass completed (0: never)", nil, nil)
)

// httpCodeList are the statuses counted on their own; any other counts as
// "other".
var httpCodeList = [...]int{200, 206, 301, 302, 304, 400, 403, 404, 405, 416, 500, 502, 503}

// Snapshot is the storage's state at scrape time, as Source fills it.
type Snapshot struct {
	Group, StorageID, IP string // the labels of the exporter's series
	// Stats are the counters of the BEAT stat block (Connection.AllocCount
	// included).
	Stats                codec.StatBlock
	ConnCurrent, ConnMax int32
	// FileOps are the file opens, reads and writes C's storage counts:
	// total then success of each.
	FileOps [6]int64
	// TotalMB and FreeMB are summed over the store paths; ReservedMB is
	// the reserve as the tracker applies it to the total.
	TotalMB, FreeMB, ReservedMB int64
	// BinlogDir holds the binlog and the peers' mark files ("" none).
	BinlogDir string
}

// Source is what the collector reads of the storage.
type Source interface {
	// Snapshot fills s with the state at now.
	Snapshot(now time.Time, s *Snapshot)
	// QueueDepths appends, per store path, the jobs its disk workers have
	// accepted and not completed.
	QueueDepths(dst []int) []int
}

// Metrics is the state of a storage's metrics that the storage itself
// does not keep. Its hooks (ObserveRequest, CountHTTPStatus) allocate
// nothing.
type Metrics struct {
	cmdTimes  *metrics.Commands
	httpCodes [len(httpCodeList) + 1]atomic.Int64

	samplerOnce sync.Once
	busyNanos   []atomic.Int64 // per store path

	scrubOK, scrubBad, scrubUnverifiable atomic.Int64 // files checked, all passes
	scrubLastBad                         atomic.Int64 // bad files of the last complete pass
	scrubLastDone                        atomic.Int64 // unix s
}

// New makes the metrics of a storage.
func New() *Metrics {
	return &Metrics{cmdTimes: metrics.NewCommands("gofdfs_storage_request_duration_seconds",
		"Time from a request's header to its reply, by command", codec.CmdName)}
}

// ObserveRequest records a request of cmd that began at start (unix ns).
// A nil Metrics (a storage built without New's wiring, in tests) counts
// nothing.
func (m *Metrics) ObserveRequest(cmd byte, start int64) {
	if m != nil {
		m.cmdTimes.ObserveSince(cmd, start)
	}
}

// CountHTTPStatus counts one HTTP answer.
func (m *Metrics) CountHTTPStatus(code int) {
	if m == nil {
		return
	}
	for i, c := range httpCodeList {
		if c == code {
			m.httpCodes[i].Add(1)
			return
		}
	}
	m.httpCodes[len(httpCodeList)].Add(1)
}

// Collector is the storage's prometheus.Collector: src read at every
// scrape, now its clock; done ends the busy sampler (started by the first
// scrape).
func (m *Metrics) Collector(src Source, now func() time.Time, done <-chan struct{}) prometheus.Collector {
	return &collector{m: m, src: src, now: now, done: done}
}

// Registry is a registry with the collector and the Go runtime's metrics.
func (m *Metrics) Registry(src Source, now func() time.Time, done <-chan struct{}) *prometheus.Registry {
	r := metrics.NewRegistry()
	r.MustRegister(m.Collector(src, now, done))
	return r
}

// Write writes the registry in the text exposition format: for the HTTP
// download server's /metrics (http.server_port).
func Write(w io.Writer, g prometheus.Gatherer) error {
	mfs, err := g.Gather()
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if e := enc.Encode(mf); e != nil && err == nil {
			err = e
		}
	}
	return err
}

type collector struct {
	m    *Metrics
	src  Source
	now  func() time.Time
	done <-chan struct{}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, p := range mOps {
		ch <- p[0]
		ch <- p[1]
	}
	for _, d := range []*prometheus.Desc{mUpBytes, mDownBytes, mSyncIn, mSyncOut, mTotalMB, mFreeMB, mReservedMB,
		mAvailMB, mConnAlloc, mConnCur, mConnMax, mFileOps, mLagSeconds, mLagBytes, mQueue, mBusy, mHTTP,
		mScrubFiles, mScrubBad, mScrubLast} {
		ch <- d
	}
	c.m.cmdTimes.Describe(ch)
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	m := c.m
	c.startBusySampler()
	e := metrics.Emitter{Ch: ch}
	now := c.now()
	var s Snapshot
	c.src.Snapshot(now, &s)
	b := &s.Stats
	l := []string{s.Group, s.StorageID, s.IP}
	ops := [5][2]int64{
		{b.TotalUploadCount, b.SuccessUploadCount}, {b.TotalDownloadCount, b.SuccessDownloadCount},
		{b.TotalDeleteCount, b.SuccessDeleteCount}, {b.TotalAppendCount, b.SuccessAppendCount},
		{b.TotalModifyCount, b.SuccessModifyCount},
	}
	for i, v := range ops {
		e.Counter(mOps[i][0], float64(v[0]), l...)
		e.Gauge(mOps[i][1], float64(v[1]), l...)
	}
	e.Counter(mUpBytes, float64(b.TotalUploadBytes), l...)
	e.Counter(mDownBytes, float64(b.TotalDownloadBytes), l...)
	e.Counter(mSyncIn, float64(b.TotalSyncInBytes), l...)
	e.Counter(mSyncOut, float64(b.TotalSyncOutBytes), l...)
	e.Gauge(mConnAlloc, float64(b.Connection.AllocCount), l...)
	e.Gauge(mConnCur, float64(s.ConnCurrent), l...)
	e.Gauge(mConnMax, float64(s.ConnMax), l...)
	for i, kind := range []string{"open", "read", "write"} {
		total, ok := s.FileOps[2*i], s.FileOps[2*i+1]
		e.Counter(mFileOps, float64(ok), kind, "success")
		e.Counter(mFileOps, float64(total-ok), kind, "failure")
	}

	for i, depth := range c.src.QueueDepths(nil) {
		path := strconv.Itoa(i)
		e.Gauge(mQueue, float64(depth), path)
		if i < len(m.busyNanos) {
			e.Counter(mBusy, float64(m.busyNanos[i].Load())/1e9, path)
		}
	}
	e.Gauge(mTotalMB, float64(s.TotalMB), l...)
	e.Gauge(mFreeMB, float64(s.FreeMB), l...)
	e.Gauge(mReservedMB, float64(s.ReservedMB), l...)
	e.Gauge(mAvailMB, float64(max(s.FreeMB-s.ReservedMB, 0)), l...)

	for _, lag := range syncLags(s.BinlogDir, now) {
		e.Gauge(mLagSeconds, lag.seconds, lag.peer)
		e.Gauge(mLagBytes, float64(lag.bytes), lag.peer)
	}
	for i, code := range httpCodeList {
		if n := m.httpCodes[i].Load(); n > 0 {
			e.Counter(mHTTP, float64(n), strconv.Itoa(code))
		}
	}
	if n := m.httpCodes[len(httpCodeList)].Load(); n > 0 {
		e.Counter(mHTTP, float64(n), "other")
	}
	e.Counter(mScrubFiles, float64(m.scrubOK.Load()), "ok")
	e.Counter(mScrubFiles, float64(m.scrubBad.Load()), "bad")
	e.Counter(mScrubFiles, float64(m.scrubUnverifiable.Load()), "unverifiable")
	e.Gauge(mScrubBad, float64(m.scrubLastBad.Load()))
	e.Gauge(mScrubLast, float64(m.scrubLastDone.Load()))
	m.cmdTimes.Collect(ch)
}

// busySample is how often the busy sampler looks at the disk queues.
// Sampling at a fixed period estimates the busy fraction without bias; at
// 50 ms a 1-minute rate() rests on 1200 samples (standard error at most
// 1.5 points of %util). Each tick wakes the idle process: measured on the
// 2-core test machine, about 90 us of CPU per tick, so 10 ms ticks cost an
// idle storage ~0.9% of a core for as long as it lives, 50 ms ~0.2%. An
// exact measure would need the disk workers to time their 0 <-> 1 active
// transitions themselves (diskio), which they do not.
const busySample = 50 * time.Millisecond

// startBusySampler starts, once, the goroutine that adds busySample to a
// store path's busy time whenever its workers have a job in flight (the
// meaning of iostat's %util); it ends with the storage (done).
func (c *collector) startBusySampler() {
	m := c.m
	m.samplerOnce.Do(func() {
		depths := c.src.QueueDepths(nil)
		m.busyNanos = make([]atomic.Int64, len(depths))
		go func() {
			t := time.NewTicker(busySample)
			defer t.Stop()
			for {
				select {
				case <-c.done:
					return
				case <-t.C:
				}
				depths = c.src.QueueDepths(depths[:0])
				for i, d := range depths {
					if d > 0 && i < len(m.busyNanos) {
						m.busyNanos[i].Add(int64(busySample))
					}
				}
			}
		}()
	})
}
