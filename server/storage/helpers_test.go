package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/conf"
)

const testGroup = "group1"

// testConf is a storage.conf for a server with paths store paths under dir.
func testConf(t testing.TB, dir string, paths int, extra string) *conf.Storage {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "group_name=%s\nbase_path=%s\nport=23000\ntracker_server=127.0.0.2:22122\n", testGroup, dir)
	fmt.Fprintf(&b, "store_path_count=%d\nsubdir_count_per_path=4\n", paths)
	for i := range paths {
		sp := filepath.Join(dir, fmt.Sprintf("sp%d", i))
		if err := os.MkdirAll(sp, 0o755); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "store_path%d=%s\n", i, sp)
	}
	b.WriteString(extra)
	cfg, err := conf.ParseStorage("storage.conf", []byte(b.String()))
	if err != nil {
		t.Fatalf("parse conf: %v", err)
	}
	return cfg
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))
}

// startServer starts a storage on 127.0.0.1:0 and stops it at cleanup.
func startServer(t testing.TB, cfg *conf.Storage, opts ...Option) *Server {
	t.Helper()
	opts = append([]Option{WithListenAddr("127.0.0.1:0"), WithLogger(quietLogger()), WithMulticore(false),
		WithReporting(false)}, opts...)
	s, err := New(cfg, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := s.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { stopServer(t, s) })
	return s
}

func stopServer(t testing.TB, s *Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Errorf("Stop: %v", err)
	}
}

// fakeTracker answers QUERY_STORE, QUERY_FETCH and QUERY_UPDATE with the
// storage at *storage (read at each query, so a restarted server can take
// over), and ACTIVE_TEST; QUIT closes.
func fakeTracker(t testing.TB, storage func() string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serveFakeTracker(c, storage)
		}
	}()
	return ln.Addr().String()
}

func serveFakeTracker(c net.Conn, storage func() string) {
	defer c.Close()
	hb := make([]byte, codec.HeaderSize)
	for {
		if _, err := io.ReadFull(c, hb); err != nil {
			return
		}
		h, err := codec.DecodeHeader(hb)
		if err != nil {
			return
		}
		if _, err := io.CopyN(io.Discard, c, h.BodyLen); err != nil {
			return
		}
		host, portStr, _ := net.SplitHostPort(storage())
		var port int64
		fmt.Sscan(portStr, &port)
		var body []byte
		switch h.Cmd {
		case codec.CmdQuit:
			return
		case codec.CmdQueryStoreWithoutGroupOne, codec.CmdQueryStoreWithGroupOne:
			r := codec.QueryStoreReply{GroupName: []byte(testGroup), IP: []byte(host), Port: port, StorePathIndex: 0}
			body = r.Append(nil)
		case codec.CmdQueryFetchOne, codec.CmdQueryUpdate:
			r := codec.QueryFetchReply{GroupName: []byte(testGroup), IP: []byte(host), Port: port}
			body = r.Append(nil)
		case codec.CmdActiveTest:
		default:
			c.Write(codec.Reply(byte(codec.EINVAL), 0).Append(nil))
			continue
		}
		c.Write(append(codec.Reply(0, len(body)).Append(nil), body...))
	}
}

// env is a running storage, a fake tracker pointing at it, and a client.
type env struct {
	t   testing.TB
	dir string
	cfg *conf.Storage
	srv *Server
	cli *client.Client
}

func newEnv(t testing.TB, paths int, opts ...Option) *env {
	t.Helper()
	return newEnvConf(t, paths, "", opts...)
}

