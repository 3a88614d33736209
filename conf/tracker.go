package conf

import (
	"strings"
	"time"
)

// Selection policies of tracker.conf (cluster.md §5).
const (
	StoreLookupRoundRobin  = 0 // store_lookup: groups in turn
	StoreLookupSpecGroup   = 1 // store_lookup: always store_group
	StoreLookupLoadBalance = 2 // store_lookup: the group with the most free space

	StoreServerRoundRobin = 0 // store_server
	StoreServerFirstByIP  = 1 // store_server: first of the list sorted by id (= IP without ids)
	StoreServerFirstByPri = 2 // store_server: smallest upload_priority

	StorePathRoundRobin  = 0 // store_path
	StorePathLoadBalance = 2 // store_path: the path with the most free space

	DownloadServerRoundRobin  = 0 // download_server
	DownloadServerSourceFirst = 1 // download_server: the file's source storage first
)

// IDType is id_type_in_filename: what a storage writes into new file ids.
type IDType string

const (
	IDTypeIP IDType = "ip" // the storage's IPv4 address
	IDTypeID IDType = "id" // its storage id (only with use_storage_id)
)

// IPAddrSize is response_ip_addr_size (6.15): the IP field width of client
// query replies (client.md §4.0).
type IPAddrSize int

const (
	IPAddrSizeAuto IPAddrSize = 0  // "auto": 16, or 46 when storage_ids.conf has an IPv6 address
	IPAddrSizeIPv6 IPAddrSize = 46 // any other value
)

// Width returns the field width in bytes (16 or 46) the tracker uses.
func (s IPAddrSize) Width(useStorageID bool, ids *StorageIDs) int {
	if s == IPAddrSizeAuto && !(useStorageID && ids != nil && ids.HasIPv6()) {
		return 16
	}
	return 46
}

// DefaultResponseListDialect names the LIST/FETCH_ALL record layouts of the
// current FastDFS, the value of response_list_dialect when absent.
const DefaultResponseListDialect = "v6.16"

// Tracker is tracker.conf with the C code's defaults (cluster.md §6.2). Where
// C corrects a value silently (a non-positive interval, an oversized slot)
// the field holds the corrected value and the loader logged a warning. Values
// C ignores in the current combination hold what C uses (StoreGroup is ""
// unless StoreLookup is 1; IDTypeInFilename is "ip" without storage ids).
type Tracker struct {
	Origin
	Server // bind_addr, port (22122), base_path, timeouts (10 s / 60 s), logs, ...

	Disabled bool // disabled: the C tracker refuses to start

	BuffSize    int64 // buff_size: max package size, 256 KiB
	MinBuffSize int64 // min_buff_size as configured; both = BuffSize if either is absent
	MaxBuffSize int64 // max_buff_size as configured; see NetBuffers for C's effective values

	StoreLookup          int           // store_lookup, 0
	StoreGroup           string        // store_group (only with StoreLookup 1)
	StoreServer          int           // store_server, 0 (1 when UseTrunkFile forces it)
	StorePath            int           // store_path, 0
	DownloadServer       int           // download_server, 0
	ReservedStorageSpace ReservedSpace // reserved_storage_space, 1024 MB

	CheckActiveInterval        time.Duration // check_active_interval, 100 s
	StorageIPChangedAutoAdjust bool          // storage_ip_changed_auto_adjust, true
	StorageSyncFileMaxDelay    time.Duration // storage_sync_file_max_delay, 86400 s
	StorageSyncFileMaxTime     time.Duration // storage_sync_file_max_time, 300 s
	StoreSlaveFileUseLink      bool          // store_slave_file_use_link, false

	UseTrunkFile                   bool          // use_trunk_file, false
	SlotMinSize                    int64         // slot_min_size, 256 (<= 64 KiB, >= alignment)
	SlotMaxSize                    int64         // slot_max_size, TrunkFileSize/8 (<= TrunkFileSize/2)
	TrunkAllocAlignmentSize        int           // trunk_alloc_alignment_size, 0
	TrunkFreeSpaceMerge            bool          // trunk_free_space_merge, false
	DeleteUnusedTrunkFiles         bool          // delete_unused_trunk_files, false
	TrunkFileSize                  int64         // trunk_file_size, 64 MiB (>= 4 MiB)
	TrunkCreateFileAdvance         bool          // trunk_create_file_advance, false
	TrunkCreateFileTimeBase        TimeOfDay     // trunk_create_file_time_base, 02:00
	TrunkCreateFileInterval        time.Duration // trunk_create_file_interval, 86400 s
	TrunkCreateFileSpaceThreshold  int64         // trunk_create_file_space_threshold, 0
	TrunkInitCheckOccupying        bool          // trunk_init_check_occupying, false
	TrunkInitReloadFromBinlog      bool          // trunk_init_reload_from_binlog, false
	TrunkCompressBinlogMinInterval time.Duration // trunk_compress_binlog_min_interval, 0 = never
	TrunkCompressBinlogInterval    time.Duration // trunk_compress_binlog_interval, 0 = never
	TrunkCompressBinlogTimeBase    TimeOfDay     // trunk_compress_binlog_time_base, 03:00
	TrunkBinlogMaxBackups          int           // trunk_binlog_max_backups, 0

	UseStorageID         bool        // use_storage_id, false
	StorageIDsFilename   string      // storage_ids_filename, resolved against the conf's directory
	StorageIDs           *StorageIDs // loaded when UseStorageID
	IDTypeInFilename     IDType      // id_type_in_filename, "ip"
	TrustStorageServerID bool        // trust_storage_server_id, true

	ResponseIPAddrSize IPAddrSize // response_ip_addr_size, auto

	// ResponseListDialect is ours, not C's: the name of the LIST/FETCH_ALL
	// record layouts to answer old client SDKs with (default "v6.16"). The
	// codec validates it; C ignores the key.
	ResponseListDialect string
}

