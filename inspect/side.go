package inspect

import (
	"errors"
	"fmt"
	"time"

	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/wire"
)

// ErrAfterClose is a frame sent after the sender's close frame (RFC 6455
// §5.5.1: no data may follow a close).
var ErrAfterClose = errors.New("websocket inspect: frame after a close frame")

// maxControlKept bounds the payload kept of a control frame that breaks
// the 125-byte limit.
const maxControlKept = 4 << 10

// frameKind says what the current frame's payload is for.
type frameKind uint8

const (
	kindSkip    frameKind = iota // not delivered: a reserved opcode
	kindControl                  // kept whole, delivered at its end
	kindData                     // delivered as it streams
)

// side decodes one direction of a flow.
type side struct {
	f         *Flow
	half      int // the index of the side in f.sides: Feed's dir
	dir       Dir // the direction reported
	dec       wire.Decoder
	val       wire.Validator
	utf       wire.UTF8Validator
	z         *inflater // nil when this direction has no permessage-deflate
	now       time.Time
	ended     bool
	closed    bool // a close frame was seen
	partial   bool // the decoder holds part of a header
	roleKnown bool // false for a midstream half until it finds its framing
	flows     [2]*deflate.Flow

	// The current frame.
	kind       frameKind
	raw        [wire.MaxHeaderSize]byte
	rawN       int
	rawPending bool // the frame has had no Data call yet
	ctl        []byte
	skipping   bool // payload bytes that are missing (Gap) are being stepped over

	// The current message.
	inMsg       bool
	msgOp       wire.Opcode
	compressed  bool
	first       bool // the next Data call is the message's first
	textCheck   bool // the message is text still being checked
	zFailed     bool // inflating it failed; the rest is not delivered
	afterResync bool // no data frame seen since a resynchronisation

	dinfo   FrameInfo // of the current data frame
	cinfo   FrameInfo // of the current control frame
	scratch []byte

	// Resynchronisation: looking for the next frame header.
	resyncing bool
	rbuf      []byte
	rfrom     int   // offsets of rbuf before this are rejected
	rskipped  int64 // bytes dropped from rbuf's front
}

func newSide(f *Flow, dir Dir, flows [2]*deflate.Flow) *side {
	s := &side{f: f, half: int(dir), roleKnown: true, flows: flows}
	s.dec.KeepMasked = true // never change the caller's bytes
	s.setDir(dir)
	return s
}

// setDir sets the direction the side decodes: its role and its
// decompressor.
func (s *side) setDir(dir Dir) {
	s.dir = dir
	s.val.Role = receiver(dir)
	s.z, s.val.ExtensionRSV = nil, 0
	if fl := s.flows[dir]; fl != nil {
		s.z = newInflater(*fl)
		s.val.ExtensionRSV = wire.RSV1 // RFC 7692 §6
	}
}

func (s *side) finding(err error, fi *FrameInfo) { s.f.finding(s.dir, s.now, err, fi) }

func (s *side) feed(p []byte, t time.Time) {
	s.now = t
	if s.resyncing {
		p = s.resync(p)
		if p == nil {
			return
		}
	}
	s.decode(p)
}

// decode runs the decoder over p.
func (s *side) decode(p []byte) {
	var ev wire.Event
	for len(p) > 0 {
		n, err := s.dec.Decode(p, &ev)
		p = p[n:]
		if err != nil && !errors.Is(err, wire.ErrNonMinimalLength) {
			s.finding(fmt.Errorf("%w: %w", ErrStreamLost, err), nil)
			s.startResync()
			if p = s.resync(p); p != nil {
				s.decode(p)
			}
			return
		}
		switch ev.Kind {
		case wire.EventNone:
			s.partial = n > 0
		case wire.EventHeader:
			s.partial = false
			s.header(&ev, err)
		case wire.EventPayload:
			s.payload(&ev)
		}
		if s.resyncing { // a header gave up the framing
			return
		}
	}
}

