package inspect

import (
	"io"

	"github.com/wskit/websocket/deflate"
)

// inflateChunk is the size of each decompressed piece at most: the
// inflater's window, so that it inflates straight into the piece.
const inflateChunk = 32 << 10

// inflater decompresses one direction's messages as the frames arrive,
// with the push-mode deflate.Inflater: the compressed bytes of each frame
// are written in and what they inflate to is handed out, so no compressed
// or decompressed message is ever held whole and nothing runs as a
// coroutine.
type inflater struct {
	d    *deflate.Inflater
	on   bool   // a message is being decompressed
	held []byte // output read but not yet handed out
	bufs [2][]byte
	cur  int
}

func newInflater(f deflate.Flow) *inflater {
	return &inflater{d: deflate.NewInflater(f)}
}

// active reports whether a message is being decompressed.
func (z *inflater) active() bool { return z.on }

// feed gives the next compressed bytes of the current message, starting
// one if none is active; last says they end it. emit receives each piece
// of output, with end set on the message's last one (which may be empty),
// and fail a decompression failure, after which the message's remaining
// input is ignored.
func (z *inflater) feed(p []byte, last bool, emit func(out []byte, end bool), fail func(error)) {
	z.on = true
	for {
		n := z.d.Write(p)
		p = p[n:]
		if last && len(p) == 0 {
			z.d.End()
		}
		for {
			if z.bufs[z.cur] == nil {
				z.bufs[z.cur] = make([]byte, inflateChunk)
			}
			buf := z.bufs[z.cur]
			k, err := z.d.Read(buf)
			if k > 0 {
				// Hold the piece back until it is known whether it is the
				// last, so that the end of the message comes with data.
				if z.held != nil {
					emit(z.held, false)
				}
				z.held = buf[:k]
				z.cur ^= 1
			}
			switch {
			case err == io.EOF:
				emit(z.held, true)
				z.finish()
				return
			case err != nil:
				if len(z.held) > 0 {
					emit(z.held, false)
				}
				fail(err)
				z.finish()
				return
			case k == 0:
				// The inflater wants more input.
			default:
				continue
			}
			break
		}
		if len(p) == 0 {
			// Hand out what is held before waiting for the next frame,
			// which may come much later.
			if z.held != nil {
				emit(z.held, false)
				z.held = nil
			}
			return
		}
	}
}

// abandon ends the current message without its remaining input; with
// context takeover, the history is then lost.
func (z *inflater) abandon() {
	if z.on {
		z.d.Release()
		z.finish()
	}
}

func (z *inflater) finish() {
	z.on, z.held = false, nil
}
