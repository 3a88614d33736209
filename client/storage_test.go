package client

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/codec/capture"
)

// requestOf returns the first captured request of cmd.
func requestOf(t *testing.T, ex []*capture.Exchange, cmd byte) *capture.Exchange {
	t.Helper()
	for _, e := range ex {
		if e.Request.Cmd == cmd {
			return e
		}
	}
	t.Fatalf("no captured request %s", codec.CmdName(cmd))
	return nil
}

// replayOf plays the C tracker and both C storages of a client capture.
func replayOf(t *testing.T, name string) (*Client, []*capture.Exchange) {
	t.Helper()
	ex := loadCapture(t, name)
	rc := replayCluster{}
	for _, addr := range []string{cTracker, cStorage2, cStorage3} {
		for _, e := range ex {
			if host, _, _ := net.SplitHostPort(e.Request.From); e.Request.To == addr && host == toolHost {
				rc[addr] = newReplayPeer(t, ex, addr, toolHost)
				break
			}
		}
	}
	return rc.client(t, cTracker), ex
}

func TestUploadLikeFdfsUploadFile(t *testing.T) {
	c, _ := replayOf(t, "upload")
	id, err := c.Upload(context.Background(), bytes.NewReader([]byte("hello fastdfs\n")), 14, "txt")
	if err != nil {
		t.Fatal(err)
	}
	if id != "group1/M00/0A/E6/fwAAAmsCGGuAbSORAAAADg4Qul0046.txt" { // upload.out
		t.Fatalf("file ID %q", id)
	}
}

func TestUploadAppenderLikeFdfsUploadAppender(t *testing.T) {
	c, ex := replayOf(t, "upload_appender")
	up := requestOf(t, ex, codec.CmdUploadAppenderFile)
	content := up.Request.Body[codec.UploadFixedSize:]
	var req codec.UploadRequest
	if err := req.DecodeFixed(up.Request.Body, int64(len(up.Request.Body))); err != nil {
		t.Fatal(err)
	}
	id, err := c.UploadAppender(context.Background(), bytes.NewReader(content), int64(len(content)), string(req.Ext))
	if err != nil {
		t.Fatal(err)
	}
	want := "group1/" + string(up.Reply.Body[16:])
	if id != want {
		t.Fatalf("file ID %q, want %q", id, want)
	}
}

