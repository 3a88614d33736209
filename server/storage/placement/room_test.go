package placement

import (
	"errors"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/diskio"
)

func TestChoose(t *testing.T) {
	free := []uint64{50, 0, 90, 70} // path 1 does not fit
	fits := func(i int) (uint64, bool) { return free[i], free[i] > 0 }
	for _, c := range []struct {
		start    int
		mostFree bool
		want     int
	}{
		{0, false, 0}, {1, false, 2}, {3, false, 3}, // round robin: first that fits from start
		{0, true, 2}, {3, true, 2}, // most free wherever the round starts
	} {
		if got, err := Choose(len(free), c.start, c.mostFree, fits); err != nil || got != c.want {
			t.Errorf("start %d mostFree %v: %d, %v; want %d", c.start, c.mostFree, got, err, c.want)
		}
	}
	none := func(int) (uint64, bool) { return 0, false }
	if _, err := Choose(2, 0, true, none); !errors.Is(err, codec.ENOSPC) {
		t.Fatalf("no path fits: %v, want ENOSPC", err)
	}
}

func TestReservedMB(t *testing.T) {
	if got := ReservedMB(diskio.Reserve{Ratio: 0.1}, 1000); got != 100 {
		t.Errorf("10%% of 1000 MB: %d", got)
	}
	if got := ReservedMB(diskio.Reserve{MB: 64}, 1000); got != 64 {
		t.Errorf("fixed 64 MB: %d", got)
	}
}
