package deflate

import (
	"compress/flate"
	"errors"
	"io"
	"sync"
)

// Inflater is the push-mode counterpart of [Decompressor]: instead of
// pulling a message's compressed payload from a reader, it is given the
// payload as it arrives ([Inflater.Write], then [Inflater.End] after the
// message's last frame) and hands out what it inflates to
// ([Inflater.Read]). A driver that holds compressed bytes in its own buffer,
// such as an event loop or a passive inspector, needs no goroutine and no
// coroutine to use it.
//
// Memory is bounded by bytes received: it buffers at most
// [InflaterLookahead] plus 16 KiB of compressed input, in a buffer that
// grows only with what Write was given, the working memory of the inflater
// (about 80 KiB) and, for reads under 32 KiB, a 32 KiB output buffer, all
// pooled from the first Write of a message to its end. Between messages, with context takeover, it keeps the last
// 2^WindowBits bytes of output (RFC 7692 §7.1.1); without, nothing.
//
// Inflating only runs on input in hand: while the message has not ended,
// Read inflates only when at least InflaterLookahead bytes are buffered,
// more than any valid DEFLATE data needs to produce its next output. Data
// that does (a long run of empty blocks) fails with [ErrCorrupt]. Other
// failures are those of Decompressor. An Inflater is not safe for
// concurrent use.
type Inflater struct {
	flow  Flow
	hist  history // with context takeover: the output's last window
	st    *inflateState
	ended bool  // End was called for the current message
	err   error // sticky until the next message: ErrCorrupt, or io.EOF at its end
	inMsg bool  // a message has been started (Write or End) and not finished
}

// InflaterLookahead is how many compressed bytes an [Inflater] holds before
// it inflates a message whose end has not arrived. One flush of the
// inflater's 32 KiB window needs at most 15 bits per byte of output plus a
// block header, under 61 KiB.
const InflaterLookahead = 64 << 10

// inflaterSlack is how much input an Inflater accepts beyond the lookahead.
const inflaterSlack = 16 << 10

// errStarved is what the inflater's input returns when the bytes in hand
// run out before the message's end; it never leaves this file.
var errStarved = errors.New("deflate: inflater input exhausted")

// inflateState is the pooled working memory of an Inflater.
type inflateState struct {
	fr       io.ReadCloser // compress/flate reader, a flate.Resetter
	in       pushInput
	ring     history // without context takeover: this message's output
	dict     []byte
	restarts int
	atFinal  bool // the inflater met a final block and waits for more input
	done     bool // the inflater reached the end of the message

	out            []byte // staged output for a Read smaller than flushWindow
	outPos, outEnd int
}

// pushInput is the inflater's source: the buffered payload, then, once the
// message has ended, finalTail (RFC 7692 §7.2.2).
type pushInput struct {
	buf     []byte
	pos     int
	ended   bool
	tailPos int
	total   int64 // payload bytes consumed
}

func (r *pushInput) avail() int { return len(r.buf) - r.pos }

func (r *pushInput) ReadByte() (byte, error) {
	if r.pos < len(r.buf) {
		b := r.buf[r.pos]
		r.pos++
		r.total++
		return b, nil
	}
	if !r.ended {
		return 0, errStarved
	}
	if r.tailPos == len(finalTail) {
		return 0, io.EOF
	}
	b := finalTail[r.tailPos]
	r.tailPos++
	return b, nil
}

func (r *pushInput) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if r.pos < len(r.buf) {
		n := copy(p, r.buf[r.pos:])
		r.pos += n
		r.total += int64(n)
		return n, nil
	}
	if !r.ended {
		return 0, errStarved
	}
	if r.tailPos == len(finalTail) {
		return 0, io.EOF
	}
	n := copy(p, finalTail[r.tailPos:])
	r.tailPos += n
	return n, nil
}

var inflateStatePool sync.Pool

// NewInflater returns an Inflater for the flow f. It allocates no working
// memory until the first message.
func NewInflater(f Flow) *Inflater {
	f.WindowBits = windowBits(f.WindowBits)
	z := &Inflater{flow: f, err: io.EOF}
	if !f.NoContextTakeover {
		z.hist = newHistory(f.WindowBits)
	}
	return z
}

// begin starts a message if none is in progress.
func (z *Inflater) begin() {
	if !z.inMsg {
		z.inMsg, z.ended, z.err = true, false, nil
	}
}

// Free returns how many more bytes Write accepts now; 0 means Read must
// hand out output first.
func (z *Inflater) Free() int {
	if z.ended || z.err != nil && z.inMsg {
		return 0
	}
	if z.st == nil {
		return InflaterLookahead + inflaterSlack
	}
	return max(0, InflaterLookahead+inflaterSlack-z.st.in.avail())
}

// Write adds p, the next bytes of the current message's compressed payload,
// starting a message if none is in progress. It takes at most [Inflater.Free]
// bytes and returns how many it took; it keeps no reference to p.
func (z *Inflater) Write(p []byte) int {
	z.begin()
	n := min(len(p), z.Free())
	if n == 0 {
		return 0
	}
	if z.st == nil {
		z.start()
	}
	in := &z.st.in
	if in.pos > 0 && in.pos == len(in.buf) {
		in.buf, in.pos = in.buf[:0], 0
	} else if in.pos > 0 && len(in.buf)+n > cap(in.buf) {
		in.buf = in.buf[:copy(in.buf, in.buf[in.pos:])]
		in.pos = 0
	}
	in.buf = append(in.buf, p[:n]...)
	return n
}

