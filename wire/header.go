package wire

import (
	"encoding/binary"
	"math"
)

// The three reserved bits of the first header byte (RFC 6455 §5.2), as they
// sit in that byte. Header.RSV holds any combination of them.
const (
	RSV1 byte = 0x40
	RSV2 byte = 0x20
	RSV3 byte = 0x10
)

// MaxHeaderSize is the longest frame header: 2 bytes, an 8-byte extended
// length and a 4-byte masking key.
const MaxHeaderSize = 14

// MaxControlPayload is the largest payload a control frame may carry
// (RFC 6455 §5.5).
const MaxControlPayload = 125

// Header is a frame header (RFC 6455 §5.2).
type Header struct {
	Fin    bool
	RSV    byte // RSV1 | RSV2 | RSV3, as they sit in the first byte
	Opcode Opcode
	Masked bool
	Mask   [4]byte // meaningful only when Masked
	Length int64   // payload length, 0 to 2^63-1
}

// Size returns the number of bytes AppendHeader writes for h.
func (h Header) Size() int {
	n := 2
	switch {
	case h.Length > math.MaxUint16:
		n += 8
	case h.Length > 125:
		n += 2
	}
	if h.Masked {
		n += 4
	}
	return n
}

// AppendHeader appends the wire form of h to dst, with the payload length in
// its minimal encoding. It writes whatever h says, valid or not (an opcode or
// RSV bits no peer should send are written as they are), so that protocol
// tools can produce illegal frames; only the low 4 bits of the opcode and the
// RSV bits are used. A negative Length is written as 0.
func AppendHeader(dst []byte, h Header) []byte {
	b0 := h.RSV&(RSV1|RSV2|RSV3) | byte(h.Opcode)&0x0F
	if h.Fin {
		b0 |= 0x80
	}
	var b1 byte
	if h.Masked {
		b1 = 0x80
	}
	n := max(h.Length, 0)
	switch {
	case n <= 125:
		dst = append(dst, b0, b1|byte(n))
	case n <= math.MaxUint16:
		dst = append(dst, b0, b1|126, byte(n>>8), byte(n))
	default:
		dst = append(dst, b0, b1|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	if h.Masked {
		dst = append(dst, h.Mask[:]...)
	}
	return dst
}

// HeaderSize returns the size of the header that starts in b, which must
// hold at least its first 2 bytes; it returns 0 when b is shorter.
func HeaderSize(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	n := 2
	switch b[1] & 0x7F {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if b[1]&0x80 != 0 {
		n += 4
	}
	return n
}

// ParseHeader parses the frame header at the start of b and returns it with
// its size in bytes. When b holds only part of a header it returns
// ErrNeedMore and a size of 0.
//
// A length that is not in its minimal encoding yields ErrNonMinimalLength
// together with the parsed header and its size, so a passive reader may go
// on; a 64-bit length with the top bit set yields ErrLengthOverflow and a
// size of 0 (RFC 6455 §5.2). ParseHeader checks nothing else: validation
// against a role and state is [Validator]'s job.
func ParseHeader(b []byte) (Header, int, error) {
	n := HeaderSize(b)
	if n == 0 || len(b) < n {
		return Header{}, 0, ErrNeedMore
	}
	h := Header{
		Fin:    b[0]&0x80 != 0,
		RSV:    b[0] & (RSV1 | RSV2 | RSV3),
		Opcode: Opcode(b[0] & 0x0F),
		Masked: b[1]&0x80 != 0,
	}
	var err error
	p := 2
	switch l := b[1] & 0x7F; l {
	case 126:
		h.Length = int64(binary.BigEndian.Uint16(b[2:]))
		p += 2
		if h.Length <= 125 {
			err = ErrNonMinimalLength
		}
	case 127:
		u := binary.BigEndian.Uint64(b[2:])
		if u > math.MaxInt64 {
			return Header{}, 0, ErrLengthOverflow
		}
		h.Length = int64(u)
		p += 8
		if h.Length <= math.MaxUint16 {
			err = ErrNonMinimalLength
		}
	default:
		h.Length = int64(l)
	}
	if h.Masked {
		copy(h.Mask[:], b[p:p+4])
	}
	return h, n, err
}