// NetBuffers returns the buffer sizes the C tracker ends up with
// (libserverframe's load_network_parameters): without both min_buff_size and
// max_buff_size all three equal buff_size; otherwise the max buffer grows to
// at least the package size and the min buffer, and the package size to the
// max buffer.
func (t *Tracker) NetBuffers() (maxPkgSize, minBuffSize, maxBuffSize int64) {
	maxPkgSize, minBuffSize, maxBuffSize = t.BuffSize, t.MinBuffSize, t.MaxBuffSize
	if maxBuffSize < maxPkgSize {
		maxBuffSize = maxPkgSize
	} else {
		maxPkgSize = maxBuffSize
	}
	if maxBuffSize < minBuffSize {
		maxBuffSize = minBuffSize
	}
	return maxPkgSize, minBuffSize, maxBuffSize
}

// LoadTracker reads a tracker.conf (and, with use_storage_id, the
// storage_ids.conf it names).
func LoadTracker(path string, opts ...Option) (*Tracker, error) {
	o := newOptions(opts)
	ini, err := loadINI(path, o)
	if err != nil {
		return nil, err
	}
	return trackerFrom(path, ini, o)
}

// ParseTracker reads a tracker.conf held in memory; name stands for its path
// (includes and storage_ids_filename are resolved against its directory).
func ParseTracker(name string, data []byte, opts ...Option) (*Tracker, error) {
	o := newOptions(opts)
	ini, err := parseINI(name, data, o)
	if err != nil {
		return nil, err
	}
	return trackerFrom(name, ini, o)
}

