package conformance

// lz77 is a small DEFLATE encoder (RFC 1951) whose back-references never
// reach further than a given window, for compressing under a
// client_max_window_bits or server_max_window_bits below 15, which
// compress/flate cannot honour (its window is always 32 KiB). It matches
// greedily through a hash of the next four bytes and writes fixed Huffman
// codes (RFC 1951 §3.2.6). Under context takeover the history, and so the
// reach of references, carries over from one message to the next.
type lz77 struct {
	window  int
	history []byte // up to window bytes sent before the current message
	buf     []byte
	head    []int32 // hash of 4 bytes -> 1 + latest position in buf
	out     []byte
	acc     uint64 // bits not yet in out, least significant first
	nacc    uint
}

const (
	lzHashBits = 15
	lzMinMatch = 4
	lzMaxMatch = 258
)

// Length and distance codes of RFC 1951 §3.2.5: the base of each code and
// its number of extra bits.
var (
	lzLengthBase  = [29]int{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lzLengthExtra = [29]uint{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	lzDistBase    = [30]int{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	lzDistExtra   = [30]uint{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
)

func newLZ77(bits int) *lz77 {
	return &lz77{window: 1 << bits, head: make([]int32, 1<<lzHashBits)}
}

func lzHash(b []byte) uint32 {
	v := uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
	return (v * 0x9E3779B1) >> (32 - lzHashBits)
}

// bits appends the n low bits of v, least significant first.
func (z *lz77) bits(v uint64, n uint) {
	z.acc |= v << z.nacc
	z.nacc += n
	for z.nacc >= 8 {
		z.out = append(z.out, byte(z.acc))
		z.acc >>= 8
		z.nacc -= 8
	}
}

// code appends a Huffman code of n bits, which DEFLATE packs most
// significant bit first.
func (z *lz77) code(c uint32, n uint) {
	var r uint32
	for range n {
		r = r<<1 | c&1
		c >>= 1
	}
	z.bits(uint64(r), n)
}

// symbol appends a literal/length symbol in the fixed code.
func (z *lz77) symbol(s int) {
	switch {
	case s < 144:
		z.code(uint32(0x30+s), 8)
	case s < 256:
		z.code(uint32(0x190+s-144), 9)
	case s < 280:
		z.code(uint32(s-256), 7)
	default:
		z.code(uint32(0xC0+s-280), 8)
	}
}

func (z *lz77) match(length, dist int) {
	i := 0
	for i+1 < len(lzLengthBase) && lzLengthBase[i+1] <= length {
		i++
	}
	z.symbol(257 + i)
	z.bits(uint64(length-lzLengthBase[i]), lzLengthExtra[i])
	j := 0
	for j+1 < len(lzDistBase) && lzDistBase[j+1] <= dist {
		j++
	}
	z.code(uint32(j), 5)
	z.bits(uint64(dist-lzDistBase[j]), lzDistExtra[j])
}

// compress returns msg as one fixed-Huffman block followed by a sync flush
// with its final 00 00 ff ff removed (RFC 7692 §7.2.1), valid until the
// next call. With keep, the message joins the history for the next one.
func (z *lz77) compress(msg []byte, keep bool) []byte {
	z.buf = append(append(z.buf[:0], z.history...), msg...)
	buf := z.buf
	clear(z.head)
	start := len(z.history)
	for i := 0; i+lzMinMatch <= start; i++ {
		z.head[lzHash(buf[i:])] = int32(i + 1)
	}
	z.out, z.acc, z.nacc = z.out[:0], 0, 0
	z.bits(0b010, 3) // BFINAL 0, BTYPE 01: fixed Huffman codes
	for i := start; i < len(buf); {
		if i+lzMinMatch <= len(buf) {
			h := lzHash(buf[i:])
			cand := int(z.head[h]) - 1
			z.head[h] = int32(i + 1)
			if cand >= 0 && i-cand < z.window && i-cand <= 32768 {
				n := 0
				for n < lzMaxMatch && i+n < len(buf) && buf[cand+n] == buf[i+n] {
					n++
				}
				if n >= lzMinMatch {
					z.match(n, i-cand)
					for k := i + 1; k < i+n && k+lzMinMatch <= len(buf); k++ {
						z.head[lzHash(buf[k:])] = int32(k + 1)
					}
					i += n
					continue
				}
			}
		}
		z.symbol(int(buf[i]))
		i++
	}
	z.symbol(256)    // end of block
	z.bits(0b000, 3) // an empty stored block, BFINAL 0 ...
	if z.nacc > 0 {  // ... aligned to a byte ...
		z.bits(0, 8-z.nacc)
	}
	// ... whose LEN and NLEN (00 00 ff ff) the sender strips.
	if keep {
		if len(buf) > z.window {
			buf = buf[len(buf)-z.window:]
		}
		z.history = append(z.history[:0], buf...)
	} else {
		z.history = z.history[:0]
	}
	return z.out
}
