package tracker

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gofdfs/gofdfs/server/metrics"
)

// Prometheus metrics of the tracker: its view of every group and storage
// under the upstream fdfs_exporter's names and labels (so its Grafana
// dashboard works unchanged), read from the registry at scrape time.

var (
	storageLabels = []string{"group", "storage_id", "ip", "status"}

	descTracker = func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("fastdfs_tracker_"+name, help, []string{"host"}, nil)
	}
	descGroup = func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("fastdfs_group_"+name, help, []string{"group"}, nil)
	}
	descStorage = func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("fastdfs_storage_"+name, help, storageLabels, nil)
	}

	mTrackerAlloc   = descTracker("connections_alloc", "Alloc connection count")
	mTrackerCurrent = descTracker("connections_current", "Current connection count")
	mTrackerMax     = descTracker("connections_max", "Maximum connection count")
	mTrackerActive  = descTracker("is_active", "Is active")
	mTrackerLeader  = descTracker("is_leader", "Is leader")

	mGroupTotal    = descGroup("total_mb", "Disk total space in MB")
	mGroupFree     = descGroup("free_mb", "Disk free space in MB")
	mGroupReserved = descGroup("reserved_mb", "Disk reserved space in MB")
	mGroupAvail    = descGroup("available_mb", "Disk available space in MB")
	mGroupTrunk    = descGroup("trunk_free_mb", "Trunk free space in MB")
	mGroupCount    = descGroup("storage_count", "Number of storage servers in group")
	mGroupActive   = descGroup("active_count", "Number of active storage servers (the upstream dashboard's panel)")
	mGroupRead     = descGroup("readable_server_count", "Number of readable storage servers")
	mGroupWrite    = descGroup("writable_server_count", "Number of writable storage servers")

	mStTotal       = descStorage("total_mb", "Disk total space in MB")
	mStFree        = descStorage("free_mb", "Disk free space in MB")
	mStReserved    = descStorage("reserved_mb", "Disk reserved space in MB")
	mStAvail       = descStorage("available_mb", "Disk available space in MB")
	mStConnAlloc   = descStorage("connections_alloc", "Alloc connection count")
	mStConnCur     = descStorage("connections_current", "Current connection count")
	mStConnMax     = descStorage("connections_max", "Maximum connection count")
	mStHeartbeat   = descStorage("last_heartbeat", "Last heartbeat timestamp")
	mStHBDelay     = descStorage("heartbeat_delay_seconds", "Seconds since last heartbeat")
	mStSynced      = descStorage("last_synced_timestamp", "Last synced timestamp")
	mStSyncedDelay = descStorage("synced_delay_seconds", "Synced delay seconds (-1: never synced)")

	// the operation counters, as each storage's last BEAT reported them
	mStOps = func() (m [5][2]*prometheus.Desc) {
		for i, op := range []string{"upload", "download", "delete", "append", "modify"} {
			m[i][0] = descStorage(op+"_total", "Total "+op+" operations")
			m[i][1] = descStorage(op+"_success", "Successful "+op+" operations")
		}
		return m
	}()
	mStUpBytes   = descStorage("upload_bytes_total", "Total uploaded bytes")
	mStDownBytes = descStorage("download_bytes_total", "Total downloaded bytes")
	mStSyncIn    = descStorage("sync_in_bytes_total", "Total sync in bytes")
	mStSyncOut   = descStorage("sync_out_bytes_total", "Total sync out bytes")
)

// metricsCollector is the tracker's prometheus.Collector.
type metricsCollector struct{ s *Server }

// MetricsCollector returns the collector of the tracker's metrics, for a
// registry the daemon serves.
func (s *Server) MetricsCollector() prometheus.Collector { return metricsCollector{s} }

func (c metricsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{mTrackerAlloc, mTrackerCurrent, mTrackerMax, mTrackerActive, mTrackerLeader,
		mGroupTotal, mGroupFree, mGroupReserved, mGroupAvail, mGroupTrunk, mGroupCount, mGroupActive, mGroupRead,
		mGroupWrite, mStTotal, mStFree, mStReserved, mStAvail, mStConnAlloc, mStConnCur, mStConnMax, mStHeartbeat,
		mStHBDelay, mStSynced, mStSyncedDelay, mStUpBytes, mStDownBytes, mStSyncIn, mStSyncOut} {
		ch <- d
	}
	for _, p := range mStOps {
		ch <- p[0]
		ch <- p[1]
	}
	c.s.describeExtra(ch)
}

func (c metricsCollector) Collect(ch chan<- prometheus.Metric) {
	e := metrics.Emitter{Ch: ch}
	c.s.collectTrackers(e)
	c.s.collectGroups(e)
	c.s.collectExtra(ch)
}