// header starts a frame.
func (s *side) header(ev *wire.Event, lenErr error) {
	h := ev.Header
	s.rawN = copy(s.raw[:], ev.RawHeader)
	fi := &FrameInfo{Opcode: h.Opcode, Header: h, RawHeader: s.raw[:s.rawN], Remaining: ev.Remaining}
	if lenErr != nil {
		s.finding(lenErr, fi)
	}
	if s.closed {
		s.finding(ErrAfterClose, fi)
	}
	// Check the frame, then again with each fault taken away, so that
	// the Validator's message state follows what the flow does with it.
	hv := h
	orphan := false
	for range 5 {
		err := s.val.Check(hv)
		if err == nil {
			break
		}
		switch {
		case errors.Is(err, wire.ErrUnmaskedFrame), errors.Is(err, wire.ErrMaskedFrame):
			s.finding(err, fi) // RFC 6455 §5.1, as the receiving role sees it
			hv.Masked = !hv.Masked
			continue
		case errors.Is(err, wire.ErrNoMessageToContinue):
			if s.afterResync {
				s.finding(ErrPartialMessage, fi)
			} else {
				s.finding(err, fi)
			}
			orphan = true
			s.val.Reset()
			hv.Opcode, hv.RSV = wire.OpBinary, 0
			continue
		case errors.Is(err, wire.ErrReservedOpcode):
			s.finding(err, fi)
			s.kind = kindSkip
			return
		case errors.Is(err, wire.ErrReservedBits):
			s.finding(err, fi)
			if hv.Opcode.IsControl() || hv.Opcode == wire.OpContinuation {
				hv.RSV = 0
			} else {
				hv.RSV &= s.val.ExtensionRSV
			}
			continue
		case errors.Is(err, wire.ErrMessageNotFinished):
			s.finding(err, fi)
			s.abandonMessage()
			s.val.Reset()
			continue
		}
		s.finding(err, fi) // a control frame's rules: it is still one
		break
	}
	if h.Opcode.IsControl() {
		s.kind = kindControl
		s.cinfo = *fi
		s.ctl = s.ctl[:0]
		if ev.Remaining == 0 {
			s.controlEnd()
		}
		return
	}
	s.kind = kindData
	if orphan {
		s.startMessage(wire.OpContinuation, false)
	} else if h.Opcode != wire.OpContinuation {
		s.startMessage(h.Opcode, s.z != nil && h.RSV&wire.RSV1 != 0)
	}
	s.afterResync = false
	fi.Opcode = s.msgOp
	fi.Compressed = s.compressed
	s.dinfo = *fi
	s.rawPending = true
	if ev.Remaining == 0 {
		s.data(nil, 0, true)
	}
}

func (s *side) startMessage(op wire.Opcode, compressed bool) {
	s.inMsg, s.msgOp, s.compressed = true, op, compressed
	s.first, s.zFailed = true, false
	s.textCheck = op == wire.OpText
	s.utf.Reset()
}

// abandonMessage forgets a message that will not be finished.
func (s *side) abandonMessage() {
	if s.inMsg && s.compressed && s.z != nil {
		s.z.abandon()
	}
	s.inMsg = false
}

// payload handles a piece of the current frame's payload.
func (s *side) payload(ev *wire.Event) {
	end := ev.Remaining == 0
	switch s.kind {
	case kindControl:
		if room := maxControlKept - len(s.ctl); room > 0 {
			s.ctl = append(s.ctl, ev.Payload[:min(len(ev.Payload), room)]...)
		}
		if end {
			s.controlEnd()
		}
	case kindData:
		s.data(ev.Payload, ev.Offset, end)
	}
}

// controlEnd delivers the control frame just completed.
func (s *side) controlEnd() {
	fi := &s.cinfo
	fi.Remaining = 0
	fi.First = true
	fi.RawHeader = s.raw[:s.rawN]
	fi.Unmask(s.ctl, 0)
	if fi.Header.Opcode == wire.OpClose {
		code, reason, err := wire.ParseClosePayload(s.ctl)
		if err != nil {
			s.finding(err, fi)
			if len(s.ctl) > 2 {
				reason = string(s.ctl[2:])
			}
		}
		fi.CloseCode, fi.CloseReason = code, reason
		s.closed = true
	}
	s.f.h.Control(s.dir, s.ctl, s.now, fi)
}

