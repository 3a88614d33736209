package conf

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestClientCSample(t *testing.T) {
	log, logs := testLogger()
	path := cSample(t, "client.conf")
	c, err := LoadClient(path, WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	var trackers []string
	for _, ts := range c.TrackerServers {
		trackers = append(trackers, ts.String())
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"ConnectTimeout", c.ConnectTimeout, 5 * time.Second},
		{"NetworkTimeout", c.NetworkTimeout, 60 * time.Second},
		{"BasePath", c.BasePath, "/opt/fastdfs"},
		{"TrackerServers", trackers, []string{"192.168.0.196:22122", "192.168.0.197:22122"}},
		{"LogLevel", c.LogLevel, "info"},
		{"ConnectFirstBy", c.ConnectFirstBy, ConnectFirstByTracker},
		{"UseConnectionPool", c.UseConnectionPool, false},
		{"ConnectionPoolMaxIdleTime", c.ConnectionPoolMaxIdleTime, time.Hour},
		{"LoadFDFSParametersFromTracker", c.LoadFDFSParametersFromTracker, false},
		{"UseStorageID", c.UseStorageID, false},
		{"StorageIDsFilename", c.StorageIDsFilename, filepath.Join(filepath.Dir(path), "storage_ids.conf")},
		{"StorageIDs", c.StorageIDs == nil, true},
		{"HTTP", c.HTTP, HTTP{TrackerServerPort: 80, AntiStealTokenTTL: 600 * time.Second, MultiRangeEnabled: true}},
		{"Unknown", len(c.Unknown()), 0},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %#v, want %#v", ch.name, ch.got, ch.want)
		}
	}
	if logs.String() != "" {
		t.Errorf("the C sample must load without warnings, got:\n%s", logs)
	}
}

func TestClientDefaultsAndHTTPInclude(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(cSample(t, "http.conf"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "http.conf", string(data))
	writeFile(t, dir, "storage_ids.conf", "100001 group1 192.168.0.196\n")
	p := writeFile(t, dir, "client.conf", "tracker_server=10.0.0.1:22122\n#include http.conf\n"+
		"use_storage_id = true\nstorage_ids_filename = storage_ids.conf\nconnect_first_by = Last-Connected\n")
	log, logs := testLogger()
	c, err := LoadClient(p, WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	if c.ConnectTimeout != 10*time.Second || c.NetworkTimeout != 30*time.Second || c.BasePath != os.TempDir() {
		t.Errorf("defaults: %v %v %q", c.ConnectTimeout, c.NetworkTimeout, c.BasePath)
	}
	if c.ConnectFirstBy != ConnectFirstByLastConnected {
		t.Errorf("ConnectFirstBy = %q", c.ConnectFirstBy)
	}
	if c.StorageIDs == nil || c.StorageIDs.ByID("100001") == nil {
		t.Errorf("storage ids not loaded: %+v", c.StorageIDs)
	}
	want := HTTP{
		TrackerServerPort: 80, AntiStealCheckToken: false, AntiStealSecretKey: "FastDFS1234567890",
		AntiStealTokenTTL: 900 * time.Second, AntiStealTokenCheckFail: "/home/yuqing/fastdfs/conf/anti-steal.jpg",
		DefaultContentType: "application/octet-stream", MimeTypesFilename: "mime.types", MultiRangeEnabled: true,
	}
	if c.HTTP != want {
		t.Errorf("HTTP =\n%+v\nwant\n%+v", c.HTTP, want)
	}
	if logs.String() != "" {
		t.Errorf("unexpected warnings:\n%s", logs)
	}
}

func TestClientErrors(t *testing.T) {
	cases := []struct {
		name, src string
		want      []string
	}{
		{"no tracker", "base_path=/tmp\n", []string{"c.conf: tracker_server: required"}},
		{"token without key", "tracker_server=10.0.0.1\nhttp.anti_steal.check_token=true\n",
			[]string{"c.conf: http.anti_steal.secret_key: required"}},
		{"token with empty key", "tracker_server=10.0.0.1\nhttp.anti_steal.check_token=true\nhttp.anti_steal.secret_key=\n",
			[]string{"c.conf:3: http.anti_steal.secret_key: must not be empty"}},
		{"ids file", "tracker_server=10.0.0.1\nuse_storage_id=true\n", []string{"c.conf: storage_ids_filename: required"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			log, _ := testLogger()
			_, err := ParseClient("c.conf", []byte(c.src), WithLogger(log))
			wantErr(t, err, c.want...)
		})
	}
	// Loading from the tracker: no local storage_ids.conf is needed.
	log, _ := testLogger()
	c, err := ParseClient("c.conf", []byte("tracker_server=10.0.0.1\nuse_storage_id=true\nload_fdfs_parameters_from_tracker=true\n"),
		WithLogger(log))
	if err != nil || c.StorageIDs != nil {
		t.Errorf("%v %+v", err, c)
	}
}
