package storage

import (
	"bytes"
	"context"
	"errors"
	"hash/crc32"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
)

// Files of the C 6.16.1 trunk storage in trunk/testdata/c616 (see
// trunk/store_test.go): two live, one deleted by C.
const (
	cTrunkLive    = "group1/M00/00/00/fwBNA2sWV8mIaMvMAAAAJtgXTlMAAAAAQAAAAAAAAEA408.jpg" // 38 bytes
	cTrunkLive2   = "group1/M00/00/00/fwBNA2sWV8mITmZIAAAOmsTSPw0AAAAAQAAERgAAA6y740.bin" // 3738 bytes
	cTrunkDeleted = "group1/M00/00/00/fwBNA2sWV8mIfkB3AAABc_jBYpMAAAAAQAAAQAAAAGL595.jpg"
)

// trunkEnv is a storage whose base and store path hold the C trunk data.
func trunkEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t, 1)
	put := func(from, to string) {
		b, err := os.ReadFile(filepath.Join("trunk", "testdata", "c616", from))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	put("trunk_binlog", filepath.Join(e.dir, "data", "trunk", "binlog"))
	put("storage_trunk.dat", filepath.Join(e.dir, "data", "storage_trunk.dat"))
	put("000001.head", filepath.Join(e.cfg.StorePaths[0].Path, "data", "00", "00", "000001"))
	nameSelfTrunkServer(e.srv)
	return e
}

