package peercall

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// peer is a real loopback server that reads one request per connection turn
// and answers with what reply returns for it.
func peer(t *testing.T, reply func(h codec.Header, body []byte) (status byte, out []byte, raw []byte)) string {
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
			go func(c net.Conn) {
				defer c.Close()
				for {
					var hb [codec.HeaderSize]byte
					if _, err := io.ReadFull(c, hb[:]); err != nil {
						return
					}
					h, err := codec.DecodeHeader(hb[:])
					if err != nil || h.Cmd == codec.CmdQuit {
						return
					}
					body := make([]byte, h.BodyLen)
					if _, err := io.ReadFull(c, body); err != nil {
						return
					}
					st, out, raw := reply(h, body)
					if raw != nil {
						_, _ = c.Write(raw)
						continue
					}
					pkt := codec.Header{BodyLen: int64(len(out)), Cmd: codec.CmdResp, Status: st}.Append(nil)
					_, _ = c.Write(append(pkt, out...))
				}
			}(c)
		}
	}()
	return ln.Addr().String()
}

func dial(t *testing.T, addr string, timeout time.Duration) *Conn {
	t.Helper()
	c, err := Dial(context.Background(), &net.Dialer{Timeout: time.Second}, addr, timeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.NC.Close() })
	return c
}

// A request with content from a real file arrives whole; the reply body comes
// back; a non-zero status is a StatusError naming peer, command and file, and
// leaves the connection usable.
func TestCallContentAndStatus(t *testing.T) {
	addr := peer(t, func(h codec.Header, body []byte) (byte, []byte, []byte) {
		if h.Cmd == codec.CmdDeleteFile {
			return byte(codec.ENOENT), nil, nil
		}
		return 0, append([]byte("echo:"), body...), nil
	})
	c := dial(t, addr, 5*time.Second)
	f, err := os.Create(filepath.Join(t.TempDir(), "content"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("0123456789"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	got, err := c.Call(context.Background(), codec.CmdUploadFile, 0, []byte("fixed|"), f, 10, "", 64)
	if err != nil || string(got) != "echo:fixed|0123456789" {
		t.Fatalf("Call = %q, %v", got, err)
	}
	_, err = c.Call(context.Background(), codec.CmdDeleteFile, 0, []byte("x"), nil, 0, "group1/M00/00/00/x", 64)
	var se *StatusError
	if !errors.As(err, &se) || se.Addr != addr || se.FileID != "group1/M00/00/00/x" || !errors.Is(err, codec.ENOENT) {
		t.Fatalf("err = %#v, want a StatusError ENOENT from %s", err, addr)
	}
	if c.Broken {
		t.Fatal("a status without a body broke the connection")
	}
	st, body, err := c.Exchange(context.Background(), codec.CmdDeleteFile, 0, nil, nil, 0, 64)
	if err != nil || st != codec.ENOENT || len(body) != 0 {
		t.Fatalf("Exchange = %v, %q, %v; want ENOENT as a status", st, body, err)
	}
}

// A reply longer than the caller allows, and a frame that is not a reply,
// are ProtocolErrors naming the peer, and break the connection.
func TestBadReplies(t *testing.T) {
	addr := peer(t, func(h codec.Header, body []byte) (byte, []byte, []byte) {
		if h.Cmd == codec.CmdActiveTest {
			return 0, nil, codec.Header{Cmd: codec.CmdActiveTest}.Append(nil)
		}
		return 0, bytes.Repeat([]byte{'x'}, 100), nil
	})
	for _, cmd := range []byte{codec.CmdActiveTest, codec.CmdUploadFile} {
		c := dial(t, addr, 5*time.Second)
		_, err := c.Call(context.Background(), cmd, 0, nil, nil, 0, "", 10)
		var pe *ProtocolError
		if !errors.As(err, &pe) || pe.Addr != addr || !c.Broken {
			t.Errorf("%s: err = %v (broken %v), want a ProtocolError from %s", codec.CmdName(cmd), err, c.Broken, addr)
		}
	}
}

// A peer that never answers costs the idle timeout, and a cancel cuts a
// watched wait short with the context's error.
func TestSilentPeer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never answered
		}
	}()
	c := dial(t, ln.Addr().String(), 100*time.Millisecond)
	if _, err := c.Call(context.Background(), codec.CmdActiveTest, 0, nil, nil, 0, "", 0); !errors.Is(err, os.ErrDeadlineExceeded) || !c.Broken {
		t.Fatalf("err = %v, want the idle deadline", err)
	}
	c = dial(t, ln.Addr().String(), time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	stop := c.Watch(ctx)
	defer stop()
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := c.Call(ctx, codec.CmdActiveTest, 0, nil, nil, 0, "", 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
