package storage

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// trunk_compress_binlog_interval on a real trunk server: refused in the
// first 600 s up (as C), then at its time base + k*interval the trunk
// binlog becomes one 'A' line per free slot, merged; the members' marks
// go; every file still downloads and uploads go on.
func TestTrunkCompressBinlog(t *testing.T) {
	var shift atomic.Int64 // the storage's clock runs this far ahead
	clock := func() time.Time { return time.Now().Add(time.Duration(shift.Load())) }
	e := newEnv(t, 1, WithClock(clock))
	e.srv.noteTrunkParams(codec.Parameters{{Key: "use_trunk_file", Value: "1"}, {Key: "slot_min_size", Value: "256"},
		{Key: "slot_max_size", Value: "65536"}, {Key: "trunk_file_size", Value: "262144"},
		{Key: "trunk_free_space_merge", Value: "1"}, {Key: "trunk_compress_binlog_interval", Value: "1"},
		{Key: "trunk_compress_binlog_time_base", Value: "00:00"}})
	nameSelfTrunkServer(e.srv)
	ctx := context.Background()
	data := map[string][]byte{}
	var ids []string
	for i := range 12 {
		d := randBytes(uint64(200+i), 3000+i*100)
		id := e.upload(d, "bin")
		ids, data[id] = append(ids, id), d
	}
	for _, id := range ids[2:7] { // five neighbours: one merged free slot
		if err := e.cli.Delete(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	binlog := filepath.Join(e.dir, "data", "trunk", "binlog")
	mark := filepath.Join(e.dir, "data", "trunk", "127.0.0.9_23000.mark")
	if err := os.WriteFile(mark, []byte("binlog_offset=77\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(binlog)
	time.Sleep(2500 * time.Millisecond)
	if now, _ := os.ReadFile(binlog); !bytes.Equal(now, before) {
		t.Fatalf("compressed in the first 600 s up:\n%s", now)
	}
	shift.Store(int64(700 * time.Second))
	var after []byte
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if after, _ = os.ReadFile(binlog); len(after) < len(before) {
			break
		}
	}
	var ops []string
	for _, l := range strings.Split(strings.TrimSuffix(string(after), "\n"), "\n") {
		_, rest, _ := strings.Cut(l, " ")
		ops = append(ops, rest)
	}
	// the five deleted slots as one, and the rest of the trunk file
	if len(ops) != 2 || !strings.HasPrefix(ops[0], "A ") || !strings.HasPrefix(ops[1], "A ") {
		t.Fatalf("compressed trunk binlog %q (was %d bytes)", ops, len(before))
	}
	if _, err := os.Stat(mark); !os.IsNotExist(err) {
		t.Fatalf("mark not removed: %v", err)
	}
	for _, id := range append(ids[:2:2], ids[7:]...) {
		if got := e.mustDownload(id); !bytes.Equal(got, data[id]) {
			t.Fatalf("%s differs after compression", id)
		}
	}
	id := e.upload(bytes.Repeat([]byte{'x'}, 3000), "bin") // fits the merged slot
	rf, _ := parseID(t, id)
	d0, _ := parseID(t, ids[2])
	ref, _, _ := codec.TrunkRefOf(&rf)
	ref0, _, _ := codec.TrunkRefOf(&d0)
	if ref.Slot.Offset != ref0.Slot.Offset {
		t.Fatalf("upload after compression at %d, want the merged slot at %d", ref.Slot.Offset, ref0.Slot.Offset)
	}
	if now, _ := os.ReadFile(binlog); !bytes.HasPrefix(now, after) {
		t.Fatal("the upload's lines did not append to the compressed binlog")
	}
}
