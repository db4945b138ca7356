package load

import (
	"math/bits"
	"time"
)

// Hist is a latency histogram with about 6% resolution: 16 buckets per
// power of two.
type Hist struct {
	counts [64 * 16]uint32
	total  uint64
}

func bucket(ns int64) int {
	v := uint64(max(ns, 0))
	if v < 16 {
		return int(v)
	}
	e := bits.Len64(v) - 5
	return (e+1)*16 + int(v>>e)&15
}

func bucketValue(i int) int64 {
	if i < 16 {
		return int64(i)
	}
	e := i/16 - 1
	return int64(16+i%16) << e
}

// Record adds one latency.
func (h *Hist) Record(d time.Duration) {
	h.counts[bucket(int64(d))]++
	h.total++
}

// Merge adds o's counts to h.
func (h *Hist) Merge(o *Hist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
}

// Count is the number of latencies recorded.
func (h *Hist) Count() uint64 { return h.total }

// Quantile returns the latency below which a fraction q of them lie.
func (h *Hist) Quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	want := uint64(q * float64(h.total))
	var seen uint64
	for i, c := range h.counts {
		seen += uint64(c)
		if seen > want {
			return time.Duration(bucketValue(i))
		}
	}
	return time.Duration(bucketValue(len(h.counts) - 1))
}
