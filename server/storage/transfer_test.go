package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// A 64 MiB body goes through the detached socket; whole and ranged
// downloads go through the worker's sendfile.
func TestLargeUploadRangedDownload(t *testing.T) {
	e := newEnv(t, 1)
	data := randBytes(64, 64<<20)
	id := e.upload(data, "bin")
	_, f := parseID(t, id)
	if f.FileSize() != int64(len(data)) || f.CRC32 != crc32.ChecksumIEEE(data) {
		t.Fatalf("name fields %+v", f)
	}
	var h hashWriter
	h.h = sha256.New()
	if _, err := e.cli.Download(context.Background(), id, &h, 0, 0); err != nil {
		t.Fatal(err)
	}
	if want := sha256.Sum256(data); !bytes.Equal(h.h.Sum(nil), want[:]) || h.n != int64(len(data)) {
		t.Fatalf("download differs (%d bytes)", h.n)
	}
	for _, r := range []struct{ off, n, want int64 }{
		{12345, 3 << 20, 3 << 20},        // worker range
		{int64(len(data)) - 100, 0, 100}, // to the end, small
		{int64(len(data)) - 100, 1 << 20, 100},
		{1 << 20, 100, 100}, // small, page cache
	} {
		got, err := e.download(id, r.off, r.n)
		if err != nil || int64(len(got)) != r.want || !bytes.Equal(got, data[r.off:r.off+r.want]) {
			t.Fatalf("range %d+%d: %d bytes, %v", r.off, r.n, len(got), err)
		}
	}
	if _, err := e.download(id, int64(len(data)), 0); !errors.Is(err, codec.EINVAL) {
		t.Fatalf("offset at the end: %v", err)
	}
	if tmp := e.tempFiles(); len(tmp) != 0 {
		t.Fatalf("temp files left: %v", tmp)
	}
}

type hashWriter struct {
	h interface {
		io.Writer
		Sum([]byte) []byte
	}
	n int64
}

func (w *hashWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return w.h.Write(p) }

// uploadRequest is a raw UPLOAD_FILE packet with its content.
func uploadRequest(content []byte, ext string) []byte {
	r := codec.UploadRequest{StorePathIndex: codec.StorePathAuto, FileSize: int64(len(content)), Ext: []byte(ext)}
	b := codec.Request(codec.CmdUploadFile, int(r.BodyLen())).Append(nil)
	b = r.Append(b)
	return append(b, content...)
}

// After a body received on the detached socket, the connection is back in
// gnet: requests pipelined behind the upload are answered in order.
func TestPipelinedAfterHandoff(t *testing.T) {
	e := newEnv(t, 1)
	big := randBytes(7, 3<<20) // well above smallBody: detached
	small := []byte("small body")
	r := dialRaw(t, e.srv.Addr().String())
	var ids []string
	// exchange writes the requests at once and reads the replies in order:
	// an upload reply (60 bytes) or a header-only ACTIVE_TEST reply.
	exchange := func(replies []int, reqs ...[]byte) {
		t.Helper()
		stream := bytes.Join(reqs, nil)
		go func() { _, _ = r.c.Write(stream) }()
		for i, want := range replies {
			h, body := r.mustRecv()
			if h.Status != 0 || len(body) != want {
				t.Fatalf("reply %d: status %d, %d bytes", i, h.Status, len(body))
			}
			if want > 0 {
				var u codec.UploadReply
				if err := u.Decode(body); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, testGroup+"/"+string(u.Name))
			}
		}
	}
	activeTest := codec.Request(codec.CmdActiveTest, 0).Append(nil)
	exchange([]int{60, 0, 60}, uploadRequest(big, "bin"), activeTest, uploadRequest(small, "txt"))
	// Detached again after the re-attach. (Not pipelined behind the small
	// upload: gnet keeps reading while a worker holds the connection, so a
	// body queued behind it arrives whole and takes the buffered path.)
	exchange([]int{60, 0}, uploadRequest(big[:1<<20], "bin"), activeTest)
	for i, want := range [][]byte{big, small, big[:1<<20]} {
		if got := e.mustDownload(ids[i]); !bytes.Equal(got, want) {
			t.Fatalf("file %d differs", i)
		}
	}
	if n := e.srv.counters.detachedBodies.Load(); n != 2 {
		t.Fatalf("%d bodies detached, want 2", n)
	}
	// The same connection keeps working after the downloads elsewhere.
	r.send(codec.CmdActiveTest, 0, nil)
	if h, _ := r.mustRecv(); h.Status != 0 {
		t.Fatalf("active test status %d", h.Status)
	}
}