func trackerFrom(file string, ini *INI, o *options) (*Tracker, error) {
	r := newReader(file, ini, o)
	t := &Tracker{
		Disabled: r.boolean("disabled", false),
		Server:   r.server(22122, 60),
	}
	r.trackerBuffers(t)
	r.trackerSelection(t)
	r.trackerTrunk(t)

	t.CheckActiveInterval = r.positiveSeconds("check_active_interval", 100)
	t.StorageIPChangedAutoAdjust = r.boolean("storage_ip_changed_auto_adjust", true)
	t.StorageSyncFileMaxDelay = r.positiveSeconds("storage_sync_file_max_delay", 86400)
	t.StorageSyncFileMaxTime = r.positiveSeconds("storage_sync_file_max_time", 300)
	t.StoreSlaveFileUseLink = r.boolean("store_slave_file_use_link", false)

	r.trackerStorageIDs(t)

	t.ResponseIPAddrSize = IPAddrSizeAuto
	if it, ok := r.item("response_ip_addr_size"); ok && !strings.EqualFold(it.Value, "auto") {
		t.ResponseIPAddrSize = IPAddrSizeIPv6
		if !strings.EqualFold(it.Value, "IPv6") {
			r.warn("neither auto nor IPv6; FastDFS treats it as IPv6 (46-byte addresses)", it)
		}
	}
	if it, ok := r.item("address_family"); ok && t.AddressFamily == FamilyIPv6 &&
		!(t.UseStorageID && t.IDTypeInFilename == IDTypeID) {
		r.fail(it, "IPv6 requires use_storage_id = true and id_type_in_filename = id")
	}

	t.ResponseListDialect = r.str("response_list_dialect", DefaultResponseListDialect)
	if t.ResponseListDialect == "" {
		t.ResponseListDialect = DefaultResponseListDialect
	}

	_ = r.metrics(t.BindAddr) // metrics_port, metrics_bind_addr (conf/metrics.go)
	origin, err := r.finish()
	if err != nil {
		return nil, err
	}
	t.Origin = origin
	return t, nil
}

func (r *reader) trackerBuffers(t *Tracker) {
	t.BuffSize = r.bytesInRange("buff_size", 256<<10, 8192, 2<<30)
	_, hasMin := r.item("min_buff_size")
	_, hasMax := r.item("max_buff_size")
	t.MinBuffSize = r.bytesInRange("min_buff_size", 64<<10, 4096, 2<<30)
	t.MaxBuffSize = r.bytesInRange("max_buff_size", 256<<10, 8192, 2<<30)
	if !hasMin || !hasMax {
		t.MinBuffSize, t.MaxBuffSize = t.BuffSize, t.BuffSize
	}
}

func (r *reader) trackerSelection(t *Tracker) {
	t.StoreLookup = r.integer("store_lookup", StoreLookupRoundRobin)
	group, hasGroup := r.item("store_group")
	switch t.StoreLookup {
	case StoreLookupRoundRobin, StoreLookupLoadBalance:
	case StoreLookupSpecGroup:
		switch {
		case !hasGroup:
			r.failMissing("store_group", "required when store_lookup = 1")
		case !validGroupName(group.Value):
			r.fail(group, "invalid group name %q (1 to 16 letters and digits)", group.Value)
		default:
			t.StoreGroup = group.Value
		}
	default:
		it, _ := r.item("store_lookup")
		r.fail(it, "invalid value %d (0 round robin, 1 specify group, 2 load balance)", t.StoreLookup)
	}

	t.StoreServer = r.policy("store_server", StoreServerRoundRobin, StoreServerFirstByIP, StoreServerFirstByPri)
	t.DownloadServer = r.policy("download_server", DownloadServerSourceFirst)
	t.StorePath = r.policy("store_path", StorePathLoadBalance)

	t.ReservedStorageSpace = defaultReservedSpace
	if it, ok := r.item("reserved_storage_space"); ok {
		rs, err := it.ReservedSpace()
		if err != nil {
			r.errs = append(r.errs, err)
		} else {
			t.ReservedStorageSpace = rs
		}
	}
}

// policy reads a selection mode: 0 or one of valid; C replaces anything
// else by 0 (round robin) with a warning.
func (r *reader) policy(key string, valid ...int) int {
	n := r.integer(key, 0)
	if n == 0 {
		return 0
	}
	for _, v := range valid {
		if n == v {
			return n
		}
	}
	it, _ := r.item(key)
	r.warn("invalid value; using 0 (round robin) as FastDFS does", it)
	return 0
}