// End says that the current message's compressed payload is complete,
// starting an (empty) message if none is in progress.
func (z *Inflater) End() {
	z.begin()
	z.ended = true
	if z.st != nil {
		z.st.in.ended = true
	}
}

// Read inflates into p. It returns io.EOF, possibly with n > 0, at the end
// of the message; 0, nil when it needs more input (Write, or End); and the
// failure, which is sticky until the next message, when the data is
// invalid. Between messages it returns 0, io.EOF.
//
// A p of at least 32 KiB is inflated into directly; a smaller one is served
// from an internal buffer of that size, so that no output is ever left
// inside the inflater where the lookahead rule could not see it.
func (z *Inflater) Read(p []byte) (int, error) {
	if z.err != nil {
		return 0, z.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if z.st == nil {
		if !z.ended {
			return 0, nil
		}
		// An empty payload is taken as an empty message, as zlib-based
		// peers do.
		z.finish(io.EOF)
		return 0, io.EOF
	}
	st := z.st
	if st.outPos < st.outEnd {
		return z.handOut(p)
	}
	for {
		if st.atFinal {
			if st.in.avail() == 0 {
				if z.ended {
					z.finish(io.EOF)
					return 0, io.EOF
				}
				return 0, nil
			}
			if !st.restart(z.history()) {
				return 0, z.fail(ErrCorrupt)
			}
			st.atFinal = false
		}
		if !z.ended && st.in.avail() < InflaterLookahead {
			return 0, nil
		}
		dst := p
		staged := len(p) < flushWindow
		if staged {
			if st.out == nil {
				st.out = make([]byte, flushWindow)
			}
			dst = st.out
		}
		n, err := st.fr.Read(dst)
		if n > 0 {
			z.history().write(dst[:n])
		}
		switch {
		case err == nil:
		case err == io.EOF && st.in.tailPos > 0:
			// The inflater read into finalTail: the payload is used up.
			st.done = true
		case err == io.EOF:
			st.atFinal = true // the peer's final block; more may follow
		default:
			return 0, z.fail(ErrCorrupt)
		}
		if n == 0 {
			if st.done {
				z.finish(io.EOF)
				return 0, io.EOF
			}
			continue
		}
		if staged {
			st.outPos, st.outEnd = 0, n
			return z.handOut(p)
		}
		if st.done {
			z.finish(io.EOF)
			return n, io.EOF
		}
		return n, nil
	}
}

// flushWindow is the most output compress/flate hands out from one step:
// its 32 KiB window.
const flushWindow = 32 << 10

// handOut copies staged output into p, ending the message after the last
// of it when the payload is used up.
func (z *Inflater) handOut(p []byte) (int, error) {
	st := z.st
	n := copy(p, st.out[st.outPos:st.outEnd])
	st.outPos += n
	if st.outPos == st.outEnd && st.done {
		z.finish(io.EOF)
		return n, io.EOF
	}
	return n, nil
}

// Release abandons the current message, if any, and returns its working
// memory to the pool; with context takeover the history is then lost, and a
// later message that refers to it fails with ErrCorrupt.
func (z *Inflater) Release() {
	if z.inMsg && z.err == nil {
		z.hist.reset()
	}
	z.finish(io.EOF)
}

func (z *Inflater) history() *history {
	if z.flow.NoContextTakeover {
		return &z.st.ring
	}
	return &z.hist
}

func (z *Inflater) start() {
	st, _ := inflateStatePool.Get().(*inflateState)
	if st == nil {
		st = &inflateState{ring: newHistory(MaxWindowBits)}
		st.fr = flate.NewReader(&st.in)
	}
	st.in = pushInput{buf: st.in.buf[:0], ended: z.ended}
	st.ring.reset()
	st.restarts, st.atFinal, st.done = 0, false, false
	st.outPos, st.outEnd = 0, 0
	var dict []byte
	if z.hist.len() > 0 {
		st.dict = z.hist.appendTo(st.dict[:0])
		dict = st.dict
	}
	_ = st.fr.(flate.Resetter).Reset(&st.in, dict) // never fails
	z.st = st
}

// finish ends the current message with err and returns the working memory.
func (z *Inflater) finish(err error) {
	if st := z.st; st != nil {
		if cap(st.in.buf) > InflaterLookahead+inflaterSlack {
			st.in.buf = nil
		}
		st.in.buf = st.in.buf[:0]
		inflateStatePool.Put(st)
		z.st = nil
	}
	z.inMsg, z.ended, z.err = false, false, err
}

// fail ends the current message with err; the connection is to be failed,
// so the history goes too.
func (z *Inflater) fail(err error) error {
	z.finish(err)
	z.hist.free()
	return err
}

// restart starts the inflater again after a final block within a message
// (RFC 7692 §7.2.3.4), with the output so far as history, within the budget
// of minBytesPerFinalBlock.
func (st *inflateState) restart(h *history) bool {
	st.restarts++
	if st.restarts > 4 && st.in.total < int64(st.restarts)*minBytesPerFinalBlock {
		return false
	}
	st.dict = h.appendTo(st.dict[:0])
	_ = st.fr.(flate.Resetter).Reset(&st.in, st.dict)
	return true
}
