package storage

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/codec/capture"
)

// fakePeer is a sync receiver that answers like the C receiver of a
// capture: each request gets the status C gave the same request (same
// command and file), a successful 40 with C's echoed body.
type fakePeer struct {
	ln   net.Listener
	want []*capture.Exchange

	mu   sync.Mutex
	used map[int]bool
	got  []*capture.Message
}

func (f *fakePeer) serve() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		go f.conn(c)
	}
}

func (f *fakePeer) conn(c net.Conn) {
	defer c.Close()
	for {
		var hb [codec.HeaderSize]byte
		if _, err := io.ReadFull(c, hb[:]); err != nil {
			return
		}
		h, err := codec.DecodeHeader(hb[:])
		if err != nil {
			return
		}
		body := make([]byte, h.BodyLen)
		if _, err := io.ReadFull(c, body); err != nil {
			return
		}
		status, reply := f.answer(&capture.Message{Cmd: h.Cmd, Status: h.Status, BodyLen: h.BodyLen, Body: body})
		out := codec.Reply(status, len(reply)).Append(nil)
		if _, err := c.Write(append(out, reply...)); err != nil {
			return
		}
	}
}

func (f *fakePeer) answer(m *capture.Message) (byte, []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, m)
	if m.Cmd == codec.CmdReportServerID || m.Cmd == codec.CmdActiveTest {
		return 0, nil
	}
	name := syncFilename(m.Cmd, m.Body)
	for i, e := range f.want {
		q := e.Request
		if f.used[i] || q.Cmd != m.Cmd || syncFilename(q.Cmd, q.Body) != name {
			continue
		}
		f.used[i] = true
		return e.Reply.Status, e.Reply.Body
	}
	return 0, nil
}

