package conf

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestStorageCSample(t *testing.T) {
	log, logs := testLogger()
	path := cSample(t, "storage.conf")
	s, err := LoadStorage(path, WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	var trackers []string
	for _, ts := range s.TrackerServers {
		trackers = append(trackers, ts.String())
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Disabled", s.Disabled, false},
		{"GroupName", s.GroupName, "group1"},
		{"BindAddr", s.BindAddr, ""},
		{"ClientBind", s.ClientBind, true},
		{"Port", s.Port, 23000},
		{"AddressFamily", s.AddressFamily, FamilyAuto},
		{"ServerID", s.ServerID, ""},
		{"ConnectTimeout", s.ConnectTimeout, 5 * time.Second},
		{"NetworkTimeout", s.NetworkTimeout, 60 * time.Second},
		{"UseIOUring", s.UseIOUring, false},
		{"UseSendZC", s.UseSendZC, true},
		{"HeartBeatInterval", s.HeartBeatInterval, 30 * time.Second},
		{"StatReportInterval", s.StatReportInterval, 60 * time.Second},
		{"BasePath", s.BasePath, "/opt/fastdfs"},
		{"MaxConnections", s.MaxConnections, 1024},
		{"BuffSize", s.BuffSize, int64(256 << 10)},
		{"AcceptThreads", s.AcceptThreads, 1},
		{"WorkThreads", s.WorkThreads, 4},
		{"DiskRWSeparated", s.DiskRWSeparated, true},
		{"DiskReaderThreads", s.DiskReaderThreads, 2},
		{"DiskWriterThreads", s.DiskWriterThreads, 1},
		{"SyncMinThreads", s.SyncMinThreads, 1},
		{"SyncMaxThreads (auto)", s.SyncMaxThreads, 0},
		{"EffectiveSyncMaxThreads", s.EffectiveSyncMaxThreads(), 2},
		{"SyncWait", s.SyncWait, 10 * time.Millisecond},
		{"SyncInterval", s.SyncInterval, time.Duration(0)},
		{"SyncStartTime", s.SyncStartTime, TimeOfDay{}},
		{"SyncEndTime", s.SyncEndTime, TimeOfDay{Hour: 23, Minute: 59}},
		{"WriteMarkFileFreq", s.WriteMarkFileFreq, 500},
		{"DiskRecoveryThreads", s.DiskRecoveryThreads, 4},
		{"StorePaths", len(s.StorePaths), 1},
		{"StorePath0", s.StorePaths[0].Path, "/opt/fastdfs"},
		{"StorePath0 line", s.StorePaths[0].Item.Line, 182},
		{"StorePath0 ReadOnly", s.StorePaths[0].ReadOnly, false},
		{"SubdirCountPerPath", s.SubdirCountPerPath, 256},
		{"TrackerServers", trackers, []string{"192.168.209.121:22122", "192.168.209.122:22122"}},
		{"LogLevel", s.LogLevel, "info"},
		{"AllowHosts", s.AllowHosts, []string{"*"}},
		{"FileDistributePathMode", s.FileDistributePathMode, 0},
		{"FileDistributeRotateCount", s.FileDistributeRotateCount, 100},
		{"FsyncAfterWrittenBytes", s.FsyncAfterWrittenBytes, int64(0)},
		{"SyncBinlogBuffInterval", s.SyncBinlogBuffInterval, time.Second},
		{"SyncStatFileInterval", s.SyncStatFileInterval, 60 * time.Second},
		{"ThreadStackSize", s.ThreadStackSize, int64(512 << 10)},
		{"UploadPriority", s.UploadPriority, 10},
		{"IfAliasPrefix", s.IfAliasPrefix, ""},
		{"CheckFileDuplicate", s.CheckFileDuplicate, false},
		{"FileSignatureMethod", s.FileSignatureMethod, "hash"},
		{"KeyNamespace", s.KeyNamespace, "FastDFS"},
		{"KeepAlive", s.KeepAlive, false},
		{"FileSyncSkipInvalid", s.FileSyncSkipInvalid, false},
		{"UseConnectionPool", s.UseConnectionPool, true},
		{"ConnectionPoolMaxIdleTime", s.ConnectionPoolMaxIdleTime, time.Hour},
		{"CompressBinlog", s.CompressBinlog, true},
		{"CompressBinlogTime", s.CompressBinlogTime, TimeOfDay{Hour: 1, Minute: 30}},
		{"CheckStorePathMark", s.CheckStorePathMark, true},
		{"ErrorLog", s.ErrorLog, LogFile{SyncBuffInterval: time.Second, RotateEveryday: true,
			CompressDaysBefore: 7, KeepDays: 15, DeleteOldTime: TimeOfDay{Hour: 1, Minute: 30}}},
		{"AccessLog", s.AccessLog, AccessLog{LogFile: s.ErrorLog, Enabled: false, TimePrecision: "us"}},
		{"Unknown", len(s.Unknown()), 0},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
	if s.TrackerServers[0].Item.Line != 213 {
		t.Errorf("first tracker_server line = %d", s.TrackerServers[0].Item.Line)
	}
	if out := logs.String(); out != "" {
		t.Errorf("the C sample must load without warnings, got:\n%s", out)
	}
}

func TestStorageCodeDefaults(t *testing.T) {
	log, logs := testLogger()
	s, err := ParseStorage("s.conf", []byte("base_path=/data/s/\ntracker_server=10.0.0.5\n"), WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Port", s.Port, 23000},
		{"GroupName (ask the tracker)", s.GroupName, ""},
		{"ConnectTimeout", s.ConnectTimeout, 10 * time.Second},
		{"NetworkTimeout", s.NetworkTimeout, 30 * time.Second},
		{"HeartBeatInterval", s.HeartBeatInterval, 30 * time.Second},
		{"StatReportInterval", s.StatReportInterval, 300 * time.Second},
		{"MaxConnections", s.MaxConnections, 256},
		{"BuffSize", s.BuffSize, int64(256 << 10)},
		{"DiskReaderThreads", s.DiskReaderThreads, 1},
		{"DiskWriterThreads", s.DiskWriterThreads, 1},
		{"DiskRecoveryThreads", s.DiskRecoveryThreads, 1},
		{"SyncWait", s.SyncWait, 100 * time.Millisecond},
		{"SyncBinlogBuffInterval", s.SyncBinlogBuffInterval, 60 * time.Second},
		{"ThreadStackSize", s.ThreadStackSize, int64(256 << 10)},
		{"StorePaths", s.StorePaths, []StorePath{{Path: "/data/s"}}},
		{"TrackerServer", s.TrackerServers[0].String(), "10.0.0.5:22122"},
		{"CompressBinlog", s.CompressBinlog, false},
		{"AccessLog", s.AccessLog.TimePrecision, "ms"},
		{"ClientBind", s.ClientBind, true},
		{"UploadPriority", s.UploadPriority, 10},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
	if logs.String() != "" {
		t.Errorf("unexpected warnings:\n%s", logs)
	}
}

func TestStorageStorePaths(t *testing.T) {
	log, logs := testLogger()
	src := "base_path=/b\ntracker_server=10.0.0.5:22122\nstore_path_count=3\n" +
		"store_path0=/d0/\nstore_path1=/d1//\nstore_path2=/\nstore_path1_readonly=true\n" +
		"store_path01=/ignored\nstore_path5_readonly=true\n"
	s, err := ParseStorage("s.conf", []byte(src), WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range s.StorePaths {
		got = append(got, fmt.Sprintf("%s ro=%v line=%d", p.Path, p.ReadOnly, p.Item.Line))
	}
	want := []string{"/d0 ro=false line=4", "/d1 ro=true line=5", "/ ro=false line=6"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("StorePaths = %v, want %v", got, want)
	}
	if s.EffectiveSyncMaxThreads() != 6 {
		t.Errorf("auto sync threads = %d", s.EffectiveSyncMaxThreads())
	}
	if logs.count("unknown key", "key=store_path01") != 1 || logs.count("beyond store_path_count", "s.conf:9") != 1 {
		t.Errorf("warnings:\n%s", logs)
	}

	cases := []struct {
		name, src string
		want      []string
	}{
		{"beyond count", "store_path0=/a\nstore_path1=/b\n", []string{"s.conf:4: store_path1: ", "store_path_count is 1 (the default)"}},
		{"beyond explicit count", "store_path_count=2\nstore_path0=/a\nstore_path1=/b\nstore_path2=/c\n", []string{"s.conf:6: store_path2: "}},
		{"missing", "store_path_count=2\nstore_path0=/a\n", []string{"s.conf:3: store_path1: missing"}},
		{"count 0", "store_path_count=0\n", []string{"s.conf:3: store_path_count: 0 is invalid"}},
		{"count 257", "store_path_count=257\n", []string{"s.conf:3: store_path_count: 257 is invalid"}},
		{"empty", "store_path0=\n", []string{"s.conf:3: store_path0: must not be empty"}},
		{"subdirs", "subdir_count_per_path=300\n", []string{"s.conf:3: subdir_count_per_path: 300 is invalid"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			log, _ := testLogger()
			_, err := ParseStorage("s.conf", []byte("base_path=/b\ntracker_server=10.0.0.5\n"+c.src), WithLogger(log))
			wantErr(t, err, c.want...)
		})
	}
}

func TestStorageTrackerServers(t *testing.T) {
	log, logs := testLogger()
	var b strings.Builder
	b.WriteString("base_path=/b\n")
	lines := []string{
		"192.168.0.2:22122",
		"192.168.0.1:22123",
		"192.168.0.1:22122",
		"192.168.0.2:22122", // duplicate
		"10.0.0.1,122.244.141.46:22122",
		"[2409:8a20::1,fe80::1]:22124",
		"[fe80::2]:22122",
		"192.168.0.3",
		"tracker.example.com:22122",
	}
	for _, l := range lines {
		b.WriteString("tracker_server = " + l + "\n")
	}
	s, err := ParseStorage("s.conf", []byte(b.String()), WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ts := range s.TrackerServers {
		got = append(got, ts.String())
	}
	// C's order: one-address entries first, then by address text, then port.
	want := []string{
		"192.168.0.1:22122", "192.168.0.1:22123", "192.168.0.2:22122", "192.168.0.3:22122",
		"[fe80::2]:22122", "tracker.example.com:22122",
		"10.0.0.1,122.244.141.46:22122", "[2409:8a20::1,fe80::1]:22124",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("TrackerServers =\n%v\nwant\n%v", got, want)
	}
	if logs.String() != "" {
		t.Errorf("unexpected warnings:\n%s", logs)
	}

	// At most 16 entries are read, as in C.
	b.Reset()
	b.WriteString("base_path=/b\n")
	for i := 1; i <= 18; i++ {
		fmt.Fprintf(&b, "tracker_server=10.0.0.%d:22122\n", i)
	}
	s, err = ParseStorage("s.conf", []byte(b.String()), WithLogger(log))
	if err != nil || len(s.TrackerServers) != MaxTrackers {
		t.Fatalf("%v, %d trackers", err, len(s.TrackerServers))
	}
	if logs.count("more than 16", "s.conf:18") != 1 {
		t.Errorf("17th entry not warned about:\n%s", logs)
	}

	for _, c := range []struct{ value, want string }{
		{"10.0.0.1:0", "invalid port"},
		{"10.0.0.1:x", "invalid port"},
		{"10.0.0.1:70000", "invalid port"},
		{"fe80::1:22122", "brackets"},
		{"[fe80::1:22122", "missing ']'"},
		{"[fe80::1]22122", "expect ':port'"},
		{"a,b,c:22122", "at most two"},
		{",a:22122", "empty host"},
		{"10.0.0.1,10.0.0.2:22122", "same type"},
	} {
		log, _ := testLogger()
		_, err := ParseStorage("s.conf", []byte("base_path=/b\n\ntracker_server="+c.value+"\n"), WithLogger(log))
		wantErr(t, err, "s.conf:3: tracker_server: ", c.want)
	}
	_, err = ParseStorage("s.conf", []byte("base_path=/b\n"), WithLogger(log))
	wantErr(t, err, "s.conf: tracker_server: required")
}

func TestStorageRefusesWhatCRefuses(t *testing.T) {
	cases := []struct {
		name, src string
		want      []string
	}{
		{"group empty", "group_name=\n", []string{"s.conf:3: group_name: invalid group name"}},
		{"group chars", "group_name=group_1\n", []string{"s.conf:3: group_name: invalid group name"}},
		{"group long", "group_name=g12345678901234567\n", []string{"s.conf:3: group_name: "}},
		{"server_id", "server_id=0100\n", []string{"s.conf:3: server_id: invalid server id"}},
		{"buff_size", "buff_size=64KB\n", []string{"s.conf:3: buff_size: ", "too small"}},
		{"readers", "disk_reader_threads=0\n", []string{"s.conf:3: disk_reader_threads: must be > 0"}},
		{"both zero", "disk_rw_separated=false\ndisk_reader_threads=0\ndisk_writer_threads=0\n", []string{"s.conf:4: disk_reader_threads: ", "both 0"}},
		{"negative", "disk_writer_threads=-1\n", []string{"s.conf:3: disk_writer_threads: -1 is invalid"}},
		{"sync time", "sync_start_time=24:00\n", []string{"s.conf:3: sync_start_time: "}},
		{"namespace", "check_file_duplicate=1\n", []string{"s.conf: key_namespace: required"}},
		{"access-log time", "[access-log]\nlog_file_rotate_time=1\n", []string{"s.conf:4: log_file_rotate_time: "}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			log, _ := testLogger()
			_, err := ParseStorage("s.conf", []byte("base_path=/b\ntracker_server=10.0.0.5\n"+c.src), WithLogger(log))
			wantErr(t, err, c.want...)
		})
	}
}

func TestStorageSectionsAndCorrections(t *testing.T) {
	log, logs := testLogger()
	src := "base_path=/b\ntracker_server=10.0.0.5\n" +
		"log_file_keep_days=30\n" + // 3: global, inherited by both logs
		"sync_max_threads=500\n" + // 4
		"sync_wait_msec=0\n" + // 5
		"heart_beat_interval=-3\n" + // 6
		"file_distribute_path_mode=3\n" + // 7
		"sync_interval=-10\n" + // 8
		"enabled=true\n" + // 9: only known inside [access-log]
		"file_signature_method=MD5\n" +
		"sync_log_buff_interval=3\n" + // 11: overridden by both log sections, still known
		"[error-log]\n" +
		"log_file_rotate_on_size=100MB\n" +
		"[access-log]\n" +
		"enabled=yes\n" +
		"time_precision=microsecond\n" +
		"log_file_keep_days=2\n" +
		"[error-log]\n" +
		"log_file_compress_old=on\n" +
		"sync_log_buff_interval=5\n" +
		"[access-log]\n" +
		"sync_log_buff_interval=7\n"
	s, err := ParseStorage("s.conf", []byte(src), WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	if s.ErrorLog.KeepDays != 30 || s.ErrorLog.RotateOnSize != 100<<20 || !s.ErrorLog.CompressOld ||
		s.ErrorLog.SyncBuffInterval != 5*time.Second || s.AccessLog.SyncBuffInterval != 7*time.Second {
		t.Errorf("ErrorLog = %+v", s.ErrorLog)
	}
	if !s.AccessLog.Enabled || s.AccessLog.TimePrecision != "us" || s.AccessLog.KeepDays != 2 ||
		s.AccessLog.RotateOnSize != 0 || s.AccessLog.CompressOld {
		t.Errorf("AccessLog = %+v", s.AccessLog)
	}
	if s.SyncMaxThreads != 256 || s.SyncWait != 100*time.Millisecond || s.HeartBeatInterval != 30*time.Second ||
		s.FileDistributePathMode != 0 || s.SyncInterval != 0 || s.FileSignatureMethod != "md5" {
		t.Errorf("corrections: max threads %d, wait %v, beat %v, mode %d, interval %v, sig %s",
			s.SyncMaxThreads, s.SyncWait, s.HeartBeatInterval, s.FileDistributePathMode, s.SyncInterval, s.FileSignatureMethod)
	}
	for _, line := range []string{"s.conf:4", "s.conf:5", "s.conf:6", "s.conf:7"} {
		if logs.count("level=WARN", "at="+line+" ") != 1 {
			t.Errorf("no warning for %s:\n%s", line, logs)
		}
	}
	if len(s.Unknown()) != 1 || s.Unknown()[0].Pos() != "s.conf:9" {
		t.Errorf("Unknown = %+v", s.Unknown())
	}
}

func TestStorageFastDHTInclude(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "fdht_servers.conf", "group_count = 2\ngroup0 = 10.0.0.1:11411\ngroup0 = 10.0.0.2:11411\ngroup1 = 10.0.0.3:11411\n")
	p := writeFile(t, dir, "storage.conf", "base_path=/b\ntracker_server=10.0.0.5\ncheck_file_duplicate=1\n"+
		"key_namespace=FastDFS\n#include fdht_servers.conf\n")
	log, logs := testLogger()
	s, err := LoadStorage(p, WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	if s.FastDHT.GroupCount != 2 || len(s.FastDHT.Groups) != 3 || s.FastDHT.Groups[2].Value != "10.0.0.3:11411" {
		t.Errorf("FastDHT = %+v", s.FastDHT)
	}
	if logs.String() != "" {
		t.Errorf("unexpected warnings:\n%s", logs)
	}
}

// loop_write_max_size is ours: 16 KiB by default, 0 turns loop writes off,
// beyond 256 KiB (the small-body buffer) is refused with its line.
func TestStorageLoopWriteMax(t *testing.T) {
	base := "base_path=/b\ntracker_server=10.0.0.5\n"
	for _, c := range []struct {
		src  string
		want int64
		err  string
	}{
		{"", 16 << 10, ""},
		{"loop_write_max_size = 0\n", 0, ""},
		{"loop_write_max_size = 64KB\n", 64 << 10, ""},
		{"loop_write_max_size = 1MB\n", 0, "s.conf:3"},
		{"loop_write_max_size = -1\n", 0, "s.conf:3"},
	} {
		log, _ := testLogger()
		s, err := ParseStorage("s.conf", []byte(base+c.src), WithLogger(log))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: err %v, want one naming %s", c.src, err, c.err)
			}
			continue
		}
		if err != nil || s.LoopWriteMax != c.want {
			t.Errorf("%q: %v, %v; want %d", c.src, s.LoopWriteMax, err, c.want)
		}
	}
}
