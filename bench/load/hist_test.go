package load

import (
	"testing"
	"time"
)

func TestHistQuantiles(t *testing.T) {
	var h Hist
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Microsecond}, {0.99, 990 * time.Microsecond}} {
		got := h.Quantile(c.q)
		if got > c.want || float64(got) < float64(c.want)*0.93 {
			t.Errorf("Quantile(%v) = %v, want within 7%% below %v", c.q, got, c.want)
		}
	}
	for v := int64(0); v < 1<<40; v = v*3 + 1 {
		if b := bucketValue(bucket(v)); b > v || float64(b) < float64(v)*0.93 {
			t.Fatalf("value %d falls in a bucket starting at %d", v, b)
		}
	}
}