// collectTrackers: this tracker, and while it leads, the followers as their
// pings describe them (what TRACKER_CLUSTER_STAT answers).
func (s *Server) collectTrackers(e metrics.Emitter) {
	now := s.now()
	emit := func(host string, alloc, cur, max int32, active, leader bool) {
		e.Gauge(mTrackerAlloc, float64(alloc), host)
		e.Gauge(mTrackerCurrent, float64(cur), host)
		e.Gauge(mTrackerMax, float64(max), host)
		e.Gauge(mTrackerActive, metrics.B(active), host)
		e.Gauge(mTrackerLeader, metrics.B(leader), host)
	}
	own := s.connStat()
	c := s.cl
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.self < 0 {
		emit(s.Addr(), s.connAlloc(), own.CurrentCount, own.MaxCount, true, false)
		return
	}
	for i, a := range c.trackers {
		host := a.String()
		switch {
		case i == c.self:
			emit(host, s.connAlloc(), own.CurrentCount, own.MaxCount, true, i == c.leader)
		case c.leader == c.self:
			if f := c.followers[host]; f != nil {
				emit(host, f.conns.AllocCount, f.conns.CurrentCount, f.conns.MaxCount,
					now.Sub(f.lastPing) <= followerActiveFor, false)
			}
		}
	}
}

// collectGroups: every group and storage of the registry, with the figures
// the exporter derives from LIST_GROUPS and LIST_STORAGE.
func (s *Server) collectGroups(e metrics.Emitter) {
	now := s.now().Unix()
	rs := s.cfg.ReservedStorageSpace
	r := s.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, g := range r.sorted {
		reserved := reservedMB(rs, g.totalMB)
		e.Gauge(mGroupTotal, float64(g.totalMB), g.name)
		e.Gauge(mGroupFree, float64(g.freeMB), g.name)
		e.Gauge(mGroupReserved, float64(reserved), g.name)
		e.Gauge(mGroupAvail, float64(max(g.freeMB-reserved, 0)), g.name)
		if s.cfg.UseTrunkFile {
			e.Gauge(mGroupTrunk, float64(g.trunkFreeMB), g.name)
		}
		active := 0
		var maxSource int64
		for _, m := range g.storages {
			if m.status == StatusActive {
				active++
			}
			maxSource = max(maxSource, m.stat.LastSourceUpdate)
		}
		e.Gauge(mGroupCount, float64(len(g.storages)), g.name)
		e.Gauge(mGroupActive, float64(active), g.name)
		e.Gauge(mGroupRead, float64(len(g.readable)), g.name)
		e.Gauge(mGroupWrite, float64(len(g.writable)), g.name)
		for _, m := range g.byID {
			l := []string{g.name, m.id, m.ip, strconv.Itoa(int(m.status))}
			st := &m.stat
			res := reservedMB(rs, m.totalMB)
			e.Gauge(mStTotal, float64(m.totalMB), l...)
			e.Gauge(mStFree, float64(m.freeMB), l...)
			e.Gauge(mStReserved, float64(res), l...)
			e.Gauge(mStAvail, float64(max(m.freeMB-res, 0)), l...)
			e.Gauge(mStConnAlloc, float64(st.Connection.AllocCount), l...)
			e.Gauge(mStConnCur, float64(st.Connection.CurrentCount), l...)
			e.Gauge(mStConnMax, float64(st.Connection.MaxCount), l...)
			e.Gauge(mStHeartbeat, float64(st.LastHeartBeatTime), l...)
			e.Gauge(mStHBDelay, float64(now-st.LastHeartBeatTime), l...)
			e.Gauge(mStSynced, float64(st.LastSyncedTimestamp), l...)
			// the exporter's: how far this storage's newest synced
			// timestamp is behind the group's newest source update
			delay := int64(-1)
			switch {
			case maxSource == 0:
				delay = 0
			case st.LastSyncedTimestamp > 0:
				delay = max(maxSource-st.LastSyncedTimestamp, 0)
			}
			e.Gauge(mStSyncedDelay, float64(delay), l...)
			ops := [5][2]int64{
				{st.TotalUploadCount, st.SuccessUploadCount}, {st.TotalDownloadCount, st.SuccessDownloadCount},
				{st.TotalDeleteCount, st.SuccessDeleteCount}, {st.TotalAppendCount, st.SuccessAppendCount},
				{st.TotalModifyCount, st.SuccessModifyCount},
			}
			for i, v := range ops {
				e.Counter(mStOps[i][0], float64(v[0]), l...)
				e.Gauge(mStOps[i][1], float64(v[1]), l...)
			}
			e.Counter(mStUpBytes, float64(st.TotalUploadBytes), l...)
			e.Counter(mStDownBytes, float64(st.TotalDownloadBytes), l...)
			e.Counter(mStSyncIn, float64(st.TotalSyncInBytes), l...)
			e.Counter(mStSyncOut, float64(st.TotalSyncOutBytes), l...)
		}
	}
}
