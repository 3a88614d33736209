package engine

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Port 0 becomes one free port, which the loops then all share.
func TestClaimPicksPort(t *testing.T) {
	addr, err := Claim("127.0.2.40:0")
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(addr)
	if host != "127.0.2.40" || port == "0" || port == "" {
		t.Fatalf("Claim = %q, want 127.0.2.40 with a port", addr)
	}
}

// Claim refuses an address any listener holds: a plain one (as C's), or a
// SO_REUSEPORT one (as another of our daemons, which the kernel would
// otherwise let share the port).
func TestClaimRefusesListenedAddress(t *testing.T) {
	plain, err := net.Listen("tcp", "127.0.2.40:0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Claim(plain.Addr().String()); !errors.Is(err, ErrAddrInUse) {
		t.Fatalf("Claim of a plain listener's address: %v, want ErrAddrInUse", err)
	}
	addr := plain.Addr().String()
	plain.Close()

	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
			if serr == nil {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
			}
		})
		if err != nil {
			return err
		}
		return serr
	}}
	shared, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Claim(addr); !errors.Is(err, ErrAddrInUse) {
		t.Fatalf("Claim of a SO_REUSEPORT listener's address: %v, want ErrAddrInUse", err)
	}
	shared.Close()
	if got, err := Claim(addr); err != nil || got != addr {
		t.Fatalf("Claim after close = %q, %v; want %q", got, err, addr)
	}
}

type echo struct {
	gnet.BuiltinEventEngine
	booted chan gnet.Engine
}

func (e *echo) OnBoot(eng gnet.Engine) gnet.Action { e.booted <- eng; return gnet.None }

func (e *echo) OnTraffic(c gnet.Conn) gnet.Action {
	b, _ := c.Next(-1)
	_, _ = c.Write(b)
	return gnet.None
}

// A multicore engine serves every connection on the one port it bound,
// whichever loop's listener accepted it, and a second engine on the same
// address fails with "address in use" instead of sharing it.
func TestRunServesAndRefusesSecondEngine(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4)) // three loops, three listeners on one port
	h := &echo{booted: make(chan gnet.Engine, 1)}
	done := make(chan error, 1)
	go func() { done <- Run(h, Config{Addr: "127.0.2.40:0", Multicore: true, Logger: quiet()}) }()
	var eng gnet.Engine
	select {
	case eng = <-h.booted:
	case err := <-done:
		t.Fatalf("Run: %v", err)
	}
	ap, err := BoundAddr(eng)
	if err != nil {
		t.Fatal(err)
	}
	addr := ap.String()
	for i := range 8 { // enough connections to land on every loop's listener
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		msg := []byte("ping " + strconv.Itoa(i))
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(c, got); err != nil || string(got) != string(msg) {
			t.Fatalf("echo %d: %q, %v", i, got, err)
		}
		c.Close()
	}
	h2 := &echo{booted: make(chan gnet.Engine, 1)}
	if err := Run(h2, Config{Addr: addr, Multicore: true, Logger: quiet()}); !errors.Is(err, ErrAddrInUse) {
		t.Fatalf("second engine on %s: %v, want ErrAddrInUse", addr, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := Stop(ctx, eng); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Run after Stop: %v", err)
	}
	if err := Stop(ctx, eng); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
}

func TestLoops(t *testing.T) {
	want := max(1, runtime.GOMAXPROCS(0)-1)
	if Loops() != want {
		t.Fatalf("Loops() = %d, want %d", Loops(), want)
	}
	one := Config{}
	if one.loops() != 1 {
		t.Fatalf("single-core config runs %d loops", one.loops())
	}
}
