package inspect

import (
	"errors"
	"io"
	"iter"

	"github.com/wskit/websocket/deflate"
)

// inflateChunk is the size of each decompressed piece at most.
const inflateChunk = 16 << 10

// errStopped ends a decompression that was abandoned.
var errStopped = errors.New("websocket inspect: decompression abandoned")

// inflater turns the deflate.Decompressor, which pulls its input from a
// reader, into one that is pushed input as the frames arrive: the
// decompression of each message runs as a coroutine (iter.Pull) that
// suspends when it needs input the capture has not yet given, so no
// compressed or decompressed frame is ever held whole.
type inflater struct {
	d    *deflate.Decompressor
	next func() (inflateStep, bool)
	stop func()

	in   []byte // input given and not yet read
	last bool   // in ends the message
	held []byte // output read but not yet handed out
	bufs [2][]byte
	cur  int
}

// inflateStep is what the coroutine hands back: a piece of output, a
// request for input (need), or the end of the message (end or err).
type inflateStep struct {
	out  []byte
	need bool
	end  bool
	err  error
}

func newInflater(f deflate.Flow) *inflater {
	return &inflater{d: deflate.NewDecompressor(f)}
}

// active reports whether a message is being decompressed.
func (z *inflater) active() bool { return z.next != nil }

// feed gives the next compressed bytes of the current message, starting
// one if none is active; last says they end it. emit receives each piece
// of output, with end set on the message's last one (which may be empty),
// and fail a decompression failure, after which the message's remaining
// input is ignored.
func (z *inflater) feed(p []byte, last bool, emit func(out []byte, end bool), fail func(error)) {
	if z.next == nil {
		z.next, z.stop = iter.Pull(z.run)
	}
	z.in, z.last = p, last
	for {
		s, ok := z.next()
		if !ok {
			z.finish()
			return
		}
		if s.need {
			return
		}
		if len(s.out) > 0 || s.end {
			emit(s.out, s.end)
		}
		if s.err != nil {
			fail(s.err)
		}
		if s.end || s.err != nil {
			z.finish()
			return
		}
	}
}

// abandon ends the current message without its remaining input; with
// context takeover, the history is then lost.
func (z *inflater) abandon() {
	if z.next != nil {
		z.finish()
	}
}

func (z *inflater) finish() {
	z.stop()
	z.next, z.stop = nil, nil
	z.in, z.last, z.held = nil, false, nil
}

// run decompresses one message, on the coroutine.
func (z *inflater) run(yield func(inflateStep) bool) {
	src := &pushReader{z: z, yield: yield}
	z.d.Reset(src)
	for {
		if z.bufs[z.cur] == nil {
			z.bufs[z.cur] = make([]byte, inflateChunk)
		}
		buf := z.bufs[z.cur]
		n, err := z.d.Read(buf)
		if src.stopped {
			return
		}
		if n > 0 {
			// Hold the piece back until it is known whether it is the
			// last, so that the end of the message comes with data.
			if z.held != nil && !yield(inflateStep{out: z.held}) {
				return
			}
			z.held = buf[:n]
			z.cur ^= 1
		}
		switch {
		case err == io.EOF:
			yield(inflateStep{out: z.held, end: true})
			return
		case err != nil:
			yield(inflateStep{out: z.held, err: err})
			return
		}
	}
}

// pushReader is the decompressor's input: the bytes given to feed, and a
// suspension of the coroutine when there are none yet.
type pushReader struct {
	z       *inflater
	yield   func(inflateStep) bool
	stopped bool
}

func (r *pushReader) Read(p []byte) (int, error) {
	z := r.z
	for len(z.in) == 0 {
		if z.last {
			return 0, io.EOF
		}
		if r.stopped {
			return 0, errStopped
		}
		// Hand out what is held before waiting for the next frame, which
		// may come much later.
		if z.held != nil {
			held := z.held
			z.held = nil
			if !r.yield(inflateStep{out: held}) {
				r.stopped = true
				return 0, errStopped
			}
		}
		if !r.yield(inflateStep{need: true}) {
			r.stopped = true
			return 0, errStopped
		}
	}
	n := copy(p, z.in)
	z.in = z.in[n:]
	return n, nil
}
