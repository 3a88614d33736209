package stats

import (
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// TestConnAllocCount: C's alloc_count is whole blocks of 256/m connection
// objects, m = min buffer / 64 KiB in 1..16 (64 at buff_size 256KB, as the
// C storage and tracker report with the default conf; 256 with the sample
// tracker.conf's min_buff_size = 8KB).
func TestConnAllocCount(t *testing.T) {
	for _, c := range []struct {
		max  int32
		buff int64
		want int32
	}{
		{0, 256 << 10, 0}, {1, 256 << 10, 64}, {3, 256 << 10, 64}, {64, 256 << 10, 64}, {65, 256 << 10, 128},
		{3, 8 << 10, 256}, {3, 128 << 10, 128}, {3, 1 << 20, 16}, {17, 4 << 20, 32}, {3, 0, 256},
	} {
		if got := connAllocCount(c.max, c.buff); got != c.want {
			t.Errorf("connAllocCount(%d, %d) = %d, want %d", c.max, c.buff, got, c.want)
		}
	}
}

// TestKeysRoundTrip: every storage_stat.dat key of the stat block names its
// own counter, and a value stored through the key is what the snapshot and
// /status carry under that name.
func TestKeysRoundTrip(t *testing.T) {
	var st Counters
	for i, name := range names {
		c := st.Counter(name)
		if c != &st.c[i] {
			t.Fatalf("Counter(%q) is not counter %d", name, i)
		}
		c.Store(int64(1000 + i))
	}
	var b codec.StatBlock
	st.Snapshot(&b)
	if b.TotalUploadCount != 1000 || b.SuccessDownloadBytes != 1000+stSuccessDownloadBytes ||
		b.TotalSetMetaCount != 1000+stTotalSetMeta || b.SuccessDeleteLinkCount != 1000+stSuccessDeleteLink {
		t.Errorf("snapshot after storing by key: %+v", b)
	}
	for _, k := range []string{"dist_path_index_high", "dist_write_file_count", "no_such_key"} {
		if st.Counter(k) != nil {
			t.Errorf("Counter(%q) is not nil: the caller keeps that value", k)
		}
	}
	st.Counter("total_sync_out_bytes").Store(7)
	st.Counter("success_file_write_count").Store(9)
	if tot, _ := st.SyncOutBytes(); tot != 7 || st.FileOps()[fileWrite+1] != 9 {
		t.Errorf("sync out %d, file ops %v", tot, st.FileOps())
	}
}

// TestDoneCounts: an upload that succeeded counts total, success, bytes,
// C's open and buffer-sized writes and last_source_update; a failed delete
// is not counted (C counts it only on its disk thread).
func TestDoneCounts(t *testing.T) {
	var st Counters
	st.SetBuffSize(64 << 10)
	now := func() time.Time { return time.Unix(1700000000, 0) }
	g := st.Gen()
	st.Done(codec.CmdUploadFile, true, 100<<10, now)
	st.Done(codec.CmdDeleteFile, false, 0, now)
	var b codec.StatBlock
	st.Snapshot(&b)
	if b.TotalUploadCount != 1 || b.SuccessUploadCount != 1 || b.SuccessUploadBytes != 100<<10 ||
		b.LastSourceUpdate != 1700000000 || b.TotalDeleteCount != 0 {
		t.Errorf("after one upload and a failed delete: %+v", b)
	}
	// header + fixed fields + 100 KiB in 64 KiB buffers: two writes
	if ops := st.FileOps(); ops != [6]int64{1, 1, 0, 0, 2, 2} {
		t.Errorf("file ops %v, want one open and two writes", ops)
	}
	if st.Gen() == g {
		t.Error("gen did not move")
	}
}

// BenchmarkDone: counting an answered request is atomic adds only.
func BenchmarkDone(b *testing.B) {
	var st Counters
	b.ReportAllocs()
	for b.Loop() {
		st.Done(codec.CmdDownloadFile, true, 4096, nil)
	}
}
