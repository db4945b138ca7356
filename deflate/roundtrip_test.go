package deflate_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/wskit/websocket/deflate"
)

// roundTripMessages is a sequence of messages from 0 bytes to 2 MiB, text
// and random, with repeats so that context takeover has something to find.
func roundTripMessages() [][]byte {
	t := func(n int, seed uint64) []byte { return textPayload(n, seed) }
	r := func(n int, seed uint64) []byte { return randomPayload(n, seed) }
	return [][]byte{
		{}, t(1, 1), t(100, 2), t(1000, 3), r(1000, 4), {}, t(1000, 3), t(5000, 5), r(5000, 6),
		t(40_000, 7), r(70_000, 8), t(1000, 3), t(300_000, 9), {}, t(100, 2), t(2<<20, 10), r(1<<20, 11), t(77, 12),
	}
}

// RFC 7692 §7.2.1, §7.2.2: messages compressed in any flow inflate back,
// whatever the pieces the compressor is fed in, the fragments the message is
// sent in, the pieces the payload arrives in and the buffers it is read
// with. Every message but the largest also goes through the window-checking
// test decoder.
func TestRFC7692Section7_2RoundTrip(t *testing.T) {
	msgs := roundTripMessages()
	for _, f := range allFlows() {
		for _, level := range []int{1, 7} {
			if level == 7 && f.WindowBits != 15 {
				continue // below 15 bits the level is not used
			}
			t.Run(fmt.Sprintf("%s/level=%d", flowName(f), level), func(t *testing.T) {
				t.Parallel()
				rng := rand.New(rand.NewPCG(uint64(f.WindowBits), uint64(level)))
				c := deflate.NewCompressor(f, level)
				d := deflate.NewDecompressor(f)
				var hist []byte
				for i, msg := range msgs {
					in, out, wire := chunking(rng.IntN(3)), chunking(rng.IntN(3)), chunking(rng.IntN(3))
					if len(msg) > 10_000 {
						// Byte by byte is for small messages; large ones
						// get random pieces.
						in, out, wire = notSingle(in), notSingle(out), notSingle(wire)
					}
					fragEvery := []int{0, 1, 3}[rng.IntN(3)]
					if in == single {
						fragEvery *= 97
					}
					frames := compressMessage(c, msg, in, rng, fragEvery)
					if rng.IntN(4) == 0 {
						c.Release()
					}
					got, err := decompressMessage(d, frames, wire, out, rng)
					if err != nil {
						t.Fatalf("message %d (%d bytes, fed %v, %d frames, read %v/%v): %v", i, len(msg), in, len(frames), wire, out, err)
					}
					if !bytes.Equal(got, msg) {
						t.Fatalf("message %d (%d bytes): got %d bytes that differ", i, len(msg), len(got))
					}
					if len(msg) <= 300_000 {
						res, err := checkedInflate(withTail(join(frames)), hist, 1<<f.WindowBits)
						if err != nil || !bytes.Equal(res.out, msg) {
							t.Fatalf("message %d: test decoder: %v", i, err)
						}
					}
					if !f.NoContextTakeover {
						hist = append(hist, msg...)
						hist = hist[max(0, len(hist)-(1<<15)):]
					}
				}
			})
		}
	}
}

func notSingle(c chunking) chunking {
	if c == single {
		return randomPieces
	}
	return c
}
