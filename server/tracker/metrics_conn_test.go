package tracker

import (
	"context"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
)

// TestTrackerConnAllocLikeC: a C 6.16.1 tracker with the default buffers
// (no min_buff_size / max_buff_size) showed "connections {alloc: 64,
// current: 2, max: 3}" in fdfs_tracker_stat; ours said alloc 3 (its max).
// With the sample tracker.conf's min_buff_size = 8KB, C's formula gives 256.
func TestTrackerConnAllocLikeC(t *testing.T) {
	for _, c := range []struct {
		extra []string
		want  int32
	}{
		{nil, 64},
		{[]string{"min_buff_size = 8KB", "max_buff_size = 128KB"}, 256},
		{[]string{"buff_size = 1MB"}, 16},
	} {
		s := startTracker(t, testConf(t, t.TempDir(), c.extra...))
		dialPeer(t, s, "127.0.0.2").join(s, "group1") // a storage names the tracker to itself
		cl := newClient(t, s)
		trackers, err := cl.TrackerClusterStat(context.Background(), codec.TrackerClusterStatRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if len(trackers) != 1 {
			t.Fatalf("%v: %d trackers", c.extra, len(trackers))
		}
		cs := trackers[0].Connection
		if cs.MaxCount < 1 || cs.AllocCount != c.want {
			t.Errorf("%v: connections %+v, C reports alloc %d", c.extra, cs, c.want)
		}
	}
	for _, c := range []struct {
		max  int32
		buff int64
		want int32
	}{{0, 256 << 10, 0}, {65, 256 << 10, 128}, {300, 8 << 10, 512}, {3, 8 << 20, 16}} {
		if got := connAllocCount(c.max, c.buff); got != c.want {
			t.Errorf("connAllocCount(%d, %d) = %d, want %d", c.max, c.buff, got, c.want)
		}
	}
}
