package conf

import (
	"path/filepath"
	"strings"
	"time"
)

// AddressFamily is address_family (6.11): which IP stacks a server listens on.
type AddressFamily string

const (
	FamilyAuto AddressFamily = "auto" // from bind_addr; IPv4 first when it is empty
	FamilyIPv4 AddressFamily = "IPv4"
	FamilyIPv6 AddressFamily = "IPv6"
	FamilyBoth AddressFamily = "both"
)

// Server holds the keys the tracker and the storage share: libserverframe's
// network and process settings and the error log.
type Server struct {
	BindAddr      string // bind_addr: comma-separated addresses; "" = all
	InnerBindAddr string // inner_bind_addr / outer_bind_addr: libserverframe's
	OuterBindAddr string // alternatives to bind_addr
	Port          int    // port
	InnerPort     int    // inner_port / outer_port; 0 = Port
	OuterPort     int
	AddressFamily AddressFamily

	ConnectTimeout time.Duration // connect_timeout, 10 s
	NetworkTimeout time.Duration // network_timeout: tracker 60 s, storage 30 s
	UseIOUring     bool          // use_io_uring, false
	UseSendZC      bool          // use_send_zc, true
	TCPQuickAck    bool          // tcp_quick_ack, true

	BasePath        string // base_path: required; data/ and logs/ live here
	MaxConnections  int    // max_connections, 256
	AcceptThreads   int    // accept_threads, 1
	WorkThreads     int    // work_threads, 4
	ThreadStackSize int64  // thread_stack_size, 256 KiB (64 KiB .. 2 GiB)

	RunByGroup string   // run_by_group: "" = the current group
	RunByUser  string   // run_by_user: "" = the current user
	LogLevel   string   // log_level, "info"
	AllowHosts []string // allow_hosts, every occurrence; none or "*" = all

	UseConnectionPool         bool          // use_connection_pool, false
	ConnectionPoolMaxIdleTime time.Duration // connection_pool_max_idle_time, 3600 s

	ErrorLog LogFile // [error-log] section, falling back to the global keys
}

// AllowsAll reports whether allow_hosts admits every client (no entry, or
// an entry "*").
func (s *Server) AllowsAll() bool {
	if len(s.AllowHosts) == 0 {
		return true
	}
	for _, h := range s.AllowHosts {
		if h == "*" {
			return true
		}
	}
	return false
}

// LogFile is a log's rotation settings (libserverframe's SFLogConfig). The
// keys are read from the log's section ([error-log], [access-log]) and, when
// absent there, from the global section.
type LogFile struct {
	SyncBuffInterval   time.Duration // sync_log_buff_interval, 1 s
	RotateEveryday     bool          // log_file_rotate_everyday, true
	RotateTime         TimeOfDay     // log_file_rotate_time, 00:00
	CompressOld        bool          // log_file_compress_old, false
	CompressDaysBefore int           // log_file_compress_days_before, 1
	RotateOnSize       int64         // log_file_rotate_on_size, 0 = never (max 64 GiB)
	KeepDays           int           // log_file_keep_days, 15; 0 = keep all
	DeleteOldTime      TimeOfDay     // log_file_delete_old_time, 01:30
}

// logFile reads the rotation settings of r's section.
func (r *reader) logFile() LogFile {
	return LogFile{
		SyncBuffInterval:   r.positiveSeconds("sync_log_buff_interval", 1),
		RotateEveryday:     r.boolean("log_file_rotate_everyday", true),
		RotateTime:         r.timeOfDay("log_file_rotate_time", TimeOfDay{}),
		CompressOld:        r.boolean("log_file_compress_old", false),
		CompressDaysBefore: r.integer("log_file_compress_days_before", 1),
		RotateOnSize:       r.bytesInRange("log_file_rotate_on_size", 0, 0, 64<<30),
		KeepDays:           r.integer("log_file_keep_days", 15),
		DeleteOldTime:      r.timeOfDay("log_file_delete_old_time", TimeOfDay{Hour: 1, Minute: 30}),
	}
}