func (r *reader) trackerTrunk(t *Tracker) {
	t.UseTrunkFile = r.boolean("use_trunk_file", false)

	t.SlotMinSize = r.bytes("slot_min_size", 256)
	if it, ok := r.item("slot_min_size"); ok && t.SlotMinSize <= 0 {
		r.fail(it, "must be > 0")
	}
	if t.SlotMinSize > 64<<10 {
		it, _ := r.item("slot_min_size")
		r.warn("too large; using 64KB", it)
		t.SlotMinSize = 64 << 10
	}

	t.TrunkFileSize = r.bytes("trunk_file_size", 64<<20)
	if t.TrunkFileSize < 4<<20 {
		it, _ := r.item("trunk_file_size")
		r.warn("too small; using 4MB", it)
		t.TrunkFileSize = 4 << 20
	}

	t.SlotMaxSize = r.bytes("slot_max_size", t.TrunkFileSize/8)
	if it, ok := r.item("slot_max_size"); t.SlotMaxSize <= t.SlotMinSize {
		if !ok {
			it = Item{File: r.file, Key: "slot_max_size"}
		}
		r.fail(it, "%d must be larger than slot_min_size %d", t.SlotMaxSize, t.SlotMinSize)
	} else if t.SlotMaxSize > t.TrunkFileSize/2 {
		r.warn("larger than half of trunk_file_size; using trunk_file_size/2", it)
		t.SlotMaxSize = t.TrunkFileSize / 2
	}

	t.TrunkCreateFileAdvance = r.boolean("trunk_create_file_advance", false)
	t.TrunkCreateFileTimeBase = r.timeOfDay("trunk_create_file_time_base", TimeOfDay{Hour: 2})
	t.TrunkCreateFileInterval = r.seconds("trunk_create_file_interval", 86400)
	t.TrunkCreateFileSpaceThreshold = r.bytes("trunk_create_file_space_threshold", 0)
	t.TrunkCompressBinlogMinInterval = r.seconds("trunk_compress_binlog_min_interval", 0)
	t.TrunkCompressBinlogInterval = r.seconds("trunk_compress_binlog_interval", 0)
	t.TrunkCompressBinlogTimeBase = r.timeOfDay("trunk_compress_binlog_time_base", TimeOfDay{Hour: 3})
	t.TrunkBinlogMaxBackups = r.integer("trunk_binlog_max_backups", 0)

	t.TrunkAllocAlignmentSize = r.integer("trunk_alloc_alignment_size", 0)
	if t.SlotMinSize < int64(t.TrunkAllocAlignmentSize) {
		it, _ := r.item("trunk_alloc_alignment_size")
		r.warn("larger than slot_min_size; slot_min_size raised to it", it)
		t.SlotMinSize = int64(t.TrunkAllocAlignmentSize)
	}

	t.TrunkInitCheckOccupying = r.boolean("trunk_init_check_occupying", false)
	t.TrunkInitReloadFromBinlog = r.boolean("trunk_init_reload_from_binlog", false)
	t.TrunkFreeSpaceMerge = r.boolean("trunk_free_space_merge", false)
	t.DeleteUnusedTrunkFiles = r.boolean("delete_unused_trunk_files", false)

	if t.UseTrunkFile && t.StoreServer == StoreServerRoundRobin {
		// C forces "first by IP" so one server keeps receiving the small files.
		r.opts.log.Info("conf: store_server set to 1 because use_trunk_file is true", "file", r.file)
		t.StoreServer = StoreServerFirstByIP
	}
}

func (r *reader) trackerStorageIDs(t *Tracker) {
	t.UseStorageID = r.boolean("use_storage_id", false)
	idType := r.oneOf("id_type_in_filename", string(IDTypeIP), string(IDTypeIP), string(IDTypeID))
	t.TrustStorageServerID = r.boolean("trust_storage_server_id", true)
	it, hasFile := r.item("storage_ids_filename")
	t.StorageIDsFilename = relativeTo(r.file, it.Value)

	t.IDTypeInFilename = IDTypeIP
	if !t.UseStorageID {
		return
	}
	t.IDTypeInFilename = IDType(idType)
	t.StorageIDs = r.loadStorageIDs(it, hasFile)
}

// loadStorageIDs loads the storage_ids.conf named by item it.
func (r *reader) loadStorageIDs(it Item, present bool) *StorageIDs {
	switch {
	case !present:
		r.failMissing("storage_ids_filename", "required when use_storage_id = true")
		return nil
	case it.Value == "":
		r.fail(it, "must not be empty when use_storage_id = true")
		return nil
	}
	ids, err := loadStorageIDs(relativeTo(r.file, it.Value), r.opts)
	if err != nil {
		r.errs = append(r.errs, err)
		return nil
	}
	return ids
}
