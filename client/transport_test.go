package client

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// scriptedServer is a real loopback server whose per-connection behaviour a
// test chooses: it counts accepted connections.
type scriptedServer struct {
	ln       net.Listener
	accepted atomic.Int32
	wg       sync.WaitGroup
}

func newScriptedServer(t *testing.T, handle func(c net.Conn)) *scriptedServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &scriptedServer{ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.accepted.Add(1)
			s.wg.Add(1)
			go func() { defer s.wg.Done(); defer c.Close(); handle(c) }()
		}
	}()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

func (s *scriptedServer) addr() string { return s.ln.Addr().String() }

// answerActiveTests replies status 0 to every ACTIVE_TEST until the peer closes.
func answerActiveTests(c net.Conn) {
	var hdr [10]byte
	for {
		if _, err := io.ReadFull(c, hdr[:]); err != nil {
			return
		}
		if hdr[8] != codec.CmdActiveTest {
			return
		}
		c.Write(codec.Reply(0, 0).Append(nil))
	}
}

func newTestClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	if len(cfg.Trackers) == 0 {
		cfg.Trackers = []string{"127.0.0.1:1"}
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestPoolReusesConnection(t *testing.T) {
	s := newScriptedServer(t, answerActiveTests)
	c := newTestClient(t, Config{})
	for range 5 {
		if err := c.ActiveTest(context.Background(), s.addr()); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.accepted.Load(); n != 1 {
		t.Fatalf("%d connections for 5 sequential calls, want 1", n)
	}
}

func TestPoolDropsConnectionClosedByServer(t *testing.T) {
	// The server answers once and hangs up, as a server's idle timeout would.
	s := newScriptedServer(t, func(c net.Conn) {
		var hdr [10]byte
		if _, err := io.ReadFull(c, hdr[:]); err == nil {
			c.Write(codec.Reply(0, 0).Append(nil))
		}
	})
	c := newTestClient(t, Config{})
	for i := range 3 {
		if err := c.ActiveTest(context.Background(), s.addr()); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		time.Sleep(20 * time.Millisecond) // let the FIN arrive
	}
	if n := s.accepted.Load(); n != 3 {
		t.Fatalf("%d connections, want 3 (closed ones must not be reused)", n)
	}
}

func TestNoPoolWhenDisabled(t *testing.T) {
	s := newScriptedServer(t, answerActiveTests)
	c := newTestClient(t, Config{MaxIdlePerServer: -1})
	for range 3 {
		if err := c.ActiveTest(context.Background(), s.addr()); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.accepted.Load(); n != 3 {
		t.Fatalf("%d connections, want 3", n)
	}
}

func TestStatusErrorUnwrapsToErrno(t *testing.T) {
	s := newScriptedServer(t, func(c net.Conn) {
		var hdr [10]byte
		for {
			if _, err := io.ReadFull(c, hdr[:]); err != nil {
				return
			}
			c.Write(codec.Reply(byte(codec.EINVAL), 0).Append(nil))
		}
	})
	c := newTestClient(t, Config{})
	err := c.ActiveTest(context.Background(), s.addr())
	if !errors.Is(err, codec.EINVAL) {
		t.Fatalf("err = %v, want EINVAL", err)
	}
	var se *StatusError
	if !errors.As(err, &se) || se.Addr != s.addr() {
		t.Fatalf("err %v does not name the server", err)
	}
	// EINVAL makes a storage close the connection: the client must not reuse it.
	c.ActiveTest(context.Background(), s.addr())
	if n := s.accepted.Load(); n != 2 {
		t.Fatalf("%d connections after EINVAL, want 2", n)
	}
}

func TestContextDeadlineCutsSilentServer(t *testing.T) {
	s := newScriptedServer(t, func(c net.Conn) { io.Copy(io.Discard, c) }) // never answers
	c := newTestClient(t, Config{NetworkTimeout: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := c.ActiveTest(ctx, s.addr())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
}

func TestCancelInterruptsBlockedRead(t *testing.T) {
	s := newScriptedServer(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	c := newTestClient(t, Config{NetworkTimeout: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	err := c.ActiveTest(ctx, s.addr())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestNetworkTimeoutPerStep(t *testing.T) {
	s := newScriptedServer(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	c := newTestClient(t, Config{NetworkTimeout: 150 * time.Millisecond})
	err := c.ActiveTest(context.Background(), s.addr())
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
}

func TestDialFailureNamesAddress(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	c := newTestClient(t, Config{ConnectTimeout: time.Second})
	err := c.ActiveTest(context.Background(), dead)
	if err == nil {
		t.Fatal("dial to a closed port succeeded")
	}
}

func TestConfigDefaults(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Fatal("no trackers accepted")
	}
	c, err := New(Config{Trackers: []string{"127.0.0.5", "[::1]:22123"}})
	if err != nil {
		t.Fatal(err)
	}
	got := c.Trackers()
	if got[0] != "127.0.0.5:22122" || got[1] != "[::1]:22123" {
		t.Fatalf("trackers %v", got)
	}
}

func readFull(c net.Conn, b []byte) (int, error) { return io.ReadFull(c, b) }