// TestSyncPusherReplay: our pusher, given the binlog C storage A wrote in
// capture 02_sync_ops and the files it held, sends B the requests the C
// pusher sent, byte for byte (group padding aside), takes C's answers
// (including the echoed body of a successful 40) and ends with the mark
// where C's mark ended.
func TestSyncPusherReplay(t *testing.T) {
	dir, err := capture.Dir()
	if err != nil {
		t.Skip(err)
	}
	ex, err := capture.LoadFile(filepath.Join(dir, "cluster", "02_sync_ops.s2s.payload.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var want []*capture.Exchange
	for _, e := range ex {
		q := e.Request
		if q.To == "127.0.2.22:23000" && syncCmds[q.Cmd] && q.Cmd != codec.CmdActiveTest &&
			q.Cmd != codec.CmdReportServerID && e.Reply != nil && !q.Partial {
			want = append(want, e)
		}
	}
	// A's final files: what B held after the capture (our receiver
	// replaying the captured requests), plus A's binlog.
	holder, holderBase := replayStorage(t)
	rc := dialRaw(t, holder.Addr().String())
	for _, e := range want {
		rc.send(e.Request.Cmd, e.Request.Status, e.Request.Body)
		if _, _, err := rc.recv(); err != nil {
			t.Fatal(err)
		}
	}
	a, aBase := replayStorage(t)
	files, _ := filepath.Glob(filepath.Join(holderBase, "sp0", "data", "00", "00", "*"))
	if len(files) < 5 {
		t.Fatalf("reconstructed only %d files", len(files))
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(aBase, "sp0", "data", "00", "00", filepath.Base(p)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cBinlog, err := os.ReadFile(filepath.Join(dir, "cluster", "sync_files", "storageA_127.0.2.21", "binlog.000"))
	if err != nil {
		t.Fatal(err)
	}
	// Files with more than one record changed after C synced their first
	// record: C sent what they held then, we send what they hold at the
	// end (or skip them, renamed or deleted) — the only allowed differences.
	records := map[string]int{}
	rec := codec.BinlogRecord{}
	for b := cBinlog; len(b) > 0; {
		n, err := rec.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.binlog.Append(&rec); err != nil {
			t.Fatal(err)
		}
		records[string(rec.Filename)]++
		if rec.SrcFilename != nil {
			records[string(rec.SrcFilename)]++
		}
		b = b[n:]
	}
	changedLater := func(name string) bool { return records[name] > 1 }

	ln, err := net.Listen("tcp", syncBlock+"21:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer := &fakePeer{ln: ln, want: want, used: map[int]bool{}}
	go peer.serve()

	// A as the C storage 127.0.2.21 with B listed ACTIVE at the fake peer
	my := netip.MustParseAddr("127.0.2.21")
	a.myIP.Store(&my)
	a.peers.members = []Peer{{ID: "127.0.2.21", IP: "127.0.2.21", Port: 23000, Status: statusActive},
		{ID: "127.0.2.22", IP: syncBlock + "21", Port: ln.Addr().(*net.TCPAddr).Port, Status: statusActive}}
	a.peers.hasList, a.peers.gen = true, 1
	markFile := filepath.Join(aBase, "data", "sync", "127.0.2.22_23000.mark")
	if err := saveMark(markFile, &syncMark{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &reporters{s: a, ctx: ctx, cancel: cancel, port: 23000}
	m := a.startPushers(r)
	waitUntil(t, "the pusher at the end of A's binlog", func() (bool, string) {
		mk, _, _ := loadMark(markFile)
		return mk.BinlogOffset == int64(len(cBinlog)), strings.TrimSpace(string(mk.encode()))
	})
	cancel()
	m.stop()

	// every request we sent is one C sent, byte for byte
	used := map[int]bool{}
	peer.mu.Lock()
	got := peer.got
	peer.mu.Unlock()
	sent, same := 0, 0
	for _, g := range got {
		if g.Cmd == codec.CmdReportServerID || g.Cmd == codec.CmdActiveTest {
			continue
		}
		sent++
		found := false
		for i, e := range want {
			q := e.Request
			if !used[i] && q.Cmd == g.Cmd && q.Status == g.Status &&
				bytes.Equal(cleanGroup(q.Cmd, q.Body), cleanGroup(g.Cmd, g.Body)) {
				used[i], found = true, true
				same++
				break
			}
		}
		if !found && !changedLater(syncFilename(g.Cmd, g.Body)) {
			t.Errorf("we sent cmd %d for %s that the C pusher did not send that way (%d body bytes)",
				g.Cmd, syncFilename(g.Cmd, g.Body), len(g.Body))
		}
	}
	if got[0].Cmd != codec.CmdReportServerID || string(codec.FixedBytes(got[0].Body)) != "127.0.2.21" {
		t.Errorf("first request cmd %d %q, want REPORT_SERVER_ID 127.0.2.21", got[0].Cmd, got[0].Body)
	}
	for i, e := range want {
		if used[i] {
			continue
		}
		name := syncFilename(e.Request.Cmd, e.Request.Body)
		// C resends a 40 after choking on its own receiver's echo (§4.5)
		resent40 := e.Request.Cmd == codec.CmdSyncRenameFile && e.Reply.Status == byte(codec.EEXIST)
		if !changedLater(name) && !resent40 {
			t.Errorf("C sent and we did not: %s (%s)", e, name)
		}
	}
	mk, _, _ := loadMark(markFile)
	t.Logf("%d requests sent, %d byte-identical to C's; mark %s", sent, same, strings.ReplaceAll(string(mk.encode()), "\n", " "))
	cMark, err := os.ReadFile(filepath.Join(dir, "cluster", "sync_files", "storageA_127.0.2.21", "127.0.2.22_23000.mark"))
	if err != nil {
		t.Fatal(err)
	}
	if ours, _ := os.ReadFile(markFile); !bytes.Equal(ours, cMark) {
		t.Errorf("mark file\n%s\nC's\n%s", ours, cMark)
	}
}
