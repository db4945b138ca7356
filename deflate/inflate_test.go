package deflate_test

import (
	"errors"
	"fmt"
)

// This file is a small DEFLATE decoder (RFC 1951) written for the tests
// only, independent of any flate package and slow on purpose: it decodes
// bit by bit and records every back-reference, so that a test can check
// that a compressor never refers further back than the window the peer
// allowed (RFC 7692 §7.1.2). A decoder with a 32 KiB window, like every
// flate package, would accept such a reference silently.

// inflateResult is what checkedInflate found in a stream.
type inflateResult struct {
	out     []byte // the decoded bytes, history excluded
	maxDist int    // the farthest back-reference, 0 if none
	refs    int    // the number of back-references
}

var errTooFar = errors.New("back-reference beyond the window")

// checkedInflate decodes stream, a run of DEFLATE blocks that ends at a
// block boundary on the last byte (as a sync flush or final block does),
// after the history hist. It fails when a back-reference reaches further
// than window bytes or than the data available.
func checkedInflate(stream, hist []byte, window int) (inflateResult, error) {
	d := &bitDecoder{in: stream}
	buf := append([]byte(nil), hist...)
	var res inflateResult
	for {
		if d.pos == len(d.in) && d.nbits == 0 {
			break
		}
		if d.pos == len(d.in) && d.bitsLeftAreZeroPadding() {
			break
		}
		final, err := d.bits(1)
		if err != nil {
			return res, err
		}
		typ, err := d.bits(2)
		if err != nil {
			return res, err
		}
		switch typ {
		case 0:
			buf, err = d.stored(buf)
		case 1:
			buf, err = d.huffmanBlock(buf, &fixedLit, &fixedDist, window, len(hist), &res)
		case 2:
			var lit, dist huffman
			if lit, dist, err = d.dynamicTables(); err == nil {
				buf, err = d.huffmanBlock(buf, &lit, &dist, window, len(hist), &res)
			}
		default:
			err = errors.New("reserved block type")
		}
		if err != nil {
			return res, err
		}
		if final == 1 {
			break
		}
	}
	res.out = buf[len(hist):]
	return res, nil
}

// bitDecoder reads bits least significant first (RFC 1951 §3.1.1).
type bitDecoder struct {
	in    []byte
	pos   int
	bitv  uint32
	nbits uint
}

var errShort = errors.New("stream ends inside a block")

func (d *bitDecoder) bits(n uint) (uint32, error) {
	for d.nbits < n {
		if d.pos == len(d.in) {
			return 0, errShort
		}
		d.bitv |= uint32(d.in[d.pos]) << d.nbits
		d.pos++
		d.nbits += 8
	}
	v := d.bitv & (1<<n - 1)
	d.bitv >>= n
	d.nbits -= n
	return v, nil
}

func (d *bitDecoder) bitsLeftAreZeroPadding() bool { return d.nbits < 8 && d.bitv == 0 }

// stored copies a stored block (RFC 1951 §3.2.4).
func (d *bitDecoder) stored(buf []byte) ([]byte, error) {
	d.bitv, d.nbits = 0, 0 // skip to the byte boundary
	if len(d.in)-d.pos < 4 {
		return buf, errShort
	}
	n := int(d.in[d.pos]) | int(d.in[d.pos+1])<<8
	nn := int(d.in[d.pos+2]) | int(d.in[d.pos+3])<<8
	if n != ^nn&0xffff {
		return buf, errors.New("stored block LEN and NLEN disagree")
	}
	d.pos += 4
	if len(d.in)-d.pos < n {
		return buf, errShort
	}
	buf = append(buf, d.in[d.pos:d.pos+n]...)
	d.pos += n
	return buf, nil
}

// huffman is a canonical Huffman code: how many codes of each length, and
// the symbols in code order (RFC 1951 §3.2.2).
type huffman struct {
	count  [16]int
	symbol []int
}

func newHuffman(lengths []int) (huffman, error) {
	var h huffman
	for _, l := range lengths {
		h.count[l]++
	}
	left := 1
	for l := 1; l < 16; l++ {
		left = left<<1 - h.count[l]
		if left < 0 {
			return h, errors.New("over-subscribed code")
		}
	}
	var offs [16]int
	for l := 1; l < 15; l++ {
		offs[l+1] = offs[l] + h.count[l]
	}
	h.symbol = make([]int, len(lengths))
	for sym, l := range lengths {
		if l != 0 {
			h.symbol[offs[l]] = sym
			offs[l]++
		}
	}
	h.count[0] = 0
	return h, nil
}

