package tracker

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// A connection that stops in the middle of a request is closed after
// network_timeout; an idle one between requests is kept and still served.
func TestStalledRequestClosedIdleKept(t *testing.T) {
	cfg := testConf(t, t.TempDir(), "network_timeout = 1")
	s := startTracker(t, cfg)

	idle, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	header, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer header.Close()
	body, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()

	// half a header; a whole header announcing 16 body bytes with 3 sent
	if _, err := header.Write([]byte{0, 0, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	req := codec.Header{BodyLen: 16, Cmd: codec.CmdServerListOneGroup}.Append(nil)
	if _, err := body.Write(append(req, 'g', 'r', 'o')); err != nil {
		t.Fatal(err)
	}

	for name, c := range map[string]net.Conn{"half header": header, "short body": body} {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := c.Read(make([]byte, 64))
		if n != 0 || !errors.Is(err, io.EOF) && !isReset(err) {
			t.Errorf("%s: read %d bytes, err %v; want the tracker to close the connection", name, n, err)
		}
	}

	// the idle connection outlived the sweep and still gets answers
	if _, err := idle.Write(codec.Header{Cmd: codec.CmdActiveTest}.Append(nil)); err != nil {
		t.Fatalf("idle connection: %v", err)
	}
	_ = idle.SetReadDeadline(time.Now().Add(5 * time.Second))
	reply := make([]byte, codec.HeaderSize)
	if _, err := io.ReadFull(idle, reply); err != nil {
		t.Fatalf("idle connection after the sweep: %v", err)
	}
	if h, err := codec.DecodeHeader(reply); err != nil || h.Status != 0 {
		t.Fatalf("ACTIVE_TEST on the idle connection: %+v %v", h, err)
	}
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && !op.Timeout()
}
