//go:build linux

package loop

import "container/heap"

// timerHeap is a loop's connections with a timer, earliest first; each
// connection is in it once, at its earliest due time.
type timerHeap []*Conn

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].due < h[j].due }
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].hidx, h[j].hidx = int32(i), int32(j)
}
func (h *timerHeap) Push(x any) {
	c := x.(*Conn)
	c.hidx = int32(len(*h))
	*h = append(*h, c)
}
func (h *timerHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	c.hidx = -1
	return c
}

// set puts c on the heap at due, or takes it off for 0.
func (h *timerHeap) set(c *Conn, due int64) {
	switch {
	case due == 0:
		h.remove(c)
	case c.hidx >= 0:
		if c.due != due {
			c.due = due
			heap.Fix(h, int(c.hidx))
		}
	default:
		c.due = due
		heap.Push(h, c)
	}
}

func (h *timerHeap) remove(c *Conn) {
	if c.hidx >= 0 {
		heap.Remove(h, int(c.hidx))
	}
}
