package storage

import (
	"bytes"
	"testing"

	"github.com/gofdfs/gofdfs/conf"
)

// Bodies up to smallWriteMax are written on the event loop, larger ones by
// a worker; both read back whole and leave no temp file.
func TestSmallBodiesWrittenOnLoop(t *testing.T) {
	e := newEnv(t, 1)
	small := randBytes(11, 4<<10)
	id := e.upload(small, "bin")
	if n := e.srv.counters.loopWrites.Load(); n != 1 {
		t.Fatalf("loop writes after a 4 KiB upload: %d", n)
	}
	large := randBytes(12, smallWriteMax+1)
	idLarge := e.upload(large, "bin")
	if n := e.srv.counters.loopWrites.Load(); n != 1 {
		t.Fatalf("loop writes after a %d-byte upload: %d", len(large), n)
	}
	for _, c := range []struct {
		id   string
		want []byte
	}{{id, small}, {idLarge, large}} {
		got, err := e.download(c.id, 0, 0)
		if err != nil || !bytes.Equal(got, c.want) {
			t.Fatalf("%s: %d bytes back (want %d), %v", c.id, len(got), len(c.want), err)
		}
	}
	if tmp := e.tempFiles(); len(tmp) != 0 {
		t.Fatalf("temp files left: %v", tmp)
	}
}

// A body that fsync_after_written_bytes would sync goes to a worker: the
// loop never waits for the disk.
func TestFsyncedBodiesNotOnLoop(t *testing.T) {
	s := &Server{cfg: &conf.Storage{}}
	if !s.writesOnLoop(4<<10) || s.writesOnLoop(smallWriteMax+1) {
		t.Fatal("without fsync_after_written_bytes: only bodies up to smallWriteMax on the loop")
	}
	s.cfg.FsyncAfterWrittenBytes = 1 << 10
	if s.writesOnLoop(4<<10) || !s.writesOnLoop(512) {
		t.Fatal("fsync_after_written_bytes=1K: a 4 KiB body must go to a worker, 512 bytes may stay")
	}
}
