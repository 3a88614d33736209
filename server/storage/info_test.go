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

	"github.com/gofdfs/gofdfs/codec"
)

func TestSlaveAsLink(t *testing.T) {
	p := DefaultParams()
	p.SlaveUseLink = true
	e := newEnv(t, 1, WithParams(p))
	ctx := context.Background()
	master := e.upload([]byte("master"), "jpg")
	slave, err := e.cli.UploadSlave(ctx, master, "_big", "jpg", strings.NewReader("slave data"), 10)
	if err != nil {
		t.Fatal(err)
	}
	srf, _ := parseID(t, slave)
	linkPath := filepath.Join(e.cfg.StorePaths[0].Path, "data", string(srf.TrueName))
	target, err := os.Readlink(linkPath)
	if err != nil {
		t.Fatalf("slave is not a link: %v", err)
	}
	if got := e.mustDownload(slave); string(got) != "slave data" {
		t.Fatalf("via link: %q", got)
	}
	info, err := e.cli.FileInfo(ctx, slave)
	if err != nil || info.Size != 10 || info.CRC32 != crc32.ChecksumIEEE([]byte("slave data")) {
		t.Fatalf("info %+v %v", info, err)
	}
	targetLogic := "M00/" + strings.TrimPrefix(target, filepath.Join(e.cfg.StorePaths[0].Path, "data")+"/")
	if !e.hasBinlog('C', targetLogic) || !e.hasBinlog('L', string(srf.Logic)+" "+targetLogic) {
		t.Fatalf("binlog %q (target %s)", e.binlog(), targetLogic)
	}
	if err := e.cli.Delete(ctx, slave); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(target); !os.IsNotExist(err) {
		t.Fatalf("link target after delete: %v", err)
	}
	if !e.hasBinlog('D', targetLogic) || !e.hasBinlog('D', string(srf.Logic)) {
		t.Fatalf("binlog %q", e.binlog())
	}
	if got := e.mustDownload(master); string(got) != "master" {
		t.Fatalf("master %q", got)
	}
}

func fileInfoRaw(t *testing.T, addr string, flags byte, name []byte) (codec.Header, codec.FileInfoReply) {
	t.Helper()
	r := dialRaw(t, addr)
	r.send(codec.CmdQueryFileInfo, flags, append(groupField(testGroup), name...))
	h, body := r.mustRecv()
	var fi codec.FileInfoReply
	if h.Status == 0 {
		if err := fi.Decode(body); err != nil {
			t.Fatal(err)
		}
	}
	return h, fi
}

func TestFileInfoFlagsAndSource(t *testing.T) {
	p := DefaultParams()
	p.UseStorageID, p.StorageID = true, "100001"
	e := newEnv(t, 1, WithParams(p))
	ctx := context.Background()
	content := []byte("appender content")
	id, err := e.cli.UploadAppender(ctx, bytes.NewReader(content), int64(len(content)), "")
	if err != nil {
		t.Fatal(err)
	}
	rf, f := parseID(t, id)
	if !f.SourceIsID() || f.Source != 100001 {
		t.Fatalf("source %d", f.Source)
	}
	addr := e.srv.Addr().String()
	h, fi := fileInfoRaw(t, addr, 0, rf.Logic)
	if h.BodyLen != 70 || fi.CRC32 != crc32.ChecksumIEEE(content) || fi.FileSize != int64(len(content)) || len(fi.SourceIP) != 0 {
		t.Fatalf("info %+v %+v", h, fi)
	}
	_, fi = fileInfoRaw(t, addr, codec.QueryFlagNoCRC, rf.Logic)
	if fi.CRC32 != 0 {
		t.Fatalf("no-crc flag: %+v", fi)
	}
	normal := e.upload([]byte("x"), "")
	nrf, nf := parseID(t, normal)
	_, fi = fileInfoRaw(t, addr, codec.QueryFlagNoCRC, nrf.Logic)
	if fi.CRC32 != nf.CRC32 {
		t.Fatalf("normal file crc from the name: %+v", fi)
	}
	h, _ = fileInfoRaw(t, addr, codec.QueryFlagSilent, []byte("M00/00/00/"+strings.Repeat("B", 34)))
	if codec.Errno(h.Status) != codec.ENOENT {
		t.Fatalf("missing: %+v", h)
	}

	// 16-byte IP fields when the tracker says so.
	p = DefaultParams()
	p.ResponseIPSize = codec.IPv4AddrSize
	e2 := newEnv(t, 1, WithParams(p))
	id2 := e2.upload([]byte("y"), "txt")
	rf2, _ := parseID(t, id2)
	h, fi = fileInfoRaw(t, e2.srv.Addr().String(), 0, rf2.Logic)
	if h.BodyLen != 40 || string(fi.SourceIP) != "127.0.0.1" {
		t.Fatalf("ipsz 16: %+v %+v", h, fi)
	}
}

// Directories where files are expected: reads answer EISDIR, DELETE EINVAL.
func TestDirectoriesInTheTree(t *testing.T) {
	e := newEnv(t, 1)
	ctx := context.Background()
	id := e.upload([]byte("data"), "txt")
	rf, _ := parseID(t, id)
	data := filepath.Join(e.cfg.StorePaths[0].Path, "data")
	if err := os.Mkdir(filepath.Join(data, string(rf.TrueName)+"-m"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cli.GetMetadata(ctx, id); !errors.Is(err, codec.EISDIR) {
		t.Fatalf("metadata that is a directory: %v", err)
	}
	dirName := "M00/00/00/" + strings.Repeat("C", 27) + "1234567"
	if err := os.Mkdir(filepath.Join(data, dirName[4:]), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := e.download(testGroup+"/"+dirName, 0, 0); !errors.Is(err, codec.EISDIR) {
		t.Fatalf("download of a directory: %v", err)
	}
	if err := e.cli.Delete(ctx, testGroup+"/"+dirName); !errors.Is(err, codec.EINVAL) {
		t.Fatalf("delete of a directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(data, dirName[4:])); err != nil {
		t.Fatalf("directory removed: %v", err)
	}
}
