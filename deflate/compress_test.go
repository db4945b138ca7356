package deflate_test

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/wskit/websocket/deflate"
)

// allFlows lists every flow: context takeover on and off, windows 8 to 15.
func allFlows() []deflate.Flow {
	var fs []deflate.Flow
	for _, nct := range []bool{false, true} {
		for bits := 8; bits <= 15; bits++ {
			fs = append(fs, deflate.Flow{NoContextTakeover: nct, WindowBits: bits})
		}
	}
	return fs
}

func flowName(f deflate.Flow) string {
	bits := f.WindowBits
	if bits == 0 {
		bits = 15
	}
	if f.NoContextTakeover {
		return fmt.Sprintf("no-takeover/bits=%d", bits)
	}
	return fmt.Sprintf("takeover/bits=%d", bits)
}

// RFC 7692 §7.2.1, §7.2.3.6: an empty message compresses to the single byte
// 0x00, never to an empty payload, at every level and in every flow, first
// or after other messages.
func TestRFC7692Section7_2_1EmptyMessage(t *testing.T) {
	for _, f := range allFlows() {
		for _, level := range []int{0, 1, 6, 7, 9} {
			c := deflate.NewCompressor(f, level)
			for i, m := range []string{"", "", "some text to keep in the window", "", "x", ""} {
				out := c.Finish(c.Compress(nil, []byte(m)))
				if m == "" && !bytes.Equal(out, []byte{0}) {
					t.Fatalf("%s level %d message %d: empty message compressed to % x", flowName(f), level, i, out)
				}
			}
			if out := c.Finish(nil); !bytes.Equal(out, []byte{0}) {
				t.Fatalf("%s level %d: Finish alone gave % x", flowName(f), level, out)
			}
		}
	}
}

// RFC 7692 §7.2.1: the payload is the DEFLATE data with the final 00 00 ff
// ff of a sync flush removed; putting it back gives a stream any inflater
// reads.
func TestRFC7692Section7_2_1TailRemoved(t *testing.T) {
	c := deflate.NewCompressor(deflate.Flow{}, 0)
	var flushed []byte
	c.Compress(nil, []byte("Hello"))
	flushed = c.Flush(flushed)
	if !bytes.HasSuffix(flushed, []byte{0, 0, 0xff, 0xff}) {
		t.Fatalf("Flush gave % x, want a sync flush ending in 00 00 ff ff", flushed)
	}
	last := c.Finish(nil)
	payload := append(flushed, last...)
	got, err := io.ReadAll(flate.NewReader(bytes.NewReader(withTail(payload))))
	if !errors.Is(err, io.ErrUnexpectedEOF) || string(got) != "Hello" {
		t.Fatalf("inflating % x + tail = %q, %v", payload, got, err)
	}
	if !bytes.Equal(last, []byte{0}) {
		t.Errorf("Finish after Flush with no new input = % x, want 00", last)
	}
}

// RFC 7692 §7.2.1, §7.2.3.5: a message sent in fragments is one DEFLATE
// stream with sync flushes inside; only the end of the last fragment loses
// its 00 00 ff ff.
func TestRFC7692Section7_2_1Fragments(t *testing.T) {
	msg := textPayload(50_000, 1)
	for _, f := range allFlows() {
		c := deflate.NewCompressor(f, 0)
		frames := [][]byte{c.Flush(nil)} // a fragment before any input
		for i := 0; i < len(msg); i += 7000 {
			frames = append(frames, c.Flush(c.Compress(nil, msg[i:min(i+7000, len(msg))])))
		}
		frames = append(frames, c.Finish(nil))
		for i, fr := range frames[:len(frames)-1] {
			if !bytes.HasSuffix(fr, []byte{0, 0, 0xff, 0xff}) {
				t.Fatalf("%s: fragment %d does not end with a sync flush: % x", flowName(f), i, fr[max(0, len(fr)-8):])
			}
		}
		res, err := checkedInflate(withTail(join(frames)), nil, 1<<f.WindowBits)
		if err != nil || !bytes.Equal(res.out, msg) {
			t.Fatalf("%s: inflating the fragments: %v (%d bytes)", flowName(f), err, len(res.out))
		}
	}
}

// The Compressor appends to the caller's slice and keeps what is there.
func TestCompressorAppends(t *testing.T) {
	c := deflate.NewCompressor(deflate.Flow{}, 0)
	out := c.Compress([]byte("HDR"), textPayload(100_000, 2))
	out = c.Flush(out)
	out = c.Finish(out)
	if !bytes.HasPrefix(out, []byte("HDR")) {
		t.Fatalf("prefix lost: % x", out[:8])
	}
	res, err := checkedInflate(withTail(out[3:]), nil, 1<<15)
	if err != nil || !bytes.Equal(res.out, textPayload(100_000, 2)) {
		t.Fatalf("inflate: %v", err)
	}
}

