package storage

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
)

// TestHTTPDaemon runs the real fdfs_storaged with a storage.conf that
// includes C's sample http.conf (token check turned on, its
// token_check_fail and mime.types next to it) and fetches over HTTP.
func TestHTTPDaemon(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and runs fdfs_storaged")
	}
	sample, err := os.ReadFile(filepath.Join(sharedDir(t), "protocol", "conf-samples", "http.conf"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	httpConf := strings.Replace(string(sample), "http.anti_steal.check_token = false", "http.anti_steal.check_token = true", 1)
	httpConf = strings.Replace(httpConf, "/home/yuqing/fastdfs/conf/anti-steal.jpg", "anti-steal.jpg", 1)
	for name, content := range map[string]string{
		"http.conf":      httpConf,
		"mime.types":     "# test table\nimage/jpeg jpeg jpg\nvideo/mp4 mp4\n",
		"anti-steal.jpg": "stolen?",
	} {
		if err := os.WriteFile(filepath.Join(tmp, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ip := "127.0.9.9"
	port, hport := freeTCPPort(t, ip), freeTCPPort(t, ip)
	closedTracker := net.JoinHostPort("127.0.0.1", strconv.Itoa(freeTCPPort(t, "127.0.0.1")))
	base := filepath.Join(tmp, "storage")
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	confPath := filepath.Join(tmp, "storage.conf")
	conf := fmt.Sprintf("group_name = %s\nbase_path = %s\nstore_path0 = %s\nbind_addr = %s\nport = %d\n"+
		"tracker_server = %s\nsubdir_count_per_path = 4\n#include http.conf\nhttp.server_port = %d\nhttp.access_log = true\n",
		testGroup, base, base, ip, port, closedTracker, hport)
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	proc := startStoraged(t, buildStoraged(t), confPath, net.JoinHostPort(ip, strconv.Itoa(port)))

	cli, err := client.New(client.Config{Trackers: []string{closedTracker}})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	data := randBytes(50, 150000)
	st := client.StorageServer{Group: testGroup, Addr: net.JoinHostPort(ip, strconv.Itoa(port)), StorePathIndex: -1}
	id, err := cli.Upload(context.Background(), bytes.NewReader(data), int64(len(data)), "jpg", client.OnStorage(st))
	if err != nil {
		t.Fatalf("upload: %v\n%s", err, proc.output())
	}
	q, _ := client.HTTPTokenQuery(id, "FastDFS1234567890", time.Now())
	url := fmt.Sprintf("http://%s/%s", net.JoinHostPort(ip, strconv.Itoa(hport)), id)
	get := func(u string) (*http.Response, []byte) {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatalf("GET %s: %v\n%s", u, err, proc.output())
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	resp, body := get(url + "?" + q)
	if resp.StatusCode != 200 || !bytes.Equal(body, data) || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("GET with token: %d, %d bytes, %q", resp.StatusCode, len(body), resp.Header.Get("Content-Type"))
	}
	resp, body = get(url + "?token=" + strings.Repeat("0", 32) + "&ts=1")
	if resp.StatusCode != 200 || string(body) != "stolen?" {
		t.Errorf("bad token: %d %q", resp.StatusCode, body)
	}
}

// sharedDir is ../shared from the repository root, or $GOFDFS_SHARED.
func sharedDir(t *testing.T) string {
	if d := os.Getenv("GOFDFS_SHARED"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "..", "shared")
}
