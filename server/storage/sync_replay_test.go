package storage

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/codec/capture"
	"github.com/gofdfs/gofdfs/conf"
)

// syncCmds are the storage-to-storage commands a receiver serves.
var syncCmds = map[byte]bool{codec.CmdReportServerID: true, codec.CmdSyncCreateFile: true,
	codec.CmdSyncDeleteFile: true, codec.CmdSyncUpdateFile: true, codec.CmdSyncCreateLink: true,
	codec.CmdSyncAppendFile: true, codec.CmdSyncModifyFile: true, codec.CmdSyncTruncateFile: true,
	codec.CmdSyncRenameFile: true, codec.CmdActiveTest: true}

// replayStorage is a storage like the captured C ones (group1, one store
// path; the captured names all live in 00/00, so one subdirectory keeps
// the tree quick to create), serving without a tracker.
func replayStorage(t *testing.T) (*Server, string) {
	t.Helper()
	dir := t.TempDir()
	sp := filepath.Join(dir, "sp0")
	if err := os.MkdirAll(sp, 0o755); err != nil {
		t.Fatal(err)
	}
	text := fmt.Sprintf("group_name=group1\nbase_path=%s\nport=23000\ntracker_server=127.0.5.10:22122\n"+
		"subdir_count_per_path=1\nstore_path_count=1\nstore_path0=%s\n", dir, sp)
	cfg, err := conf.ParseStorage("storage.conf", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return startServer(t, cfg, WithListenAddr(syncBlock+"20:0")), dir
}

// TestSyncReceiverReplay sends the sync requests C storages sent each other
// in the captures to our receiver, one connection per captured connection,
// in capture order, and expects the statuses the C receiver answered; the
// replica binlog must hold the lines the C receiver wrote.
func TestSyncReceiverReplay(t *testing.T) {
	dir, err := capture.Dir()
	if err != nil {
		t.Skip(err)
	}
	for _, name := range []string{"02_sync_ops", "02b_sync_appender_stepwise", "03_new_member"} {
		t.Run(name, func(t *testing.T) {
			ex, err := capture.LoadFile(filepath.Join(dir, "cluster", name+".s2s.payload.txt"))
			if err != nil {
				t.Fatal(err)
			}
			// the destination that received the most sync requests
			count := map[string]int{}
			for _, e := range ex {
				if strings.HasSuffix(e.Request.To, ":23000") && syncCmds[e.Request.Cmd] && e.Request.Cmd != codec.CmdActiveTest {
					count[e.Request.To]++
				}
			}
			dest, most := "", 0
			for d, n := range count {
				if n > most {
					dest, most = d, n
				}
			}
			if dest == "" {
				t.Fatal("no sync requests in the capture")
			}
			s, base := replayStorage(t)
			conns := map[string]*raw{}
			replayed := 0
			for _, e := range ex {
				q := e.Request
				if q.To != dest || !syncCmds[q.Cmd] || q.Partial || e.Reply == nil {
					continue
				}
				c := conns[q.From]
				if c == nil {
					c = dialRaw(t, s.Addr().String())
					conns[q.From] = c
				}
				c.send(q.Cmd, q.Status, q.Body)
				h, body, err := c.recv()
				if err != nil {
					t.Fatalf("%s: %v", e, err)
				}
				replayed++
				if h.Status != e.Reply.Status {
					t.Errorf("%s: we answered %d", e, h.Status)
				}
				// C echoes the body of a successful 40 (its bug): we answer empty
				if int64(len(body)) != e.Reply.BodyLen && !(q.Cmd == codec.CmdSyncRenameFile && len(body) == 0) {
					t.Errorf("%s: our reply has %d body bytes", e, len(body))
				}
			}
			if replayed < 5 {
				t.Fatalf("replayed only %d requests", replayed)
			}
			// every request answered 0 (not 9/111) left a replica line
			data, _ := os.ReadFile(filepath.Join(base, "data", "sync", "binlog.000"))
			var rec codec.BinlogRecord
			lines := 0
			for b := data; len(b) > 0; {
				n, err := rec.Parse(b)
				if err != nil {
					t.Fatalf("our binlog: %v at %q", err, b)
				}
				if rec.Op.IsSource() {
					t.Errorf("a source op %c in a replica's binlog", rec.Op)
				}
				b = b[n:]
				lines++
			}
			if name == "02_sync_ops" {
				// the C receiver's binlog after this scenario, line for line
				// (C served two connections in parallel: order aside)
				cb, err := os.ReadFile(filepath.Join(dir, "cluster", "sync_files", "storageB_127.0.2.22", "binlog.000"))
				if err != nil {
					t.Fatal(err)
				}
				// and its storage_stat.dat: success_sync_in_bytes=825
				if _, got := s.stats.SyncInBytes(); got != 825 {
					t.Errorf("success_sync_in_bytes %d, C counted 825", got)
				}
				if sortedLines(data) != sortedLines(cb) {
					t.Errorf("our replica binlog\n%s\nC's\n%s", data, cb)
				}
			}
			// the receiver's next SYNC_REPORT in the capture carries C's credit
			// (only ops answered 0 on connections that sent 9 count)
			wantCredit := map[string]int64{"02_sync_ops": 1795299942, "03_new_member": 1795299996}
			if w, ok := wantCredit[name]; ok {
				if got := s.SyncedFrom("127.0.2.21"); got != w {
					t.Errorf("credited %d to 127.0.2.21, C reported %d", got, w)
				}
			}
			t.Logf("%d requests replayed to our receiver as to %s; %d replica lines", replayed, dest, lines)
			for _, c := range conns {
				c.c.Close()
			}
		})
	}
}

// syncGroupField is where the group field of a sync request body starts.
func syncGroupField(cmd byte) int {
	switch cmd {
	case codec.CmdSyncDeleteFile:
		return 4
	case codec.CmdSyncAppendFile, codec.CmdSyncModifyFile, codec.CmdSyncTruncateFile:
		return 28
	}
	return 20
}

// cleanGroup zeroes what follows the group name's NUL: C sends
// uninitialised bytes there (README of the captures).
func cleanGroup(cmd byte, body []byte) []byte {
	b := append([]byte(nil), body...)
	at := syncGroupField(cmd)
	if len(b) < at+codec.GroupNameSize {
		return b
	}
	g := b[at : at+codec.GroupNameSize]
	if i := indexByte(g, 0); i >= 0 {
		clear(g[i:])
	}
	return b
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// syncFilename is the (first) filename of a sync request body.
func syncFilename(cmd byte, body []byte) string {
	switch cmd {
	case codec.CmdSyncCreateFile, codec.CmdSyncUpdateFile:
		var r codec.SyncFileRequest
		if _, err := r.DecodeFixed(body); err == nil {
			return string(r.Filename)
		}
	case codec.CmdSyncAppendFile, codec.CmdSyncModifyFile:
		var r codec.SyncAppendRequest
		if _, err := r.DecodeFixed(body); err == nil {
			return string(r.Filename)
		}
	case codec.CmdSyncTruncateFile:
		var r codec.SyncTruncateRequest
		if r.Decode(body) == nil {
			return string(r.Filename)
		}
	case codec.CmdSyncDeleteFile:
		var r codec.SyncDeleteRequest
		if r.Decode(body) == nil {
			return string(r.Filename)
		}
	case codec.CmdSyncRenameFile:
		var r codec.SyncRenameRequest
		if r.Decode(body) == nil {
			return string(r.NewFilename)
		}
	case codec.CmdQueryFileInfo:
		if len(body) > codec.GroupNameSize {
			return string(body[codec.GroupNameSize:])
		}
	}
	return ""
}

func sortedLines(b []byte) string {
	lines := strings.Split(string(b), "\n")
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// SYNC_CREATE_LINK (19) is in no capture (C never sends it, cluster.md
// §4.2): our receiver makes the link, logs the intended `l <link> <src>`
// line (not C's broken one), answers EEXIST to a retry and ENOENT when the
// target is missing; SYNC_DELETE_FILE removes the link.
func TestSyncReceiverLink(t *testing.T) {
	s, base := replayStorage(t)
	c := dialRaw(t, s.Addr().String())
	id := codec.ReportServerID{ID: []byte("127.0.5.99")}
	c.send(codec.CmdReportServerID, 0, id.Append(nil))
	if h, _ := c.mustRecv(); h.Status != 0 {
		t.Fatalf("REPORT_SERVER_ID: %d", h.Status)
	}
	target, link := "M00/00/00/fwACFWsCHBWAUtM8AAAAKfB1Juc998.jpg", "M00/00/00/fwACFWsCHBWAUtM8AAAAKfB1Juc998_s.jpg"
	create := codec.SyncFileRequest{FileSize: 4, Timestamp: 1795300373, Group: []byte("group1"),
		Filename: []byte(target), Content: []byte("data")}
	c.send(codec.CmdSyncCreateFile, 0, create.Append(nil))
	if h, _ := c.mustRecv(); h.Status != 0 {
		t.Fatalf("16: %d", h.Status)
	}
	req := codec.SyncLinkRequest{Timestamp: 1795300374, Group: []byte("group1"), LinkName: []byte(link),
		SrcFilename: []byte(target)}
	for i, want := range []codec.Errno{codec.OK, codec.EEXIST} {
		c.send(codec.CmdSyncCreateLink, 0, req.Append(nil))
		if h, _ := c.mustRecv(); codec.Errno(h.Status) != want {
			t.Fatalf("19 #%d: status %d, want %d", i+1, h.Status, want)
		}
	}
	p := filepath.Join(base, "sp0", "data", "00", "00", link[10:])
	if b, err := os.ReadFile(p); err != nil || string(b) != "data" {
		t.Fatalf("through the link: %q %v", b, err)
	}
	if fi, err := os.Lstat(p); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("not a symlink: %v %v", fi, err)
	}
	missing := req
	missing.LinkName, missing.SrcFilename = []byte("M00/00/00/x_s.jpg"), []byte("M00/00/00/x.jpg")
	c.send(codec.CmdSyncCreateLink, 0, missing.Append(nil))
	if h, _ := c.mustRecv(); codec.Errno(h.Status) != codec.ENOENT {
		t.Fatalf("19 to a missing target: %d", h.Status)
	}
	del := codec.SyncDeleteRequest{Timestamp: 1795300375, Group: []byte("group1"), Filename: []byte(link)}
	c.send(codec.CmdSyncDeleteFile, 0, del.Append(nil))
	if h, _ := c.mustRecv(); h.Status != 0 {
		t.Fatalf("17 of the link: %d", h.Status)
	}
	if _, err := os.Lstat(p); err == nil {
		t.Fatal("link still there")
	}
	if _, err := os.Stat(filepath.Join(base, "sp0", "data", "00", "00", target[10:])); err != nil {
		t.Fatalf("deleting the link removed its target: %v", err)
	}
	data, _ := os.ReadFile(filepath.Join(base, "data", "sync", "binlog.000"))
	want := "1795300373 c " + target + "\n1795300374 l " + link + " " + target + "\n1795300375 d " + link + "\n"
	if string(data) != want {
		t.Errorf("binlog\n%s\nwant\n%s", data, want)
	}
	if got := s.SyncedFrom("127.0.5.99"); got != 1795300375 {
		t.Errorf("credited %d", got)
	}
}

// A large sync body the receiver refuses (already there, or "send the
// whole file") is read and dropped, and the connection goes on: closing it
// unread would reset the sender before it saw the answer, and it would
// send the same file again and again.
func TestSyncReceiverRefusesLargeBody(t *testing.T) {
	s, base := replayStorage(t)
	c := dialRaw(t, s.Addr().String())
	name := "M00/00/00/fwACFWsCGkyAfP0KAAAANtOEMGs773.bin"
	big := randBytes(7, 1<<20)
	req := codec.SyncFileRequest{FileSize: int64(len(big)), Timestamp: 1795300000, Group: []byte("group1"),
		Filename: []byte(name), Content: big}
	for i, want := range []codec.Errno{codec.OK, codec.EEXIST, codec.EEXIST} {
		c.send(codec.CmdSyncCreateFile, 0, req.Append(nil))
		if h, _ := c.mustRecv(); codec.Errno(h.Status) != want {
			t.Fatalf("16 #%d: status %d, want %d", i+1, h.Status, want)
		}
	}
	app := codec.SyncAppendRequest{Offset: 5, Length: int64(len(big)), Timestamp: 1795300001,
		Group: []byte("group1"), Filename: []byte(name), Content: big}
	c.send(codec.CmdSyncAppendFile, 0, app.Append(nil))
	if h, _ := c.mustRecv(); codec.Errno(h.Status) != codec.ENOENT {
		t.Fatalf("25 at a wrong offset: status %d, want ENOENT", h.Status)
	}
	if h, _, err := c.roundTrip(codec.CmdActiveTest); err != nil || h.Status != 0 {
		t.Fatalf("the connection after the refusals: %v %v", h, err)
	}
	if b, _ := os.ReadFile(filepath.Join(base, "sp0", "data", "00", "00", name[10:])); !bytes.Equal(b, big) {
		t.Fatal("the file changed")
	}
	if tmp, _ := filepath.Glob(filepath.Join(base, "sp0", "data", ".cp*")); len(tmp) != 0 {
		t.Errorf("temp files left: %v", tmp)
	}
}
