package replica

import (
	"errors"
	"io"
	"os"
	"testing"

	"github.com/gofdfs/gofdfs/diskio"
)

// TestLocalOpen: the pushers' view of local files on a real store path: a
// plain file opens with its size, a symlink resolves to its target's logic
// name on the same path, a missing file is an error, a malformed name
// neither exists nor opens, and a trunk-flagged name goes to OpenTrunk.
func TestLocalOpen(t *testing.T) {
	var disks []*diskio.StorePath
	for range 2 {
		d, err := diskio.Open(t.TempDir(), diskio.Options{SubdirCount: 4})
		if err != nil {
			t.Fatal(err)
		}
		defer d.CloseOpenFiles()
		disks = append(disks, d)
	}
	file := diskio.FileRef{High: 1, Low: 2, Name: "wKgAZl9hKxOAV5bOAAAKmQ0oXv8683.txt"}
	link := diskio.FileRef{High: 1, Low: 2, Name: "wKgAZl9hKxOAV5bOAAAKmQ0oXv8684.txt"}
	if err := disks[1].WriteFileAtomic(file, []byte("0123456789"), false); err != nil {
		t.Fatal(err)
	}
	if err := disks[1].Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	trunkCalls := 0
	l := &Local{Paths: disks, OpenTrunk: func([]byte) (*os.File, int64, int64, error) {
		trunkCalls++
		return nil, 0, 0, errors.New("no trunk here")
	}}
	lf, err := l.Open([]byte("M01/01/02/" + file.Name))
	if err != nil || lf.Size != 10 || lf.File == nil {
		t.Fatalf("plain file: %+v, %v", lf, err)
	}
	got, _ := io.ReadAll(lf.File)
	lf.File.Close()
	if string(got) != "0123456789" {
		t.Errorf("plain file content %q", got)
	}
	lf, err = l.Open([]byte("M01/01/02/" + link.Name))
	if err != nil || lf.File != nil || string(lf.LinkTarget) != "M01/01/02/"+file.Name {
		t.Fatalf("symlink: %+v (target %q), %v", lf, lf.LinkTarget, err)
	}
	if !l.Exists([]byte("M01/01/02/"+link.Name)) || l.Exists([]byte("M00/01/02/"+file.Name)) {
		t.Error("Exists: the link is there, path 0 has no such file")
	}
	if _, err := l.Open([]byte("M00/01/02/" + file.Name)); err == nil {
		t.Error("a file missing on path 0 opened")
	}
	if l.Exists([]byte("M07/01/02/"+file.Name)) || l.Exists([]byte("no name")) {
		t.Error("a malformed name exists")
	}
	if trunkCalls != 0 {
		t.Errorf("OpenTrunk called %d times for plain names", trunkCalls)
	}
}
