package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

const (
	manyConns      = 1000
	manyBusy       = 50   // connections that upload and download while the rest idle
	manyFDsNeeded  = 2200 // client and server side of every connection, dups, files
	manyFDsWanted  = 4096
	manyIOTimeout  = 60 * time.Second // per connection step; a hang fails, never a slow run
	manyDialers    = 8
	manyExchangers = 8
)

// raiseNofile lifts RLIMIT_NOFILE's soft limit towards want (never above
// the hard limit) and returns the limit in force.
func raiseNofile(t *testing.T, want uint64) uint64 {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skipf("getrlimit: %v", err)
	}
	if lim.Cur >= want {
		return lim.Cur
	}
	old := lim
	lim.Cur = min(want, lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return old.Cur
	}
	t.Cleanup(func() { _ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old) })
	return lim.Cur
}

// rawExchange sends one request on c and reads the reply; a reply with a
// non-zero status has no body.
func rawExchange(c net.Conn, req []byte) (codec.Header, []byte, error) {
	if err := c.SetDeadline(time.Now().Add(manyIOTimeout)); err != nil {
		return codec.Header{}, nil, err
	}
	if _, err := c.Write(req); err != nil {
		return codec.Header{}, nil, err
	}
	hb := make([]byte, codec.HeaderSize)
	if _, err := io.ReadFull(c, hb); err != nil {
		return codec.Header{}, nil, err
	}
	h, err := codec.DecodeHeader(hb)
	if err != nil || h.Status != 0 {
		return h, nil, err
	}
	body := make([]byte, h.BodyLen)
	_, err = io.ReadFull(c, body)
	return h, body, err
}

// forEachConn runs fn on every index from a few goroutines and returns the
// errors joined.
func forEachConn(idx []int, workers int, fn func(i int) error) error {
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	next := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range next {
				if err := fn(i); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("conn %d: %w", i, err))
					mu.Unlock()
				}
			}
		})
	}
	for _, i := range idx {
		next <- i
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}

var activeTestReq = codec.Request(codec.CmdActiveTest, 0).Append(nil)

func activeTest(c net.Conn) error {
	h, _, err := rawExchange(c, activeTestReq)
	if err != nil {
		return err
	}
	if h.Status != 0 || h.BodyLen != 0 {
		return fmt.Errorf("ACTIVE_TEST reply status %d len %d", h.Status, h.BodyLen)
	}
	return nil
}

// 1,000 connections are open at once; every one answers ACTIVE_TEST, 50 of
// them upload and download (small bodies buffered by the loop, large ones
// on a detached socket) while the other 950 idle, every one still answers
// afterwards, and once all are closed the server has forgotten them and
// serves a fresh client.
func TestThousandConnections(t *testing.T) {
	if lim := raiseNofile(t, manyFDsWanted); lim < manyFDsNeeded {
		t.Skipf("RLIMIT_NOFILE %d (hard limit too low), need %d for %d connections", lim, manyFDsNeeded, manyConns)
	}
	e := newEnv(t, 2, WithMulticore(true))
	addr := e.srv.Addr().String()

	conns := make([]net.Conn, manyConns)
	t.Cleanup(func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	})
	all := make([]int, manyConns)
	for i := range all {
		all[i] = i
	}
	if err := forEachConn(all, manyDialers, func(i int) error {
		c, err := net.DialTimeout("tcp", addr, manyIOTimeout)
		conns[i] = c
		return err
	}); err != nil {
		t.Fatalf("dial: %v", err)
	}
	// All open before any request: each one answers.
	if err := forEachConn(all, manyExchangers, func(i int) error { return activeTest(conns[i]) }); err != nil {
		t.Fatalf("first ACTIVE_TEST round: %v", err)
	}
	if n, _ := e.srv.stats.Conns(); n != manyConns {
		t.Fatalf("server tracks %d connections, want %d", n, manyConns)
	}

	// Uploads and downloads on a random 50 while the rest stay idle.
	r := rand.New(rand.NewPCG(1000, 50))
	busy := r.Perm(manyConns)[:manyBusy]
	if err := forEachConn(busy, manyBusy, func(i int) error {
		c := conns[i]
		size := 1 << 10 // buffered by the event loop
		if i%3 == 0 {
			size = 1 << 20 // above smallBody: received on the detached socket
		}
		data := randBytes(uint64(i), size+i)
		for round := range 2 {
			h, body, err := rawExchange(c, uploadRequest(data, "bin"))
			if err != nil || h.Status != 0 {
				return fmt.Errorf("upload round %d: status %d: %v", round, h.Status, err)
			}
			var u codec.UploadReply
			if err := u.Decode(body); err != nil {
				return err
			}
			if string(u.Group) != testGroup {
				return fmt.Errorf("upload reply group %q", u.Group)
			}
			h, got, err := rawExchange(c, append(codec.Request(codec.CmdDownloadFile,
				len(downloadBody(testGroup, string(u.Name)))).Append(nil), downloadBody(testGroup, string(u.Name))...))
			if err != nil || h.Status != 0 {
				return fmt.Errorf("download round %d: status %d: %v", round, h.Status, err)
			}
			if !bytes.Equal(got, data) {
				return fmt.Errorf("download round %d: %d bytes differ from the %d uploaded", round, len(got), len(data))
			}
			if err := activeTest(c); err != nil {
				return fmt.Errorf("after round %d: %w", round, err)
			}
		}
		return nil
	}); err != nil {
		t.Fatalf("busy connections: %v", err)
	}

	if e.srv.counters.detachedBodies.Load() == 0 {
		t.Fatal("no upload body went through a detached socket")
	}
	// Every connection, idle or busy, still answers.
	if err := forEachConn(all, manyExchangers, func(i int) error { return activeTest(conns[i]) }); err != nil {
		t.Fatalf("second ACTIVE_TEST round: %v", err)
	}
	if n, _ := e.srv.stats.Conns(); n != manyConns {
		t.Fatalf("server tracks %d connections after the transfers, want %d", n, manyConns)
	}
	if tmp := e.tempFiles(); len(tmp) != 0 {
		t.Fatalf("temp files left: %v", tmp)
	}

	for i, c := range conns {
		c.Close()
		conns[i] = nil
	}
	// The server notices every close (bounded wait, not a timing claim).
	deadline := time.Now().Add(30 * time.Second)
	for n, _ := e.srv.stats.Conns(); n != 0; n, _ = e.srv.stats.Conns() {
		if time.Now().After(deadline) {
			t.Fatalf("server still tracks %d connections after all were closed", n)
		}
		time.Sleep(10 * time.Millisecond)
	}

	// A fresh client is served.
	data := randBytes(4242, 300<<10)
	id := e.upload(data, "dat")
	if got := e.mustDownload(id); !bytes.Equal(got, data) {
		t.Fatal("fresh client: download differs")
	}
	if _, err := e.cli.Download(context.Background(), id, io.Discard, 0, 0); err != nil {
		t.Fatal(err)
	}
}
