package endpoint

import (
	"io"

	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/wire"
)

// Kind says what an [Event] reports.
type Kind uint8

const (
	// None: the input was used up without completing anything; feed more.
	None Kind = iota
	// MessageStart: the first frame of a data message arrived. Type is
	// its type, Compressed whether it is to be read with Inflate.
	MessageStart
	// Data: a piece of an uncompressed message's payload, in Data; End is
	// set on the message's last piece (which may be empty).
	Data
	// Inflate: compressed payload was taken in (Data holds it, for
	// counting); call [Endpoint.Inflate] until it returns 0 bytes or the
	// end. End is set when the message's whole payload is in.
	Inflate
	// Ping: a ping arrived, with the payload in Data; its pong is queued
	// (see [Endpoint.AppendOutgoing]) unless a close frame went out.
	Ping
	// Pong: a pong arrived, with the payload in Data; Keepalive is set
	// when it answers the keepalive ping.
	Pong
	// Close: the peer's close frame arrived (RFC 6455 §5.5.1), with Code
	// (StatusNoStatusRcvd when it had none) and Reason. The echo is
	// queued unless this side sent its own close frame first; the state
	// is StateClosed and further input is ignored.
	Close
)

func (k Kind) String() string {
	switch k {
	case None:
		return "none"
	case MessageStart:
		return "message"
	case Data:
		return "data"
	case Inflate:
		return "inflate"
	case Ping:
		return "ping"
	case Pong:
		return "pong"
	case Close:
		return "close"
	}
	return "unknown"
}

// Event is what one call to [Endpoint.Receive] completed. Data points into
// the slice given to Receive or into the Endpoint, and is valid until the
// next Receive and until the caller reuses its buffer.
type Event struct {
	Data       []byte
	Reason     string          // Close
	Code       wire.StatusCode // Close
	Kind       Kind
	Type       wire.Opcode // MessageStart, Data, Inflate: OpText or OpBinary
	Compressed bool        // MessageStart
	End        bool        // Data, Inflate
	Keepalive  bool        // Pong
}

// recvState is the receiving side, owned by the caller of Receive.
type recvState struct {
	dec    wire.Decoder
	val    wire.Validator
	ctrl   *ctrlBuf // a control payload that came in pieces
	limit  int64    // the current (or next) message's size limit, <0 for none
	msgIn  int64    // payload bytes of the current message's frames, as received
	msgOut int64    // bytes the current compressed message inflated to
	z      *deflate.Inflater
	err    error // the failure, sticky

	// One byte each, kept together: the endpoint is most of an idle
	// event-loop connection's memory.
	inMsg      bool // a data message started and its end is not yet handed out
	typ        wire.Opcode
	compressed bool
	raw        bool // the message carries Options.ExtensionRSV bits: no UTF-8 check
	utf8       wire.UTF8Validator
	endPending bool // the end of an empty message is still to be handed out
	zEnded     bool // the compressed message's payload is all in the inflater
	done       bool // the peer's close frame arrived: input is ignored
}

// ctrlBuf holds a control payload that came in pieces: n bytes of at most
// 125 (RFC 6455 §5.5).
type ctrlBuf struct {
	buf [wire.MaxControlPayload]byte
	n   uint8
}

// Receive consumes a prefix of p, the next bytes from the transport, and
// describes in ev the first thing it completed; it returns how many bytes
// it used, which may be less than len(p): call it again with the rest. At
// most one event is reported per call. Every field of ev is overwritten.
//
// A violation by the peer fails the connection (see [Endpoint.Fail]):
// Receive returns the *wire.ProtocolError (or deflate.ErrCorrupt), whose
// close code wire.CloseCodeFor gives, with the close frame queued; every
// later call returns the same error; ev is empty then, except for a close
// frame that is not valid, which ev shows. The payload of an uncompressed message
// is unmasked in place in p.
func (e *Endpoint) Receive(p []byte, ev *Event) (int, error) {
	*ev = Event{}
	r := &e.r
	if r.err != nil {
		return 0, r.err
	}
	if r.endPending {
		r.endPending = false
		return 0, e.piece(ev, nil, true)
	}
	if r.zEnded {
		// The compressed message must be inflated to its end first.
		ev.Kind, ev.Type, ev.End = Inflate, r.typ, true
		return 0, nil
	}
	if r.done {
		return len(p), nil
	}
	n := 0
	var wev wire.Event
	for {
		in := p[n:]
		if r.compressed && r.dec.Remaining() > 0 && !r.dec.Header().Opcode.IsControl() {
			free := r.z.Free()
			if free == 0 {
				// The inflater's input is full: Inflate first.
				ev.Kind, ev.Type = Inflate, r.typ
				return n, nil
			}
			if len(in) > free {
				in = in[:free]
			}
		}
		k, err := r.dec.Decode(in, &wev)
		n += k
		var done bool
		switch wev.Kind {
		case wire.EventNone:
			if err != nil {
				return n, e.recvFail(err)
			}
			return n, nil
		case wire.EventHeader:
			if err != nil {
				return n, e.recvFail(err) // a length not in its minimal form
			}
			done, err = e.header(&wev, ev)
		case wire.EventPayload:
			done, err = e.payload(&wev, ev)
		}
		if err != nil || done {
			return n, err
		}
	}
}

