package conf

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// MaxStorePaths is the most store paths a storage may have (the tracker's limit).
const MaxStorePaths = 256

// StorePath is one store_pathN.
type StorePath struct {
	Path     string // without trailing slashes; store_path0 defaults to base_path
	ReadOnly bool   // store_pathN_readonly (6.13): no new uploads go here
	Item     Item   // the store_pathN line; zero for a store_path0 taken from base_path
}

// Storage is storage.conf with the C code's defaults (cluster.md §6.3). As
// for Tracker, corrected values are stored corrected (with a warning logged)
// and what C refuses is an error.
type Storage struct {
	Origin
	Server // bind_addr, port (23000), base_path, timeouts (10 s / 30 s), logs, ...

	Disabled   bool   // disabled: the C storage refuses to start
	GroupName  string // group_name; "" = ask the tracker (GET_GROUP_NAME, needs storage ids)
	ClientBind bool   // client_bind, true: bind outgoing connections to bind_addr
	ServerID   string // server_id (6.11): own storage id behind NAT; "" = find it

	HeartBeatInterval  time.Duration // heart_beat_interval, 30 s
	StatReportInterval time.Duration // stat_report_interval, 300 s
	BuffSize           int64         // buff_size, 256 KiB (>= 64 KiB + 10, a trunk binlog chunk)
	// LoopWriteMax is ours, not C's (loop_write_max_size, 16 KiB): upload
	// bodies up to this size are written by the network event loop itself
	// (one pwrite into the page cache) instead of a disk worker, which
	// halves the server CPU of a 4 KiB upload; 0 sends every body to the
	// store path's disk workers, so a stalled disk never holds up a loop.
	LoopWriteMax int64

	DiskRWSeparated     bool // disk_rw_separated, true
	DiskReaderThreads   int  // disk_reader_threads per store path, 1
	DiskWriterThreads   int  // disk_writer_threads per store path, 1
	DiskRecoveryThreads int  // disk_recovery_threads, 1

	SyncMinThreads         int           // sync_min_threads (6.15), 1 (1..256)
	SyncMaxThreads         int           // sync_max_threads (6.15); 0 = auto, see EffectiveSyncMaxThreads
	SyncWait               time.Duration // sync_wait_msec, 100 ms: idle poll of the binlog
	SyncInterval           time.Duration // sync_interval (ms), 0: pause after each synced file
	SyncStartTime          TimeOfDay     // sync_start_time, 00:00
	SyncEndTime            TimeOfDay     // sync_end_time, 23:59
	WriteMarkFileFreq      int           // write_mark_file_freq, 500
	SyncBinlogBuffInterval time.Duration // sync_binlog_buff_interval, 60 s
	SyncStatFileInterval   time.Duration // sync_stat_file_interval, 60 s
	FileSyncSkipInvalid    bool          // file_sync_skip_invalid_record, false
	CompressBinlog         bool          // compress_binlog (6.01), false
	CompressBinlogTime     TimeOfDay     // compress_binlog_time, 01:30

	StorePaths         []StorePath // store_path_count (1) paths
	SubdirCountPerPath int         // subdir_count_per_path, 256 (1..256)
	CheckStorePathMark bool        // check_store_path_mark (6.03), true

	TrackerServers []TrackerServer // tracker_server: required, sorted, deduplicated

	FileDistributePathMode    int   // file_distribute_path_mode, 0 rotate, 1 hash
	FileDistributeRotateCount int   // file_distribute_rotate_count, 100
	FsyncAfterWrittenBytes    int64 // fsync_after_written_bytes, 0 = never
	UploadPriority            int   // upload_priority, 10: lower is preferred
	IfAliasPrefix             string

	CheckFileDuplicate  bool   // check_file_duplicate (FastDHT), false
	FileSignatureMethod string // file_signature_method: "hash" (default) or "md5"
	KeyNamespace        string // key_namespace: required with CheckFileDuplicate
	KeepAlive           bool   // keep_alive: persistent FastDHT connections
	FastDHT             FastDHTServers

	AccessLog AccessLog // [access-log]

	HTTP StorageHTTP // http.*: the built-in HTTP download server (conf/http.go)
}

