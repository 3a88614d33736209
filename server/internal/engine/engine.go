// Package engine is the lifecycle of the daemons' gnet engines: how many
// event loops, the gnet options they share, the "address in use" check
// that SO_REUSEPORT would otherwise skip, the bound address, and gnet's own
// log routed to slog. The tracker and the storage (and the storage's HTTP
// listener) run their engines through it.
//
// Why SO_REUSEPORT and one loop fewer than Ps: a gnet loop waits in a
// blocking epoll_wait system call, and the Go runtime's sysmon takes the P
// of a goroutine that sits in a system call for more than one of its ticks
// whenever no other P is idle. With as many waiting goroutines as Ps (two
// loops plus gnet's separate acceptor on two cores) every quiet moment ends
// in such a retake: a spinning thread woken with a futex, spinning and
// parking again, and sysmon itself polling every 20 us instead of backing
// off to 10 ms. With SO_REUSEPORT every loop accepts on a listener of its
// own (no acceptor goroutine), and with GOMAXPROCS-1 loops one P stays idle
// while they wait, so sysmon has nothing to take. What remains is gnet's
// runtime.Gosched after a poll round that found nothing: with a P idle it
// wakes a spinning thread (BENCHMARKS.md, "Where the time goes").
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/panjf2000/gnet/v2"
	gerrors "github.com/panjf2000/gnet/v2/pkg/errors"
	"github.com/panjf2000/gnet/v2/pkg/socket"
	"golang.org/x/sys/unix"
)

// Config is one engine's listener and loops.
type Config struct {
	// Addr is host:port; port 0 picks a free port, the same for every loop.
	Addr string
	// Multicore sizes the loops to the CPUs (Loops); false runs one loop.
	Multicore bool
	// Ticker turns gnet's OnTick on.
	Ticker bool
	// KeepAlive is the accepted connections' TCP keep-alive idle time (0: off).
	KeepAlive time.Duration
	Logger    *slog.Logger
	// Extra are further gnet options, applied last.
	Extra []gnet.Option
}

// Loops is the number of event loops of a multicore engine: one fewer than
// GOMAXPROCS, at least one (see the package comment).
func Loops() int { return max(1, runtime.GOMAXPROCS(0)-1) }

// loops is the number of event loops cfg runs.
func (cfg *Config) loops() int {
	if cfg.Multicore {
		return Loops()
	}
	return 1
}

// Options are the gnet options of cfg, for an address checked by Claim.
func (cfg *Config) Options() []gnet.Option {
	l := cfg.Logger
	if l == nil {
		l = slog.Default()
	}
	opts := []gnet.Option{
		gnet.WithNumEventLoop(cfg.loops()),
		gnet.WithReusePort(true), // each loop accepts on its own listener: no acceptor goroutine
		gnet.WithReuseAddr(true),
		gnet.WithTicker(cfg.Ticker),
		gnet.WithLogger(Logger{l}),
	}
	if cfg.KeepAlive > 0 {
		opts = append(opts, gnet.WithTCPKeepAlive(cfg.KeepAlive))
	}
	return append(opts, cfg.Extra...)
}

// Run checks the address (Claim) and runs the engine until it stops.
func Run(h gnet.EventHandler, cfg Config) error {
	addr, err := Claim(cfg.Addr)
	if err != nil {
		return err
	}
	return gnet.Run(h, "tcp://"+addr, cfg.Options()...)
}

// ErrAddrInUse is returned by Claim when something listens on the address.
var ErrAddrInUse = errors.New("address already in use")

// Claim checks that nothing listens on addr and returns it with port 0
// replaced by a free port. SO_REUSEPORT lets a second process of the same
// user bind a port that our loops listen on, and the kernel would then
// share the connections between the two daemons; C fails to start with
// "address in use" instead. So Claim binds a plain socket first, without
// SO_REUSEPORT, which the kernel refuses while any listener holds the
// address, ours or C's; SO_REUSEADDR, as on the listeners, lets it past
// connections of an earlier run still in TIME_WAIT. The socket is closed
// before the loops bind: two of our daemons started within that moment
// could still both bind, which a start by hand or by systemd does not do.
func Claim(addr string) (string, error) {
	sa, family, _, ipv6only, err := socket.GetTCPSockAddr("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("listen on %s: %w", addr, err)
	}
	// SOCK_CLOEXEC is not everywhere (darwin): close-on-exec is set under
	// ForkLock instead, as package net does there, so no exec inherits it.
	syscall.ForkLock.RLock()
	fd, err := unix.Socket(family, unix.SOCK_STREAM, unix.IPPROTO_TCP)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return "", fmt.Errorf("listen on %s: %w", addr, err)
	}
	defer unix.Close(fd)
	if family == unix.AF_INET6 && ipv6only {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1); err != nil {
			return "", fmt.Errorf("listen on %s: %w", addr, err)
		}
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return "", fmt.Errorf("listen on %s: %w", addr, err)
	}
	if err := unix.Bind(fd, sa); err != nil {
		if errors.Is(err, unix.EADDRINUSE) {
			return "", fmt.Errorf("listen on %s: %w", addr, ErrAddrInUse)
		}
		return "", fmt.Errorf("listen on %s: %w", addr, err)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("listen on %s: %w", addr, err)
	}
	if port == "0" || port == "" {
		bound, err := unix.Getsockname(fd)
		if err != nil {
			return "", fmt.Errorf("listen on %s: %w", addr, err)
		}
		ap := sockaddrPort(bound)
		if ap.Port() == 0 {
			return "", fmt.Errorf("listen on %s: no port bound", addr)
		}
		port = strconv.Itoa(int(ap.Port()))
	}
	return net.JoinHostPort(host, port), nil
}

// BoundAddr asks the kernel which address the engine's listener got.
func BoundAddr(eng gnet.Engine) (netip.AddrPort, error) {
	fd, err := eng.Dup()
	if err != nil {
		return netip.AddrPort{}, err
	}
	defer unix.Close(fd)
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return netip.AddrPort{}, err
	}
	ap := sockaddrPort(sa)
	if !ap.IsValid() {
		return ap, fmt.Errorf("unexpected socket address %T", sa)
	}
	return ap, nil
}

func sockaddrPort(sa unix.Sockaddr) netip.AddrPort {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr), uint16(a.Port))
	}
	return netip.AddrPort{}
}

// Stop stops eng; an engine that has already ended is not an error.
func Stop(ctx context.Context, eng gnet.Engine) error {
	if err := eng.Stop(ctx); err != nil && !IsGone(err) {
		return err
	}
	return nil
}

// IsGone: the engine has already stopped (or never started).
func IsGone(err error) bool {
	return errors.Is(err, gerrors.ErrEmptyEngine) || errors.Is(err, gerrors.ErrEngineInShutdown)
}

// Logger routes gnet's own messages to slog (its info is our debug).
type Logger struct{ L *slog.Logger }

func (g Logger) Debugf(f string, a ...any) { g.L.Debug(fmt.Sprintf(f, a...), "src", "gnet") }
func (g Logger) Infof(f string, a ...any)  { g.L.Debug(fmt.Sprintf(f, a...), "src", "gnet") }
func (g Logger) Warnf(f string, a ...any)  { g.L.Warn(fmt.Sprintf(f, a...), "src", "gnet") }
func (g Logger) Errorf(f string, a ...any) { g.L.Error(fmt.Sprintf(f, a...), "src", "gnet") }
func (g Logger) Fatalf(f string, a ...any) { g.L.Error(fmt.Sprintf(f, a...), "src", "gnet") }
