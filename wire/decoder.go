package wire

// EventKind says what a call to [Decoder.Decode] completed.
type EventKind uint8

const (
	// EventNone: the input was used up without completing anything (a
	// partial header was kept, or the input was empty). Feed more bytes.
	EventNone EventKind = iota
	// EventHeader: a frame header was completed.
	EventHeader
	// EventPayload: a piece of the current frame's payload.
	EventPayload
)

// Event describes what one call to [Decoder.Decode] completed.
type Event struct {
	Kind EventKind

	// Header is the header of the frame the event belongs to.
	Header Header

	// RawHeader holds the header bytes as received, on EventHeader only.
	// It points into the slice given to Decode or, for a header that came
	// in several pieces, into the Decoder; either way it is valid until
	// the next Decode and until the caller reuses its buffer.
	RawHeader []byte

	// Payload is a piece of payload, on EventPayload only. It is a prefix
	// of the slice given to Decode, unmasked in place unless the Decoder
	// was told to keep it masked.
	Payload []byte

	// Offset is the position of Payload[0] within the frame's payload. The
	// masking key position of Payload[0] is Offset mod 4.
	Offset int64

	// Remaining is the number of payload bytes of the frame still to come
	// after this event. An EventHeader or EventPayload with Remaining 0
	// ends its frame.
	Remaining int64
}

// FrameEnd reports whether the event completes its frame.
func (e *Event) FrameEnd() bool { return e.Kind != EventNone && e.Remaining == 0 }

// Unmask unmasks b in place, b being bytes of the event's frame that start
// at payload offset off, for a caller that still holds them masked (a
// Decoder with KeepMasked, or a copy taken before decoding). It does nothing
// for an unmasked frame.
func (e *Event) Unmask(b []byte, off int64) {
	if e.Header.Masked {
		MaskBytes(e.Header.Mask, int(off&3), b)
	}
}

// Decoder splits a byte stream into frame headers and payload pieces
// (RFC 6455 §5.2) without I/O. Bytes are pushed in any chunking; a partial
// header (at most 14 bytes) is the only thing it buffers, so a payload is
// never held whole and its declared length costs nothing. It does not
// validate frames against a role or state: give each header to a
// [Validator].
//
// The zero value is ready to use.
type Decoder struct {
	// KeepMasked leaves payload pieces as they arrived instead of
	// unmasking them in place, for callers that must not change the
	// buffer, such as a relay. [Event.Unmask] unmasks them later.
	KeepMasked bool

	hdr       [MaxHeaderSize]byte
	nhdr      int    // bytes of a partial header in hdr
	cur       Header // the frame being read
	remaining int64  // its payload bytes still to come
	err       error  // a fatal framing error; sticky
}

// Decode consumes a prefix of p, describes what it completed in ev, and
// returns the number of bytes of p it used, which may be less than len(p):
// call it again with the rest. At most one header or one payload piece is
// reported per call, and a payload piece is p[:n] itself. Every field of ev
// is overwritten; passing the same Event to every call keeps decoding free of
// allocation and copying.
//
// A header whose length is not minimally encoded is reported as an
// EventHeader together with ErrNonMinimalLength, and decoding may go on. A
// length above 2^63-1 returns ErrLengthOverflow; the stream cannot be
// framed after it, and every later call returns the same error.
func (d *Decoder) Decode(p []byte, ev *Event) (int, error) {
	if d.err != nil {
		*ev = Event{}
		return 0, d.err
	}
	if d.remaining > 0 {
		n := len(p)
		if int64(n) > d.remaining {
			n = int(d.remaining)
		}
		if n == 0 {
			*ev = Event{}
			return 0, nil
		}
		piece := p[:n:n]
		off := d.cur.Length - d.remaining
		if d.cur.Masked && !d.KeepMasked {
			MaskBytes(d.cur.Mask, int(off&3), piece)
		}
		d.remaining -= int64(n)
		ev.Kind = EventPayload
		ev.Header = d.cur
		ev.RawHeader = nil
		ev.Payload = piece
		ev.Offset = off
		ev.Remaining = d.remaining
		return n, nil
	}

	if d.nhdr == 0 {
		// The common case: the whole header is in p.
		if hs := HeaderSize(p); hs != 0 && hs <= len(p) {
			return hs, d.header(p[:hs:hs], ev)
		}
	}
	used := 0
	for {
		need := 2
		if d.nhdr >= 2 {
			need = HeaderSize(d.hdr[:d.nhdr])
			if d.nhdr == need {
				break
			}
		}
		if used == len(p) {
			*ev = Event{}
			return used, nil
		}
		c := copy(d.hdr[d.nhdr:need], p[used:])
		d.nhdr += c
		used += c
	}
	raw := d.hdr[:d.nhdr]
	d.nhdr = 0
	return used, d.header(raw, ev)
}

// header starts the frame whose complete header is raw.
func (d *Decoder) header(raw []byte, ev *Event) error {
	h, _, err := ParseHeader(raw)
	if err == ErrLengthOverflow {
		d.err = err
		*ev = Event{}
		return err
	}
	d.cur = h
	d.remaining = h.Length
	ev.Kind = EventHeader
	ev.Header = h
	ev.RawHeader = raw
	ev.Payload = nil
	ev.Offset = 0
	ev.Remaining = h.Length
	return err
}

// Remaining returns the payload bytes of the current frame still to come; 0
// between frames.
func (d *Decoder) Remaining() int64 { return d.remaining }

// Header returns the header of the frame being read, or of the last frame
// read when between frames.
func (d *Decoder) Header() Header { return d.cur }

// Reset discards all state: a partial header, the frame in progress and a
// sticky error. KeepMasked stays.
func (d *Decoder) Reset() {
	*d = Decoder{KeepMasked: d.KeepMasked}
}
