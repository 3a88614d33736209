package report

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/codec/capture"
	"github.com/gofdfs/gofdfs/conf"
)

// capturedTracker answers on a real socket with the C tracker's replies of
// a capture, in order, and records every request it gets. It serves one
// connection after the other, as a storage's one link uses them at start
// (short connections, then the report connection). A request whose
// command is not the captured one at that position gets no reply.
type capturedTracker struct {
	ln   net.Listener
	want []*capture.Exchange

	mu  sync.Mutex
	got []*capture.Message
}

func startCapturedTracker(t *testing.T, host string, want []*capture.Exchange) *capturedTracker {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Skipf("loopback %s: %v", host, err)
	}
	ct := &capturedTracker{ln: ln, want: want}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			ct.serve(c) // one at a time: the order of requests is the order of the capture
		}
	}()
	return ct
}

func (ct *capturedTracker) serve(c net.Conn) {
	defer c.Close()
	for {
		var hb [codec.HeaderSize]byte
		if _, err := io.ReadFull(c, hb[:]); err != nil {
			return
		}
		h, err := codec.DecodeHeader(hb[:])
		if err != nil || h.BodyLen > 1<<20 {
			return
		}
		body := make([]byte, h.BodyLen)
		if _, err := io.ReadFull(c, body); err != nil {
			return
		}
		ct.mu.Lock()
		i := len(ct.got)
		ct.got = append(ct.got, &capture.Message{Cmd: h.Cmd, BodyLen: h.BodyLen, Body: body})
		ct.mu.Unlock()
		if i >= len(ct.want) || ct.want[i].Request.Cmd != h.Cmd || ct.want[i].Reply == nil {
			return
		}
		if _, err := c.Write(ct.want[i].Reply.Raw()); err != nil {
			return
		}
	}
}

func (ct *capturedTracker) requests() []*capture.Message {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	return append([]*capture.Message(nil), ct.got...)
}

// TestReplayStartupFresh: the requests a fresh storage's reporter sends,
// answered with the C tracker's own replies, are those of the C storage
// 127.0.0.3 in capture cluster_startup_fresh (one tracker, first member of
// the group), up to the first DISK_USAGE: every body byte for byte except
// times, ports, the tracker's address and disk sizes.
func TestReplayStartupFresh(t *testing.T) {
	dir, err := capture.Dir()
	if err != nil {
		t.Skip(err)
	}
	ex, err := capture.LoadFile(filepath.Join(dir, "cluster", "cluster_startup_fresh.payload.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var want []*capture.Exchange
	for _, e := range ex {
		if strings.HasPrefix(e.Request.From, "127.0.0.3:") && e.Request.To == "127.0.0.10:22122" {
			want = append(want, e)
		}
	}
	// GET_MY_IP, QUIT, PARAMETER_REQ, JOIN, SYNC_DEST_REQ, SYNC_NOTIFY,
	// BEAT, CHANGELOG_REQ, DISK_USAGE
	const n = 9
	if len(want) < n {
		t.Fatalf("capture holds %d requests of 127.0.0.3", len(want))
	}
	want = want[:n]
	ct := startCapturedTracker(t, "127.0.0.10", want)
	port := ct.ln.Addr().(*net.TCPAddr).Port

	h := &memHost{params: DefaultParams()}
	r, err := New(Config{
		TrackerServers: []conf.TrackerServer{{Hosts: []string{"127.0.0.10"}, Port: port}},
		// one round is what the capture holds
		HeartBeatInterval: time.Hour, StatReportInterval: time.Hour,
		UploadPriority: 10, // storage.conf's default
		Group:          []byte("group1"), Port: 23000, StorePaths: 1, Subdirs: 256,
		UpTime: time.Now(), DataDir: newFlagDir(t), Log: quietLogger(), Host: h,
	})
	if err != nil {
		t.Fatal(err)
	}
	r.Start()
	defer r.Stop()
	deadline := time.Now().Add(30 * time.Second)
	var got []*capture.Message
	for got = ct.requests(); len(got) < n; got = ct.requests() {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests after 30 s, want %d: %v", len(got), n, cmds(got))
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i := range n {
		w, g := want[i].Request, got[i]
		if g.Cmd != w.Cmd || len(g.Body) != len(w.Body) {
			t.Fatalf("request %d: cmd %d with %d bytes, C sent cmd %d with %d bytes (ours: %v)",
				i, g.Cmd, len(g.Body), w.Cmd, len(w.Body), cmds(got))
		}
		switch g.Cmd {
		case codec.CmdStorageGetMyIP:
			if !bytes.Equal(g.Body[:codec.GroupNameStatSize], w.Body[:codec.GroupNameStatSize]) {
				t.Errorf("GET_MY_IP group field %x, C %x", g.Body[:17], w.Body[:17])
			}
			if p := codec.Int32(g.Body[codec.GroupNameStatSize:]); p != 23000 {
				t.Errorf("GET_MY_IP port %d, want 23000", p)
			}
		case codec.CmdStorageJoin:
			var gj, wj codec.StorageJoinRequest
			if err := gj.Decode(g.Body); err != nil {
				t.Fatal(err)
			}
			if err := wj.Decode(w.Body); err != nil {
				t.Fatal(err)
			}
			if gj.StoragePort != 23000 || gj.SubdirCountPerPath != 256 || gj.JoinTime == 0 || gj.UpTime == 0 {
				t.Errorf("JOIN port %d subdirs %d join %d up %d", gj.StoragePort, gj.SubdirCountPerPath, gj.JoinTime, gj.UpTime)
			}
			if tl := "127.0.0.10:" + strconv.Itoa(port) + "\n"; string(gj.TrackerList) != tl {
				t.Errorf("JOIN tracker list %q, want %q", gj.TrackerList, tl)
			}
			gj.StoragePort, gj.SubdirCountPerPath, gj.JoinTime, gj.UpTime, gj.TrackerList = 0, 0, 0, 0, nil
			wj.StoragePort, wj.SubdirCountPerPath, wj.JoinTime, wj.UpTime, wj.TrackerList = 0, 0, 0, 0, nil
			if fmt.Sprintf("%+v", gj) != fmt.Sprintf("%+v", wj) {
				t.Errorf("JOIN body\n ours %+v\n C    %+v", gj, wj)
			}
		case codec.CmdStorageReportDiskUsage:
			// sizes are the host's
		default:
			if !bytes.Equal(g.Body, w.Body) {
				t.Errorf("request %d (cmd %d): body\n ours %x\n C    %x", i, g.Cmd, g.Body, w.Body)
			}
		}
	}
	// what the replies taught the reporter
	if ip, ok := h.MyIP(); !ok || ip.String() != "127.0.0.3" {
		t.Errorf("my IP %v %v, the tracker said 127.0.0.3", ip, ok)
	}
	if done, _, _ := r.SyncSource(); !done {
		t.Errorf("sync_old_done not set after SYNC_DEST_REQ")
	}
}

func cmds(ms []*capture.Message) []byte {
	out := make([]byte, len(ms))
	for i, m := range ms {
		out[i] = m.Cmd
	}
	return out
}