// header acts on a frame header, reporting whether ev is complete.
func (e *Endpoint) header(w *wire.Event, ev *Event) (bool, error) {
	r := &e.r
	h := w.Header
	if err := r.val.Check(h); err != nil {
		return true, e.recvFail(err)
	}
	if f := e.o.onFrame(); f != nil {
		f(false, h)
	}
	if h.Opcode.IsControl() {
		if r.ctrl != nil {
			r.ctrl.n = 0
		}
		if h.Length == 0 {
			return true, e.control(h.Opcode, nil, ev)
		}
		return false, nil
	}
	first := h.Opcode != wire.OpContinuation
	if first {
		r.inMsg = true
		r.typ = h.Opcode
		r.compressed = h.RSV&wire.RSV1 != 0 && r.z != nil
		r.raw = h.RSV&e.o.ExtensionRSV != 0
		r.msgIn, r.msgOut = 0, 0
		r.utf8.Reset()
		if r.compressed {
			r.z.Write(nil) // starts the inflater's message
		}
	}
	// RFC 6455 §10.4: the limit is enforced before the payload is read.
	if max := r.declaredMax(); max >= 0 && h.Length > max-r.msgIn {
		return true, e.recvFail(wire.ErrMessageTooLarge)
	}
	r.msgIn += h.Length
	if first {
		ev.Kind, ev.Type, ev.Compressed = MessageStart, r.typ, r.compressed
		r.endPending = h.Length == 0 && h.Fin
		return true, nil
	}
	if h.Length == 0 && h.Fin {
		return true, e.piece(ev, nil, true)
	}
	return false, nil
}

// payload acts on a piece of payload, reporting whether ev is complete.
func (e *Endpoint) payload(w *wire.Event, ev *Event) (bool, error) {
	r := &e.r
	if w.Header.Opcode.IsControl() {
		if w.Offset == 0 && w.Remaining == 0 {
			// The whole payload in one piece: no copy.
			return true, e.control(w.Header.Opcode, w.Payload, ev)
		}
		if r.ctrl == nil {
			r.ctrl = new(ctrlBuf)
		}
		c := r.ctrl
		c.n += uint8(copy(c.buf[c.n:], w.Payload))
		if w.Remaining > 0 {
			return false, nil
		}
		return true, e.control(w.Header.Opcode, c.buf[:c.n], ev)
	}
	return true, e.piece(ev, w.Payload, w.Remaining == 0 && w.Header.Fin)
}

// piece hands out p, a piece of the current message's payload; end says
// it is the last.
func (e *Endpoint) piece(ev *Event, p []byte, end bool) error {
	r := &e.r
	ev.Type, ev.End = r.typ, end
	if r.compressed {
		r.z.Write(p) // Receive gave the decoder no more than the inflater takes
		if end {
			r.z.End()
			r.zEnded = true
		}
		ev.Kind, ev.Data = Inflate, p
		return nil
	}
	ev.Kind, ev.Data = Data, p
	if r.typ == wire.OpText && !r.raw {
		if _, err := r.utf8.Validate(p); err != nil {
			return e.recvFail(err)
		}
		if end {
			if err := r.utf8.Finish(); err != nil {
				return e.recvFail(err)
			}
		}
	}
	if end {
		r.endMessage(e.o.MaxMessageSize)
	}
	return nil
}

// endMessage ends the current message; the next one has the default
// limit until the driver sets another.
func (r *recvState) endMessage(limit int64) {
	r.inMsg, r.zEnded = false, false
	r.limit = limit
}

// declaredMax is the most payload the current message's frames may declare
// (<0 for no limit): the message limit, and for a compressed message room
// for what deflate adds to data it cannot shrink, so that a message at the
// limit passes compressed or not: 5 bytes a stored block (RFC 1951
// §3.2.4), which compress/flate cuts at 16 KiB, 321 bytes on 1 MiB; a
// tenth of a percent leaves room for smaller blocks. The inflated size is
// checked as it comes out.
func (r *recvState) declaredMax() int64 {
	max := r.limit
	if max >= 0 && r.compressed {
		if m := max + max>>10 + 64; m > max {
			max = m
		}
	}
	return max
}

// SetMessageLimit sets the size limit, in bytes as the application
// receives them (negative for none), of the current message, or of the
// next one when none has started; after that message the limit is
// Options.MaxMessageSize again. A driver whose application reads some
// messages whole and streams others sets the limit that fits when the
// application starts reading one. When what the current message's frames
// have declared, or a compressed one has inflated to, is already past the
// new limit, the connection fails with 1009 (wire.ErrMessageTooLarge), as
// it would have at the header.
func (e *Endpoint) SetMessageLimit(max int64) error {
	r := &e.r
	if r.err != nil {
		return r.err
	}
	r.limit = max
	if !r.inMsg || max < 0 {
		return nil
	}
	if r.msgIn > r.declaredMax() || r.compressed && r.msgOut > max {
		return e.recvFail(wire.ErrMessageTooLarge)
	}
	return nil
}