// FastDHTServers are the FastDHT server groups an #include'd
// fdht_servers.conf lists (group_count, group0..N), kept as written.
type FastDHTServers struct {
	GroupCount int
	Groups     []Item
}

// AccessLog is the [access-log] section (6.14).
type AccessLog struct {
	LogFile
	Enabled       bool   // enabled, false
	TimePrecision string // time_precision (6.16): "ms" (default) or "us"
}

// EffectiveSyncMaxThreads is the sync thread limit C uses: sync_max_threads,
// or for "auto" twice the store path count, at most 256 and at least
// SyncMinThreads.
func (s *Storage) EffectiveSyncMaxThreads() int {
	n := s.SyncMaxThreads
	if n == 0 {
		n = 2 * len(s.StorePaths)
	}
	n = min(n, 256)
	return max(n, s.SyncMinThreads)
}

// LoadStorage reads a storage.conf.
func LoadStorage(path string, opts ...Option) (*Storage, error) {
	o := newOptions(opts)
	ini, err := loadINI(path, o)
	if err != nil {
		return nil, err
	}
	return storageFrom(path, ini, o)
}

// ParseStorage reads a storage.conf held in memory; name stands for its path.
func ParseStorage(name string, data []byte, opts ...Option) (*Storage, error) {
	o := newOptions(opts)
	ini, err := parseINI(name, data, o)
	if err != nil {
		return nil, err
	}
	return storageFrom(name, ini, o)
}

func storageFrom(file string, ini *INI, o *options) (*Storage, error) {
	r := newReader(file, ini, o)
	s := &Storage{
		Disabled:   r.boolean("disabled", false),
		Server:     r.server(23000, 30),
		ClientBind: r.boolean("client_bind", true),

		HeartBeatInterval:  r.positiveSeconds("heart_beat_interval", 30),
		StatReportInterval: r.positiveSeconds("stat_report_interval", 300),

		DiskRWSeparated:     r.boolean("disk_rw_separated", true),
		DiskRecoveryThreads: r.positive("disk_recovery_threads", 1),

		SyncStartTime:          r.timeOfDay("sync_start_time", TimeOfDay{}),
		SyncEndTime:            r.timeOfDay("sync_end_time", TimeOfDay{Hour: 23, Minute: 59}),
		WriteMarkFileFreq:      r.positive("write_mark_file_freq", 500),
		SyncBinlogBuffInterval: r.positiveSeconds("sync_binlog_buff_interval", 60),
		SyncStatFileInterval:   r.positiveSeconds("sync_stat_file_interval", 60),
		FileSyncSkipInvalid:    r.boolean("file_sync_skip_invalid_record", false),
		CompressBinlog:         r.boolean("compress_binlog", false),
		CompressBinlogTime:     r.timeOfDay("compress_binlog_time", TimeOfDay{Hour: 1, Minute: 30}),

		CheckStorePathMark: r.boolean("check_store_path_mark", true),
		TrackerServers:     r.trackerServers(true),

		FileDistributeRotateCount: r.positive("file_distribute_rotate_count", 100),
		FsyncAfterWrittenBytes:    r.bytes("fsync_after_written_bytes", 0),
		UploadPriority:            r.integer("upload_priority", 10),
		IfAliasPrefix:             r.str("if_alias_prefix", ""),

		FileSignatureMethod: r.oneOf("file_signature_method", "hash", "hash", "md5"),
		KeepAlive:           r.boolean("keep_alive", false),
	}
	r.storageIdentity(s)
	r.storageThreads(s)
	r.storagePaths(s)
	r.storageDedup(s)

	s.FileDistributePathMode = r.integer("file_distribute_path_mode", 0)
	if s.FileDistributePathMode != 0 && s.FileDistributePathMode != 1 {
		it, _ := r.item("file_distribute_path_mode")
		r.warn("neither 0 (round robin) nor 1 (hash); FastDFS rotates", it)
		s.FileDistributePathMode = 0
	}

	s.BuffSize = r.bytes("buff_size", 256<<10)
	if it, ok := r.item("buff_size"); ok && s.BuffSize < 64<<10+10 {
		r.fail(it, "%d is too small: a trunk binlog chunk (64KB + 10 bytes) must fit", s.BuffSize)
	}

	s.LoopWriteMax = r.bytes("loop_write_max_size", 16<<10)
	if it, ok := r.item("loop_write_max_size"); ok && (s.LoopWriteMax < 0 || s.LoopWriteMax > 256<<10) {
		r.fail(it, "%d is out of range: 0 (every body to a disk worker) to 256KB", s.LoopWriteMax)
	}

	s.AccessLog = r.accessLog()
	s.HTTP = r.storageHTTP(s.BasePath)
	_, _ = r.metrics(s.BindAddr), r.scrub() // conf/metrics.go

	origin, err := r.finish()
	if err != nil {
		return nil, err
	}
	s.Origin = origin
	return s, nil
}