// data handles masked, a piece of a data frame's payload at offset off;
// end says it ends the frame.
func (s *side) data(masked []byte, off int64, end bool) {
	fi := &s.dinfo
	fi.Offset = off
	fi.Remaining = s.dec.Remaining()
	fin := end && fi.Header.Fin
	var plain []byte
	if !s.skipping && len(masked) > 0 {
		s.scratch = append(s.scratch[:0], masked...)
		plain = s.scratch
		fi.Unmask(plain, off)
	}
	switch {
	case s.compressed && !s.zFailed && !s.skipping:
		s.z.feed(plain, fin, s.emit, func(err error) {
			s.finding(err, fi)
			s.zFailed = true
		})
		if s.zFailed && fin {
			s.emit(nil, true)
		}
	case s.compressed:
		if fin || (end && s.rawPending) {
			s.emit(nil, fin)
		}
	case s.skipping:
		if fin || (end && s.rawPending) {
			s.emit(nil, fin)
		}
	default:
		s.emit(plain, fin)
	}
	if end && s.rawPending { // a compressed frame that gave no output
		s.emit(nil, false)
	}
	if fin {
		if s.textCheck && !s.zFailed {
			if err := s.utf.Finish(); err != nil {
				s.finding(err, fi)
			}
		}
		s.inMsg = false
	}
}

// emit makes a Data call for the current data frame.
func (s *side) emit(p []byte, eom bool) {
	fi := &s.dinfo
	if s.textCheck && len(p) > 0 {
		if _, err := s.utf.Validate(p); err != nil {
			s.finding(err, fi)
			s.textCheck = false
		}
	}
	fi.First = s.first
	s.first = false
	if s.rawPending {
		fi.RawHeader = s.raw[:s.rawN]
		s.rawPending = false
	} else {
		fi.RawHeader = nil
	}
	s.f.h.Data(s.dir, p, eom, s.now, fi)
}

// end ends the direction.
func (s *side) end(t time.Time) {
	s.now = t
	switch {
	case s.resyncing:
		if n := int64(len(s.rbuf)) + s.rskipped; n > 0 {
			s.finding(fmt.Errorf("%w: %d bytes at the end, no frame header found", ErrResync, n), nil)
		}
	case s.partial:
		s.finding(fmt.Errorf("%w: ended inside a frame header", ErrTruncated), nil)
	case s.dec.Remaining() > 0:
		fi := &s.dinfo
		if s.kind == kindControl {
			fi = &s.cinfo
		}
		s.finding(fmt.Errorf("%w: ended with %d bytes of the frame's payload missing", ErrTruncated, s.dec.Remaining()), fi)
	case s.inMsg:
		s.finding(fmt.Errorf("%w: ended inside a fragmented message", ErrTruncated), &s.dinfo)
	}
	s.abandonMessage()
	if s.z != nil {
		s.z.abandon()
		s.z.d.Release()
	}
	s.ended = true
	s.rbuf = nil
	s.f.h.Control(s.dir, nil, t, nil)
}

// zeros stand in for bytes missing from the capture inside a payload.
var zeros [4096]byte

// gap handles n bytes missing from the capture.
func (s *side) gap(n int64, t time.Time) {
	s.now = t
	rem := s.dec.Remaining()
	if s.resyncing || s.partial || n > rem {
		s.finding(fmt.Errorf("%w: %d bytes, framing lost", ErrGap, n), nil)
		s.startResync()
		return
	}
	fi := &s.dinfo
	if s.kind == kindControl {
		fi = &s.cinfo
	}
	s.finding(fmt.Errorf("%w: %d bytes of a frame's payload", ErrGap, n), fi)
	if s.kind == kindData && s.compressed && !s.zFailed {
		s.z.abandon()
		s.zFailed = true
	}
	if s.kind == kindData {
		s.textCheck = false
	}
	// Step over the hole; the decoder sees zeros, which are not delivered
	// for a data frame and stand in for the missing bytes of a control
	// frame.
	s.skipping = s.kind == kindData
	for n > 0 {
		k := min(n, int64(len(zeros)))
		s.decode(zeros[:k])
		n -= k
	}
	s.skipping = false
}
