//go:build linux

package loop

// timerHeap is a loop's connections with a timer, earliest first; each
// connection is in it once, at its earliest due time. The time is kept in
// the entry, not in the Conn, so that a connection without a timer does
// not pay for one; Conn.hidx is the connection's place in it, -1 for none.
type timerHeap []timerEntry

type timerEntry struct {
	due int64
	c   *Conn
}

// set puts c on the heap at due, or takes it off for 0.
func (h *timerHeap) set(c *Conn, due int64) {
	switch {
	case due == 0:
		h.remove(c)
	case c.hidx >= 0:
		if t := &(*h)[c.hidx]; t.due != due {
			t.due = due
			h.fix(int(c.hidx))
		}
	default:
		c.hidx = int32(len(*h))
		*h = append(*h, timerEntry{due, c})
		h.up(int(c.hidx))
	}
}

// pop takes off the earliest connection.
func (h *timerHeap) pop() *Conn {
	c := (*h)[0].c
	h.remove(c)
	return c
}

func (h *timerHeap) remove(c *Conn) {
	i := int(c.hidx)
	if i < 0 {
		return
	}
	n := len(*h) - 1
	if i != n {
		h.swap(i, n)
	}
	(*h)[n] = timerEntry{}
	*h = (*h)[:n]
	c.hidx = -1
	if i != n {
		h.fix(i)
	}
}

func (h timerHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].c.hidx, h[j].c.hidx = int32(i), int32(j)
}

func (h timerHeap) fix(i int) {
	if !h.down(i) {
		h.up(i)
	}
}

func (h timerHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if h[p].due <= h[i].due {
			return
		}
		h.swap(i, p)
		i = p
	}
}

// down moves entry i towards the leaves and reports whether it moved.
func (h timerHeap) down(i int) bool {
	i0 := i
	for {
		l := 2*i + 1
		if l >= len(h) {
			break
		}
		m := l
		if r := l + 1; r < len(h) && h[r].due < h[l].due {
			m = r
		}
		if h[i].due <= h[m].due {
			break
		}
		h.swap(i, m)
		i = m
	}
	return i > i0
}
