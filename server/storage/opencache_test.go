package storage

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// localPath is the file of id on the first store path of e.
func (e *env) localPath(id string) string {
	e.t.Helper()
	rf, _ := parseID(e.t, id)
	return filepath.Join(e.dir, "sp0", "data", string(rf.TrueName))
}

// Downloads go through diskio's open-file cache: every change made through
// the storage is served right after it, and a change made by another
// process (fdfs_scrub -repair renaming a good copy over a file, an
// operator deleting one) once the cache's one-second recheck bound passed.
func TestDownloadOpenFileCacheFresh(t *testing.T) {
	e := newEnv(t, 1)
	ctx := context.Background()
	want := randBytes(1, 4096)
	id, err := e.cli.UploadAppender(ctx, bytes.NewReader(want), int64(len(want)), "bin")
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string) {
		t.Helper()
		for range 2 { // the second download is a cache hit
			if got := e.mustDownload(id); !bytes.Equal(got, want) {
				t.Fatalf("%s: downloaded %d bytes, want %d (equal prefix %v)", what, len(got), len(want),
					bytes.HasPrefix(got, want[:min(len(got), len(want))]))
			}
		}
	}
	check("uploaded")
	if n := e.srv.paths[0].disk.OpenFiles(); n != 1 {
		t.Fatalf("%d descriptors cached after downloads of one file, want 1", n)
	}
	more := randBytes(2, 1000)
	if err := e.cli.Append(ctx, id, bytes.NewReader(more), int64(len(more))); err != nil {
		t.Fatal(err)
	}
	want = append(want, more...)
	check("appended")
	if err := e.cli.Modify(ctx, id, 100, strings.NewReader("MODIFIED"), 8); err != nil {
		t.Fatal(err)
	}
	copy(want[100:], "MODIFIED")
	check("modified")
	if err := e.cli.Truncate(ctx, id, 3000); err != nil {
		t.Fatal(err)
	}
	want = want[:3000]
	check("truncated")
	if err := e.cli.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := e.download(id, 0, 0); !errors.Is(err, codec.ENOENT) {
		t.Fatalf("deleted: %v", err)
	}

	// Another process renames a good copy over a normal file.
	want = randBytes(3, 4096)
	id = e.upload(want, "jpg")
	check("second file")
	p := e.localPath(id)
	want = randBytes(4, 2048)
	if err := os.WriteFile(p+".good", want, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(p+".good", p); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	check("renamed over by another process")
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	if _, err := e.download(id, 0, 0); !errors.Is(err, codec.ENOENT) {
		t.Fatalf("deleted by another process: %v", err)
	}
}

// Many distinct files keep the storage's descriptors bounded by the cache.
func TestDownloadOpenFileCacheBounded(t *testing.T) {
	e := newEnv(t, 1)
	ids := make([]string, 40)
	for i := range ids {
		ids[i] = e.upload(randBytes(uint64(10+i), 2000+i), "txt")
	}
	for i, id := range ids {
		if got := e.mustDownload(id); !bytes.Equal(got, randBytes(uint64(10+i), 2000+i)) {
			t.Fatalf("file %d differs", i)
		}
	}
	if n := e.srv.paths[0].disk.OpenFiles(); n != len(ids) {
		t.Fatalf("%d descriptors cached after %d distinct downloads", n, len(ids))
	}
	// A large download goes to a worker with a duplicate of the cached
	// descriptor; the cache keeps its own.
	big := randBytes(99, 1<<20)
	id := e.upload(big, "bin")
	for range 2 {
		if got := e.mustDownload(id); !bytes.Equal(got, big) {
			t.Fatal("large file differs")
		}
	}
	e.srv.paths[0].disk.CloseOpenFiles()
	if n := e.srv.paths[0].disk.OpenFiles(); n != 0 {
		t.Fatalf("%d descriptors after CloseOpenFiles", n)
	}
}
