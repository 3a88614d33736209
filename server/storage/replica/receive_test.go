package replica

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/diskio"
)

// The receiver's rules on a real store path: what a retried or
// out-of-order sync command finds, and the answer the sender acts on.
func TestReceiveRules(t *testing.T) {
	root := t.TempDir()
	disk, err := diskio.Open(root, diskio.Options{SubdirCount: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer disk.CloseOpenFiles()
	ref := diskio.FileRef{High: 1, Low: 2, Name: "wKgAZl9hKxOAV5bOAAAKmQ0oXv8683.txt"}
	other := diskio.FileRef{High: 1, Low: 2, Name: "wKgAZl9hKxOAV5bOAAAKmQ0oXv8684.txt"}
	if err := disk.WriteFileAtomic(ref, []byte("0123456789"), false); err != nil {
		t.Fatal(err)
	}
	is := func(what string, err, want error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Fatalf("%s: %v, want %v", what, err, want)
		}
	}
	var w diskio.FileWriter
	_, err = OpenWriter(disk, codec.CmdSyncCreateFile, ref, 0, 10, 1600000000, &w, diskio.WriteOptions{})
	is("create of a same-size file", err, ErrKept)
	_, err = OpenWriter(disk, codec.CmdSyncAppendFile, ref, 4, 6, 1600000000, &w, diskio.WriteOptions{})
	is("append applied before", err, codec.EEXIST)
	_, err = OpenWriter(disk, codec.CmdSyncAppendFile, ref, 12, 1, 1600000000, &w, diskio.WriteOptions{})
	is("append past the end", err, codec.ENOENT)
	_, err = OpenWriter(disk, codec.CmdSyncModifyFile, other, 0, 1, 1600000000, &w, diskio.WriteOptions{})
	is("modify of a missing file", err, codec.ENOENT)

	is("truncate from a wrong size", Truncate(disk, ref, 9, 4), codec.EEXIST)
	if err := Truncate(disk, ref, 10, 4); err != nil {
		t.Fatal(err)
	}
	if st, err := disk.Stat(ref); err != nil || st.Size != 4 {
		t.Fatalf("after truncate: %+v %v", st, err)
	}
	is("link to a missing target", Link(disk, other, diskio.FileRef{High: 1, Low: 2, Name: "gone.txt"}), codec.ENOENT)
	if err := Link(disk, other, ref); err != nil {
		t.Fatal(err)
	}
	is("link again", Link(disk, other, ref), codec.EEXIST)
	if st, err := disk.Lstat(other); err != nil || !st.IsSymlink() {
		t.Fatalf("link: %+v %v", st, err)
	}
	is("rename onto an existing name", Rename(disk, other, ref), codec.EEXIST)
	if err := Delete(disk, other); err != nil {
		t.Fatal(err)
	}
	if err := Rename(disk, other, ref); err != nil {
		t.Fatal(err)
	}
	is("rename of a missing file", Rename(disk, diskio.FileRef{High: 1, Low: 2, Name: "x.txt"}, ref), codec.ENOENT)
	is("delete of a missing file", Delete(disk, ref), codec.ENOENT)
	if _, err := os.Stat(filepath.Join(root, "data", "01", "02", other.Name)); err != nil {
		t.Fatal(err)
	}
	if !Refusal(codec.EEXIST) || !Refusal(Missing(os.ErrNotExist)) || Refusal(os.ErrPermission) {
		t.Fatal("Refusal tells refusals from failures wrongly")
	}
}

// The fixed part of the content commands: lengths from the name length,
// and the body length checked against the header.
func TestDecodeStream(t *testing.T) {
	req := codec.SyncAppendRequest{Timestamp: 1600000001, Group: []byte("group1"),
		Filename: []byte("M00/01/02/wKgAZl9hKxOAV5bOAAAKmQ0oXv8683.txt"), Offset: 10, Length: 5}
	body := req.Append(nil)
	hdr := codec.Header{Cmd: codec.CmdSyncAppendFile, BodyLen: int64(req.FixedSize()) + req.Length}
	n, err := StreamFixedLen(hdr.Cmd, hdr.BodyLen, body)
	if err != nil || n != req.FixedSize() {
		t.Fatalf("fixed length %d %v, want %d", n, err, req.FixedSize())
	}
	var r Request
	if err := DecodeStream(hdr, body[:n], &r); err != nil {
		t.Fatal(err)
	}
	if r.Timestamp != 1600000001 || r.Offset != 10 || r.Size != 5 || string(r.Name) != string(req.Filename) {
		t.Fatalf("decoded %+v", r)
	}
	hdr.BodyLen++
	if err := DecodeStream(hdr, body[:n], &r); !errors.Is(err, codec.EINVAL) {
		t.Fatalf("a body one byte long: %v, want EINVAL", err)
	}
	if _, err := StreamFixedLen(hdr.Cmd, 20, body); !errors.Is(err, codec.EINVAL) {
		t.Fatalf("a body shorter than its name: %v, want EINVAL", err)
	}
}
