package deflate

// history keeps the last size bytes written to it: the LZ77 window that
// context takeover carries from one message to the next (RFC 7692 §7.1.1).
// Its buffer is allocated on the first write, so an unused history costs
// nothing.
type history struct {
	buf  []byte
	size int
	pos  int  // where the next byte goes
	full bool // buf has wrapped around at least once
}

func newHistory(bits int) history { return history{size: 1 << bits} }

// write appends p, forgetting what falls out of the window.
func (h *history) write(p []byte) {
	if len(p) == 0 {
		return
	}
	if h.buf == nil {
		h.buf = make([]byte, h.size)
	}
	if len(p) >= h.size {
		copy(h.buf, p[len(p)-h.size:])
		h.pos, h.full = 0, true
		return
	}
	n := copy(h.buf[h.pos:], p)
	if n < len(p) {
		h.pos = copy(h.buf, p[n:])
		h.full = true
		return
	}
	h.pos += n
	if h.pos == h.size {
		h.pos, h.full = 0, true
	}
}

// len returns the number of bytes kept.
func (h *history) len() int {
	if h.full {
		return h.size
	}
	return h.pos
}

// appendTo appends the kept bytes to dst, oldest first.
func (h *history) appendTo(dst []byte) []byte {
	if !h.full {
		return append(dst, h.buf[:h.pos]...)
	}
	dst = append(dst, h.buf[h.pos:]...)
	return append(dst, h.buf[:h.pos]...)
}

// reset forgets everything but keeps the buffer.
func (h *history) reset() { h.pos, h.full = 0, false }

// free forgets everything and drops the buffer.
func (h *history) free() { *h = history{size: h.size} }