// server reads the shared keys. Ports and timeouts differ between tracker
// and storage, so their defaults come in.
func (r *reader) server(defPort, defNetworkTimeout int) Server {
	s := Server{
		BindAddr:      unbracketAddrs(r.str("bind_addr", "")),
		InnerBindAddr: unbracketAddrs(r.str("inner_bind_addr", "")),
		OuterBindAddr: unbracketAddrs(r.str("outer_bind_addr", "")),
		Port:          r.port("port", defPort),
		InnerPort:     r.port("inner_port", 0),
		OuterPort:     r.port("outer_port", 0),
		AddressFamily: AddressFamily(r.oneOf("address_family", string(FamilyAuto),
			string(FamilyAuto), string(FamilyIPv4), string(FamilyIPv6), string(FamilyBoth))),

		ConnectTimeout: r.positiveSeconds("connect_timeout", 10),
		NetworkTimeout: r.positiveSeconds("network_timeout", defNetworkTimeout),
		UseIOUring:     r.boolean("use_io_uring", false),
		UseSendZC:      r.boolean("use_send_zc", true),
		TCPQuickAck:    r.boolean("tcp_quick_ack", true),

		BasePath:        r.basePath(),
		MaxConnections:  r.positive("max_connections", 256),
		AcceptThreads:   r.atLeast("accept_threads", 1, 1),
		WorkThreads:     r.atLeast("work_threads", 4, 1),
		ThreadStackSize: r.bytesInRange("thread_stack_size", 256<<10, 64<<10, 2<<30),

		RunByGroup: r.str("run_by_group", ""),
		RunByUser:  r.str("run_by_user", ""),
		LogLevel:   r.logLevel(),

		UseConnectionPool:         r.boolean("use_connection_pool", false),
		ConnectionPoolMaxIdleTime: r.positiveSeconds("connection_pool_max_idle_time", 3600),

		ErrorLog: r.in("error-log", true).logFile(),
	}
	for _, it := range r.items("allow_hosts") {
		s.AllowHosts = append(s.AllowHosts, it.Value)
	}
	return s
}

// port reads a TCP port: C falls back to the default for values <= 0; above
// 65535 nothing sensible can happen, so that is an error.
func (r *reader) port(key string, def int) int {
	it, ok := r.item(key)
	if !ok {
		return def
	}
	n := r.integer(key, def)
	switch {
	case n <= 0:
		if def != 0 {
			r.warn("port must be > 0; using the default", it)
		}
		return def
	case n > 65535:
		r.fail(it, "port %d is out of range", n)
		return def
	}
	return n
}

// basePath reads the required base_path, without trailing slashes.
func (r *reader) basePath() string {
	it, ok := r.item("base_path")
	if !ok {
		r.failMissing("base_path", "required key is missing")
		return ""
	}
	if it.Value == "" {
		r.fail(it, "must not be empty")
		return ""
	}
	return chopPath(it.Value)
}

// logLevels are syslog's names, as libfastcommon's set_log_level knows them.
var logLevels = [...]string{"emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"}

// logLevel reads log_level: one of the syslog names (any case, longer
// spellings such as "warning" or "LOG_ERR" too); unknown ones keep "info".
func (r *reader) logLevel() string {
	it, ok := r.item("log_level")
	if !ok {
		return "info"
	}
	v := strings.ToLower(it.Value)
	v = strings.TrimPrefix(v, "log_")
	for _, l := range logLevels {
		if strings.HasPrefix(v, l) || (l == "error" && v == "err") {
			return l
		}
	}
	r.warn("unknown log level; using info", it)
	return "info"
}

// chopPath removes trailing slashes ("/data/" -> "/data") but keeps "/".
func chopPath(p string) string {
	for len(p) > 1 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
	}
	return p
}

// relativeTo resolves a file named in a conf against the conf's directory,
// as FastDFS does for storage_ids_filename.
func relativeTo(confFile, name string) string {
	if name == "" || filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(filepath.Dir(confFile), name)
}

// validGroupName is fdfs_validate_group_name plus the 16-byte field limit:
// 1 to 16 ASCII letters and digits.
func validGroupName(g string) bool {
	if g == "" || len(g) > 16 {
		return false
	}
	for i := 0; i < len(g); i++ {
		c := g[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// validServerID is fdfs_is_server_id_valid: a decimal 1..16777215 written
// canonically (no sign, no leading zeros).
func validServerID(id string) bool {
	if id == "" || len(id) > 8 || id[0] == '0' {
		return false
	}
	n, clean := ParseCInt(id)
	return clean && id[0] != '+' && id[0] != '-' && n >= 1 && n <= 1<<24-1
}

// unbracketAddrs takes the brackets off IPv6 entries of a comma-separated
// address list, as libserverframe does for bind_addr ("[::1]" and "::1"
// bind alike); entries are trimmed.
func unbracketAddrs(v string) string {
	if v == "" {
		return v
	}
	parts := strings.Split(v, ",")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if len(p) >= 2 && p[0] == '[' && p[len(p)-1] == ']' && strings.Contains(p, ":") {
			p = p[1 : len(p)-1]
		}
		parts[i] = p
	}
	return strings.Join(parts, ",")
}
