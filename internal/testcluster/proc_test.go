package testcluster

import (
	"os"
	"testing"
)

// Our own process: CPU time grows as we burn CPU, the peak RSS covers a
// buffer we touched, and resetting the peak brings it back near the current
// RSS once the buffer is gone (what bench reads around each step).
func TestProcFigures(t *testing.T) {
	pid := os.Getpid()
	before, err := ReadProcStat(pid)
	if err != nil {
		t.Fatal(err)
	}
	x, after := 0, before
	for i := 0; after.CPU == before.CPU && i < 1000; i++ { // the clock ticks every 10 ms
		for j := range 1_000_000 {
			x ^= j * 7
		}
		if after, err = ReadProcStat(pid); err != nil {
			t.Fatal(err)
		}
	}
	if after.CPU <= before.CPU {
		t.Fatalf("cpu %v -> %v, x=%d", before.CPU, after.CPU, x)
	}
	if err := ResetPeakRSS(pid); err != nil {
		t.Skipf("clear_refs not writable here: %v", err)
	}
	reset, err := ReadProcStat(pid)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64<<20)
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = 1
	}
	peak, err := ReadProcStat(pid)
	if err != nil || peak.PeakKiB < reset.RSSKiB+60<<10 {
		t.Fatalf("peak %d KiB after touching 64 MiB from %d KiB (%v)", peak.PeakKiB, reset.RSSKiB, err)
	}
	_ = buf[len(buf)-1]
}