// decode reads one symbol, a bit at a time: codes of each length are
// consecutive integers, the first of a length following the last of the
// shorter one shifted left.
func (d *bitDecoder) decode(h *huffman) (int, error) {
	code, first, index := 0, 0, 0
	for l := 1; l < 16; l++ {
		b, err := d.bits(1)
		if err != nil {
			return 0, err
		}
		code |= int(b)
		count := h.count[l]
		if code-first < count {
			return h.symbol[index+code-first], nil
		}
		index += count
		first = (first + count) << 1
		code <<= 1
	}
	return 0, errors.New("invalid code")
}

var (
	lengthBase  = [...]int{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [...]uint{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [...]int{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [...]uint{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}

	fixedLit, fixedDist = fixedCodes()
)

// fixedCodes returns the codes of RFC 1951 §3.2.6.
func fixedCodes() (huffman, huffman) {
	lit := make([]int, 288)
	for i := range lit {
		switch {
		case i < 144:
			lit[i] = 8
		case i < 256:
			lit[i] = 9
		case i < 280:
			lit[i] = 7
		default:
			lit[i] = 8
		}
	}
	dist := make([]int, 30)
	for i := range dist {
		dist[i] = 5
	}
	l, _ := newHuffman(lit)
	d, _ := newHuffman(dist)
	return l, d
}

// dynamicTables reads the code definitions of a dynamic block (RFC 1951
// §3.2.7).
func (d *bitDecoder) dynamicTables() (lit, dist huffman, err error) {
	hlit, err := d.bits(5)
	if err != nil {
		return
	}
	hdist, err := d.bits(5)
	if err != nil {
		return
	}
	hclen, err := d.bits(4)
	if err != nil {
		return
	}
	nlit, ndist := int(hlit)+257, int(hdist)+1
	if nlit > 286 || ndist > 30 {
		return lit, dist, errors.New("too many codes")
	}
	order := [...]int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
	clen := make([]int, 19)
	for i := 0; i < int(hclen)+4; i++ {
		v, err := d.bits(3)
		if err != nil {
			return lit, dist, err
		}
		clen[order[i]] = int(v)
	}
	lencode, err := newHuffman(clen)
	if err != nil {
		return
	}
	lengths := make([]int, 0, nlit+ndist)
	for len(lengths) < nlit+ndist {
		sym, err := d.decode(&lencode)
		if err != nil {
			return lit, dist, err
		}
		if sym < 16 {
			lengths = append(lengths, sym)
			continue
		}
		val, rep := 0, uint32(0)
		switch sym {
		case 16:
			if len(lengths) == 0 {
				return lit, dist, errors.New("repeat with no previous length")
			}
			val = lengths[len(lengths)-1]
			rep, err = d.bits(2)
			rep += 3
		case 17:
			rep, err = d.bits(3)
			rep += 3
		default:
			rep, err = d.bits(7)
			rep += 11
		}
		if err != nil {
			return lit, dist, err
		}
		for ; rep > 0; rep-- {
			lengths = append(lengths, val)
		}
	}
	if len(lengths) > nlit+ndist {
		return lit, dist, errors.New("code lengths overflow")
	}
	if lit, err = newHuffman(lengths[:nlit]); err != nil {
		return
	}
	dist, err = newHuffman(lengths[nlit:])
	return
}

// huffmanBlock decodes the symbols of a compressed block, checking every
// distance against window and against the data before it.
func (d *bitDecoder) huffmanBlock(buf []byte, lit, dist *huffman, window, histLen int, res *inflateResult) ([]byte, error) {
	for {
		sym, err := d.decode(lit)
		if err != nil {
			return buf, err
		}
		switch {
		case sym < 256:
			buf = append(buf, byte(sym))
			continue
		case sym == 256:
			return buf, nil
		case sym > 285:
			return buf, errors.New("invalid length symbol")
		}
		sym -= 257
		extra, err := d.bits(lengthExtra[sym])
		if err != nil {
			return buf, err
		}
		length := lengthBase[sym] + int(extra)
		dsym, err := d.decode(dist)
		if err != nil {
			return buf, err
		}
		if dsym > 29 {
			return buf, errors.New("invalid distance symbol")
		}
		dextra, err := d.bits(distExtra[dsym])
		if err != nil {
			return buf, err
		}
		distance := distBase[dsym] + int(dextra)
		res.refs++
		res.maxDist = max(res.maxDist, distance)
		if distance > window {
			return buf, fmt.Errorf("%w: distance %d, window %d", errTooFar, distance, window)
		}
		if distance > len(buf) {
			return buf, fmt.Errorf("distance %d with %d bytes of data", distance, len(buf))
		}
		for i := 0; i < length; i++ {
			buf = append(buf, buf[len(buf)-distance])
		}
	}
}
