package conf

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestTrackerCSample(t *testing.T) {
	log, logs := testLogger()
	path := cSample(t, "tracker.conf")
	tr, err := LoadTracker(path, WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Disabled", tr.Disabled, false},
		{"BindAddr", tr.BindAddr, ""},
		{"Port", tr.Port, 22122},
		{"AddressFamily", tr.AddressFamily, FamilyAuto},
		{"ResponseIPAddrSize", tr.ResponseIPAddrSize, IPAddrSizeAuto},
		{"ConnectTimeout", tr.ConnectTimeout, 5 * time.Second},
		{"NetworkTimeout", tr.NetworkTimeout, 60 * time.Second},
		{"UseIOUring", tr.UseIOUring, false},
		{"UseSendZC", tr.UseSendZC, true},
		{"BasePath", tr.BasePath, "/opt/fastdfs"},
		{"MaxConnections", tr.MaxConnections, 1024},
		{"AcceptThreads", tr.AcceptThreads, 1},
		{"WorkThreads", tr.WorkThreads, 4},
		{"MinBuffSize", tr.MinBuffSize, int64(8 << 10)},
		{"MaxBuffSize", tr.MaxBuffSize, int64(128 << 10)},
		{"BuffSize", tr.BuffSize, int64(256 << 10)},
		{"StoreLookup", tr.StoreLookup, StoreLookupLoadBalance},
		{"StoreGroup (only used with store_lookup 1)", tr.StoreGroup, ""},
		{"StoreServer", tr.StoreServer, StoreServerRoundRobin},
		{"StorePath", tr.StorePath, StorePathRoundRobin},
		{"DownloadServer", tr.DownloadServer, DownloadServerRoundRobin},
		{"ReservedStorageSpace", tr.ReservedStorageSpace.String(), "20.00%"},
		{"ReservedStorageSpace.IsRatio", tr.ReservedStorageSpace.IsRatio(), true},
		{"LogLevel", tr.LogLevel, "info"},
		{"RunByGroup", tr.RunByGroup, ""},
		{"RunByUser", tr.RunByUser, ""},
		{"AllowHosts", tr.AllowHosts, []string{"*"}},
		{"AllowsAll", tr.AllowsAll(), true},
		{"CheckActiveInterval", tr.CheckActiveInterval, 120 * time.Second},
		{"ThreadStackSize", tr.ThreadStackSize, int64(256 << 10)},
		{"StorageIPChangedAutoAdjust", tr.StorageIPChangedAutoAdjust, true},
		{"StorageSyncFileMaxDelay", tr.StorageSyncFileMaxDelay, 86400 * time.Second},
		{"StorageSyncFileMaxTime", tr.StorageSyncFileMaxTime, 300 * time.Second},
		{"UseTrunkFile", tr.UseTrunkFile, false},
		{"SlotMinSize (raised to the alignment)", tr.SlotMinSize, int64(256)},
		{"SlotMaxSize", tr.SlotMaxSize, int64(1 << 20)},
		{"TrunkAllocAlignmentSize", tr.TrunkAllocAlignmentSize, 256},
		{"TrunkFreeSpaceMerge", tr.TrunkFreeSpaceMerge, true},
		{"DeleteUnusedTrunkFiles", tr.DeleteUnusedTrunkFiles, false},
		{"TrunkFileSize", tr.TrunkFileSize, int64(64 << 20)},
		{"TrunkCreateFileAdvance", tr.TrunkCreateFileAdvance, false},
		{"TrunkCreateFileTimeBase", tr.TrunkCreateFileTimeBase, TimeOfDay{Hour: 2}},
		{"TrunkCreateFileInterval", tr.TrunkCreateFileInterval, 86400 * time.Second},
		{"TrunkCreateFileSpaceThreshold", tr.TrunkCreateFileSpaceThreshold, int64(20 << 30)},
		{"TrunkInitCheckOccupying", tr.TrunkInitCheckOccupying, false},
		{"TrunkInitReloadFromBinlog", tr.TrunkInitReloadFromBinlog, false},
		{"TrunkCompressBinlogMinInterval", tr.TrunkCompressBinlogMinInterval, 86400 * time.Second},
		{"TrunkCompressBinlogInterval", tr.TrunkCompressBinlogInterval, 86400 * time.Second},
		{"TrunkCompressBinlogTimeBase", tr.TrunkCompressBinlogTimeBase, TimeOfDay{Hour: 3}},
		{"TrunkBinlogMaxBackups", tr.TrunkBinlogMaxBackups, 7},
		{"UseStorageID", tr.UseStorageID, false},
		{"StorageIDsFilename", tr.StorageIDsFilename, filepath.Join(filepath.Dir(path), "storage_ids.conf")},
		{"StorageIDs", tr.StorageIDs == nil, true},
		// The sample says id, but without storage ids C uses ip (and says so in its PARAMETER reply).
		{"IDTypeInFilename", tr.IDTypeInFilename, IDTypeIP},
		{"TrustStorageServerID", tr.TrustStorageServerID, true},
		{"StoreSlaveFileUseLink", tr.StoreSlaveFileUseLink, false},
		{"UseConnectionPool", tr.UseConnectionPool, true},
		{"ConnectionPoolMaxIdleTime", tr.ConnectionPoolMaxIdleTime, 3600 * time.Second},
		{"ErrorLog", tr.ErrorLog, LogFile{SyncBuffInterval: time.Second, RotateEveryday: true,
			CompressDaysBefore: 7, KeepDays: 15, DeleteOldTime: TimeOfDay{Hour: 1, Minute: 30}}},
		{"ResponseListDialect", tr.ResponseListDialect, DefaultResponseListDialect},
		{"Unknown", len(tr.Unknown()), 0},
		{"File", tr.File(), path},
		{"Where(check_active_interval)", tr.Where("check_active_interval"), path + ":166"},
		{"Where(absent)", tr.Where("buff_size"), path},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
	// C's effective buffers for the sample, as its startup log shows:
	// max_pkg_size=256 KB, min_buff_size=8 KB, max_buff_size=256 KB.
	if p, lo, hi := tr.NetBuffers(); p != 256<<10 || lo != 8<<10 || hi != 256<<10 {
		t.Errorf("NetBuffers = %d %d %d", p, lo, hi)
	}
	if tr.ResponseIPAddrSize.Width(tr.UseStorageID, tr.StorageIDs) != 16 {
		t.Error("auto width without storage ids must be 16")
	}
	if s := logs.String(); s != "" {
		t.Errorf("the C sample must load without warnings, got:\n%s", s)
	}
}

func TestTrackerCodeDefaults(t *testing.T) {
	log, logs := testLogger()
	tr, err := ParseTracker("/etc/fdfs/tracker.conf", []byte("base_path=/data/t/\n"), WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	want := Tracker{
		Server: Server{
			Port: 22122, AddressFamily: FamilyAuto, ConnectTimeout: 10 * time.Second,
			NetworkTimeout: 60 * time.Second, UseSendZC: true, TCPQuickAck: true,
			BasePath: "/data/t", MaxConnections: 256, AcceptThreads: 1, WorkThreads: 4,
			ThreadStackSize: 256 << 10, LogLevel: "info", ConnectionPoolMaxIdleTime: time.Hour,
			ErrorLog: LogFile{SyncBuffInterval: time.Second, RotateEveryday: true, CompressDaysBefore: 1,
				KeepDays: 15, DeleteOldTime: TimeOfDay{Hour: 1, Minute: 30}},
		},
		BuffSize: 256 << 10, MinBuffSize: 256 << 10, MaxBuffSize: 256 << 10,
		ReservedStorageSpace:        ReservedSpace{MB: 1024},
		CheckActiveInterval:         100 * time.Second,
		StorageIPChangedAutoAdjust:  true,
		StorageSyncFileMaxDelay:     86400 * time.Second,
		StorageSyncFileMaxTime:      300 * time.Second,
		SlotMinSize:                 256,
		SlotMaxSize:                 8 << 20,
		TrunkFileSize:               64 << 20,
		TrunkCreateFileTimeBase:     TimeOfDay{Hour: 2},
		TrunkCreateFileInterval:     86400 * time.Second,
		TrunkCompressBinlogTimeBase: TimeOfDay{Hour: 3},
		IDTypeInFilename:            IDTypeIP,
		TrustStorageServerID:        true,
		ResponseListDialect:         "v6.16",
	}
	tr.Origin = Origin{}
	if !reflect.DeepEqual(*tr, want) {
		t.Fatalf("defaults:\n got %+v\nwant %+v", *tr, want)
	}
	if tr.ReservedStorageSpace.String() != "1024MB" {
		t.Errorf("reserved = %s", tr.ReservedStorageSpace)
	}
	if logs.String() != "" {
		t.Errorf("unexpected warnings:\n%s", logs)
	}
}

func TestTrackerRepeatedKeyLastWins(t *testing.T) {
	log, logs := testLogger()
	tr, err := ParseTracker("t.conf", []byte("base_path=/b\nport=1000\nstore_lookup=2\nport = 2000\n"+
		"allow_hosts=10.0.0.1\nallow_hosts=10.0.0.2\n"), WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	if tr.Port != 2000 {
		t.Errorf("Port = %d, want the last value 2000", tr.Port)
	}
	if !reflect.DeepEqual(tr.AllowHosts, []string{"10.0.0.1", "10.0.0.2"}) || tr.AllowsAll() {
		t.Errorf("AllowHosts = %v", tr.AllowHosts)
	}
	if logs.count("repeated", "t.conf:4", "first=t.conf:2") != 1 || logs.count("repeated") != 1 {
		t.Errorf("a repeated single-value key must be warned about once:\n%s", logs)
	}
}

func TestTrackerCorrectionsAreWarned(t *testing.T) {
	log, logs := testLogger()
	src := "base_path=/b\n" +
		"check_active_interval=0\n" + // 2
		"store_server=7\n" + // 3
		"download_server=2\n" + // 4
		"store_path=1\n" + // 5
		"slot_min_size=128KB\n" + // 6
		"trunk_file_size=1MB\n" + // 7
		"use_trunk_file=yes\n" + // 8
		"connect_timeout=5s\n" + // 9
		"network_timeout=-1\n" + // 10
		"use_io_uring=enable\n" + // 11
		"thread_stack_size=1KB\n" + // 12
		"log_level=WARNING\n" + // 13
		"response_ip_addr_size=46\n" + // 14
		"trunk_create_file_time_base=04:30pm\n" + // 15
		"address_family=ipv4\n" + // 16
		"id_type_in_filename=name\n" // 17
	tr, err := ParseTracker("t.conf", []byte(src), WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	if tr.CheckActiveInterval != 100*time.Second || tr.DownloadServer != 0 || tr.StorePath != 0 {
		t.Errorf("interval %v download %d path %d", tr.CheckActiveInterval, tr.DownloadServer, tr.StorePath)
	}
	if tr.StoreServer != StoreServerFirstByIP {
		t.Errorf("StoreServer = %d: invalid -> 0, then trunk forces 1", tr.StoreServer)
	}
	if tr.SlotMinSize != 64<<10 || tr.TrunkFileSize != 4<<20 || tr.SlotMaxSize != 512<<10 {
		t.Errorf("slot min %d, trunk %d, slot max %d", tr.SlotMinSize, tr.TrunkFileSize, tr.SlotMaxSize)
	}
	if tr.ConnectTimeout != 5*time.Second || tr.NetworkTimeout != 60*time.Second || tr.UseIOUring {
		t.Errorf("timeouts %v %v io_uring %v", tr.ConnectTimeout, tr.NetworkTimeout, tr.UseIOUring)
	}
	if tr.ThreadStackSize != 64<<10 || tr.LogLevel != "warn" || tr.ResponseIPAddrSize != IPAddrSizeIPv6 {
		t.Errorf("stack %d level %q ipsize %d", tr.ThreadStackSize, tr.LogLevel, tr.ResponseIPAddrSize)
	}
	if tr.TrunkCreateFileTimeBase != (TimeOfDay{Hour: 4, Minute: 30}) || tr.AddressFamily != FamilyIPv4 {
		t.Errorf("time base %v family %v", tr.TrunkCreateFileTimeBase, tr.AddressFamily)
	}
	for _, line := range []string{"t.conf:2", "t.conf:3", "t.conf:4", "t.conf:5", "t.conf:6", "t.conf:7",
		"t.conf:9", "t.conf:10", "t.conf:11", "t.conf:12", "t.conf:14", "t.conf:15", "t.conf:17"} {
		if logs.count("level=WARN", "at="+line+" ") == 0 {
			t.Errorf("no warning for %s:\n%s", line, logs)
		}
	}
	if logs.count("store_server set to 1") != 1 {
		t.Errorf("trunk forcing store_server not logged:\n%s", logs)
	}
}

func TestTrackerRefusesWhatCRefuses(t *testing.T) {
	cases := []struct {
		name, src string
		want      []string
	}{
		{"no base_path", "port=22122\n", []string{"tracker.conf: base_path: required"}},
		{"empty base_path", "x=1\nbase_path =\n", []string{"tracker.conf:2: base_path: must not be empty"}},
		{"store_lookup", "base_path=/b\nstore_lookup=3\n", []string{"tracker.conf:2: store_lookup: invalid value 3"}},
		{"store_group missing", "base_path=/b\nstore_lookup=1\n", []string{"tracker.conf: store_group: required when store_lookup = 1"}},
		{"store_group invalid", "base_path=/b\nstore_lookup=1\nstore_group=group-1\n", []string{"tracker.conf:3: store_group: invalid group name"}},
		{"reserved empty", "base_path=/b\nreserved_storage_space=\n", []string{"tracker.conf:2: reserved_storage_space: ", "empty"}},
		{"reserved 0%", "base_path=/b\nreserved_storage_space=0%\n", []string{"tracker.conf:2: reserved_storage_space: "}},
		{"reserved 100%", "base_path=/b\nreserved_storage_space = 100%\n", []string{"tracker.conf:2: reserved_storage_space: "}},
		{"reserved unit", "base_path=/b\nreserved_storage_space = 10 GB\n", []string{"tracker.conf:2: reserved_storage_space: ", "unknown unit"}},
		{"bad time", "base_path=/b\n\ntrunk_create_file_time_base = 25:00\n", []string{"tracker.conf:3: trunk_create_file_time_base: ", "out of range"}},
		{"bad HH:MM", "base_path=/b\nlog_file_rotate_time = noon\n", []string{"tracker.conf:2: log_file_rotate_time: ", "not a valid time"}},
		{"bad bytes", "base_path=/b\ntrunk_file_size = 64XB\n", []string{"tracker.conf:2: trunk_file_size: ", "unknown unit"}},
		{"slot_min 0", "base_path=/b\nslot_min_size=0\n", []string{"tracker.conf:2: slot_min_size: must be > 0"}},
		{"slot_max <= min", "base_path=/b\nslot_min_size=1KB\nslot_max_size=1KB\n", []string{"tracker.conf:3: slot_max_size: ", "must be larger"}},
		{"work_threads", "base_path=/b\nwork_threads=0\n", []string{"tracker.conf:2: work_threads: 0 is invalid"}},
		{"port range", "base_path=/b\nport=70000\n", []string{"tracker.conf:2: port: port 70000 is out of range"}},
		{"IPv6 without ids", "base_path=/b\naddress_family=IPv6\n", []string{"tracker.conf:2: address_family: IPv6 requires use_storage_id"}},
		{"ids file missing", "base_path=/b\nuse_storage_id=true\n", []string{"tracker.conf: storage_ids_filename: required"}},
		{"ids file unreadable", "base_path=/b\nuse_storage_id=true\nstorage_ids_filename=nope_ids.conf\n", []string{"nope_ids.conf", "cannot read storage ids"}},
		{"directive", "base_path=/b\n#@set x = 1\n", []string{"tracker.conf:2", "#@set is not supported"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			log, _ := testLogger()
			_, err := ParseTracker("tracker.conf", []byte(c.src), WithLogger(log))
			wantErr(t, err, c.want...)
		})
	}
	// All problems of a file are reported at once.
	log, _ := testLogger()
	_, err := ParseTracker("tracker.conf", []byte("store_lookup=9\nslot_min_size=-1\n"), WithLogger(log))
	wantErr(t, err, "base_path", "store_lookup", "slot_min_size")
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("%T is not a *Error", err)
	}
}

func TestTrackerUnknownKeysWarnedOnce(t *testing.T) {
	log, logs := testLogger()
	src := "base_path=/b\n" +
		"log_format = json\n" + // 2: not a FastDFS key (nor ours)
		"log_format = text\n" + // 3: same key again: one warning
		"http.check_alive_interval=30\n" + // 4
		"[error-log]\n" +
		"log_file_keep_days = 3\n" + // 6: known in [error-log]
		"enabled = true\n" + // 7: unknown in [error-log]
		"[misc]\n" +
		"anything = 1\n" // 9
	tr, err := ParseTracker("t.conf", []byte(src), WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range tr.Unknown() {
		got = append(got, it.Section+"/"+it.Key+"@"+it.Pos())
	}
	want := []string{"/log_format@t.conf:2", "/log_format@t.conf:3", "/http.check_alive_interval@t.conf:4",
		"error-log/enabled@t.conf:7", "misc/anything@t.conf:9"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Unknown() = %v\nwant %v", got, want)
	}
	if n := logs.count("unknown key"); n != 4 {
		t.Errorf("%d unknown-key warnings, want 4 (one per key):\n%s", n, logs)
	}
	if logs.count("unknown key", "key=log_format") != 1 || logs.count("unknown key", "section=misc") != 1 {
		t.Errorf("warnings:\n%s", logs)
	}
	if tr.ErrorLog.KeepDays != 3 || tr.ErrorLog.RotateEveryday != true {
		t.Errorf("[error-log] override: %+v", tr.ErrorLog)
	}
}

func TestTrackerLoadsStorageIDs(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "ids/storage_ids.conf", "100001 group1 192.168.0.196\n100002 group1 [2409:8a20::1]:23001\n")
	p := writeFile(t, dir, "tracker.conf", "base_path=/b\nuse_storage_id=true\nid_type_in_filename=ID\n"+
		"storage_ids_filename=ids/storage_ids.conf\nresponse_list_dialect=v5\n")
	log, _ := testLogger()
	tr, err := LoadTracker(p, WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	if tr.StorageIDsFilename != filepath.Join(dir, "ids", "storage_ids.conf") {
		t.Errorf("StorageIDsFilename = %s", tr.StorageIDsFilename)
	}
	if tr.IDTypeInFilename != IDTypeID || tr.StorageIDs == nil || len(tr.StorageIDs.Entries) != 2 {
		t.Fatalf("id type %q, ids %+v", tr.IDTypeInFilename, tr.StorageIDs)
	}
	if w := tr.ResponseIPAddrSize.Width(tr.UseStorageID, tr.StorageIDs); w != 46 {
		t.Errorf("auto width with an IPv6 storage = %d, want 46", w)
	}
	if tr.ResponseListDialect != "v5" {
		t.Errorf("ResponseListDialect = %q", tr.ResponseListDialect)
	}
	// The same conf in memory resolves the file against the name's directory.
	tr2, err := ParseTracker(p, []byte("base_path=/b\nuse_storage_id=1\nstorage_ids_filename=ids/storage_ids.conf\n"),
		WithLogger(log))
	if err != nil || tr2.StorageIDs == nil || tr2.IDTypeInFilename != IDTypeIP {
		t.Fatalf("ParseTracker: %v %+v", err, tr2)
	}
	// A bad storage_ids.conf surfaces with its own file:line.
	writeFile(t, dir, "ids/storage_ids.conf", "100001 group1 192.168.0.196\n100001 group1 192.168.0.197\n")
	_, err = LoadTracker(p, WithLogger(log))
	wantErr(t, err, "storage_ids.conf:2", "duplicate storage id 100001")
}

func TestTrackerStoreLookupSpecGroup(t *testing.T) {
	log, _ := testLogger()
	tr, err := ParseTracker("t.conf", []byte("base_path=/b\nstore_lookup=1\nstore_group=group2\n"), WithLogger(log))
	if err != nil || tr.StoreGroup != "group2" || tr.StoreLookup != StoreLookupSpecGroup {
		t.Fatalf("%v %+v", err, tr)
	}
	if !strings.HasSuffix(tr.Where("store_group"), "t.conf:3") {
		t.Errorf("Where = %s", tr.Where("store_group"))
	}
}

func TestTrackerNumbersAndBuffers(t *testing.T) {
	log, logs := testLogger()
	src := "base_path=/b\nmin_buff_size=512KB\nmax_buff_size=128KB\nmax_connections=4294967297\n" +
		"trunk_binlog_max_backups=-99999999999\n"
	tr, err := ParseTracker("t.conf", []byte(src), WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	if p, lo, hi := tr.NetBuffers(); p != 256<<10 || lo != 512<<10 || hi != 512<<10 {
		t.Errorf("NetBuffers = %d %d %d, want max package 256K, buffers 512K/512K", p, lo, hi)
	}
	// C's int is 32 bits; we clamp instead of wrapping, and say so.
	if tr.MaxConnections != 1<<31-1 || tr.TrunkBinlogMaxBackups != -1<<31 {
		t.Errorf("clamped: %d %d", tr.MaxConnections, tr.TrunkBinlogMaxBackups)
	}
	if logs.count("out of range", "t.conf:4") != 1 || logs.count("out of range", "t.conf:5") != 1 {
		t.Errorf("clamping not warned:\n%s", logs)
	}
	if it, ok := tr.INI().Global().Last("min_buff_size"); !ok || it.Value != "512KB" {
		t.Errorf("raw item = %+v", it)
	}
	_, err = ParseTracker("t.conf", []byte("base_path=/b\nport=99999999999\n"), WithLogger(log))
	wantErr(t, err, "t.conf:2: port: port 2147483647 is out of range")
}