// A client that disappears mid-body leaves no temp file, and the server
// goes on serving.
func TestClientKilledMidUpload(t *testing.T) {
	e := newEnv(t, 1)
	for _, size := range []int{100 << 10, 8 << 20} { // small (buffered) and detached bodies
		r := dialRaw(t, e.srv.Addr().String())
		req := uploadRequest(make([]byte, size), "bin")
		if _, err := r.c.Write(req[:len(req)/2]); err != nil {
			t.Fatal(err)
		}
		waitFor(t, func() bool { return size < smallBodyDefault || len(e.tempFiles()) == 1 })
		r.c.Close()
		waitFor(t, func() bool { return len(e.tempFiles()) == 0 })
	}
	id := e.upload([]byte("still here"), "txt")
	if got := e.mustDownload(id); string(got) != "still here" {
		t.Fatalf("got %q", got)
	}
	// Nothing but the tree and the one file.
	var files []string
	filepath.Walk(filepath.Join(e.cfg.StorePaths[0].Path, "data"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && fi.Name() != ".fastdfs_vars" && fi.Name() != ".creating" {
			files = append(files, p)
		}
		return nil
	})
	if len(files) != 1 {
		t.Fatalf("files on disk: %v", files)
	}
}

// waitFor polls cond until it holds; it fails the test after 20 s. It only
// waits for the server to react, it measures nothing.
func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Files written before a restart are served after it.
func TestRestartServesExistingFiles(t *testing.T) {
	dir := t.TempDir()
	cfg := testConf(t, dir, 2, "")
	s1 := startServer(t, cfg)
	var cur atomic.Pointer[Server]
	cur.Store(s1)
	tr := fakeTracker(t, func() string { return cur.Load().Addr().String() })
	e := &env{t: t, dir: dir, cfg: cfg, srv: s1}
	e.cli = newTestClient(t, tr)
	small := e.upload([]byte("before restart"), "txt")
	big := randBytes(3, 1<<20+17)
	bigID := e.upload(big, "")
	stopServer(t, s1)

	flag, err := os.ReadFile(filepath.Join(dir, "data", ".data_init_flag"))
	if err != nil || !bytes.HasPrefix(flag, []byte("storage_join_time=")) {
		t.Fatalf(".data_init_flag: %q %v", flag, err)
	}
	s2 := startServer(t, testConf(t, dir, 2, ""))
	cur.Store(s2)
	e.cli.Close()
	e.cli = newTestClient(t, tr)
	if got := e.mustDownload(small); string(got) != "before restart" {
		t.Fatalf("got %q", got)
	}
	if got := e.mustDownload(bigID); !bytes.Equal(got, big) {
		t.Fatal("big file differs")
	}
	// The binlog continues in the same file.
	e.upload([]byte("after"), "txt")
	if n := len(e.binlog()); n != 3 {
		t.Fatalf("binlog lines %d: %q", n, e.binlog())
	}
	idx, err := os.ReadFile(filepath.Join(dir, "data", "sync", "binlog_index.dat"))
	if err != nil || string(idx) != "current_write=0\ncurrent_compress=0\n" {
		t.Fatalf("binlog_index.dat %q %v", idx, err)
	}
}

func TestZeroByteAndENOSPC(t *testing.T) {
	e := newEnv(t, 1)
	id := e.upload(nil, "txt")
	_, f := parseID(t, id)
	if f.FileSize() != 0 || f.CRC32 != 0 {
		t.Fatalf("fields %+v", f)
	}
	// V6.15.4+: a 0-byte file cannot be downloaded (EINVAL).
	if _, err := e.download(id, 0, 0); !errors.Is(err, codec.EINVAL) {
		t.Fatalf("download of a 0-byte file: %v", err)
	}
	info, err := e.cli.FileInfo(context.Background(), id)
	if err != nil || info.Size != 0 {
		t.Fatalf("info %+v %v", info, err)
	}

	// A reserve no disk has: ENOSPC before a byte is written.
	dir := t.TempDir()
	cfg := testConf(t, dir, 1, "")
	p := DefaultParams()
	p.Reserve.MB = 1 << 40
	s := startServer(t, cfg, WithParams(p))
	r := dialRaw(t, s.Addr().String())
	r.c.Write(uploadRequest([]byte("abc"), "txt"))
	if h, _ := r.mustRecv(); codec.Errno(h.Status) != codec.ENOSPC {
		t.Fatalf("status %d", h.Status)
	}
	r.send(codec.CmdActiveTest, 0, nil) // ENOSPC keeps the connection
	if h, _ := r.mustRecv(); h.Status != 0 {
		t.Fatalf("active test %d", h.Status)
	}
	if tmp, _ := filepath.Glob(filepath.Join(cfg.StorePaths[0].Path, "data", "*", "*", "*")); len(tmp) != 0 {
		t.Fatalf("files written: %v", tmp)
	}
}

