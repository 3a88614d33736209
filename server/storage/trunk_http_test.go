package storage

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
)

// Trunk-resident files over HTTP, through a real storage in trunk mode:
// bodies come from the slot (never a byte of the neighbours), small ones
// from the page cache on the loop, large ones by sendfile at the slot's
// offset; ranges, HEAD, 304 and the validators are those of a plain file
// (Last-Modified and ETag from the name); a deleted one is 404.
func TestTrunkHTTP(t *testing.T) {
	h := newHTTPEnv(t, "")
	h.srv.noteTrunkParams(codec.Parameters{{Key: "use_trunk_file", Value: "1"}, {Key: "slot_min_size", Value: "256"},
		{Key: "slot_max_size", Value: "262144"}, {Key: "trunk_file_size", Value: "4194304"}})
	nameSelfTrunkServer(h.srv)
	small, big := randBytes(31, 5000), randBytes(32, 200000) // big: above the loop read limit (64 KiB)
	plainH := newHTTPEnv(t, "")
	var ids []string
	for i, data := range [][]byte{small, randBytes(33, 300), big, randBytes(34, 777)} {
		id := h.upload(data, "png")
		rf, _ := parseID(t, id)
		if _, ok, err := codec.TrunkRefOf(&rf); !ok || err != nil {
			t.Fatalf("upload %d: %s is not a trunk ID", i, id)
		}
		ids = append(ids, id)
	}
	for i, data := range [][]byte{small, randBytes(33, 300), big, randBytes(34, 777)} {
		resp, body := h.do("GET", h.base+"/"+ids[i])
		wantStatus(t, resp, 200)
		if !bytes.Equal(body, data) {
			t.Fatalf("GET %s: %d bytes, content differs", ids[i], len(body))
		}
		if resp.ContentLength != int64(len(data)) || resp.Header.Get("Content-Type") != "image/png" ||
			resp.Header.Get("Accept-Ranges") != "bytes" {
			t.Errorf("GET %s: headers %v", ids[i], resp.Header)
		}
	}
	hs := h.srv.http
	if hs.Counters().WorkerSends == 0 || hs.Counters().LoopReads == 0 {
		t.Errorf("worker sends %d, loop reads %d: want both paths taken", hs.Counters().WorkerSends, hs.Counters().LoopReads)
	}

	// the validators are a plain normal file's: Last-Modified is the
	// creation time in the name, the ETag its formula (same data, same
	// second and CRC32 give the same tag on a plain storage)
	url := h.base + "/" + ids[0]
	resp, _ := h.do("HEAD", url)
	etag, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	_, f := parseID(t, ids[0])
	if want := http.TimeFormat; lm == "" || !strings.HasSuffix(lm, "GMT") {
		t.Fatalf("Last-Modified %q (format %s)", lm, want)
	}
	pid := plainH.upload(small, "png")
	presp, _ := plainH.do("HEAD", plainH.base+"/"+pid)
	_, pf := parseID(t, pid)
	if pf.Timestamp == f.Timestamp && presp.Header.Get("ETag") != etag {
		t.Errorf("ETag %q, a plain file of the same content and second has %q", etag, presp.Header.Get("ETag"))
	}
	if strings.Count(etag, "-") != 2 {
		t.Errorf("ETag %q: want the name's time-size-crc form", etag)
	}
	resp, body := h.do("GET", url, "If-None-Match", etag)
	wantStatus(t, resp, 304)
	resp, _ = h.do("GET", url, "If-Modified-Since", lm)
	wantStatus(t, resp, 304)

	// ranges: single (loop and worker), suffix, multipart, unsatisfiable
	burl := h.base + "/" + ids[2]
	size := int64(len(big))
	for _, c := range []struct {
		spec       string
		start, end int64
	}{{"bytes=0-99", 0, 99}, {"bytes=-10", size - 10, size - 1}, {"bytes=1000-180000", 1000, 180000},
		{"bytes=199990-300000", 199990, size - 1}} {
		resp, body := h.do("GET", burl, "Range", c.spec)
		wantStatus(t, resp, 206)
		want := fmt.Sprintf("bytes %d-%d/%d", c.start, c.end, size)
		if resp.Header.Get("Content-Range") != want || !bytes.Equal(body, big[c.start:c.end+1]) {
			t.Errorf("%s: Content-Range %q (want %q), %d bytes", c.spec, resp.Header.Get("Content-Range"), want, len(body))
		}
	}
	resp, body = h.do("GET", burl, "Range", "bytes=0-9,100000-199999")
	wantStatus(t, resp, 206)
	if !bytes.Contains(body, big[:10]) || !bytes.Contains(body, big[100000:200000]) {
		t.Errorf("multipart: %d bytes without the parts", len(body))
	}
	resp, _ = h.do("GET", burl, "Range", fmt.Sprintf("bytes=%d-", size))
	wantStatus(t, resp, 416)
	if got := resp.Header.Get("Content-Range"); got != fmt.Sprintf("bytes */%d", size) {
		t.Errorf("416 Content-Range %q", got)
	}
	// small file, range on the loop
	resp, body = h.do("GET", url, "Range", "bytes=4990-")
	wantStatus(t, resp, 206)
	if !bytes.Equal(body, small[4990:]) {
		t.Errorf("small range: %q", body)
	}

	// deleted: the slot no longer holds it
	if err := h.cli.Delete(context.Background(), ids[1]); err != nil {
		t.Fatal(err)
	}
	resp, _ = h.do("GET", h.base+"/"+ids[1])
	wantStatus(t, resp, 404)
	// a name whose trunk part is malformed: 400
	bad := []byte(ids[3])
	bad[len(bad)-7-1] = '!'
	resp, _ = h.do("GET", h.base+"/"+string(bad))
	if resp.StatusCode != 400 {
		t.Errorf("malformed trunk name: status %d, want 400", resp.StatusCode)
	}
	// curl as a client would: whole file and a range
	if haveCurl() {
		out, _ := curl(t, url)
		if !bytes.Equal(out, small) {
			t.Errorf("curl: %d bytes differ", len(out))
		}
		out, _ = curl(t, "-r", "100-199", burl)
		if !bytes.Equal(out, big[100:200]) {
			t.Errorf("curl -r: %d bytes differ", len(out))
		}
	}
}
