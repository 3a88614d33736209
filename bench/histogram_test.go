package bench

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestHistogramBucketsCoverEveryDuration(t *testing.T) {
	for _, d := range []time.Duration{1, 2, 127, 128, 129, 1000, 4096, 123456789, time.Minute, 1 << 62} {
		b := bucketOf(d)
		if lo, hi := lowerBound(b), lowerBound(b+1); d < lo || d >= hi {
			t.Fatalf("%d in bucket %d = [%d,%d)", d, b, lo, hi)
		}
	}
}

// Percentiles of the histogram are within 1% of the exact ones of the same
// samples, spread over five orders of magnitude.
func TestHistogramQuantilesWithinOnePercent(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h, h2 histogram
	samples := make([]time.Duration, 0, 100000)
	for i := range 100000 {
		d := time.Duration(rng.ExpFloat64() * float64(50*time.Microsecond) * float64(1+i%100))
		samples = append(samples, d)
		if i%2 == 0 {
			h.record(d)
		} else {
			h2.record(d)
		}
	}
	h.merge(&h2)
	slices.Sort(samples)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		exact := samples[int(q*float64(len(samples)))-1]
		got := h.quantile(q)
		if diff := float64(got-exact) / float64(exact); diff > 0.01 || diff < -0.01 {
			t.Errorf("q%.3f: %v, exact %v", q, got, exact)
		}
	}
	if h.quantile(1) != samples[len(samples)-1] || h.n != 100000 {
		t.Errorf("max %v (want %v), n %d", h.quantile(1), samples[len(samples)-1], h.n)
	}
	var empty histogram
	if empty.quantile(0.5) != 0 {
		t.Error("empty histogram has a median")
	}
}
