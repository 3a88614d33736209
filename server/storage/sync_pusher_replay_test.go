package storage

import (
	"bytes"
	"fmt"
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
	"github.com/gofdfs/gofdfs/server/storage/replica"
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

	markFile := pushTo(t, a, aBase, ln, int64(len(cBinlog)), replica.Mark{})

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
	mk, _, _ := replica.LoadMark(markFile)
	t.Logf("%d requests sent, %d byte-identical to C's; mark %s", sent, same, strings.ReplaceAll(string(mk.Encode()), "\n", " "))
	cMark, err := os.ReadFile(filepath.Join(dir, "cluster", "sync_files", "storageA_127.0.2.21", "127.0.2.22_23000.mark"))
	if err != nil {
		t.Fatal(err)
	}
	if ours, _ := os.ReadFile(markFile); !bytes.Equal(ours, cMark) {
		t.Errorf("mark file\n%s\nC's\n%s", ours, cMark)
	}
}

// pushTo runs a's pushers as the C storage 127.0.2.21 with one peer,
// 127.0.2.22, listed ACTIVE at ln, until the peer's mark reaches end;
// it returns the mark file.
func pushTo(t *testing.T, a *Server, aBase string, ln net.Listener, end int64, start replica.Mark) string {
	t.Helper()
	my := netip.MustParseAddr("127.0.2.21")
	a.myIP.Store(&my)
	setMembers(a, []Peer{{ID: "127.0.2.21", IP: "127.0.2.21", Port: 23000, Status: statusActive},
		{ID: "127.0.2.22", IP: syncBlock + "21", Port: ln.Addr().(*net.TCPAddr).Port, Status: statusActive}})
	markFile := filepath.Join(aBase, "data", "sync", "127.0.2.22_23000.mark")
	if err := replica.SaveMark(markFile, &start); err != nil {
		t.Fatal(err)
	}
	r, err := a.newReporters(23000)
	if err != nil {
		t.Fatal(err)
	}
	m := a.startPushers(r)
	waitUntil(t, "the pusher at the end of the binlog", func() (bool, string) {
		mk, _, _ := replica.LoadMark(markFile)
		return mk.BinlogOffset == end, strings.TrimSpace(string(mk.Encode()))
	})
	r.rep.Stop()
	m.Stop()
	return markFile
}

// A record the peer keeps calling invalid is skipped after a few tries;
// the records after it still go out (no stall, fastdfs#532/#535).
func TestSyncSkipsRefusedRecord(t *testing.T) {
	a, aBase := replayStorage(t)
	names := []string{"M00/00/00/one.txt", "M00/00/00/two.txt", "M00/00/00/three.txt"}
	for i, n := range names {
		os.WriteFile(filepath.Join(aBase, "sp0", "data", "00", "00", n[10:]), []byte(n), 0o644)
		rec := codec.BinlogRecord{Timestamp: int64(1795300000 + i), Op: codec.BinlogCreate, Filename: []byte(n)}
		if err := a.binlog.Append(&rec); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", syncBlock+"21:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var mu sync.Mutex
	got := map[string]int{}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				for {
					var hb [codec.HeaderSize]byte
					if _, err := io.ReadFull(c, hb[:]); err != nil {
						return
					}
					h, _ := codec.DecodeHeader(hb[:])
					body := make([]byte, h.BodyLen)
					if _, err := io.ReadFull(c, body); err != nil {
						return
					}
					name := syncFilename(h.Cmd, body)
					mu.Lock()
					got[name]++
					mu.Unlock()
					status := byte(0)
					if name == names[1] {
						status = byte(codec.EINVAL)
					}
					c.Write(codec.Reply(status, 0).Append(nil))
					if status != 0 {
						return // C closes after EINVAL
					}
				}
			}()
		}
	}()
	st, _ := os.Stat(filepath.Join(aBase, "data", "sync", replica.BinlogFileName(0)))
	markFile := pushTo(t, a, aBase, ln, st.Size(), replica.Mark{})
	mu.Lock()
	defer mu.Unlock()
	if got[names[0]] != 1 || got[names[2]] != 1 || got[names[1]] != replica.RefusalsBeforeSkip {
		t.Errorf("requests per file %v; want 1, %d, 1", got, replica.RefusalsBeforeSkip)
	}
	if mk, _, _ := replica.LoadMark(markFile); mk.ScanRows != 3 {
		t.Errorf("mark %+v", mk)
	}
}