func (r *reader) storageIdentity(s *Storage) {
	if it, ok := r.item("group_name"); ok {
		if !validGroupName(it.Value) {
			r.fail(it, "invalid group name %q (1 to 16 letters and digits)", it.Value)
		} else {
			s.GroupName = it.Value
		}
	}
	if it, ok := r.item("server_id"); ok && it.Value != "" {
		if !validServerID(it.Value) {
			r.fail(it, "invalid server id %q (a decimal 1..16777215 without leading zeros)", it.Value)
		} else {
			s.ServerID = it.Value
		}
	}
}

func (r *reader) storageThreads(s *Storage) {
	s.DiskReaderThreads = r.atLeast("disk_reader_threads", 1, 0)
	s.DiskWriterThreads = r.atLeast("disk_writer_threads", 1, 0)
	if s.DiskRWSeparated {
		for _, k := range [...]struct {
			key string
			n   int
		}{{"disk_reader_threads", s.DiskReaderThreads}, {"disk_writer_threads", s.DiskWriterThreads}} {
			if it, _ := r.item(k.key); k.n == 0 {
				r.fail(it, "must be > 0 when disk_rw_separated is true")
			}
		}
	} else if s.DiskReaderThreads+s.DiskWriterThreads == 0 {
		it, _ := r.item("disk_reader_threads")
		r.fail(it, "disk_reader_threads and disk_writer_threads are both 0")
	}

	s.SyncMinThreads = r.integer("sync_min_threads", 1)
	if s.SyncMinThreads < 1 || s.SyncMinThreads > 256 {
		it, _ := r.item("sync_min_threads")
		r.warn("must be 1..256; using 1", it)
		s.SyncMinThreads = 1
	}
	if it, ok := r.item("sync_max_threads"); ok && !strings.EqualFold(it.Value, "auto") {
		s.SyncMaxThreads = r.integer("sync_max_threads", 0)
		switch {
		case s.SyncMaxThreads < s.SyncMinThreads:
			r.warn("smaller than sync_min_threads; using sync_min_threads", it)
			s.SyncMaxThreads = s.SyncMinThreads
		case s.SyncMaxThreads > 256:
			r.warn("larger than 256; using 256", it)
			s.SyncMaxThreads = 256
		}
	}

	s.SyncWait = time.Duration(r.positive("sync_wait_msec", 100)) * time.Millisecond
	s.SyncInterval = time.Duration(r.integer("sync_interval", 0)) * time.Millisecond
	if s.SyncInterval < 0 {
		s.SyncInterval = 0
	}
}