// bigTrunkFile writes a 100 KiB file into slot 512 of container 000002 as
// a C trunk server lays it out, and returns its id and content: large
// enough for the worker's sendfile path.
func bigTrunkFile(t *testing.T, e *env) (string, []byte) {
	t.Helper()
	data := randBytes(14, 100<<10)
	slot := codec.TrunkSlot{ID: 2, Offset: 512, Size: int32(len(data)) + 24 + 100}
	f := codec.NameFields{Source: codec.SourceFromIPv4([4]byte{127, 0, 0, 9}), Timestamp: 1796626400,
		SizeField: codec.TrunkSizeField(int64(len(data)), 12345), CRC32: crc32.ChecksumIEEE(data)}
	name := f.AppendB64([]byte("M00/00/00/"))
	name = slot.AppendB64(name)
	name = append(name, "123.bin"...)
	rf, err := codec.ParseRemoteFilename(name, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, ok, err := codec.TrunkRefOf(&rf)
	if !ok || err != nil {
		t.Fatalf("trunk=%v %v", ok, err)
	}
	h := codec.TrunkSlotHeaderFor(codec.TrunkSlotRegular, f, slot, ref.Ext7)
	container := make([]byte, 512, 512+int(slot.Size)+300)
	container = h.Append(container)
	container = append(container, data...)
	container = append(container, make([]byte, 400)...)
	p := filepath.Join(e.cfg.StorePaths[0].Path, "data", "00", "00", "000002")
	if err := os.WriteFile(p, container, 0o644); err != nil {
		t.Fatal(err)
	}
	return testGroup + "/" + string(name), data
}

func TestTrunkTakeoverServesCFiles(t *testing.T) {
	e := trunkEnv(t)
	ctx := context.Background()
	for _, id := range []string{cTrunkLive, cTrunkLive2} {
		_, f := parseID(t, id)
		got := e.mustDownload(id)
		if int64(len(got)) != f.FileSize() || crc32.ChecksumIEEE(got) != f.CRC32 {
			t.Fatalf("%s: %d bytes, crc %08x; the name says %d, %08x", id, len(got), crc32.ChecksumIEEE(got),
				f.FileSize(), f.CRC32)
		}
		part, err := e.download(id, 5, 20)
		if err != nil || !bytes.Equal(part, got[5:25]) {
			t.Fatalf("%s: range 5+20: %v", id, err)
		}
		info, err := e.cli.FileInfo(ctx, id)
		if err != nil || info.Size != f.FileSize() || info.CRC32 != f.CRC32 || info.CreateTime != int64(f.Timestamp) ||
			info.SourceIP != "127.0.77.3" {
			t.Fatalf("%s: info %+v %v", id, info, err)
		}
	}
	// C deleted this one: its slot is zero-filled
	if _, err := e.download(cTrunkDeleted, 0, 0); !errors.Is(err, codec.ENOENT) {
		t.Fatalf("deleted by C: %v", err)
	}
	if _, err := e.cli.FileInfo(ctx, cTrunkDeleted); !errors.Is(err, codec.ENOENT) {
		t.Fatalf("info of deleted: %v", err)
	}
	// sendfile at an offset in the container
	big, data := bigTrunkFile(t, e)
	if got := e.mustDownload(big); !bytes.Equal(got, data) {
		t.Fatalf("big trunk file differs (%d bytes)", len(got))
	}
	if got, err := e.download(big, 70000, 30000); err != nil || !bytes.Equal(got, data[70000:100000]) {
		t.Fatalf("big range: %v", err)
	}
	if _, err := e.download(big, int64(len(data))+1, 0); err == nil {
		t.Fatalf("range beyond the file served")
	}
}

func TestTrunkMetadataAndDelete(t *testing.T) {
	e := trunkEnv(t)
	ctx := context.Background()
	meta := []client.Meta{{Name: "author", Value: "c"}, {Name: "w", Value: "10"}}
	if err := e.cli.SetMetadata(ctx, cTrunkLive2, meta, false); err != nil {
		t.Fatal(err)
	}
	got, err := e.cli.GetMetadata(ctx, cTrunkLive2)
	if err != nil || len(got) != 2 || got[0] != meta[0] || got[1] != meta[1] {
		t.Fatalf("metadata %+v %v", got, err)
	}
	rf, _ := parseID(t, cTrunkLive2)
	metaPath := filepath.Join(e.cfg.StorePaths[0].Path, "data", string(rf.TrueName)+"-m")
	if _, err := os.Stat(metaPath); err != nil {
		t.Fatalf("metadata file next to the trunk name, as C keeps it: %v", err)
	}
	if err := e.cli.SetMetadata(ctx, cTrunkDeleted, meta, false); !errors.Is(err, codec.ENOENT) {
		t.Fatalf("metadata of a deleted trunk file: %v", err)
	}

	if err := e.cli.Delete(ctx, cTrunkLive2); err != nil {
		t.Fatal(err)
	}
	if _, err := e.download(cTrunkLive2, 0, 0); !errors.Is(err, codec.ENOENT) {
		t.Fatalf("after delete: %v", err)
	}
	if err := e.cli.Delete(ctx, cTrunkLive2); !errors.Is(err, codec.ENOENT) {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := os.Stat(metaPath); !os.IsNotExist(err) {
		t.Fatalf("metadata file after delete: %v", err)
	}
	logic := strings.TrimPrefix(cTrunkLive2, testGroup+"/")
	if !e.hasBinlog('D', logic) || !e.hasBinlog('D', logic+"-m") {
		t.Fatalf("binlog %q", e.binlog())
	}
	tb, err := os.ReadFile(filepath.Join(e.dir, "data", "trunk", "binlog"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(tb), "\n"), "\n")
	if last := lines[len(lines)-1]; !strings.HasSuffix(last, " A 0 0 0 1 4376 3762") || len(tb) != 16531+len(last)+1 {
		t.Fatalf("trunk binlog ends %q (%d bytes)", last, len(tb))
	}
	// the other file in the same container is untouched
	if _, f := parseID(t, cTrunkLive); crc32.ChecksumIEEE(e.mustDownload(cTrunkLive)) != f.CRC32 {
		t.Fatalf("neighbour damaged")
	}

	// a restart rebuilds the free space with the freed slot in it
	stopServer(t, e.srv)
	snap, err := os.ReadFile(filepath.Join(e.dir, "data", "storage_trunk.dat"))
	if err != nil || !strings.HasPrefix(string(snap), "16562\n") || !strings.Contains(string(snap), " A 0 0 0 1 4376 3762\n") {
		t.Fatalf("snapshot at stop %q %v", snap, err)
	}
}

func TestTrunkServerCommands(t *testing.T) {
	e := trunkEnv(t)
	addr := e.srv.Addr().String()
	size := func() int64 {
		r := dialRaw(t, addr)
		r.send(codec.CmdTrunkGetBinlogSize, 0, nil)
		h, body := r.mustRecv()
		var s codec.TrunkBinlogSize
		if h.Status != 0 || s.Decode(body) != nil {
			t.Fatalf("GET_BINLOG_SIZE: status %d body %x", h.Status, body)
		}
		return s.BinlogSize
	}
	if got := size(); got != 16531 {
		t.Fatalf("binlog size %d", got)
	}
	r := dialRaw(t, addr)
	req := codec.TrunkSpaceRequest{Group: []byte(testGroup),
		Trunk: codec.TrunkInfo{FileID: 1, Offset: 8138, SlotSize: 1000}}
	r.send(codec.CmdTrunkFreeSpace, 0, req.Append(nil))
	if h, _ := r.mustRecv(); h.Status != 0 {
		t.Fatalf("FREE_SPACE status %d", h.Status)
	}
	if got := size(); got != 16531+int64(len("1796626460 A 0 0 0 1 8138 1000\n")) {
		t.Fatalf("binlog size after free %d", got)
	}
	// another group's slot is refused (EINVAL closes)
	r = dialRaw(t, addr)
	req.Group = []byte("other")
	r.send(codec.CmdTrunkFreeSpace, 0, req.Append(nil))
	if h, _ := r.mustRecv(); h.Status != byte(codec.EINVAL) {
		t.Fatalf("FREE_SPACE other group: %d", h.Status)
	}
	// the trunk binlog commands need use_trunk_file, as in C
	r = dialRaw(t, addr)
	r.send(codec.CmdTrunkTruncateBinlogFile, 0, nil)
	if h, _ := r.mustRecv(); h.Status != byte(codec.EINVAL) {
		t.Fatalf("TRUNCATE_BINLOG_FILE without use_trunk_file: status %d", h.Status)
	}
	trunkOn(e.srv)
	// from here on the tracker has named another storage trunk server:
	// this one is a member (the tracker sends TRUNK_DELETE_BINLOG_MARKS to
	// the storage it is about to name)
	e.srv.noteTrunkServer(&codec.ChangeNotice{Flags: codec.ChangeTrunkServer,
		TrunkServer: codec.StorageBrief{ID: []byte("127.0.0.9"), IP: []byte("127.0.0.9"), Port: 23000}})
	mark := filepath.Join(e.dir, "data", "trunk", "127.0.0.5_23000.mark")
	if err := os.WriteFile(mark, []byte("binlog_offset=0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(e.dir, "data", "storage_trunk.dat")
	if err := os.WriteFile(snap, []byte("0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = dialRaw(t, addr)
	r.send(codec.CmdTrunkDeleteBinlogMarks, 0, nil)
	if h, _ := r.mustRecv(); h.Status != 0 {
		t.Fatalf("DELETE_BINLOG_MARKS status %d", h.Status)
	}
	for _, p := range []string{mark, snap} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Fatalf("%s still there after DELETE_BINLOG_MARKS: %v", p, err)
		}
	}
	// a member takes the trunk server's binlog: a truncate, then lines
	// appended verbatim
	r = dialRaw(t, addr)
	r.send(codec.CmdTrunkTruncateBinlogFile, 0, nil)
	if h, _ := r.mustRecv(); h.Status != 0 || size() != 0 {
		t.Fatalf("TRUNCATE_BINLOG_FILE status %d, binlog size after %d", h.Status, size())
	}
	lines := "1796626377 A 0 0 0 7 0 4194304\n1796626377 D 0 0 0 7 0 4194304\n"
	r.send(codec.CmdTrunkSyncBinlog, 0, []byte(lines))
	if h, _ := r.mustRecv(); h.Status != 0 {
		t.Fatalf("SYNC_BINLOG status %d", h.Status)
	}
	if b, _ := os.ReadFile(filepath.Join(e.dir, "data", "trunk", "binlog")); string(b) != lines {
		t.Fatalf("trunk binlog after sync %q", b)
	}
	// a chunk that does not end a line is refused
	r.send(codec.CmdTrunkSyncBinlog, 0, []byte("1796626377 A 0 0"))
	if h, _ := r.mustRecv(); h.Status != byte(codec.EINVAL) {
		t.Fatalf("SYNC_BINLOG of half a line: status %d", h.Status)
	}
	// once a tracker names this storage the trunk server, it refuses them
	nameSelfTrunkServer(e.srv)
	if !e.srv.isTrunkServer() {
		t.Fatalf("not trunk server after the notice")
	}
	for _, cmd := range []byte{codec.CmdTrunkSyncBinlog, codec.CmdTrunkTruncateBinlogFile, codec.CmdTrunkDeleteBinlogMarks} {
		var body []byte
		if cmd == codec.CmdTrunkSyncBinlog {
			body = []byte(lines)
		}
		r = dialRaw(t, addr)
		r.send(cmd, 0, body)
		if h, _ := r.mustRecv(); h.Status != byte(codec.EINVAL) {
			t.Fatalf("%s on the trunk server: status %d", codec.CmdName(cmd), h.Status)
		}
	}
}

// As trunk server (no tracker named another), the storage allocates slots
// for its group: TRUNK_ALLOC_SPACE creates the first container and holds
// a piece, TRUNK_ALLOC_CONFIRM takes it, with C's trunk binlog lines.
func TestTrunkAllocConfirm(t *testing.T) {
	e := newEnv(t, 1)
	nameSelfTrunkServer(e.srv)
	addr := e.srv.Addr().String()
	r := dialRaw(t, addr)
	r.send(codec.CmdTrunkAllocSpace, 0, (&codec.TrunkAllocRequest{Group: []byte(testGroup), FileSize: 1000}).Append(nil))
	h, body := r.mustRecv()
	var got codec.TrunkInfo
	if h.Status != 0 || got.Decode(body) != nil {
		t.Fatalf("ALLOC_SPACE: status %d body %x", h.Status, body)
	}
	if got != (codec.TrunkInfo{FileID: 1, Offset: 0, SlotSize: 1000}) {
		t.Fatalf("allocated %+v", got)
	}
	st, err := os.Stat(filepath.Join(e.cfg.StorePaths[0].Path, "data", "00", "00", "000001"))
	if err != nil || st.Size() != 64<<20 {
		t.Fatalf("container %v", err)
	}
	confirm := codec.TrunkSpaceRequest{Group: []byte(testGroup), Trunk: got}
	r.send(codec.CmdTrunkAllocConfirm, 0, confirm.Append(nil))
	if h, _ := r.mustRecv(); h.Status != 0 {
		t.Fatalf("ALLOC_CONFIRM status %d", h.Status)
	}
	r.send(codec.CmdTrunkAllocConfirm, 0, confirm.Append(nil))
	if h, _ := r.mustRecv(); h.Status != byte(codec.ENOENT) {
		t.Fatalf("second ALLOC_CONFIRM status %d", h.Status)
	}
	tb, _ := os.ReadFile(filepath.Join(e.dir, "data", "trunk", "binlog"))
	var ops []string
	for _, l := range strings.Split(strings.TrimSuffix(string(tb), "\n"), "\n") {
		_, rest, _ := strings.Cut(l, " ")
		ops = append(ops, rest)
	}
	want := []string{"A 0 0 0 1 0 67108864", "D 0 0 0 1 0 67108864", "A 0 0 0 1 1000 67107864",
		"A 0 0 0 1 0 1000", "D 0 0 0 1 0 1000"}
	if strings.Join(ops, "|") != strings.Join(want, "|") {
		t.Fatalf("trunk binlog %q", ops)
	}
	// larger than a trunk file: EINVAL (closes)
	r = dialRaw(t, addr)
	r.send(codec.CmdTrunkAllocSpace, 0, (&codec.TrunkAllocRequest{Group: []byte(testGroup), FileSize: 100 << 20}).Append(nil))
	if h, _ := r.mustRecv(); h.Status != byte(codec.EINVAL) {
		t.Fatalf("oversized ALLOC_SPACE status %d", h.Status)
	}
}

// trunkOn puts the tracker's trunk parameters in force, as a PARAMETER_REQ
// reply from a tracker with use_trunk_file = true does.
func trunkOn(s *Server) {
	s.noteTrunkParams(codec.Parameters{{Key: "use_trunk_file", Value: "1"}, {Key: "slot_min_size", Value: "256"},
		{Key: "slot_max_size", Value: "65536"}, {Key: "trunk_file_size", Value: "4194304"},
		{Key: "trunk_alloc_alignment_size", Value: "0"}})
}

// nameSelfTrunkServer does what a tracker's change notice naming this
// storage the trunk server does.
func nameSelfTrunkServer(s *Server) {
	me := netip.MustParseAddr("127.0.0.5")
	s.myIP.Store(&me)
	s.noteTrunkServer(&codec.ChangeNotice{Flags: codec.ChangeTrunkServer,
		TrunkServer: codec.StorageBrief{ID: []byte("127.0.0.5"), IP: []byte("127.0.0.5"), Port: int32(s.cfg.Port)}})
}

// With trunk files on, small uploads go into slots of 4 MB containers:
// trunk IDs, served, described, deleted (the slot then serves the next
// upload of its size), and still there after a restart; a file over
// slot_max_size is a plain file.
func TestTrunkUpload(t *testing.T) {
	e := newEnv(t, 1)
	trunkOn(e.srv)
	nameSelfTrunkServer(e.srv)
	ctx := context.Background()
	type up struct {
		id   string
		data []byte
	}
	var ups []up
	for i := range 40 {
		data := randBytes(uint64(i), 1+i*997%20000)
		id := e.upload(data, "bin")
		rf, f := parseID(t, id)
		if _, ok, err := codec.TrunkRefOf(&rf); !ok || err != nil {
			t.Fatalf("upload %d: %s is not a trunk ID (%v)", i, id, err)
		}
		if f.FileSize() != int64(len(data)) {
			t.Fatalf("size field %d", f.FileSize())
		}
		ups = append(ups, up{id, data})
	}
	for _, u := range ups {
		if got := e.mustDownload(u.id); !bytes.Equal(got, u.data) {
			t.Fatalf("%s differs", u.id)
		}
		info, err := e.cli.FileInfo(ctx, u.id)
		if err != nil || info.Size != int64(len(u.data)) || info.CRC32 != crc32.ChecksumIEEE(u.data) {
			t.Fatalf("info %+v %v", info, err)
		}
	}
	logic := strings.TrimPrefix(ups[0].id, testGroup+"/")
	if !e.hasBinlog('C', logic) {
		t.Fatalf("binlog %q", e.binlog())
	}
	if matches, _ := filepath.Glob(filepath.Join(e.cfg.StorePaths[0].Path, "data", "*", "*", "0000*")); len(matches) != 1 {
		t.Fatalf("containers %v", matches)
	}
	// a freed slot takes the next file of its size
	victim := ups[5]
	if err := e.cli.Delete(ctx, victim.id); err != nil {
		t.Fatal(err)
	}
	again := e.upload(bytes.Repeat([]byte{'z'}, len(victim.data)), "bin")
	vrf, _ := parseID(t, victim.id)
	arf, _ := parseID(t, again)
	vref, _, _ := codec.TrunkRefOf(&vrf)
	aref, _, _ := codec.TrunkRefOf(&arf)
	if aref.Slot != vref.Slot {
		t.Fatalf("freed slot %+v not reused: got %+v", vref.Slot, aref.Slot)
	}
	if _, err := e.download(victim.id, 0, 0); !errors.Is(err, codec.ENOENT) {
		t.Fatalf("old name on the reused slot: %v", err)
	}
	// over slot_max_size: a plain file
	big := e.upload(randBytes(99, 70000), "bin")
	if brf, _ := parseID(t, big); len(brf.Logic) != codec.NormalNameLen {
		t.Fatalf("big file %s", big)
	}
	// a restart keeps every file and the free space
	stopServer(t, e.srv)
	s2 := startServer(t, e.cfg)
	trunkOn(s2)
	nameSelfTrunkServer(s2)
	tr := fakeTracker(t, func() string { return s2.Addr().String() })
	cli, err := client.New(client.Config{Trackers: []string{tr}, NetworkTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	e.cli = cli
	for i, u := range ups {
		if i == 5 {
			continue
		}
		if got := e.mustDownload(u.id); !bytes.Equal(got, u.data) {
			t.Fatalf("after restart %s differs", u.id)
		}
	}
	more := e.upload([]byte("after restart"), "txt")
	if got := e.mustDownload(more); string(got) != "after restart" {
		t.Fatalf("%q", got)
	}
}
