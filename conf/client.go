package conf

import (
	"os"
	"time"
)

// ConnectFirstBy is connect_first_by (6.11): which address of a dual-address
// storage a client tries first.
type ConnectFirstBy string

const (
	ConnectFirstByTracker       ConnectFirstBy = "tracker"        // the one the tracker returned
	ConnectFirstByLastConnected ConnectFirstBy = "last-connected" // the one that worked last time
)

// Client is client.conf with the C code's defaults (cluster.md §6.4).
type Client struct {
	Origin

	ConnectTimeout time.Duration   // connect_timeout, 10 s
	NetworkTimeout time.Duration   // network_timeout, 30 s
	BasePath       string          // base_path: log directory, the system temp directory when absent
	TrackerServers []TrackerServer // tracker_server: required, sorted, deduplicated
	LogLevel       string          // log_level, "info"
	ConnectFirstBy ConnectFirstBy  // connect_first_by, "tracker"

	UseConnectionPool         bool          // use_connection_pool, false
	ConnectionPoolMaxIdleTime time.Duration // connection_pool_max_idle_time, 3600 s

	// LoadFDFSParametersFromTracker asks the tracker for use_storage_id and
	// the storage ids (commands 75/69) instead of UseStorageID below.
	LoadFDFSParametersFromTracker bool
	UseStorageID                  bool        // use_storage_id, false
	StorageIDsFilename            string      // storage_ids_filename, resolved against the conf's directory
	StorageIDs                    *StorageIDs // loaded when UseStorageID and not loading from the tracker

	HTTP HTTP // http.* keys (http.conf is often #included)
}

// HTTP holds the http.* keys of client.conf and http.conf: the anti-steal
// token settings the client library uses, and the rest of http.conf kept
// for the HTTP front ends.
type HTTP struct {
	TrackerServerPort       int           // http.tracker_server_port, 80
	AntiStealCheckToken     bool          // http.anti_steal.check_token, false
	AntiStealSecretKey      string        // http.anti_steal.secret_key: required with the check
	AntiStealTokenTTL       time.Duration // http.anti_steal.token_ttl, 600 s
	AntiStealTokenCheckFail string        // http.anti_steal.token_check_fail: file served on failure
	DefaultContentType      string        // http.default_content_type
	MimeTypesFilename       string        // http.mime_types_filename
	MultiRangeEnabled       bool          // http.multi_range.enabled, true
}

// LoadClient reads a client.conf (and, with use_storage_id, the
// storage_ids.conf it names).
func LoadClient(path string, opts ...Option) (*Client, error) {
	o := newOptions(opts)
	ini, err := loadINI(path, o)
	if err != nil {
		return nil, err
	}
	return clientFrom(path, ini, o)
}

// ParseClient reads a client.conf held in memory; name stands for its path.
func ParseClient(name string, data []byte, opts ...Option) (*Client, error) {
	o := newOptions(opts)
	ini, err := parseINI(name, data, o)
	if err != nil {
		return nil, err
	}
	return clientFrom(name, ini, o)
}

func clientFrom(file string, ini *INI, o *options) (*Client, error) {
	r := newReader(file, ini, o)
	c := &Client{
		ConnectTimeout: r.positiveSeconds("connect_timeout", 10),
		NetworkTimeout: r.positiveSeconds("network_timeout", 30),
		BasePath:       os.TempDir(),
		TrackerServers: r.trackerServers(true),
		LogLevel:       r.logLevel(),
		ConnectFirstBy: ConnectFirstBy(r.oneOf("connect_first_by", string(ConnectFirstByTracker),
			string(ConnectFirstByTracker), string(ConnectFirstByLastConnected))),

		UseConnectionPool:         r.boolean("use_connection_pool", false),
		ConnectionPoolMaxIdleTime: r.positiveSeconds("connection_pool_max_idle_time", 3600),

		LoadFDFSParametersFromTracker: r.boolean("load_fdfs_parameters_from_tracker", false),
		UseStorageID:                  r.boolean("use_storage_id", false),
		HTTP:                          r.httpParams(),
	}
	if it, ok := r.item("base_path"); ok && it.Value != "" {
		c.BasePath = chopPath(it.Value)
	}
	idsFile, hasIDsFile := r.item("storage_ids_filename")
	c.StorageIDsFilename = relativeTo(file, idsFile.Value)
	if c.UseStorageID && !c.LoadFDFSParametersFromTracker {
		c.StorageIDs = r.loadStorageIDs(idsFile, hasIDsFile)
	}

	origin, err := r.finish()
	if err != nil {
		return nil, err
	}
	c.Origin = origin
	return c, nil
}

func (r *reader) httpParams() HTTP {
	h := HTTP{
		AntiStealCheckToken:     r.boolean("http.anti_steal.check_token", false),
		AntiStealSecretKey:      r.str("http.anti_steal.secret_key", ""),
		AntiStealTokenTTL:       r.positiveSeconds("http.anti_steal.token_ttl", 600),
		AntiStealTokenCheckFail: r.str("http.anti_steal.token_check_fail", ""),
		DefaultContentType:      r.str("http.default_content_type", ""),
		MimeTypesFilename:       r.str("http.mime_types_filename", ""),
		MultiRangeEnabled:       r.boolean("http.multi_range.enabled", true),
		TrackerServerPort:       r.positive("http.tracker_server_port", 80),
	}
	if h.AntiStealCheckToken && h.AntiStealSecretKey == "" {
		if it, ok := r.item("http.anti_steal.secret_key"); ok {
			r.fail(it, "must not be empty when http.anti_steal.check_token is true")
		} else {
			r.failMissing("http.anti_steal.secret_key", "required when http.anti_steal.check_token is true")
		}
	}
	return h
}
