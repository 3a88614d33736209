package storage

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/server/metrics"
	"github.com/gofdfs/gofdfs/server/storage/replica"
)

// Prometheus metrics of one storage. Its own operation counters use the
// upstream fdfs_exporter's names (the tracker exposes the same facts for
// every storage with the exporter's labels); the rest are ours: request
// durations per command, replication lag per peer, disk worker queues,
// HTTP answers by status and scrub results. Everything but the histograms
// is read at scrape time from what the server keeps anyway.

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

// CountHTTPStatus counts one HTTP answer (the HTTP server's hook).
func (st *opStats) CountHTTPStatus(code int) {
	for i, c := range httpCodeList {
		if c == code {
			st.httpCodes[i].Add(1)
			return
		}
	}
	st.httpCodes[len(httpCodeList)].Add(1)
}

// obsState is what the metrics keep that the server does not: the disk
// busy sampler and the scrub results.
type obsState struct {
	samplerOnce sync.Once
	busyNanos   []atomic.Int64 // per store path

	scrubOK, scrubBad, scrubUnverifiable atomic.Int64 // files checked, all passes
	scrubLastBad                         atomic.Int64 // bad files of the last complete pass
	scrubLastDone                        atomic.Int64 // unix s
}

// newCommandTimes makes the request duration histograms of a storage.
func newCommandTimes() *metrics.Commands {
	return metrics.NewCommands("gofdfs_storage_request_duration_seconds",
		"Time from a request's header to its reply, by command", codec.CmdName)
}

// ObserveRequest records a request of cmd that began at start (unix ns):
// the hook of the request paths; it does not allocate.
func (s *Server) ObserveRequest(cmd byte, start int64) { s.stats.cmdTimes.ObserveSince(cmd, start) }

// metricsCollector is the storage's prometheus.Collector.
type metricsCollector struct{ s *Server }

// MetricsCollector returns the collector of the storage's metrics, for a
// registry the daemon serves.
func (s *Server) MetricsCollector() prometheus.Collector { return metricsCollector{s} }

// MetricsRegistry is a registry with the storage's metrics and the Go
// runtime's.
func (s *Server) MetricsRegistry() *prometheus.Registry {
	r := metrics.NewRegistry()
	r.MustRegister(s.MetricsCollector())
	return r
}

// WriteMetrics writes the registry in the text exposition format: for the
// HTTP download server's /metrics (http.server_port).
func WriteMetrics(w io.Writer, g prometheus.Gatherer) error {
	mfs, err := g.Gather()
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if e := enc.Encode(mf); e != nil && err == nil {
			err = e
		}
	}
	return err
}

func (c metricsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, p := range mOps {
		ch <- p[0]
		ch <- p[1]
	}
	for _, d := range []*prometheus.Desc{mUpBytes, mDownBytes, mSyncIn, mSyncOut, mTotalMB, mFreeMB, mReservedMB,
		mAvailMB, mConnAlloc, mConnCur, mConnMax, mFileOps, mLagSeconds, mLagBytes, mQueue, mBusy, mHTTP,
		mScrubFiles, mScrubBad, mScrubLast} {
		ch <- d
	}
	c.s.stats.cmdTimes.Describe(ch)
}

func (c metricsCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	s.startBusySampler()
	e := metrics.Emitter{Ch: ch}
	var b codec.StatBlock
	s.stats.snapshot(&b)
	l := []string{s.cfg.GroupName, s.selfID(), s.selfIP()}
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
	e.Gauge(mConnCur, float64(s.stats.connCur.Load()), l...)
	e.Gauge(mConnMax, float64(s.stats.connMax.Load()), l...)
	for i, kind := range []string{"open", "read", "write"} {
		total, ok := s.stats.file[2*i].Load(), s.stats.file[2*i+1].Load()
		e.Counter(mFileOps, float64(ok), kind, "success")
		e.Counter(mFileOps, float64(total-ok), kind, "failure")
	}

	// space: the sum over the store paths, the reserve as the tracker
	// applies it to the total
	var total, free int64
	now := s.now()
	for i, p := range s.paths {
		if sp, err := p.cachedSpace(now); err == nil {
			total += sp.TotalMB()
			free += sp.FreeMB()
		}
		path := strconv.Itoa(i)
		depth := 0
		for _, w := range p.workers.Workers() {
			depth += w.Active()
		}
		e.Gauge(mQueue, float64(depth), path)
		if i < len(s.stats.obs.busyNanos) {
			e.Counter(mBusy, float64(s.stats.obs.busyNanos[i].Load())/1e9, path)
		}
	}
	reserved := int64(0)
	if p := s.prm(); p != nil {
		if p.Reserve.Ratio > 0 {
			reserved = int64(float64(total) * p.Reserve.Ratio)
		} else {
			reserved = p.Reserve.MB
		}
	}
	e.Gauge(mTotalMB, float64(total), l...)
	e.Gauge(mFreeMB, float64(free), l...)
	e.Gauge(mReservedMB, float64(reserved), l...)
	e.Gauge(mAvailMB, float64(max(free-reserved, 0)), l...)

	for _, lag := range s.syncLags(now) {
		e.Gauge(mLagSeconds, lag.seconds, lag.peer)
		e.Gauge(mLagBytes, float64(lag.bytes), lag.peer)
	}
	for i, code := range httpCodeList {
		if n := s.stats.httpCodes[i].Load(); n > 0 {
			e.Counter(mHTTP, float64(n), strconv.Itoa(code))
		}
	}
	if n := s.stats.httpCodes[len(httpCodeList)].Load(); n > 0 {
		e.Counter(mHTTP, float64(n), "other")
	}
	o := &s.stats.obs
	e.Counter(mScrubFiles, float64(o.scrubOK.Load()), "ok")
	e.Counter(mScrubFiles, float64(o.scrubBad.Load()), "bad")
	e.Counter(mScrubFiles, float64(o.scrubUnverifiable.Load()), "unverifiable")
	e.Gauge(mScrubBad, float64(o.scrubLastBad.Load()))
	e.Gauge(mScrubLast, float64(o.scrubLastDone.Load()))
	s.stats.cmdTimes.Collect(ch)
}