// newEnvConf is newEnv with extra storage.conf lines.
func newEnvConf(t testing.TB, paths int, extra string, opts ...Option) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{t: t, dir: dir, cfg: testConf(t, dir, paths, extra)}
	e.srv = startServer(t, e.cfg, opts...)
	tr := fakeTracker(t, func() string { return e.srv.Addr().String() })
	cli, err := client.New(client.Config{Trackers: []string{tr}, NetworkTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	e.cli = cli
	return e
}

func (e *env) upload(data []byte, ext string) string {
	e.t.Helper()
	id, err := e.cli.Upload(context.Background(), bytes.NewReader(data), int64(len(data)), ext)
	if err != nil {
		e.t.Fatalf("upload %d bytes: %v", len(data), err)
	}
	return id
}

func (e *env) download(id string, off, n int64) ([]byte, error) {
	var buf bytes.Buffer
	_, err := e.cli.Download(context.Background(), id, &buf, off, n)
	return buf.Bytes(), err
}

func (e *env) mustDownload(id string) []byte {
	e.t.Helper()
	b, err := e.download(id, 0, 0)
	if err != nil {
		e.t.Fatalf("download %s: %v", id, err)
	}
	return b
}

// binlog returns the binlog lines written so far.
func (e *env) binlog() []string {
	e.t.Helper()
	data, err := os.ReadFile(filepath.Join(e.dir, "data", "sync", "binlog.000"))
	if err != nil {
		e.t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

// hasBinlog reports a line "<ts> op name".
func (e *env) hasBinlog(op byte, rest string) bool {
	for _, l := range e.binlog() {
		f := strings.SplitN(l, " ", 3)
		if len(f) == 3 && f[1] == string(op) && f[2] == rest {
			return true
		}
	}
	return false
}

// tempFiles lists the .tmp files under the store paths' data dirs.
func (e *env) tempFiles() []string {
	var out []string
	fds, _ := os.ReadDir("/proc/self/fd")
	for i := range e.cfg.StorePaths {
		data := filepath.Join(e.cfg.StorePaths[i].Path, "data")
		m, _ := filepath.Glob(filepath.Join(data, ".cp*.tmp"))
		out = append(out, m...)
		// Unnamed (O_TMPFILE) temp files exist while a descriptor holds
		// them: /proc shows them as data/#INODE (deleted), or
		// data/HH/HH/#INODE for those opened in their final directory.
		for _, fd := range fds {
			l, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
			if err != nil || !strings.HasPrefix(l, data+"/") || !strings.HasSuffix(l, " (deleted)") {
				continue
			}
			if rel := l[len(data)+1:]; strings.HasPrefix(rel, "#") || len(rel) > 6 && rel[2] == '/' && rel[5] == '/' && rel[6] == '#' {
				out = append(out, l)
			}
		}
	}
	return out
}

func randBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		binary.LittleEndian.PutUint64(b[i:], r.Uint64())
	}
	for i := n &^ 7; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

// raw is a bare protocol connection for requests the client never sends.
type raw struct {
	t testing.TB
	c net.Conn
}

func dialRaw(t testing.TB, addr string) *raw {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(30 * time.Second))
	return &raw{t: t, c: c}
}

func (r *raw) send(cmd, status byte, body []byte) {
	r.t.Helper()
	h := codec.Header{BodyLen: int64(len(body)), Cmd: cmd, Status: status}
	if _, err := r.c.Write(append(h.Append(nil), body...)); err != nil {
		r.t.Fatalf("send: %v", err)
	}
}

// recv reads one reply.
func (r *raw) recv() (codec.Header, []byte, error) {
	hb := make([]byte, codec.HeaderSize)
	if _, err := io.ReadFull(r.c, hb); err != nil {
		return codec.Header{}, nil, err
	}
	h, err := codec.DecodeHeader(hb)
	if err != nil {
		return h, nil, err
	}
	if h.Status != 0 {
		return h, nil, nil
	}
	body := make([]byte, h.BodyLen)
	_, err = io.ReadFull(r.c, body)
	return h, body, err
}

func (r *raw) mustRecv() (codec.Header, []byte) {
	r.t.Helper()
	h, b, err := r.recv()
	if err != nil {
		r.t.Fatalf("recv: %v", err)
	}
	return h, b
}

// expectClosed checks that the server closed the connection.
func (r *raw) expectClosed() {
	r.t.Helper()
	var b [1]byte
	n, err := r.c.Read(b[:])
	if n != 0 || !errors.Is(err, io.EOF) && !isReset(err) {
		r.t.Fatalf("connection still open: n=%d err=%v", n, err)
	}
}

func isReset(err error) bool {
	return err != nil && strings.Contains(err.Error(), "connection reset")
}

func groupField(g string) []byte { return codec.AppendFixed(nil, g, codec.GroupNameSize) }

func newTestClient(t testing.TB, tracker string) *client.Client {
	t.Helper()
	cli, err := client.New(client.Config{Trackers: []string{tracker}, NetworkTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// roundTrip sends a header-only request and reads the reply.
func (r *raw) roundTrip(cmd byte) (codec.Header, []byte, error) {
	r.send(cmd, 0, nil)
	return r.recv()
}

// TestMain removes the tracker binary the tests built (trackerBin).
func TestMain(m *testing.M) {
	code := m.Run()
	trackerBin.Remove()
	os.Exit(code)
}
