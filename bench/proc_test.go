package bench

import (
	"os"
	"testing"
)

// Our own process: CPU time grows as we burn CPU, the peak RSS covers a
// buffer we touched, and resetting the peak brings it back near the current
// RSS once the buffer is gone.
func TestProcFigures(t *testing.T) {
	pid := os.Getpid()
	before, err := procCPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	x, after := 0, before
	for i := 0; after == before && i < 1000; i++ { // the clock ticks every 10 ms
		for j := range 1_000_000 {
			x ^= j * 7
		}
		if after, err = procCPU(pid); err != nil {
			t.Fatal(err)
		}
	}
	if err != nil || after <= before {
		t.Fatalf("cpu %v -> %v (%v), x=%d", before, after, err, x)
	}
	if err := resetPeakRSS(pid); err != nil {
		t.Skipf("clear_refs not writable here: %v", err)
	}
	rss, err := procStatusKiB(pid, "VmRSS")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64<<20)
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = 1
	}
	peak, err := procStatusKiB(pid, "VmHWM")
	if err != nil || peak < rss+60<<10 {
		t.Fatalf("peak %d KiB after touching 64 MiB from %d KiB (%v)", peak, rss, err)
	}
	_ = buf[len(buf)-1]
}
