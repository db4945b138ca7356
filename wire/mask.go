package wire

import (
	"encoding/binary"
	"math/bits"
)

// MaskBytes XORs b in place with the masking key (RFC 6455 §5.3), starting
// at byte pos of the key (only pos mod 4 matters), and returns the key
// position for the byte after b. Masking and unmasking are the same
// operation, so a payload that arrives in pieces is unmasked by feeding the
// returned position into the next call:
//
//	pos := 0
//	for _, piece := range pieces {
//		pos = MaskBytes(key, pos, piece)
//	}
//
// It works eight bytes at a time, 32 bytes per loop turn, and allocates
// nothing.
func MaskBytes(key [4]byte, pos int, b []byte) int {
	pos &= 3
	if len(b) >= 8 {
		// Rotate the key so that its first byte lines up with b[0], then
		// repeat it across a 64-bit word. A step of a multiple of 8 bytes
		// leaves the key position unchanged.
		k := bits.RotateLeft32(binary.LittleEndian.Uint32(key[:]), -8*pos)
		w := uint64(k)<<32 | uint64(k)
		for len(b) >= 32 {
			v := b[:32:32]
			binary.LittleEndian.PutUint64(v[0:], binary.LittleEndian.Uint64(v[0:])^w)
			binary.LittleEndian.PutUint64(v[8:], binary.LittleEndian.Uint64(v[8:])^w)
			binary.LittleEndian.PutUint64(v[16:], binary.LittleEndian.Uint64(v[16:])^w)
			binary.LittleEndian.PutUint64(v[24:], binary.LittleEndian.Uint64(v[24:])^w)
			b = b[32:]
		}
		for len(b) >= 8 {
			binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^w)
			b = b[8:]
		}
	}
	for i := range b {
		b[i] ^= key[pos&3]
		pos++
	}
	return pos & 3
}
