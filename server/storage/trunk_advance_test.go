package storage

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// trunk_create_file_advance on a real storage that is its group's trunk
// server: the task (time base 00:00, every second here) tops the free
// trunk space up to trunk_create_file_space_threshold with whole trunk
// files, each logged "A <file> 0 <trunk_file_size>"; uploads then take
// slots in them; a member (not trunk server) creates nothing.
func TestTrunkCreateFileAdvance(t *testing.T) {
	params := codec.Parameters{{Key: "use_trunk_file", Value: "1"}, {Key: "slot_min_size", Value: "256"},
		{Key: "slot_max_size", Value: "65536"}, {Key: "trunk_file_size", Value: "262144"},
		{Key: "trunk_create_file_advance", Value: "1"}, {Key: "trunk_create_file_time_base", Value: "00:00"},
		{Key: "trunk_create_file_interval", Value: "1"}, {Key: "trunk_create_file_space_threshold", Value: "700000"}}
	e := newEnv(t, 1)
	e.srv.noteTrunkParams(params)
	containers := func() []string {
		m, _ := filepath.Glob(filepath.Join(e.cfg.StorePaths[0].Path, "data", "*", "*", "0000*"))
		return m
	}
	time.Sleep(1500 * time.Millisecond)
	if got := containers(); len(got) != 0 {
		t.Fatalf("not trunk server, yet trunk files %v", got)
	}
	nameSelfTrunkServer(e.srv)
	deadline := time.Now().Add(10 * time.Second)
	for len(containers()) < 2 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond)     // one more run: nothing more to make
	if got := containers(); len(got) != 2 { // (700000 - 0) / 262144
		t.Fatalf("trunk files %v, want 2", got)
	}
	tb, _ := os.ReadFile(filepath.Join(e.dir, "data", "trunk", "binlog"))
	var ops []string
	for _, l := range strings.Split(strings.TrimSuffix(string(tb), "\n"), "\n") {
		_, rest, _ := strings.Cut(l, " ")
		ops = append(ops, rest)
	}
	if len(ops) != 2 || ops[0] != "A 0 0 0 1 0 262144" || !strings.HasSuffix(ops[1], " 2 0 262144") {
		t.Fatalf("trunk binlog %q", ops)
	}
	id := e.upload([]byte("into a trunk file made in advance"), "txt")
	rf, _ := parseID(t, id)
	if ref, ok, _ := codec.TrunkRefOf(&rf); !ok || ref.Slot.ID > 2 {
		t.Fatalf("%s: not in an advance trunk file", id)
	}
	if got := e.mustDownload(id); string(got) != "into a trunk file made in advance" {
		t.Fatalf("%q", got)
	}
	if got := containers(); len(got) != 2 {
		t.Fatalf("trunk files %v after an upload", got)
	}
}
