//go:build linux

package loop

import (
	"math/rand/v2"
	"testing"
)

// TestTimerHeap checks the heap against a plain map of due times through
// random sets, removals and pops: every pop is the earliest, and every
// connection's index points at its own entry.
func TestTimerHeap(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	conns := make([]*Conn, 64)
	for i := range conns {
		conns[i] = &Conn{hidx: -1}
	}
	var h timerHeap
	want := map[*Conn]int64{}
	for step := range 20000 {
		c := conns[rng.IntN(len(conns))]
		switch op := rng.IntN(10); {
		case op < 6:
			due := int64(rng.IntN(1000))
			h.set(c, due)
			if due == 0 {
				delete(want, c)
			} else {
				want[c] = due
			}
		case op < 8:
			h.remove(c)
			delete(want, c)
		case len(h) > 0:
			min := int64(-1)
			for _, d := range want {
				if min < 0 || d < min {
					min = d
				}
			}
			if h[0].due != min {
				t.Fatalf("step %d: earliest %d, want %d", step, h[0].due, min)
			}
			delete(want, h.pop())
		}
		if len(h) != len(want) {
			t.Fatalf("step %d: %d entries, want %d", step, len(h), len(want))
		}
		for i, e := range h {
			if int(e.c.hidx) != i || want[e.c] != e.due {
				t.Fatalf("step %d: entry %d is %+v, index %d, want due %d", step, i, e, e.c.hidx, want[e.c])
			}
		}
	}
}