// RFC 7692 §7.1.1: with context takeover a message may refer to earlier
// ones, so a repeated message shrinks; without, each message compresses on
// its own, to the same bytes every time.
func TestRFC7692Section7_1_1ContextTakeover(t *testing.T) {
	msg := textPayload(2000, 3)
	for _, f := range allFlows() {
		for _, level := range []int{1, 5, 9} {
			c := deflate.NewCompressor(f, level)
			first := c.Finish(c.Compress(nil, msg))
			second := c.Finish(c.Compress(nil, msg))
			if f.NoContextTakeover {
				if !bytes.Equal(first, second) {
					t.Errorf("%s level %d: the same message compressed differently: %d then %d bytes", flowName(f), level, len(first), len(second))
				}
				continue
			}
			if f.WindowBits >= 11 && len(second) > len(first)/4 {
				t.Errorf("%s level %d: repeated message %d bytes after %d; context not used", flowName(f), level, len(second), len(first))
			}
			res, err := checkedInflate(withTail(second), msg, 1<<f.WindowBits)
			if err != nil || !bytes.Equal(res.out, msg) {
				t.Errorf("%s level %d: second message: %v", flowName(f), level, err)
			}
		}
	}
}

// Release gives the working memory back between messages; with context
// takeover the next message still refers to the earlier ones.
func TestCompressorRelease(t *testing.T) {
	msg := textPayload(3000, 4)
	for _, f := range allFlows() {
		c := deflate.NewCompressor(f, 0)
		d := deflate.NewDecompressor(f)
		c.Release() // before any message: nothing to do
		var sizes []int
		for i := range 4 {
			out := c.Compress(nil, msg[:1000])
			c.Release() // during a message: does nothing
			out = c.Finish(c.Compress(out, msg[1000:]))
			c.Release()
			c.Release()
			sizes = append(sizes, len(out))
			got, err := decompressMessage(d, [][]byte{out}, whole, whole, nil)
			if err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("%s message %d after Release: %v", flowName(f), i, err)
			}
		}
		if !f.NoContextTakeover && f.WindowBits >= 12 && sizes[3] > sizes[0]/4 {
			t.Errorf("%s: sizes %v; the history was not carried over Release", flowName(f), sizes)
		}
	}
}

// Levels outside 1..9 are taken as the nearest one; 0 is the default.
func TestCompressorLevels(t *testing.T) {
	msg := textPayload(20_000, 5)
	for _, level := range []int{-100, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100} {
		c := deflate.NewCompressor(deflate.Flow{}, level)
		out := c.Finish(c.Compress(nil, msg))
		res, err := checkedInflate(withTail(out), nil, 1<<15)
		if err != nil || !bytes.Equal(res.out, msg) {
			t.Fatalf("level %d: %v", level, err)
		}
		if len(out) > len(msg)/3 {
			t.Errorf("level %d: %d bytes from %d", level, len(out), len(msg))
		}
	}
}

// Compressors and decompressors on many goroutines share the pools safely
// (run with -race).
func TestConcurrentUse(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := deflate.Flow{NoContextTakeover: g%2 == 0, WindowBits: 8 + g%8}
			c, d := deflate.NewCompressor(f, 1+g%9), deflate.NewDecompressor(f)
			for i := range 20 {
				msg := textPayload(100+i*300, uint64(g*100+i))
				got, err := decompressMessage(d, [][]byte{c.Finish(c.Compress(nil, msg))}, whole, whole, nil)
				if err != nil || !bytes.Equal(got, msg) {
					errs <- fmt.Errorf("goroutine %d message %d: %v", g, i, err)
					return
				}
				if i%5 == 0 {
					c.Release()
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// Working memory goes from one Compressor to another through a pool, so the
// first message of a new Compressor compresses to the same bytes whatever
// was compressed before: no history of another connection leaks into it.
func TestCompressorPooledStateDoesNotLeak(t *testing.T) {
	msg := textPayload(5000, 77)
	for _, f := range allFlows() {
		for _, level := range []int{1, 4, 6, 7, 9} {
			if level != 1 && f.WindowBits != 15 {
				continue
			}
			first := func() []byte {
				c := deflate.NewCompressor(f, level)
				out := c.Finish(c.Compress(nil, msg))
				c.Release()
				return out
			}
			want := first()
			for i := range 20 {
				other := deflate.NewCompressor(f, level)
				for j := range 3 {
					other.Finish(other.Compress(nil, append(bytes.Clone(msg[:1000+i*100]), randomPayload(300*j, uint64(i))...)))
				}
				other.Compress(nil, msg[:2000])
				other.Flush(nil)
				other.Finish(nil)
				other.Release()
				if got := first(); !bytes.Equal(got, want) {
					t.Fatalf("%s level %d: after %d other compressors, %d bytes instead of %d", flowName(f), level, i, len(got), len(want))
				}
			}
		}
	}
}