// Downloads sent by a worker keep their place among pipelined requests.
func TestPipelinedDownloads(t *testing.T) {
	e := newEnv(t, 1)
	big := randBytes(11, 5<<20)
	bigID := e.upload(big, "bin")
	smallID := e.upload([]byte("tiny"), "txt")
	_, bigName, _ := codec.SplitFileID([]byte(bigID))
	_, smallName, _ := codec.SplitFileID([]byte(smallID))
	var stream []byte
	for _, name := range [][]byte{bigName, smallName, bigName} {
		body := downloadBody(testGroup, string(name))
		stream = append(stream, codec.Request(codec.CmdDownloadFile, len(body)).Append(nil)...)
		stream = append(stream, body...)
	}
	stream = append(stream, codec.Request(codec.CmdActiveTest, 0).Append(nil)...)
	r := dialRaw(t, e.srv.Addr().String())
	if _, err := r.c.Write(stream); err != nil {
		t.Fatal(err)
	}
	for i, want := range [][]byte{big, []byte("tiny"), big, {}} {
		h, body := r.mustRecv()
		if h.Status != 0 || !bytes.Equal(body, want) {
			t.Fatalf("reply %d: status %d, %d bytes", i, h.Status, len(body))
		}
	}
	if ws := e.srv.counters.workerSends.Load(); ws < 2 {
		t.Fatalf("worker sends %d", ws)
	}
}

// Stop with an upload mid-body: the transfer is failed, its temp file
// removed, and Stop returns.
func TestStopDuringUpload(t *testing.T) {
	dir := t.TempDir()
	cfg := testConf(t, dir, 1, "")
	s, err := New(cfg, WithListenAddr("127.0.0.1:0"), WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dir: dir, cfg: cfg, srv: s}
	r := dialRaw(t, s.Addr().String())
	req := uploadRequest(make([]byte, 4<<20), "bin")
	if _, err := r.c.Write(req[:1<<20]); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return len(e.tempFiles()) == 1 })
	stopServer(t, s)
	if tmp := e.tempFiles(); len(tmp) != 0 {
		t.Fatalf("temp files after stop: %v", tmp)
	}
	r.expectClosed()
}

// A client that keeps sending while a worker holds its connection is cut
// off once it has more than a small body and a request buffered, instead
// of making gnet buffer all of it.
func TestPipelineLimit(t *testing.T) {
	e := newEnv(t, 1)
	big := randBytes(5, 32<<20) // more than the socket buffers: the worker's send waits for the client
	id := e.upload(big, "bin")
	_, name, _ := codec.SplitFileID([]byte(id))
	body := downloadBody(testGroup, string(name))
	req := append(codec.Request(codec.CmdDownloadFile, len(body)).Append(nil), body...)
	filler := bytes.Repeat(codec.Request(codec.CmdActiveTest, 0).Append(nil), (16<<20)/codec.HeaderSize)
	r := dialRaw(t, e.srv.Addr().String())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = r.c.Write(append(req, filler...)) // fails once the server closes
	}()
	<-done
	n, _ := io.Copy(io.Discard, r.c) // the download (whole or cut), then the end
	if full := int64(codec.HeaderSize+len(big)) + int64(len(filler)); n >= full {
		t.Fatalf("server answered all %d pipelined requests", len(filler)/codec.HeaderSize)
	}
	if h, _, err := dialRaw(t, e.srv.Addr().String()).roundTrip(codec.CmdActiveTest); err != nil || h.Status != 0 {
		t.Fatalf("server after the cut: %+v %v", h, err)
	}
}
