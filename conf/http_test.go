package conf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStorageHTTPDefaultsOff: without http keys the HTTP server is off and
// the keys read their defaults; C's storage.conf sample has none.
func TestStorageHTTPDefaultsOff(t *testing.T) {
	s, err := ParseStorage("s.conf", []byte("base_path=/b\ntracker_server=10.0.0.1:22122\nbind_addr=10.1.1.1\n"))
	if err != nil {
		t.Fatal(err)
	}
	h := s.HTTP
	if h.Enabled() || h.ServerPort != 0 || h.BindAddr != "10.1.1.1" || !h.URLHaveGroupName ||
		h.ResponseMode != ResponseProxy || h.SyncFileMaxDelay != 86400*time.Second ||
		h.KeepAliveTimeout != 60*time.Second || h.AccessLog || h.AccessLogFilename != "/b/logs/http_access.log" ||
		!h.MultiRangeEnabled || h.AntiStealCheckToken || h.AntiStealTokenTTL != 600*time.Second {
		t.Errorf("defaults: %+v", h)
	}
}

// TestStorageHTTPIncludeC: storage.conf with our keys and C's http.conf
// included, file names relative to the conf.
func TestStorageHTTPIncludeC(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(cSample(t, "http.conf"))
	if err != nil {
		t.Fatal(err)
	}
	c := strings.Replace(string(data), "http.anti_steal.check_token = false", "http.anti_steal.check_token = true", 1)
	c = strings.Replace(c, "/home/yuqing/fastdfs/conf/anti-steal.jpg", "anti-steal.jpg", 1)
	writeFile(t, dir, "http.conf", c)
	p := writeFile(t, dir, "storage.conf", "base_path=/b\ntracker_server=10.0.0.1:22122\n#include http.conf\n"+
		"http.server_port=8888\nhttp.bind_addr=127.0.0.5\nhttp.url_have_group_name=false\n"+
		"http.response_mode=redirect\nhttp.storage_sync_file_max_delay=3600\nhttp.keepalive_timeout=5\n"+
		"http.access_log=true\nhttp.access_log_filename=logs/a.log\n")
	log, logs := testLogger()
	s, err := LoadStorage(p, WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	h := s.HTTP
	if !h.Enabled() || h.ServerPort != 8888 || h.BindAddr != "127.0.0.5" || h.URLHaveGroupName ||
		h.ResponseMode != ResponseRedirect || h.SyncFileMaxDelay != time.Hour || h.KeepAliveTimeout != 5*time.Second ||
		!h.AccessLog || h.AccessLogFilename != filepath.Join(dir, "logs/a.log") {
		t.Errorf("server keys: %+v", h)
	}
	if !h.AntiStealCheckToken || h.AntiStealSecretKey != "FastDFS1234567890" || h.AntiStealTokenTTL != 900*time.Second ||
		h.AntiStealTokenCheckFail != filepath.Join(dir, "anti-steal.jpg") || h.MimeTypesFilename != filepath.Join(dir, "mime.types") ||
		h.DefaultContentType != "application/octet-stream" || !h.MultiRangeEnabled {
		t.Errorf("http.conf keys: %+v", h.HTTP)
	}
	if strings.Contains(logs.String(), "unknown key") {
		t.Errorf("keys reported unknown:\n%s", logs)
	}
}

func TestStorageHTTPErrors(t *testing.T) {
	for _, c := range []struct{ conf, want string }{
		{"http.anti_steal.check_token=true\n", "http.anti_steal.secret_key: required"},
		{"http.server_port=70000\n", "http.server_port"},
	} {
		_, err := ParseStorage("s.conf", []byte("base_path=/b\ntracker_server=10.0.0.1:22122\n"+c.conf))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.conf, err, c.want)
		}
	}
	log, logs := testLogger()
	s, err := ParseStorage("s.conf", []byte("base_path=/b\ntracker_server=10.0.0.1:22122\nhttp.response_mode=bounce\n"), WithLogger(log))
	if err != nil || s.HTTP.ResponseMode != ResponseProxy || !strings.Contains(logs.String(), "http.response_mode") {
		t.Errorf("bad response_mode: %v %q\n%s", err, s.HTTP.ResponseMode, logs)
	}
}
