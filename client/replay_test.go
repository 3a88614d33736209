package client

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/gofdfs/gofdfs/codec/capture"
)

// replayPeer is a real TCP server that plays a C tracker or storage from a
// capture: every request must equal, byte for byte, one the C tools sent in
// that capture to that server, and gets the reply the C server gave. Our
// client is thereby checked to speak exactly like the C client library.
type replayPeer struct {
	name   string // the captured server address it plays, e.g. 127.0.0.2:23000
	ln     net.Listener
	mu     sync.Mutex
	script []*capture.Exchange // unplayed exchanges, in capture order
	played int
	wg     sync.WaitGroup
	errs   []string // requests it could not play; reported at cleanup
	strict bool     // report errs as test failures (default)
}

func (p *replayPeer) fail(format string, args ...any) {
	p.mu.Lock()
	p.errs = append(p.errs, fmt.Sprintf(p.name+": "+format, args...))
	p.mu.Unlock()
}

func (p *replayPeer) failures() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.errs...)
}

// loadCapture returns the exchanges of one client capture file.
func loadCapture(t *testing.T, name string) []*capture.Exchange {
	t.Helper()
	dir, err := capture.Dir()
	if err != nil {
		t.Fatal(err)
	}
	ex, err := capture.LoadFile(dir + "/client/" + name + ".payload.txt")
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

// newReplayPeer plays server addr (as named in the capture) for requests
// coming from fromIP (the client tools ran on 127.0.0.1).
func newReplayPeer(t *testing.T, ex []*capture.Exchange, addr, fromIP string) *replayPeer {
	t.Helper()
	p := &replayPeer{name: addr, strict: true}
	for _, e := range ex {
		host, _, _ := net.SplitHostPort(e.Request.From)
		if e.Request.To == addr && host == fromIP {
			p.script = append(p.script, e)
		}
	}
	if len(p.script) == 0 {
		t.Fatalf("capture has no requests to %s from %s", addr, fromIP)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.ln = ln
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.wg.Wait()
		if p.strict {
			for _, e := range p.failures() {
				t.Error(e)
			}
		}
	})
	return p
}

func (p *replayPeer) addr() string { return p.ln.Addr().String() }

func (p *replayPeer) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer c.Close()
			p.serveConn(c)
		}()
	}
}

func (p *replayPeer) serveConn(c net.Conn) {
	for {
		var hdr [10]byte
		if _, err := io.ReadFull(c, hdr[:]); err != nil {
			return
		}
		n := int64(0)
		for _, b := range hdr[:8] {
			n = n<<8 | int64(b)
		}
		if n < 0 || n > 64<<20 {
			p.fail("request body length %d", n)
			return
		}
		req := make([]byte, 10+n)
		copy(req, hdr[:])
		if _, err := io.ReadFull(c, req[10:]); err != nil {
			p.fail("short request body: %v", err)
			return
		}
		if hdr[8] == 82 { // QUIT
			return
		}
		e := p.match(req)
		if e == nil {
			p.fail("request not in the capture (the C client never sent it):\n%s", hex.Dump(req))
			return
		}
		if e.Reply == nil {
			return
		}
		if _, err := c.Write(e.Reply.Raw()); err != nil {
			return
		}
	}
}

// match takes the first unplayed exchange whose request equals req.
func (p *replayPeer) match(req []byte) *capture.Exchange {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, e := range p.script {
		if bytes.Equal(e.Request.Raw(), req) {
			p.script = append(p.script[:i], p.script[i+1:]...)
			p.played++
			return e
		}
	}
	return nil
}

// replayCluster maps captured server addresses to replay peers, so that a
// Client built with its dial func reaches them.
type replayCluster map[string]*replayPeer

func (rc replayCluster) dial(ctx context.Context, addr string) (net.Conn, error) {
	p, ok := rc[addr]
	if !ok {
		return nil, fmt.Errorf("no replay peer for %s", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", p.addr())
}

func (rc replayCluster) client(t *testing.T, trackers ...string) *Client {
	t.Helper()
	c, err := New(Config{Trackers: trackers, Dial: rc.dial})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestReplayPeerRejectsUnknownRequest(t *testing.T) {
	ex := loadCapture(t, "upload")
	p := newReplayPeer(t, ex, "127.0.0.10:22122", "127.0.0.1")
	p.strict = false
	c, err := net.Dial("tcp", p.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte{0, 0, 0, 0, 0, 0, 0, 0, 91, 0}) // LIST_ALL_GROUPS: not in this capture
	var b [1]byte
	if _, err := c.Read(b[:]); err == nil {
		t.Fatal("replay peer answered a request the capture does not hold")
	}
	if f := p.failures(); len(f) != 1 {
		t.Fatalf("failures %q", f)
	}
}
