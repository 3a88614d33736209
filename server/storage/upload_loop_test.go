package storage

import (
	"bytes"
	"testing"

	"github.com/gofdfs/gofdfs/conf"
)

// Bodies up to loop_write_max_size (16 KiB by default) are written on the
// event loop, larger ones by a worker; both read back whole and leave no
// temp file.
func TestSmallBodiesWrittenOnLoop(t *testing.T) {
	const smallWriteMax = 16 << 10
	e := newEnv(t, 1)
	if e.cfg.LoopWriteMax != smallWriteMax {
		t.Fatalf("loop_write_max_size default %d, want %d", e.cfg.LoopWriteMax, smallWriteMax)
	}
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

// loop_write_max_size = 0 sends every body to a worker.
func TestLoopWritesOff(t *testing.T) {
	e := newEnvConf(t, 1, "loop_write_max_size = 0")
	data := randBytes(13, 4<<10)
	id := e.upload(data, "bin")
	if n := e.srv.counters.loopWrites.Load(); n != 0 {
		t.Fatalf("loop writes with loop_write_max_size = 0: %d", n)
	}
	if got, err := e.download(id, 0, 0); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("%s: %d bytes back, %v", id, len(got), err)
	}
}

// A body that fsync_after_written_bytes would sync goes to a worker: the
// loop never waits for the disk.
func TestFsyncedBodiesNotOnLoop(t *testing.T) {
	const smallWriteMax = 16 << 10
	s := &Server{cfg: &conf.Storage{LoopWriteMax: smallWriteMax}}
	if !s.writesOnLoop(4<<10) || s.writesOnLoop(smallWriteMax+1) {
		t.Fatal("without fsync_after_written_bytes: only bodies up to loop_write_max_size on the loop")
	}
	s.cfg.FsyncAfterWrittenBytes = 1 << 10
	if s.writesOnLoop(4<<10) || !s.writesOnLoop(512) {
		t.Fatal("fsync_after_written_bytes=1K: a 4 KiB body must go to a worker, 512 bytes may stay")
	}
}
