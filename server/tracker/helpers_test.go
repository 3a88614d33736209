package tracker

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/conf"
)

// testClock is an injectable clock tests move by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock { return &testClock{t: time.Unix(1795298744, 0)} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testConf builds a tracker.conf with base_path in dir plus extra lines.
func testConf(t testing.TB, dir string, extra ...string) *conf.Tracker {
	t.Helper()
	text := "base_path = " + dir + "\nport = 22122\n" + strings.Join(extra, "\n") + "\n"
	cfg, err := conf.ParseTracker(dir+"/tracker.conf", []byte(text))
	if err != nil {
		t.Fatalf("tracker conf: %v", err)
	}
	return cfg
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("TRACKER_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// startTracker runs a real tracker on 127.0.0.10:<free port>.
func startTracker(t testing.TB, cfg *conf.Tracker, opts ...Option) *Server {
	t.Helper()
	opts = append([]Option{WithListenAddr("127.0.0.10:0"), WithLogger(testLogger(t))}, opts...)
	s, err := New(cfg, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := s.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return s
}

// newClient is the Go SDK pointed at s.
func newClient(t testing.TB, s *Server) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{Trackers: []string{s.Addr()}, MaxIdlePerServer: -1,
		NetworkTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// peer is a test storage: it speaks the storage->tracker protocol with the
// codec types over a real TCP connection bound to its own 127.0.0.x.
type peer struct {
	t    testing.TB
	ip   string
	port int64
	conn net.Conn
}

func dialPeer(t testing.TB, s *Server, ip string) *peer {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatalf("dial from %s: %v", ip, err)
	}
	t.Cleanup(func() { c.Close() })
	return &peer{t: t, ip: ip, port: 23000, conn: c}
}

// call sends one request and reads its reply.
func (p *peer) call(cmd byte, body []byte) (codec.Errno, []byte) {
	p.t.Helper()
	st, reply, err := p.try(cmd, body)
	if err != nil {
		p.t.Fatalf("%s cmd %d: %v", p.ip, cmd, err)
	}
	return st, reply
}

func (p *peer) try(cmd byte, body []byte) (codec.Errno, []byte, error) {
	_ = p.conn.SetDeadline(time.Now().Add(10 * time.Second))
	pkt := codec.Request(cmd, len(body)).Append(nil)
	if _, err := p.conn.Write(append(pkt, body...)); err != nil {
		return 0, nil, err
	}
	return p.readReply()
}

func (p *peer) readReply() (codec.Errno, []byte, error) {
	var hb [codec.HeaderSize]byte
	if _, err := io.ReadFull(p.conn, hb[:]); err != nil {
		return 0, nil, err
	}
	h, err := codec.DecodeHeader(hb[:])
	if err != nil {
		return 0, nil, err
	}
	if h.Cmd != codec.CmdResp {
		return 0, nil, fmt.Errorf("reply cmd %d", h.Cmd)
	}
	body := make([]byte, h.BodyLen)
	if _, err := io.ReadFull(p.conn, body); err != nil {
		return 0, nil, err
	}
	return codec.Errno(h.Status), body, nil
}

// closed reports whether the tracker closed the connection (EOF on read).
func (p *peer) closed() bool {
	_ = p.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var b [1]byte
	_, err := p.conn.Read(b[:])
	return err != nil
}

// joinRequest is a HEAD JOIN naming tracker s.
func (p *peer) joinRequest(s *Server, group string, initFlag bool, status int8) *codec.StorageJoinRequest {
	host, _, _ := net.SplitHostPort(s.Addr())
	req := &codec.StorageJoinRequest{
		GroupName: []byte(group), StoragePort: p.port, StorePathCount: 1, SubdirCountPerPath: 256,
		UploadPriority: 10, JoinTime: 1795298700, UpTime: 1795298740, Version: []byte("6.16.1"),
		InitFlag: initFlag, Status: status, CurrentTrackerIP: []byte(host),
	}
	req.AddTracker([]byte(s.Addr()))
	return req
}

// join logs in as a storage that was ACTIVE before (init_flag 0, status
// ACTIVE), which a tracker that does not know it takes in ONLINE.
func (p *peer) join(s *Server, group string) codec.StorageJoinReply {
	p.t.Helper()
	st, body := p.call(codec.CmdStorageJoin, p.joinRequest(s, group, false, int8(StatusActive)).Append(nil))
	if st != codec.OK {
		p.t.Fatalf("%s JOIN %s: %s", p.ip, group, st.Name())
	}
	var r codec.StorageJoinReply
	if err := r.Decode(body); err != nil {
		p.t.Fatal(err)
	}
	return r
}

func (p *peer) beat() codec.ChangeNotice {
	p.t.Helper()
	var stats codec.StatBlock
	return p.notice(codec.CmdStorageBeat, stats.Append(nil))
}

func (p *peer) diskUsage(paths ...codec.PathUsage) codec.ChangeNotice {
	p.t.Helper()
	var r codec.DiskUsageReport
	for _, u := range paths {
		r.Add(u)
	}
	return p.notice(codec.CmdStorageReportDiskUsage, r.Append(nil))
}

func (p *peer) notice(cmd byte, body []byte) codec.ChangeNotice {
	p.t.Helper()
	st, reply := p.call(cmd, body)
	if st != codec.OK {
		p.t.Fatalf("%s cmd %d: %s", p.ip, cmd, st.Name())
	}
	var n codec.ChangeNotice
	if err := n.Decode(reply); err != nil {
		p.t.Fatalf("%s cmd %d: change notice: %v", p.ip, cmd, err)
	}
	return n
}

// activate joins, beats and reports disk space: the storage is ACTIVE and
// writable afterwards.
func (p *peer) activate(s *Server, group string, paths ...codec.PathUsage) {
	p.t.Helper()
	p.join(s, group)
	p.beat()
	if len(paths) == 0 {
		paths = []codec.PathUsage{{TotalMB: 100000, FreeMB: 50000}}
	}
	p.diskUsage(paths...)
}

func (p *peer) quit() {
	pkt := codec.Request(codec.CmdQuit, 0).Append(nil)
	_, _ = p.conn.Write(pkt)
}

// statusOf asks LIST_STORAGE for one storage's status.
func statusOf(t testing.TB, c *client.Client, group, id string) byte {
	t.Helper()
	list, err := c.ListStorages(context.Background(), group, id)
	if err != nil || len(list) != 1 {
		t.Fatalf("list %s/%s: %v (%d records)", group, id, err, len(list))
	}
	return list[0].Status
}

// waitStatus polls until the storage reaches want; the deadline is generous
// and no duration is asserted.
func waitStatus(t testing.TB, c *client.Client, group, id string, want byte) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := statusOf(t, c, group, id)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/%s status %s, want %s", group, id, statusName(got), statusName(want))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
