package report

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
)

// memTrunk is a trunk side in memory.
type memTrunk struct {
	mu      sync.Mutex
	serving bool
	free    int64
	id      int32
}

func (m *memTrunk) TrunkParams(codec.Parameters)    {}
func (m *memTrunk) TrunkNotice(*codec.ChangeNotice) {}
func (m *memTrunk) TrunkFree() (int64, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.free, m.serving, nil
}
func (m *memTrunk) ContainerID() int32        { m.mu.Lock(); defer m.mu.Unlock(); return m.id }
func (m *memTrunk) RaiseContainerID(id int32) { m.mu.Lock(); defer m.mu.Unlock(); m.id = max(m.id, id) }
func (m *memTrunk) set(serving bool, free int64, id int32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.serving, m.free, m.id = serving, free, id
}

// trunkTracker answers FETCH_TRUNK_FID with fid and every other request
// with an empty OK reply, on a real socket, recording the requests.
func trunkTracker(t *testing.T, fid int32) (addr string, got func() []tapReq) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.2.40:0")
	if err != nil {
		t.Skipf("loopback: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	var reqs []tapReq
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
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
			mu.Lock()
			reqs = append(reqs, tapReq{h.Cmd, body})
			mu.Unlock()
			var reply []byte
			if h.Cmd == codec.CmdStorageFetchTrunkFID {
				id := codec.TrunkFileID{ID: fid}
				reply = id.Append(nil)
			}
			out := codec.Reply(0, len(reply)).Append(nil)
			if _, err := c.Write(append(out, reply...)); err != nil {
				return
			}
		}
	}()
	return ln.Addr().String(), func() []tapReq {
		mu.Lock()
		defer mu.Unlock()
		return append([]tapReq(nil), reqs...)
	}
}

type tapReq struct {
	cmd  byte
	body []byte
}

// The trunk server's reports (72-74): FETCH_TRUNK_FID once on becoming
// trunk server (the group's last id raises ours), REPORT_TRUNK_FID when
// the id grew, REPORT_TRUNK_FREE when the free MB changed; nothing while
// not serving; current_trunk_file_id follows into .data_init_flag.
func TestTrunkReports(t *testing.T) {
	addr, got := trunkTracker(t, 41)
	dir := newFlagDir(t)
	tr := &memTrunk{}
	r, err := New(Config{Group: []byte("group1"), DataDir: dir, Log: quietLogger(), Host: &memHost{}, Trunk: tr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	c, err := r.open(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.NC.Close()
	l := &link{r: r, addr: addr, trunkRep: trunkReport{lastFree: -1}}
	round := func(serving bool, free int64, id int32) []tapReq {
		t.Helper()
		before := len(got())
		tr.set(serving, free, id)
		if err := l.reportTrunk(c); err != nil {
			t.Fatal(err)
		}
		return got()[before:]
	}
	wantReqs := func(step string, reqs []tapReq, want ...tapReq) {
		t.Helper()
		ok := len(reqs) == len(want)
		for i := 0; ok && i < len(want); i++ {
			ok = reqs[i].cmd == want[i].cmd && bytes.Equal(reqs[i].body, want[i].body)
		}
		if !ok {
			t.Errorf("%s: requests %v, want %v", step, reqs, want)
		}
	}
	fid := func(id int32) []byte { b := codec.TrunkFileID{ID: id}; return b.Append(nil) }
	freeMB := func(mb int64) []byte { b := codec.TrunkFreeSpace{FreeMB: mb}; return b.Append(nil) }

	wantReqs("not trunk server", round(false, 0, 0))
	wantReqs("becoming trunk server", round(true, 5<<20, 3),
		tapReq{codec.CmdStorageFetchTrunkFID, []byte{}},
		tapReq{codec.CmdStorageReportTrunkFID, fid(41)},
		tapReq{codec.CmdStorageReportTrunkFree, freeMB(5)})
	if got := r.flag.Get("current_trunk_file_id"); got != "41" {
		t.Errorf("current_trunk_file_id %q after FETCH_TRUNK_FID 41", got)
	}
	wantReqs("nothing moved", round(true, 5<<20+1, 41))
	wantReqs("a new container, less space", round(true, 4<<20, 42),
		tapReq{codec.CmdStorageReportTrunkFID, fid(42)},
		tapReq{codec.CmdStorageReportTrunkFree, freeMB(4)})
	if got := r.flag.Get("current_trunk_file_id"); got != "42" {
		t.Errorf("current_trunk_file_id %q, want 42", got)
	}
	wantReqs("no longer trunk server", round(false, 1, 42))
	wantReqs("trunk server again: fetch first", round(true, 4<<20, 42),
		tapReq{codec.CmdStorageFetchTrunkFID, []byte{}},
		tapReq{codec.CmdStorageReportTrunkFID, fid(42)},
		tapReq{codec.CmdStorageReportTrunkFree, freeMB(4)})
}
