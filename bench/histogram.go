package bench

import (
	"math/bits"
	"time"
)

// histogram records latencies in log-linear buckets: 2^subBits buckets per
// power of two of nanoseconds, so any percentile is within 1/2^subBits
// (under 1%) of the exact value, in a fixed 32 KiB whatever the run length.
// One per worker; merged at the end, so recording takes no lock.
type histogram struct {
	counts [64 << subBits]uint32
	n      uint64
	max    time.Duration
}

const subBits = 7

func bucketOf(d time.Duration) int {
	v := uint64(max(d, 1))
	exp := bits.Len64(v) - 1 // v in [2^exp, 2^(exp+1))
	if exp < subBits {
		return int(v) // exact below 2^subBits ns
	}
	sub := (v >> (exp - subBits)) & (1<<subBits - 1)
	return (exp-subBits+1)<<subBits | int(sub)
}

// lowerBound is the smallest duration that falls in bucket b.
func lowerBound(b int) time.Duration {
	if b < 1<<subBits {
		return time.Duration(b)
	}
	exp := b>>subBits + subBits - 1
	sub := uint64(b & (1<<subBits - 1))
	return time.Duration(1<<exp | sub<<(exp-subBits))
}

func (h *histogram) record(d time.Duration) {
	h.counts[bucketOf(d)]++
	h.n++
	h.max = max(h.max, d)
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// quantile returns the latency below which a fraction q of the samples fall
// (the middle of its bucket), 0 with no samples.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.5)
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for b, c := range h.counts {
		seen += uint64(c)
		if seen >= rank {
			lo, hi := lowerBound(b), lowerBound(b+1)
			return min(lo+(hi-lo)/2, h.max)
		}
	}
	return h.max
}
