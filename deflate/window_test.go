package deflate_test

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"testing"

	"github.com/wskit/websocket/deflate"
)

// The test decoder does fail on a reference beyond the window: compress/flate
// uses a 32 KiB window and finds the repeat 3000 bytes back.
func TestCheckedInflateCatchesFarReference(t *testing.T) {
	r := randomPayload(3000, 1)
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, 6)
	w.Write(append(bytes.Clone(r), r...))
	w.Flush()
	if _, err := checkedInflate(buf.Bytes(), nil, 2048); !errors.Is(err, errTooFar) {
		t.Fatalf("window 2048: %v, want errTooFar", err)
	}
	res, err := checkedInflate(buf.Bytes(), nil, 1<<15)
	if err != nil || res.maxDist != 3000 || !bytes.Equal(res.out[3000:], r) {
		t.Fatalf("window 32768: max distance %d, %v", res.maxDist, err)
	}
}

// RFC 7692 §7.1.2.1, §7.1.2.2: the compressor never refers further back than
// 2^WindowBits bytes, whatever the data tempts it with, within a message, across
// messages with context takeover, and after Release, at every level. A test
// decoder that enforces the window checks every distance.
func TestRFC7692Section7_1_2WindowNeverExceeded(t *testing.T) {
	for _, f := range allFlows() {
		levels := []int{0}
		if f.WindowBits == 15 {
			levels = []int{1, 2, 3, 4, 5, 6, 7, 8, 9}
		}
		for _, level := range levels {
			t.Run(fmt.Sprintf("%s/level=%d", flowName(f), level), func(t *testing.T) {
				t.Parallel()
				checkWindow(t, f, level)
			})
		}
	}
}

func checkWindow(t *testing.T, f deflate.Flow, level int) {
	w := 1 << f.WindowBits
	c := deflate.NewCompressor(f, level)
	var hist []byte // what the peer has seen, with context takeover
	send := func(name string, msg []byte, release bool) inflateResult {
		t.Helper()
		out := c.Finish(c.Compress(nil, msg))
		if release {
			c.Release()
		}
		res, err := checkedInflate(withTail(out), hist, w)
		if err != nil {
			t.Fatalf("%s (%d bytes): %v", name, len(msg), err)
		}
		if !bytes.Equal(res.out, msg) {
			t.Fatalf("%s: wrong data", name)
		}
		if res.maxDist > w {
			t.Fatalf("%s: distance %d", name, res.maxDist)
		}
		if !f.NoContextTakeover {
			hist = append(hist, msg...)
		}
		return res
	}
	// A repeat just beyond the window, within one message.
	for _, extra := range []int{1, 3, 100, w / 2} {
		r := randomPayload(w+extra, uint64(extra))
		send(fmt.Sprintf("repeat at %d+%d", w, extra), append(bytes.Clone(r), r...), false)
	}
	// A repeat inside the window is found, so the matcher does work. (Text:
	// on random data the fast matchers skip ahead and may miss it.)
	r := textPayload(w-40, 2)
	if res := send("repeat inside", append(bytes.Clone(r), r...), false); res.refs == 0 || res.maxDist < w/2 {
		t.Errorf("repeat %d bytes back inside a window of %d: %d references, farthest %d", len(r), w, res.refs, res.maxDist)
	}
	// Repeats across messages, from just inside to just beyond the window.
	for _, n := range []int{w - 40, w + 1, w + 50, 3 * w} {
		r := randomPayload(n, uint64(n))
		send(fmt.Sprintf("message of %d", n), r, false)
		send(fmt.Sprintf("same message of %d", n), r, false)
		send(fmt.Sprintf("same message of %d after release", n), r, true)
		send(fmt.Sprintf("again message of %d", n), r, false)
	}
	// Text, many small messages then a large one.
	for i := range 30 {
		send(fmt.Sprintf("small %d", i), textPayload(50+i*37, uint64(i)), i%7 == 0)
	}
	send("large text", textPayload(200_000, 9), false)
	send("large random", randomPayload(100_000, 9), false)
}