// TestSyncPusherReplayFullCopy: as the full-copy source of a new member
// (capture 03_new_member: A copies everything to the new C), our pusher
// sends the requests the C source sent, byte for byte, including the
// ENOENT fallback of a rename to a create.
func TestSyncPusherReplayFullCopy(t *testing.T) {
	dir, err := capture.Dir()
	if err != nil {
		t.Skip(err)
	}
	ex, err := capture.LoadFile(filepath.Join(dir, "cluster", "03_new_member.s2s.payload.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var want []*capture.Exchange
	for _, e := range ex {
		q := e.Request
		if strings.HasPrefix(q.From, "127.0.2.21:") && q.To == "127.0.2.23:23000" && syncCmds[q.Cmd] &&
			q.Cmd != codec.CmdActiveTest && q.Cmd != codec.CmdReportServerID && e.Reply != nil && !q.Partial &&
			q.Time < "1795300039" {
			want = append(want, e)
		}
	}
	if len(want) < 15 {
		t.Fatalf("%d requests of the full copy in the capture", len(want))
	}
	// A's files: what the new member held after the copy
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
	for _, p := range files {
		b, _ := os.ReadFile(p)
		os.WriteFile(filepath.Join(aBase, "sp0", "data", "00", "00", filepath.Base(p)), b, 0o644)
	}
	// A's binlog then: the lines of its final binlog up to the copy
	final, err := os.ReadFile(filepath.Join(dir, "cluster", "sync_files_final", "storageA_127.0.2.21", "binlog.000"))
	if err != nil {
		t.Fatal(err)
	}
	var end int64
	rec := codec.BinlogRecord{}
	for b := final; len(b) > 0; {
		n, err := rec.Parse(b)
		if err != nil || rec.Timestamp > 1795300034 {
			break
		}
		if err := a.binlog.Append(&rec); err != nil {
			t.Fatal(err)
		}
		end += int64(n)
		b = b[n:]
	}
	ln, err := net.Listen("tcp", syncBlock+"21:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer := &fakePeer{ln: ln, want: want, used: map[int]bool{}}
	go peer.serve()
	// the mark SYNC_SRC_REQ gives the source: need_sync_old, until
	pushTo(t, a, aBase, ln, end, replica.Mark{NeedSyncOld: true, Until: 1795300034})

	peer.mu.Lock()
	got := peer.got
	peer.mu.Unlock()
	used := map[int]bool{}
	for _, g := range got {
		if g.Cmd == codec.CmdReportServerID || g.Cmd == codec.CmdActiveTest {
			continue
		}
		found := false
		for i, e := range want {
			q := e.Request
			if !used[i] && q.Cmd == g.Cmd && q.Status == g.Status &&
				bytes.Equal(cleanGroup(q.Cmd, q.Body), cleanGroup(g.Cmd, g.Body)) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			t.Errorf("we sent cmd %d for %s, which the C source did not send (%d body bytes)",
				g.Cmd, syncFilename(g.Cmd, g.Body), len(g.Body))
		}
	}
	for i, e := range want {
		if !used[i] {
			t.Errorf("the C source sent and we did not: %s (%s)", e, syncFilename(e.Request.Cmd, e.Request.Body))
		}
	}
	t.Logf("%d requests of the full copy, %d as C sent them", len(got)-1, len(used))
}

// TestSyncPusherReplayKnownPeer: capture 08_sync_src_deleted, where A
// pushes its whole binlog again to B, which still holds the files. After a
// create answered EEXIST the C sender asks QUERY_FILE_INFO (22, header
// status 1) before each create and sends same-size files as a 16 with
// header status 17 and no content; ours must send the same requests.
func TestSyncPusherReplayKnownPeer(t *testing.T) {
	dir, err := capture.Dir()
	if err != nil {
		t.Skip(err)
	}
	// A's files: every sync request A sent in the captures up to 08,
	// applied in time order
	holder, holderBase := replayStorage(t)
	rc := dialRaw(t, holder.Addr().String())
	var want []*capture.Exchange
	for _, name := range []string{"02_sync_ops", "02b_sync_appender_stepwise", "03_new_member", "07c_slave_link", "08_sync_src_deleted"} {
		ex, err := capture.LoadFile(filepath.Join(dir, "cluster", name+".s2s.payload.txt"))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ex {
			q := e.Request
			if !strings.HasPrefix(q.From, "127.0.2.21:") || !strings.HasSuffix(q.To, ":23000") ||
				!syncCmds[q.Cmd] && q.Cmd != codec.CmdQueryFileInfo || q.Partial || e.Reply == nil {
				continue
			}
			if name == "08_sync_src_deleted" && q.To == "127.0.2.22:23000" && q.Cmd != codec.CmdActiveTest &&
				q.Cmd != codec.CmdReportServerID {
				want = append(want, e)
			}
			if q.Cmd == codec.CmdQueryFileInfo || q.Status != 0 {
				continue
			}
			rc.send(q.Cmd, q.Status, q.Body)
			if _, _, err := rc.recv(); err != nil {
				t.Fatal(err)
			}
		}
	}
	a, aBase := replayStorage(t)
	files, _ := filepath.Glob(filepath.Join(holderBase, "sp0", "data", "00", "00", "*"))
	for _, p := range files {
		b, _ := os.ReadFile(p)
		os.WriteFile(filepath.Join(aBase, "sp0", "data", "00", "00", filepath.Base(p)), b, 0o644)
	}
	final, err := os.ReadFile(filepath.Join(dir, "cluster", "sync_files_final", "storageA_127.0.2.21", "binlog.000"))
	if err != nil {
		t.Fatal(err)
	}
	var end int64
	rec := codec.BinlogRecord{}
	for b := final; len(b) > 0; {
		n, err := rec.Parse(b)
		if err == nil {
			if err := a.binlog.Append(&rec); err != nil {
				t.Fatal(err)
			}
		} else {
			// C's broken L line, kept as C wrote it (beside the Binlog's
			// own O_APPEND descriptor: the bytes land in order)
			f, err := os.OpenFile(filepath.Join(a.binlog.Dir(), replica.BinlogFileName(a.binlog.WriteIndex())),
				os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.Write(b[:n])
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
		}
		end += int64(n)
		b = b[n:]
	}
	ln, err := net.Listen("tcp", syncBlock+"21:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer := &fakePeer{ln: ln, want: want, used: map[int]bool{}}
	go peer.serve()
	pushTo(t, a, aBase, ln, end, replica.Mark{})

	peer.mu.Lock()
	got := peer.got
	peer.mu.Unlock()
	used := map[int]bool{}
	var diffs []string
	for _, g := range got {
		if g.Cmd == codec.CmdReportServerID || g.Cmd == codec.CmdActiveTest {
			continue
		}
		found := false
		for i, e := range want {
			q := e.Request
			if !used[i] && q.Cmd == g.Cmd && q.Status == g.Status &&
				bytes.Equal(cleanGroup(q.Cmd, q.Body), cleanGroup(g.Cmd, g.Body)) {
				used[i], found = true, true
				break
			}
		}
		// C splits the records over two connections, each with its own
		// "peer has files" state: where C's other connection had not seen
		// an EEXIST yet, we ask 22 one time more than C
		if !found && g.Cmd != codec.CmdQueryFileInfo {
			diffs = append(diffs, fmt.Sprintf("ours: cmd %d status %d %s", g.Cmd, g.Status, syncFilename(g.Cmd, g.Body)))
		}
	}
	for i, e := range want {
		if !used[i] {
			diffs = append(diffs, fmt.Sprintf("C's: %s %s", e, syncFilename(e.Request.Cmd, e.Request.Body)))
		}
	}
	for _, d := range diffs {
		t.Error(d)
	}
	t.Logf("%d requests, %d as C sent them", len(got)-1, len(used))
}