// selfID is this storage's id at the trackers (its IP without storage ids).
func (s *Server) selfID() string {
	if p := s.prm(); p != nil && p.StorageID != "" && (p.UseStorageID || p.ClusterIDs) {
		return p.StorageID
	}
	return s.selfIP()
}

func (s *Server) selfIP() string {
	if ip, ok := s.MyIP(); ok {
		return ip.String()
	}
	if s.sourceIP.IsValid() {
		return s.sourceIP.String()
	}
	return s.cfg.BindAddr
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
// meaning of iostat's %util); it ends with the server.
func (s *Server) startBusySampler() {
	o := &s.stats.obs
	o.samplerOnce.Do(func() {
		o.busyNanos = make([]atomic.Int64, len(s.paths))
		go func() {
			t := time.NewTicker(busySample)
			defer t.Stop()
			for {
				select {
				case <-s.done:
					return
				case <-t.C:
				}
				for i, p := range s.paths {
					for _, w := range p.workers.Workers() {
						if w.Active() > 0 {
							o.busyNanos[i].Add(int64(busySample))
							break
						}
					}
				}
			}
		}()
	})
}

type syncLag struct {
	peer    string
	seconds float64
	bytes   int64
}

// syncLags reads every peer's mark file (data/sync/<peer>[_<port>].mark)
// and measures what of the binlog lies past it: the bytes, and the age of
// the first record not yet pushed. Marks are saved every
// write_mark_file_freq records and when a pusher idles, so this is the
// lag as of the last save; it reads files only, never a pusher's state.
func (s *Server) syncLags(now time.Time) []syncLag {
	if s.binlog == nil {
		return nil
	}
	dir := s.binlog.Dir()
	marks, _ := filepath.Glob(filepath.Join(dir, "*.mark"))
	var out []syncLag
	for _, mp := range marks {
		m, ok, err := replica.LoadMark(mp)
		if err != nil || !ok {
			continue
		}
		peer := strings.TrimSuffix(filepath.Base(mp), ".mark")
		if i := strings.LastIndexByte(peer, '_'); i > 0 {
			peer = peer[:i]
		}
		lag := syncLag{peer: peer}
		for idx := m.BinlogIndex; ; idx++ {
			st, err := os.Stat(filepath.Join(dir, binlogFileName(idx)))
			if err != nil {
				break
			}
			from := int64(0)
			if idx == m.BinlogIndex {
				from = m.BinlogOffset
			}
			if rest := st.Size() - from; rest > 0 {
				if lag.bytes == 0 {
					if ts := binlogTimestampAt(filepath.Join(dir, binlogFileName(idx)), from); ts > 0 {
						lag.seconds = max(float64(now.Unix()-ts), 0)
					}
				}
				lag.bytes += rest
			}
		}
		out = append(out, lag)
	}
	return out
}

// binlogFileName is binlog.NNN (three digits at least, as C names them).
func binlogFileName(idx int) string {
	n := strconv.Itoa(idx)
	for len(n) < 3 {
		n = "0" + n
	}
	return "binlog." + n
}

// binlogTimestampAt is the timestamp of the binlog record at off (0 when
// unreadable).
func binlogTimestampAt(path string, off int64) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return 0
	}
	line, _ := bufio.NewReaderSize(f, 256).ReadString(' ')
	ts, _ := strconv.ParseInt(strings.TrimSpace(line), 10, 64)
	return ts
}