// Inflate inflates the current compressed message into p, checking the
// size limit (1009) and, for text, UTF-8 (1007) as the bytes come out. It
// returns end at the message's end, and 0 bytes without end when it needs
// more input (Receive). The output is never more than one byte past the
// limit, whatever the compression ratio.
func (e *Endpoint) Inflate(p []byte) (n int, end bool, err error) {
	r := &e.r
	if r.err != nil {
		return 0, false, r.err
	}
	if !r.inMsg || !r.compressed || len(p) == 0 {
		return 0, false, nil
	}
	max := r.limit
	if max >= 0 && int64(len(p)) > max-r.msgOut+1 {
		p = p[:max-r.msgOut+1]
	}
	n, err = r.z.Read(p)
	r.msgOut += int64(n)
	if max >= 0 && r.msgOut > max {
		return 0, false, e.recvFail(wire.ErrMessageTooLarge)
	}
	if err != nil && err != io.EOF {
		return 0, false, e.recvFail(err)
	}
	if r.typ == wire.OpText {
		if _, verr := r.utf8.Validate(p[:n]); verr != nil {
			return 0, false, e.recvFail(verr)
		}
		if err == io.EOF {
			if verr := r.utf8.Finish(); verr != nil {
				return 0, false, e.recvFail(verr)
			}
		}
	}
	if err == io.EOF {
		r.endMessage(e.o.MaxMessageSize)
		return n, true, nil
	}
	return n, false, nil
}

// PayloadWant returns how many bytes of the current uncompressed data
// frame's payload are still to come, when that is what the next bytes of
// the stream are, and 0 otherwise. A driver may read up to that many bytes
// straight into the application's buffer and give them to Receive, which
// then hands them out in place as one Data event.
func (e *Endpoint) PayloadWant() int64 {
	r := &e.r
	if r.err != nil || r.done || r.endPending || r.compressed && r.inMsg || r.dec.Header().Opcode.IsControl() {
		return 0
	}
	return r.dec.Remaining()
}

// MessageLeft returns how many payload bytes of the current uncompressed
// message are still to come when that is known, because its final frame
// is being read, and -1 otherwise (an earlier fragment, a compressed
// message, no message).
func (e *Endpoint) MessageLeft() int64 {
	r := &e.r
	h := r.dec.Header()
	if r.err != nil || r.done || !r.inMsg || r.compressed || h.Opcode.IsControl() || !h.Fin {
		return -1
	}
	return r.dec.Remaining()
}

// InMessage reports whether a data message has started and its end has not
// been handed out.
func (e *Endpoint) InMessage() bool { return e.r.inMsg }

// recvFail fails the connection from the receiving side.
func (e *Endpoint) recvFail(cause error) error {
	e.r.err = e.Fail(cause)
	return e.r.err
}

// control acts on a whole control frame (RFC 6455 §5.5).
func (e *Endpoint) control(op wire.Opcode, payload []byte, ev *Event) error {
	r := &e.r
	switch op {
	case wire.OpPing:
		e.lock().Lock()
		if !e.closeSent {
			// Only the latest ping needs its pong (RFC 6455 §5.5.3).
			if e.pong == nil {
				e.pong = new([wire.MaxControlPayload]byte)
			}
			e.npong = uint8(copy(e.pong[:], payload))
			e.havePong = true
		}
		e.lock().Unlock()
		ev.Kind, ev.Data = Ping, payload
	case wire.OpPong:
		e.lock().Lock()
		ka := e.pongDue != 0 && e.isKeepalive(payload)
		if ka {
			e.pongDue = 0
			e.nextPing = e.pingAt + e.o.PingInterval
		}
		e.lock().Unlock()
		ev.Kind, ev.Data, ev.Keepalive = Pong, payload, ka
	case wire.OpClose:
		code, reason, err := wire.ParseClosePayload(payload)
		if err != nil {
			// The peer's close is not valid (RFC 6455 §5.5.1, §7.4): the
			// connection fails, and ev still shows the frame, with its
			// payload in Data, for a driver that reports it.
			ev.Kind, ev.Code, ev.Data = Close, code, payload
			return e.recvFail(err)
		}
		e.lock().Lock()
		e.closeRecv = true
		if !e.closeSent {
			// RFC 6455 §5.5.1: echo the code; a close without one is
			// answered with 1000.
			echo := code
			if echo == wire.StatusNoStatusRcvd {
				echo = wire.StatusNormalClosure
			}
			e.queueCloseLocked(echo, "")
			e.closeSent = true
		}
		e.state = StateClosed
		e.nextPing, e.pongDue = 0, 0
		e.startCloseTimerLocked()
		e.lock().Unlock()
		r.done = true
		ev.Kind, ev.Code, ev.Reason = Close, code, reason
	}
	return nil
}
