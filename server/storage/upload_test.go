package storage

import (
	"bytes"
	"context"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/diskio"
	"github.com/gofdfs/gofdfs/server/storage/placement"
)

func parseID(t testing.TB, id string) (codec.RemoteFilename, codec.NameFields) {
	t.Helper()
	group, remote, err := codec.SplitFileID([]byte(id))
	if err != nil || string(group) != testGroup {
		t.Fatalf("file id %q: group %q err %v", id, group, err)
	}
	rf, err := codec.ParseRemoteFilename(remote, 1)
	if err != nil {
		t.Fatalf("file id %q: %v", id, err)
	}
	f, err := rf.Fields()
	if err != nil {
		t.Fatalf("file id %q: %v", id, err)
	}
	return rf, f
}

func TestUploadDownloadInfoDelete(t *testing.T) {
	e := newEnv(t, 1)
	data := []byte("hello fastdfs\n")
	id := e.upload(data, "txt")
	rf, f := parseID(t, id)
	if len(rf.Logic) != codec.NormalNameLen || !strings.HasSuffix(id, ".txt") {
		t.Fatalf("name %q", id)
	}
	if f.CRC32 != crc32.ChecksumIEEE(data) || f.FileSize() != int64(len(data)) || f.IsAppender() || !f.HasRandom() {
		t.Fatalf("name fields %+v", f)
	}
	if ip := f.SourceIPv4(); ip != [4]byte{127, 0, 0, 1} {
		t.Fatalf("source %v", ip)
	}
	// The timestamp is the file's mtime.
	path := filepath.Join(e.cfg.StorePaths[0].Path, "data", string(rf.TrueName))
	st, err := os.Stat(path)
	if err != nil || st.ModTime().Unix() != int64(f.Timestamp) {
		t.Fatalf("stat %s: %v, mtime %v vs name %d", path, err, st.ModTime(), f.Timestamp)
	}
	if got := e.mustDownload(id); !bytes.Equal(got, data) {
		t.Fatalf("download %q", got)
	}
	info, err := e.cli.FileInfo(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != int64(len(data)) || info.CRC32 != f.CRC32 || info.SourceIP != "127.0.0.1" || info.CreateTime != int64(f.Timestamp) {
		t.Fatalf("info %+v", info)
	}
	if !e.hasBinlog('C', string(rf.Logic)) {
		t.Fatalf("no C line in %q", e.binlog())
	}
	if err := e.cli.Delete(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if _, err := e.download(id, 0, 0); !errors.Is(err, codec.ENOENT) {
		t.Fatalf("download after delete: %v", err)
	}
	if err := e.cli.Delete(context.Background(), id); !errors.Is(err, codec.ENOENT) {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := e.cli.FileInfo(context.Background(), id); !errors.Is(err, codec.ENOENT) {
		t.Fatalf("info after delete: %v", err)
	}
	if !e.hasBinlog('D', string(rf.Logic)) {
		t.Fatalf("no D line in %q", e.binlog())
	}
}

func TestUploadDistributesAndRotates(t *testing.T) {
	dir := t.TempDir()
	cfg := testConf(t, dir, 2, "file_distribute_rotate_count=2\n")
	s := startServer(t, cfg)
	tr := fakeTracker(t, func() string { return s.Addr().String() })
	cli, err := client.New(client.Config{Trackers: []string{tr}})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	seen := map[string]int{}
	paths := map[string]int{}
	for i := range 6 {
		// 0xFF: the storage picks the path, round robin over both.
		id, err := cli.Upload(context.Background(), bytes.NewReader([]byte{byte(i)}), 1, "",
			client.OnStorage(client.StorageServer{Group: testGroup, Addr: s.Addr().String(), StorePathIndex: -1}))
		if err != nil {
			t.Fatal(err)
		}
		_, remote, _ := codec.SplitFileID([]byte(id))
		paths[string(remote[:3])]++
		seen[string(remote[4:9])]++
		if len(remote) != codec.NormalNameLen || strings.Contains(string(remote[codec.LogicPathLen+27:]), ".") {
			t.Fatalf("name without extension: %q", remote)
		}
	}
	if paths["M00"] != 3 || paths["M01"] != 3 {
		t.Fatalf("store paths %v", paths)
	}
	// rotate count 2: 00/00 twice, 00/01 twice, 00/02 twice.
	if seen["00/00"] != 2 || seen["00/01"] != 2 || seen["00/02"] != 2 {
		t.Fatalf("subdirs %v", seen)
	}
}

func TestUploadAppenderAndUpdates(t *testing.T) {
	e := newEnv(t, 1)
	ctx := context.Background()
	first := []byte("hello fastdfs\n")
	id, err := e.cli.UploadAppender(ctx, bytes.NewReader(first), int64(len(first)), "log")
	if err != nil {
		t.Fatal(err)
	}
	rf, f := parseID(t, id)
	if !f.IsAppender() || f.FileSize() != 0 || f.CRC32 != crc32.ChecksumIEEE(first) {
		t.Fatalf("appender name fields %+v", f)
	}
	logic := string(rf.Logic)
	if err := e.cli.Append(ctx, id, bytes.NewReader(first), int64(len(first))); err != nil {
		t.Fatal(err)
	}
	want := append(append([]byte{}, first...), first...)
	info, err := e.cli.FileInfo(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != 28 || info.CRC32 != 0x5DC3697F || info.CRC32 != crc32.ChecksumIEEE(want) {
		t.Fatalf("appender info %+v", info)
	}
	if err := e.cli.Modify(ctx, id, 6, strings.NewReader("FASTDFS"), 7); err != nil {
		t.Fatal(err)
	}
	copy(want[6:], "FASTDFS")
	if err := e.cli.Modify(ctx, id, int64(len(want)), strings.NewReader("!"), 1); err != nil {
		t.Fatal(err) // offset == size appends
	}
	want = append(want, '!')
	if err := e.cli.Modify(ctx, id, int64(len(want))+1, strings.NewReader("x"), 1); !errors.Is(err, codec.EINVAL) {
		t.Fatalf("modify past the end: %v", err)
	}
	if got := e.mustDownload(id); !bytes.Equal(got, want) {
		t.Fatalf("content %q want %q", got, want)
	}
	if err := e.cli.Truncate(ctx, id, 10); err != nil {
		t.Fatal(err)
	}
	want = want[:10]
	if err := e.cli.Truncate(ctx, id, 12); err != nil {
		t.Fatal(err)
	}
	want = append(want, 0, 0)
	if got := e.mustDownload(id); !bytes.Equal(got, want) {
		t.Fatalf("after truncate %q want %q", got, want)
	}
	newID, err := e.cli.Regenerate(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	nrf, nf := parseID(t, newID)
	if nf.IsAppender() || nf.FileSize() != int64(len(want)) || nf.CRC32 != crc32.ChecksumIEEE(want) ||
		string(nrf.Logic[:10]) != logic[:10] || string(nrf.Logic[37:]) != logic[37:] {
		t.Fatalf("regenerated %q from %q: %+v", newID, id, nf)
	}
	if got := e.mustDownload(newID); !bytes.Equal(got, want) {
		t.Fatalf("regenerated content %q", got)
	}
	if _, err := e.download(id, 0, 0); !errors.Is(err, codec.ENOENT) {
		t.Fatalf("old appender name: %v", err)
	}
	// Appender commands refuse a normal file.
	if err := e.cli.Append(ctx, newID, strings.NewReader("x"), 1); !errors.Is(err, codec.EINVAL) {
		t.Fatalf("append to a normal file: %v", err)
	}
	for _, l := range []struct {
		op   byte
		rest string
	}{
		{'C', logic}, {'A', logic + " 14 14"}, {'M', logic + " 6 7"}, {'M', logic + " 28 1"},
		{'T', logic + " 29 10"}, {'T', logic + " 10 12"}, {'R', string(nrf.Logic) + " " + logic},
	} {
		if !e.hasBinlog(l.op, l.rest) {
			t.Errorf("no binlog line %c %s in %q", l.op, l.rest, e.binlog())
		}
	}
}

func TestUploadSlave(t *testing.T) {
	e := newEnv(t, 1)
	ctx := context.Background()
	master := e.upload([]byte("master"), "jpg")
	slave, err := e.cli.UploadSlave(ctx, master, "_150x150", "jpg", strings.NewReader("slave!"), 6)
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSuffix(master, ".jpg") + "_150x150.jpg"; slave != want {
		t.Fatalf("slave %q want %q", slave, want)
	}
	if got := e.mustDownload(slave); string(got) != "slave!" {
		t.Fatalf("slave content %q", got)
	}
	info, err := e.cli.FileInfo(ctx, slave)
	if err != nil || info.Size != 6 || info.CRC32 != crc32.ChecksumIEEE([]byte("slave!")) {
		t.Fatalf("slave info %+v %v", info, err)
	}
	if _, err := e.cli.UploadSlave(ctx, master, "_150x150", "jpg", strings.NewReader("again"), 5); !errors.Is(err, codec.EEXIST) {
		t.Fatalf("second slave: %v", err)
	}
	_, remote, _ := codec.SplitFileID([]byte(slave))
	if !e.hasBinlog('C', string(remote)) {
		t.Fatalf("binlog %q", e.binlog())
	}
	missing := strings.Replace(master, master[len(master)-8:], "0000.jpg", 1)
	if _, err := e.cli.UploadSlave(ctx, missing, "_s", "jpg", strings.NewReader("x"), 1); !errors.Is(err, codec.ENOENT) {
		t.Fatalf("slave of a missing master: %v", err)
	}
}

func TestMetadata(t *testing.T) {
	e := newEnv(t, 1)
	ctx := context.Background()
	id := e.upload([]byte("x"), "bin")
	_, remote, _ := codec.SplitFileID([]byte(id))
	metaName := string(remote) + "-m"
	if _, err := e.cli.GetMetadata(ctx, id); !errors.Is(err, codec.ENOENT) {
		t.Fatalf("no metadata yet: %v", err)
	}
	set := []client.Meta{{Name: "width", Value: "100"}, {Name: "ext_name", Value: "bin"}}
	if err := e.cli.SetMetadata(ctx, id, set, false); err != nil {
		t.Fatal(err)
	}
	got, err := e.cli.GetMetadata(ctx, id)
	if err != nil || len(got) != 2 || got[0].Name != "ext_name" || got[1].Value != "100" {
		t.Fatalf("metadata %+v %v", got, err)
	}
	if err := e.cli.SetMetadata(ctx, id, []client.Meta{{Name: "color", Value: "red"}, {Name: "width", Value: "999"}}, true); err != nil {
		t.Fatal(err)
	}
	got, err = e.cli.GetMetadata(ctx, id)
	if err != nil || len(got) != 3 || got[0].Name != "color" || got[2].Value != "999" {
		t.Fatalf("merged metadata %+v %v", got, err)
	}
	if err := e.cli.SetMetadata(ctx, id, nil, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cli.GetMetadata(ctx, id); !errors.Is(err, codec.ENOENT) {
		t.Fatalf("metadata after delete: %v", err)
	}
	for _, op := range []byte{'C', 'U', 'D'} {
		if !e.hasBinlog(op, metaName) {
			t.Errorf("no %c line for %s in %q", op, metaName, e.binlog())
		}
	}
	// Metadata of a missing file, and the "-m" file goes with DELETE.
	if err := e.cli.SetMetadata(ctx, testGroup+"/M00/00/00/"+strings.Repeat("A", 27)+"000.bin", set, false); !errors.Is(err, codec.ENOENT) {
		t.Fatalf("set on a missing file: %v", err)
	}
	if err := e.cli.SetMetadata(ctx, id, set, false); err != nil {
		t.Fatal(err)
	}
	if err := e.cli.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	rf, _ := parseID(t, id)
	ref, _ := diskio.ParseFileRef(string(rf.TrueName))
	if _, err := os.Stat(filepath.Join(e.cfg.StorePaths[0].Path, "data", ref.Meta().String())); !os.IsNotExist(err) {
		t.Fatalf("metadata file after delete: %v", err)
	}
}

// A read-only store path is never chosen: asked for by index, the storage
// silently picks another; with every path read-only or full, ENOSPC.
func TestReadOnlyStorePath(t *testing.T) {
	dir := t.TempDir()
	cfg := testConf(t, dir, 2, "store_path1_readonly=true\n")
	s := startServer(t, cfg)
	cli := newTestClient(t, fakeTracker(t, func() string { return s.Addr().String() }))
	for _, idx := range []int{1, -1, 1, -1} {
		id, err := cli.Upload(context.Background(), strings.NewReader("ro"), 2, "",
			client.OnStorage(client.StorageServer{Group: testGroup, Addr: s.Addr().String(), StorePathIndex: idx}))
		if err != nil {
			t.Fatal(err)
		}
		if _, remote, _ := codec.SplitFileID([]byte(id)); string(remote[:3]) != "M00" {
			t.Fatalf("index %d went to %s", idx, remote[:3])
		}
	}
	cfg2 := testConf(t, t.TempDir(), 1, "store_path0_readonly=true\n")
	s2 := startServer(t, cfg2)
	r := dialRaw(t, s2.Addr().String())
	r.c.Write(uploadRequest([]byte("x"), ""))
	if h, _ := r.mustRecv(); codec.Errno(h.Status) != codec.ENOSPC {
		t.Fatalf("all read-only: %+v", h)
	}
}

// store_path mode 2 sends index 0xFF uploads to the path with most free
// space; here both are on one file system, so it must still pick a
// writable one and answer.
func TestStorePathModeLoadBalance(t *testing.T) {
	p := DefaultParams()
	p.StorePathMode = 2
	e := newEnv(t, 2, WithParams(p))
	id, err := e.cli.Upload(context.Background(), strings.NewReader("lb"), 2, "",
		client.OnStorage(client.StorageServer{Group: testGroup, Addr: e.srv.Addr().String(), StorePathIndex: -1}))
	if err != nil {
		t.Fatal(err)
	}
	if got := e.mustDownload(id); string(got) != "lb" {
		t.Fatalf("got %q", got)
	}
}

// file_distribute_path_mode=1: the directory comes from the PJW hash of
// the name's 27 base64 characters (client.md §7.6).
func TestDistributeByHash(t *testing.T) {
	dir := t.TempDir()
	cfg := testConf(t, dir, 1, "file_distribute_path_mode=1\n")
	s := startServer(t, cfg)
	cli := newTestClient(t, fakeTracker(t, func() string { return s.Addr().String() }))
	dirs := map[string]bool{}
	for i := range 12 {
		id, err := cli.Upload(context.Background(), bytes.NewReader([]byte{byte(i), 1}), 2, "h")
		if err != nil {
			t.Fatal(err)
		}
		rf, _ := parseID(t, id)
		h := placement.PJWHash(rf.Logic[codec.LogicPathLen:codec.LogicPathLen+codec.B64PartLen]) % 65536
		if int(rf.High) != int(h>>8)%4 || int(rf.Low) != int(h&0xFF)%4 {
			t.Fatalf("%s: dirs %02X/%02X, hash %#x", id, rf.High, rf.Low, h)
		}
		dirs[string(rf.Logic[4:9])] = true
	}
	if len(dirs) < 2 {
		t.Fatalf("12 files all in %v", dirs)
	}
}
