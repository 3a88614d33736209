package diskio

import (
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// openStorePath opens a fresh store path with a small tree.
func openStorePath(t testing.TB, subdirs int) *StorePath {
	t.Helper()
	sp, err := Open(t.TempDir(), Options{SubdirCount: subdirs})
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// tcpPair connects two TCP sockets on loopback and hands the server side
// over the way the storage does: a dup of the accepted connection's fd,
// after which the net.Conn is closed (the dup keeps the connection). The
// dup is closed when the test ends.
func tcpPair(t testing.TB) (sock int, peer *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			accepted <- nil
			return
		}
		accepted <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server := <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	raw, err := server.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	sock = -1
	var dupErr error
	if err := raw.Control(func(fd uintptr) {
		sock, dupErr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil || dupErr != nil {
		t.Fatal(err, dupErr)
	}
	server.Close()
	t.Cleanup(func() {
		unix.Close(sock)
		c.Close()
	})
	return sock, c.(*net.TCPConn)
}

// stream is a deterministic pseudo-random byte stream: a sender and a
// checker generate the same bytes without holding them all.
type stream struct{ r *rand.ChaCha8 }

func newStream(seed byte) *stream {
	var s [32]byte
	s[0] = seed
	return &stream{r: rand.NewChaCha8(s)}
}

func (s *stream) fill(p []byte) { s.r.Read(p) }

func randomBytes(seed byte, n int) []byte {
	b := make([]byte, n)
	newStream(seed).fill(b)
	return b
}

// tempFiles lists the .cp*.tmp files in the store path's data dir.
func tempFiles(t testing.TB, sp *StorePath) []string {
	t.Helper()
	entries, err := os.ReadDir(sp.DataDir())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tempPrefix) && strings.HasSuffix(e.Name(), tempSuffix) {
			out = append(out, e.Name())
		}
	}
	return out
}

func writeFile(t testing.TB, sp *StorePath, ref FileRef, data []byte) {
	t.Helper()
	w, err := sp.CreateTemp(WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(ref); err != nil {
		t.Fatal(err)
	}
}

func readRef(t testing.TB, sp *StorePath, ref FileRef) []byte {
	t.Helper()
	p, err := sp.Path(ref)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newWorker(t testing.TB, opts WorkerOptions) *Worker {
	t.Helper()
	w, err := NewWorker(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}