// storagePaths reads store_path_count, store_path0..N-1 and their _readonly
// flags.
func (r *reader) storagePaths(s *Storage) {
	s.SubdirCountPerPath = r.integer("subdir_count_per_path", 256)
	if s.SubdirCountPerPath < 1 || s.SubdirCountPerPath > 256 {
		it, _ := r.item("subdir_count_per_path")
		r.fail(it, "%d is invalid, must be 1..256", s.SubdirCountPerPath)
		s.SubdirCountPerPath = 256
	}

	count := r.integer("store_path_count", 1)
	countItem, hasCount := r.item("store_path_count")
	if count < 1 || count > MaxStorePaths {
		r.fail(countItem, "%d is invalid, must be 1..%d", count, MaxStorePaths)
		return
	}

	// Every store_pathN / store_pathN_readonly is ours to judge; a path
	// beyond the count is refused (C ignores it, and with it maybe a disk
	// full of files), a read-only flag beyond it only warned about.
	r.markKnown(func(key string) bool { _, _, ok := storePathKey(key); return ok })
	for _, it := range r.ini.Global().Items {
		n, readonly, ok := storePathKey(it.Key)
		if !ok || n < count {
			continue
		}
		if readonly {
			r.warn("beyond store_path_count; ignored", it)
			continue
		}
		msg := "store_path" + strconv.Itoa(n) + " is set but store_path_count is " + strconv.Itoa(count)
		if !hasCount {
			msg += " (the default)"
		}
		r.fail(it, "%s; FastDFS would silently ignore this path", msg)
	}

	for i := 0; i < count; i++ {
		key := "store_path" + strconv.Itoa(i)
		it, ok := r.item(key)
		p := StorePath{Item: it, ReadOnly: r.boolean(key+"_readonly", false)}
		switch {
		case ok && it.Value == "":
			r.fail(it, "must not be empty")
		case ok:
			p.Path = chopPath(it.Value)
		case i == 0:
			p.Path = s.BasePath
		default:
			r.errs = append(r.errs, &Error{File: r.file, Line: countItem.Line, Key: key,
				Msg: "missing (store_path_count is " + strconv.Itoa(count) + ")"})
		}
		s.StorePaths = append(s.StorePaths, p)
	}
}

// storePathKey parses "store_pathN" and "store_pathN_readonly" with N
// written canonically, as C builds the names it looks up.
func storePathKey(key string) (n int, readonly, ok bool) {
	rest, found := strings.CutPrefix(key, "store_path")
	if !found {
		return 0, false, false
	}
	rest, readonly = strings.CutSuffix(rest, "_readonly")
	v, err := strconv.Atoi(rest)
	if err != nil || v < 0 || strconv.Itoa(v) != rest {
		return 0, false, false
	}
	return v, readonly, true
}

// storageDedup reads the FastDHT duplicate-check settings.
func (r *reader) storageDedup(s *Storage) {
	s.CheckFileDuplicate = r.boolean("check_file_duplicate", false)
	s.KeyNamespace = r.str("key_namespace", "")
	if s.CheckFileDuplicate && s.KeyNamespace == "" {
		if it, ok := r.item("key_namespace"); ok {
			r.fail(it, "must not be empty when check_file_duplicate is true")
		} else {
			r.failMissing("key_namespace", "required when check_file_duplicate is true")
		}
	}
	s.FastDHT.GroupCount = r.integer("group_count", 0)
	r.markKnown(func(key string) bool { _, ok := fdhtGroupKey(key); return ok })
	// Walk the items rather than count up to group_count: the count is
	// whatever the file says.
	for _, it := range r.ini.Global().Items {
		if n, ok := fdhtGroupKey(it.Key); ok && n < s.FastDHT.GroupCount {
			s.FastDHT.Groups = append(s.FastDHT.Groups, it)
		}
	}
	slices.SortStableFunc(s.FastDHT.Groups, func(a, b Item) int {
		na, _ := fdhtGroupKey(a.Key)
		nb, _ := fdhtGroupKey(b.Key)
		return na - nb
	})
}

// fdhtGroupKey parses "groupN" (N canonical) of fdht_servers.conf.
func fdhtGroupKey(key string) (int, bool) {
	rest, ok := strings.CutPrefix(key, "group")
	n, err := strconv.Atoi(rest)
	return n, ok && err == nil && n >= 0 && strconv.Itoa(n) == rest
}

// accessLog reads [access-log]: the rotation keys fall back to the global
// ones, enabled and time_precision belong to the section alone.
func (r *reader) accessLog() AccessLog {
	own := r.in("access-log", false)
	a := AccessLog{
		LogFile: r.in("access-log", true).logFile(),
		Enabled: own.boolean("enabled", false),
	}
	switch own.oneOf("time_precision", "ms", "ms", "millisecond", "us", "microsecond") {
	case "us", "microsecond":
		a.TimePrecision = "us"
	default:
		a.TimePrecision = "ms"
	}
	return a
}
