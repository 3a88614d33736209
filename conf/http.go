package conf

import (
	"path/filepath"
	"time"
)

// ResponseMode is what the storage's HTTP server does with a request for a
// file that is not here (yet): the nginx module's response_mode.
type ResponseMode string

const (
	// ResponseProxy fetches the file from the storage that has it (the
	// source decoded from the file ID) over the binary protocol and sends it
	// on, as the nginx module's "proxy" (its default).
	ResponseProxy ResponseMode = "proxy"
	// ResponseRedirect answers 302 with the same URL on the source storage
	// and "redirect=1" added, as the nginx module's "redirect".
	ResponseRedirect ResponseMode = "redirect"
)

// StorageHTTP is the storage's built-in HTTP download server: keys of ours
// in storage.conf (C's storage has had no HTTP server since V4.05, so C
// ignores them) plus the http.conf keys (http.default_content_type,
// http.mime_types_filename, http.anti_steal.*, http.multi_range.enabled),
// which storage.conf usually pulls in with "#include http.conf".
type StorageHTTP struct {
	HTTP

	// ServerPort is http.server_port: the HTTP listener's port; 0 (the
	// default) leaves HTTP off.
	ServerPort int
	// BindAddr is http.bind_addr, default bind_addr ("" = all addresses).
	BindAddr string
	// URLHaveGroupName is http.url_have_group_name (the nginx module's
	// url_have_group_name): true (our default) serves /group1/M00/..., false
	// serves /M00/... for this storage's group.
	URLHaveGroupName bool
	// ResponseMode is http.response_mode, default proxy.
	ResponseMode ResponseMode
	// SyncFileMaxDelay is http.storage_sync_file_max_delay (tracker.conf's
	// storage_sync_file_max_delay, which the nginx module reads too), 86400
	// s: a missing file older than this is answered 404, not proxied.
	SyncFileMaxDelay time.Duration
	// KeepAliveTimeout is http.keepalive_timeout, 60 s: idle keep-alive
	// connections are closed after it.
	KeepAliveTimeout time.Duration
	// AccessLog is http.access_log, false: one line per request in the
	// combined log format to AccessLogFilename.
	AccessLog bool
	// AccessLogFilename is http.access_log_filename, default
	// base_path/logs/http_access.log.
	AccessLogFilename string
}

// Enabled reports whether the HTTP listener runs.
func (h *StorageHTTP) Enabled() bool { return h.ServerPort > 0 }

// storageHTTP reads the http.* keys of storage.conf; base is base_path.
// File names (mime types, token_check_fail, access log) are relative to the
// conf file, as #include is.
func (r *reader) storageHTTP(base string) StorageHTTP {
	h := StorageHTTP{
		HTTP:              r.httpParams(),
		ServerPort:        r.port("http.server_port", 0),
		BindAddr:          r.str("http.bind_addr", ""),
		URLHaveGroupName:  r.boolean("http.url_have_group_name", true),
		ResponseMode:      ResponseMode(r.oneOf("http.response_mode", string(ResponseProxy), string(ResponseProxy), string(ResponseRedirect))),
		SyncFileMaxDelay:  r.positiveSeconds("http.storage_sync_file_max_delay", 86400),
		KeepAliveTimeout:  r.positiveSeconds("http.keepalive_timeout", 60),
		AccessLog:         r.boolean("http.access_log", false),
		AccessLogFilename: r.str("http.access_log_filename", ""),
	}
	if _, ok := r.item("http.bind_addr"); !ok {
		h.BindAddr = r.str("bind_addr", "")
	}
	h.MimeTypesFilename = relativeTo(r.file, h.MimeTypesFilename)
	h.AntiStealTokenCheckFail = relativeTo(r.file, h.AntiStealTokenCheckFail)
	if h.AccessLogFilename == "" {
		h.AccessLogFilename = filepath.Join(base, "logs", "http_access.log")
	} else {
		h.AccessLogFilename = relativeTo(r.file, h.AccessLogFilename)
	}
	return h
}
