package trunk

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// FirstCall follows C's scheduler: the next base + k*interval after now,
// counted from the last time the clock showed base (today or yesterday).
func TestFirstCall(t *testing.T) {
	loc := time.FixedZone("X", 3600)
	at := func(h, m, s int) time.Time { return time.Date(2026, 12, 7, h, m, s, 0, loc) }
	for _, c := range []struct {
		now            time.Time
		base, interval time.Duration
		want           time.Time
	}{
		{at(15, 0, 0), 2 * time.Hour, 24 * time.Hour, at(2, 0, 0).AddDate(0, 0, 1)},
		{at(1, 0, 0), 2 * time.Hour, 24 * time.Hour, at(2, 0, 0)},
		{at(2, 0, 0), 2 * time.Hour, 24 * time.Hour, at(2, 0, 0)},
		{at(15, 7, 30), 0, time.Minute, at(15, 8, 0)},
		{at(15, 7, 30), 3 * time.Hour, 10 * time.Second, at(15, 7, 40)}, // on a beat: one interval on, as C
		{at(15, 7, 31), 3 * time.Hour, 10 * time.Second, at(15, 7, 40)},
		{at(1, 0, 0), 2*time.Hour + 30*time.Minute, 3600 * time.Second, at(1, 30, 0)},
		{at(15, 7, 31), -1, 10 * time.Second, at(15, 7, 41)},
	} {
		if got := FirstCall(c.now, c.base, c.interval); !got.Equal(c.want) {
			t.Errorf("FirstCall(%s, %s, %s) = %s, want %s", c.now, c.base, c.interval, got, c.want)
		}
	}
	for _, v := range []string{"02:00", "23:59:59", "00:00"} {
		if _, ok := parseTimeOfDay(v); !ok {
			t.Errorf("parseTimeOfDay(%q) refused", v)
		}
	}
	for _, v := range []string{"", "24:00", "2", "1:2:3:4", "aa:00", "12:60"} {
		if _, ok := parseTimeOfDay(v); ok {
			t.Errorf("parseTimeOfDay(%q) taken", v)
		}
	}
}

// With trunk_init_check_occupying a free slot of storage_trunk.dat whose
// header names a file is not taken as free (C keeps the file); a zeroed
// slot, or one with only type and sizes left, is free.
func TestInitCheckOccupying(t *testing.T) {
	for _, check := range []bool{false, true} {
		s, cfg := allocStore(t)
		ab := allocConfirmed(t, s, 2, 1000)
		a, b := ab[0], ab[1]
		f := codec.NameFields{Timestamp: 1796626377, SizeField: codec.TrunkSizeField(3, 0), CRC32: 9}
		hdr := codec.TrunkSlotHeaderFor(codec.TrunkSlotRegular, f, codec.TrunkSlot{ID: a.FileID, Offset: a.Offset, Size: a.SlotSize}, []byte("bin\x00\x00\x00\x00"))
		if err := s.WriteSlot(a, hdr.Append(nil), []byte("abc")); err != nil {
			t.Fatal(err)
		}
		// b: only type and sizes (C ignores those)
		if err := s.WriteSlot(b, []byte{'F', 0, 0, 3, 232, 0, 0, 0, 3}, nil); err != nil {
			t.Fatal(err)
		}
		// a snapshot that wrongly calls both free (a crash between the
		// slot write and the confirm's binlog line, say)
		size := s.BinlogSize()
		s.Close()
		var snap []byte
		snap = codec.AppendTrunkDataHead(snap, size)
		for _, x := range []codec.TrunkInfo{a, b} {
			r := codec.TrunkBinlogRecord{Timestamp: 1, Op: codec.TrunkBinlogAdd, Trunk: x}
			snap = r.Append(snap)
		}
		if err := os.WriteFile(filepath.Join(cfg.BasePath, "data", "storage_trunk.dat"), snap, 0o644); err != nil {
			t.Fatal(err)
		}
		cfg.CheckOccupying = check
		s2, err := Open(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, x := range s2.FreeSlots() {
			if x.SlotSize == 1000 {
				got = append(got, String(x))
			}
		}
		s2.Close()
		want := "0/0/0/1@0+1000 0/0/0/1@1000+1000"
		if check {
			want = "0/0/0/1@1000+1000"
		}
		if strings.Join(got, " ") != want {
			t.Errorf("check_occupying %v: free %q, want %q", check, got, want)
		}
	}
}

// With trunk_init_reload_from_binlog the store removes storage_trunk.dat
// and rebuilds the free space from the whole trunk binlog, as C does: a
// snapshot that disagrees with the binlog (here it calls an allocated
// slot free) is believed without the flag and discarded with it.
func TestInitReloadFromBinlog(t *testing.T) {
	s, cfg := allocStore(t)
	held := allocConfirmed(t, s, 3, 1000)
	fromBinlog := freeList(s.FreeSlots())
	size := s.BinlogSize()
	s.Close()
	snapPath := filepath.Join(cfg.BasePath, "data", "storage_trunk.dat")
	var snap []byte
	snap = codec.AppendTrunkDataHead(snap, size)
	r := codec.TrunkBinlogRecord{Timestamp: 1, Op: codec.TrunkBinlogAdd, Trunk: held[1]}
	snap = r.Append(snap)
	if err := os.WriteFile(snapPath, snap, 0o644); err != nil {
		t.Fatal(err)
	}

	s1, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := freeList(s1.FreeSlots()); got != String(held[1]) {
		t.Errorf("without the flag: free %q, want the snapshot's %q", got, String(held[1]))
	}
	s1.Close()

	cfg.ReloadFromBinlog = true
	s2, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got := freeList(s2.FreeSlots()); got != fromBinlog {
		t.Errorf("reloaded from the binlog: free %q, want %q", got, fromBinlog)
	}
	if _, err := os.Stat(snapPath); !os.IsNotExist(err) {
		t.Errorf("storage_trunk.dat still there after the reload: %v", err)
	}
	// the reloaded store allocates after the held slots, never over them
	a, err := s2.Alloc(0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range held {
		if a.FileID == h.FileID && a.Offset == h.Offset {
			t.Errorf("allocated %s over the file in %s", String(a), String(h))
		}
	}
}

func freeList(free []codec.TrunkInfo) string {
	var out []string
	for _, x := range free {
		out = append(out, String(x))
	}
	return strings.Join(out, " ")
}

// A parameter reply that turns use_trunk_file off stops the trunk server's
// timed tasks (they ran on until a restart before).
func TestTasksStopWhenTrunkTurnedOff(t *testing.T) {
	me := "127.0.2.78:23000"
	d := testSide(t, me)
	d.SetParams(codec.Parameters{{Key: "use_trunk_file", Value: "1"}, {Key: "slot_min_size", Value: "256"},
		{Key: "slot_max_size", Value: "4096"}, {Key: "trunk_file_size", Value: "1048576"},
		{Key: "trunk_compress_binlog_interval", Value: "3600"}})
	d.NoteServer(name(me))
	running := func() bool { d.mu.Lock(); defer d.mu.Unlock(); return d.stopTasks != nil }
	if !running() {
		t.Fatal("the trunk server's timed tasks did not start")
	}
	d.SetParams(codec.Parameters{{Key: "use_trunk_file", Value: "0"}})
	if running() {
		t.Error("timed tasks still scheduled after use_trunk_file was turned off")
	}
}
