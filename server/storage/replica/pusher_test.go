package replica

import (
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/conf"
)

// The record filter is C's storage_check_need_sync (cluster.md §4.4 step
// 5): replica data is never pushed on, except whole files during a full
// copy up to until; a non-source skips what the source copies.
func TestSyncRecordFilter(t *testing.T) {
	const until = 10000
	normal := Mark{}
	behind := Mark{Until: until}                                     // not the source of a new member
	source := Mark{NeedSyncOld: true, Until: until}                  // full copy in progress
	done := Mark{NeedSyncOld: true, SyncOldDone: true, Until: until} // full copy finished
	cases := []struct {
		m    Mark
		op   codec.BinlogOp
		ts   int64
		want bool
	}{
		{normal, 'C', 5, true}, {normal, 'c', 5, false}, {normal, 'a', 5, false}, {normal, 'D', 5, true},
		// own operations from until-untilSlack: a clock behind the tracker's
		{behind, 'C', until - untilSlack - 1, false}, {behind, 'C', until - untilSlack, true},
		{behind, 'C', until - 1, true}, {behind, 'u', until, false},
		{source, 'C', 5, true}, {source, 'c', until, true}, {source, 'c', until + 1, false}, {source, 'd', 5, true},
		{source, 'l', 5, true}, {source, 'r', 5, true}, {source, 'a', 5, false}, {source, 'm', 5, false},
		{source, 't', 5, false}, {source, 'T', until + 1000, true},
		{done, 'c', 5, false}, {done, 'C', 5, true},
	}
	for _, c := range cases {
		p := &pusher{mark: c.m}
		rec := codec.BinlogRecord{Op: c.op, Timestamp: c.ts}
		if got := p.wanted(&rec); got != c.want {
			t.Errorf("mark %+v, %c at %d: wanted %v, want %v", c.m, c.op, c.ts, got, c.want)
		}
	}
}

// sync_start_time..sync_end_time: outside the window the pusher waits
// until its start, also across midnight.
func TestSyncWindow(t *testing.T) {
	at := func(h, m int) time.Time { return time.Date(2026, 11, 22, h, m, 0, 0, time.UTC) }
	cases := []struct {
		start, end conf.TimeOfDay
		now        time.Time
		wait       time.Duration
	}{
		{conf.TimeOfDay{}, conf.TimeOfDay{Hour: 23, Minute: 59}, at(12, 0), 0},
		{conf.TimeOfDay{Hour: 1}, conf.TimeOfDay{Hour: 5}, at(3, 0), 0},
		{conf.TimeOfDay{Hour: 1}, conf.TimeOfDay{Hour: 5}, at(0, 30), 30 * time.Minute},
		{conf.TimeOfDay{Hour: 1}, conf.TimeOfDay{Hour: 5}, at(6, 0), 19 * time.Hour},
		{conf.TimeOfDay{Hour: 22}, conf.TimeOfDay{Hour: 2}, at(23, 0), 0},
		{conf.TimeOfDay{Hour: 22}, conf.TimeOfDay{Hour: 2}, at(1, 0), 0},
		{conf.TimeOfDay{Hour: 22}, conf.TimeOfDay{Hour: 2}, at(12, 0), 10 * time.Hour},
	}
	for _, c := range cases {
		p := &pusher{h: &Host{Conf: &conf.Storage{SyncStartTime: c.start, SyncEndTime: c.end}}}
		if got := p.outsideWindow(c.now); got != c.wait {
			t.Errorf("window %v-%v at %s: wait %v, want %v", c.start, c.end, c.now.Format("15:04"), got, c.wait)
		}
	}
}
