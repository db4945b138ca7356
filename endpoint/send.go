package endpoint

import (
	"math/rand/v2"
	"unicode/utf8"

	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/wire"
)

// DefaultThreshold is the message size below which a whole message is sent
// uncompressed when Options.Threshold is 0.
const DefaultThreshold = 128

// sendState is the sending side, owned by one sender at a time.
type sendState struct {
	deflate    bool                // permessage-deflate was agreed
	comp       *deflate.Compressor // made at the first message compressed
	compFlow   deflate.Flow
	off        bool // compression turned off by the application
	inMsg      bool // a fragmented message is being sent
	compressed bool // it goes through the compressor
	text       bool
	utf8       wire.UTF8Validator
	zbuf       []byte
	rng        *rand.ChaCha8
}

// sender returns the sending side's state, made on first use.
func (e *Endpoint) sender() *sendState {
	if e.s == nil {
		e.s = &sendState{}
		if a := e.o.Deflate; a != nil {
			e.s.deflate, e.s.compFlow = true, a.Compress
		}
	}
	return e.s
}

// SetCompression turns compression of the messages sent on or off from the
// next message on, when permessage-deflate was agreed.
func (e *Endpoint) SetCompression(on bool) { e.sender().off = !on }

// compressing reports whether a message of n bytes is to be compressed.
func (e *Endpoint) compressing(n int) bool {
	if e.o.Deflate == nil || e.sender().off {
		return false
	}
	t := int(e.o.Threshold)
	if t == 0 {
		t = DefaultThreshold
	}
	if n < t {
		return false
	}
	e.compressor()
	return true
}

// compressor makes the compressor on first use.
func (e *Endpoint) compressor() {
	if e.s.comp == nil {
		e.s.comp = deflate.NewCompressor(e.s.compFlow, int(e.o.Level))
	}
}

// AppendMessage appends p as one whole message of type op (OpText or
// OpBinary) in a single frame to dst and returns the extended slice:
// compressed when permessage-deflate is on and p is at least the
// threshold, masked for a client. A text message must be UTF-8. After a
// close frame it returns ErrClosing and dst unchanged.
func (e *Endpoint) AppendMessage(dst []byte, op wire.Opcode, p []byte) ([]byte, error) {
	if err := e.canSend(op, p); err != nil {
		return dst, err
	}
	if e.s != nil && e.s.inMsg {
		return dst, ErrMessageInProgress
	}
	h := wire.Header{Fin: true, Opcode: op}
	if e.compressing(len(p)) {
		z := e.s.comp.Finish(e.s.comp.Compress(e.s.zbuf[:0], p))
		h.RSV = wire.RSV1
		dst = e.appendData(dst, h, z)
		e.keepZ(z)
		return dst, nil
	}
	return e.appendData(dst, h, p), nil
}

// AppendFragment appends the next frame of a message sent in fragments
// (RFC 6455 §5.4); the caller decides where fragments end. op is the
// message type on the first fragment, and OpContinuation after; fin ends
// the message. With compression the message goes through the compressor
// as a whole: RSV1 on the first frame only (RFC 7692 §6.1), each fragment
// ending on a sync flush. A text message is checked as UTF-8 across
// fragments; a final fragment that ends inside a character returns
// ErrInvalidUTF8 and nothing is appended.
func (e *Endpoint) AppendFragment(dst []byte, op wire.Opcode, p []byte, fin bool) ([]byte, error) {
	s := e.sender()
	first := !s.inMsg
	switch {
	case first && op == wire.OpContinuation, !first && op != wire.OpContinuation:
		return dst, ErrMessageInProgress
	case first && op != wire.OpText && op != wire.OpBinary:
		return dst, wire.ErrReservedOpcode
	case e.CloseSent():
		return dst, ErrClosing
	}
	if first {
		s.text = op == wire.OpText
		s.compressed = s.deflate && !s.off
		if s.compressed {
			e.compressor()
		}
		s.utf8.Reset()
	}
	if s.text {
		if _, err := s.utf8.Validate(p); err != nil {
			return dst, ErrInvalidUTF8
		}
		if fin {
			if err := s.utf8.Finish(); err != nil {
				return dst, ErrInvalidUTF8
			}
		}
	}
	s.inMsg = !fin
	h := wire.Header{Fin: fin, Opcode: op}
	if !s.compressed {
		return e.appendData(dst, h, p), nil
	}
	if first {
		h.RSV = wire.RSV1
	}
	z := s.comp.Compress(s.zbuf[:0], p)
	if fin {
		z = s.comp.Finish(z)
	} else {
		z = s.comp.Flush(z)
	}
	dst = e.appendData(dst, h, z)
	e.keepZ(z)
	return dst, nil
}

// canSend checks a whole message before it is sent.
func (e *Endpoint) canSend(op wire.Opcode, p []byte) error {
	switch {
	case op != wire.OpText && op != wire.OpBinary:
		return wire.ErrReservedOpcode
	case op == wire.OpText && !utf8.Valid(p):
		return ErrInvalidUTF8
	case e.CloseSent():
		return ErrClosing
	}
	return nil
}

// appendData appends one data frame, masked with a fresh key for a client.
func (e *Endpoint) appendData(dst []byte, h wire.Header, p []byte) []byte {
	if e.o.Role == wire.RoleClient {
		h.Masked, h.Mask = true, e.maskKey(&e.sender().rng)
	}
	return wire.AppendFrame(dst, h, p)
}

// keepZ keeps a reasonably sized compression buffer for the next message.
func (e *Endpoint) keepZ(z []byte) {
	if cap(z) <= 64<<10 {
		e.s.zbuf = z[:0]
	} else {
		e.s.zbuf = nil
	}
}

// ReleaseCompressor gives an idle compressor's working memory back to its
// pool (see deflate.Compressor.Release); the sending side's owner calls it
// between messages.
func (e *Endpoint) ReleaseCompressor() {
	if e.s != nil && e.s.comp != nil && !e.s.inMsg {
		e.s.comp.Release()
	}
}

// DropSendBuffer forgets the buffer kept for compressing the next message
// (up to 64 KiB), for a driver whose idle connections hold no buffer; the
// next compressed message makes another.
func (e *Endpoint) DropSendBuffer() {
	if e.s != nil {
		e.s.zbuf = nil
	}
}