func TestUploadWithMetadataAndSlaveLikeFdfsTest(t *testing.T) {
	c, ex := replayOf(t, "fdfs_test_upload")
	up := requestOf(t, ex, codec.CmdUploadFile)
	content := up.Request.Body[codec.UploadFixedSize:]
	// metadata as fdfs_test sent it, in its order
	var meta []Meta
	setmeta := requestOf(t, ex, codec.CmdSetMetadata)
	var sm codec.SetMetadataRequest
	if err := sm.Decode(setmeta.Request.Body); err != nil {
		t.Fatal(err)
	}
	it := codec.NewMetadataIter(sm.Metadata)
	for {
		n, v, ok := it.Next()
		if !ok {
			break
		}
		meta = append(meta, Meta{Name: string(n), Value: string(v)})
	}
	if len(meta) != 4 {
		t.Fatalf("metadata %v", meta)
	}
	ctx := context.Background()
	servers, err := c.QueryStoreAll(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(servers) != 2 || servers[0].Addr != cStorage2 || servers[1].Addr != cStorage3 {
		t.Fatalf("store list %+v", servers)
	}
	id, err := c.Upload(ctx, bytes.NewReader(content), int64(len(content)), "txt", WithMetadata(meta...))
	if err != nil {
		t.Fatal(err)
	}
	if id != "group1/M00/0A/E6/fwAAA2sCGFuAMQHWAAAADg4Qul0474.txt" {
		t.Fatalf("file ID %q", id)
	}
	slave, err := c.UploadSlave(ctx, id, "_big", "txt", bytes.NewReader(content), int64(len(content)))
	if err != nil {
		t.Fatal(err)
	}
	if slave != "group1/M00/0A/E6/fwAAA2sCGFuAMQHWAAAADg4Qul0474_big.txt" {
		t.Fatalf("slave ID %q", slave)
	}
}

func TestDownloadLikeFdfsDownloadFile(t *testing.T) {
	c, ex := replayOf(t, "download")
	dl := requestOf(t, ex, codec.CmdDownloadFile)
	id := requestFileID(t, "download", codec.CmdQueryFetchOne, 0)
	var got bytes.Buffer
	n, err := c.Download(context.Background(), id, &got, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(dl.Reply.Body)) || !bytes.Equal(got.Bytes(), dl.Reply.Body) {
		t.Fatalf("downloaded %d bytes %q", n, got.Bytes())
	}
}

func TestDownloadMissingIsENOENT(t *testing.T) {
	c, _ := replayOf(t, "download_missing")
	id := requestFileID(t, "download_missing", codec.CmdQueryFetchOne, 0)
	_, err := c.Download(context.Background(), id, io.Discard, 0, 0)
	if !errors.Is(err, codec.ENOENT) {
		t.Fatalf("err = %v, want ENOENT", err)
	}
	var se *StatusError
	if !errors.As(err, &se) || se.FileID != id || se.Addr != cStorage2 {
		t.Fatalf("error does not name file and server: %v", err)
	}
}

func TestDeleteLikeFdfsDeleteFile(t *testing.T) {
	c, _ := replayOf(t, "delete")
	id := requestFileID(t, "delete", codec.CmdQueryUpdate, 0)
	if err := c.Delete(context.Background(), id); err != nil {
		t.Fatal(err)
	}
}

func TestAppendLikeFdfsAppendFile(t *testing.T) {
	c, ex := replayOf(t, "append")
	ap := requestOf(t, ex, codec.CmdAppendFile)
	var req codec.AppendRequest
	if err := req.DecodeFixed(ap.Request.Body, int64(len(ap.Request.Body))); err != nil {
		t.Fatal(err)
	}
	content := ap.Request.Body[req.Size():]
	id := "group1/" + string(req.Name)
	if err := c.Append(context.Background(), id, bytes.NewReader(content), int64(len(content))); err != nil {
		t.Fatal(err)
	}
}

func TestFileInfoLikeFdfsFileInfo(t *testing.T) {
	c, _ := replayOf(t, "appender_file_info")
	id := requestFileID(t, "appender_file_info", codec.CmdQueryFetchOne, 0)
	fi, err := c.FileInfo(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	// appender_file_info.out: size 28, crc 0x5dc3697f, source 127.0.0.3
	if fi.Size != 28 || fi.CRC32 != 0x5dc3697f || fi.SourceIP != "127.0.0.3" {
		t.Fatalf("file info %+v", fi)
	}
}

func TestGetMetadataLikeFdfsTest(t *testing.T) {
	c, _ := replayOf(t, "fdfs_test_getmeta")
	id := requestFileID(t, "fdfs_test_getmeta", codec.CmdQueryFetchOne, 0)
	meta, err := c.GetMetadata(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	want := []Meta{{Name: "ext_name", Value: "jpg"}, {Name: "file_size", Value: "115120"},
		{Name: "height", Value: "80"}, {Name: "width", Value: "160"}}
	if len(meta) != len(want) {
		t.Fatalf("meta %v", meta)
	}
	for i := range want {
		if meta[i] != want[i] {
			t.Fatalf("meta %v, want %v", meta, want)
		}
	}
}

func TestSetMetadataLikeFdfsTest(t *testing.T) {
	c, ex := replayOf(t, "fdfs_test_setmeta")
	sm := requestOf(t, ex, codec.CmdSetMetadata)
	var req codec.SetMetadataRequest
	if err := req.Decode(sm.Request.Body); err != nil {
		t.Fatal(err)
	}
	var meta []Meta
	it := codec.NewMetadataIter(req.Metadata)
	for {
		n, v, ok := it.Next()
		if !ok {
			break
		}
		meta = append(meta, Meta{Name: string(n), Value: string(v)})
	}
	id := "group1/" + string(req.Name)
	err := c.SetMetadata(context.Background(), id, meta, req.Op == codec.MetaMerge)
	if sm.Reply.Status != 0 {
		if !errors.Is(err, codec.Errno(sm.Reply.Status)) {
			t.Fatalf("err = %v, want status %d", err, sm.Reply.Status)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestUploadShortReaderFails(t *testing.T) {
	ex := loadCapture(t, "upload")
	storage := newReplayPeer(t, ex, cStorage2, toolHost)
	storage.strict = false // it sees a request cut short, which is the point
	rc := replayCluster{cTracker: newReplayPeer(t, ex, cTracker, toolHost), cStorage2: storage}
	c := rc.client(t, cTracker)
	// announces 14 bytes, has 5: the request must not go out padded
	_, err := c.Upload(context.Background(), bytes.NewReader([]byte("hello")), 14, "txt")
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want io.ErrUnexpectedEOF", err)
	}
}
