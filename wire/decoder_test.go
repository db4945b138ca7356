package wire_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/wskit/websocket/wire"
)

// decodedFrame is what a consumer of the Decoder rebuilds from its events.
type decodedFrame struct {
	Header  wire.Header
	Raw     []byte
	Payload []byte
	Err     error
}

// decodeChunks feeds chunks to a fresh Decoder and rebuilds the frames. It
// checks the invariants every event must keep: offsets continue, Remaining
// counts down, payload pieces are slices of the input.
func decodeChunks(t testing.TB, chunks [][]byte, keepMasked bool) ([]decodedFrame, error) {
	d := wire.Decoder{KeepMasked: keepMasked}
	var ev wire.Event
	var frames []decodedFrame
	for _, chunk := range chunks {
		for p := chunk; ; {
			n, err := d.Decode(p, &ev)
			if n < 0 || n > len(p) {
				t.Fatalf("used %d of %d bytes", n, len(p))
			}
			if err != nil && err != wire.ErrNonMinimalLength {
				return frames, err
			}
			switch ev.Kind {
			case wire.EventHeader:
				frames = append(frames, decodedFrame{Header: ev.Header, Raw: bytes.Clone(ev.RawHeader), Payload: []byte{}, Err: err})
				if ev.Remaining != ev.Header.Length || d.Remaining() != ev.Remaining {
					t.Fatalf("header event: Remaining %d, length %d", ev.Remaining, ev.Header.Length)
				}
			case wire.EventPayload:
				f := &frames[len(frames)-1]
				if ev.Offset != int64(len(f.Payload)) || ev.Remaining != f.Header.Length-ev.Offset-int64(len(ev.Payload)) {
					t.Fatalf("payload event: offset %d remaining %d after %d bytes", ev.Offset, ev.Remaining, len(f.Payload))
				}
				if len(ev.Payload) != n || len(ev.Payload) == 0 || &ev.Payload[0] != &p[0] {
					t.Fatalf("payload piece is not the prefix p[:n] of the input")
				}
				f.Payload = append(f.Payload, ev.Payload...)
			case wire.EventNone:
				if n != len(p) {
					t.Fatalf("EventNone after using %d of %d bytes", n, len(p))
				}
			}
			p = p[n:]
			if len(p) == 0 && ev.Kind == wire.EventNone {
				break
			}
			if len(p) == 0 {
				// Drain: a call with no input completes nothing.
				if n, err := d.Decode(nil, &ev); ev.Kind != wire.EventNone || n != 0 || err != nil {
					t.Fatalf("Decode(nil) = %v, %d, %v", ev.Kind, n, err)
				}
				break
			}
		}
	}
	return frames, nil
}

// splitWhole, splitBytes and splitRandom are the three ways every decoder
// test feeds its input.
func splitWhole(b []byte) [][]byte { return [][]byte{bytes.Clone(b)} }

func splitBytes(b []byte) [][]byte {
	out := make([][]byte, len(b))
	for i := range b {
		out[i] = []byte{b[i]}
	}
	return out
}

func splitRandom(b []byte, r *rand.Rand) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		n := 1 + r.IntN(min(len(b), 1+r.IntN(300)))
		out = append(out, bytes.Clone(b[:n]))
		b = b[n:]
	}
	return out
}

type testFrame struct {
	h       wire.Header
	payload []byte
}

func testStream() ([]byte, []testFrame) {
	r := rand.New(rand.NewPCG(7, 7))
	payload := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	var frames []testFrame
	key := func() [4]byte { return [4]byte{byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())} }
	for _, n := range []int{0, 1, 125, 126, 127, 128, 65535, 65536, 70000} {
		for _, masked := range []bool{false, true} {
			h := wire.Header{Fin: true, Opcode: wire.OpBinary, Masked: masked}
			if masked {
				h.Mask = key()
			}
			frames = append(frames, testFrame{h, payload(n)})
		}
	}
	// A fragmented text message with control frames between its fragments.
	frames = append(frames,
		testFrame{wire.Header{Opcode: wire.OpText, Masked: true, Mask: key()}, []byte("frag")},
		testFrame{wire.Header{Fin: true, Opcode: wire.OpPing, Masked: true, Mask: key()}, []byte("ping")},
		testFrame{wire.Header{Opcode: wire.OpContinuation, Masked: true, Mask: key()}, []byte("men")},
		testFrame{wire.Header{Fin: true, Opcode: wire.OpPong, Masked: true, Mask: key()}, nil},
		testFrame{wire.Header{Fin: true, Opcode: wire.OpContinuation, RSV: wire.RSV1, Masked: true, Mask: key()}, []byte("ted")},
		testFrame{wire.Header{Fin: true, Opcode: wire.OpClose}, []byte{0x03, 0xE8, 'o', 'k'}},
	)
	var stream []byte
	for i := range frames {
		frames[i].h.Length = int64(len(frames[i].payload))
		stream = wire.AppendFrame(stream, frames[i].h, frames[i].payload)
	}
	return stream, frames
}

// The decoder gives the same frames whether the stream comes whole, one
// byte at a time or in random pieces.
func TestDecoderChunkingIndependent(t *testing.T) {
	stream, want := testStream()
	r := rand.New(rand.NewPCG(3, 4))
	ways := map[string][][]byte{
		"whole":    splitWhole(stream),
		"bytewise": splitBytes(stream),
	}
	for i := range 5 {
		ways[fmt.Sprint("random", i)] = splitRandom(stream, r)
	}
	var first []decodedFrame
	for name, chunks := range ways {
		got, err := decodeChunks(t, chunks, false)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d frames, want %d", name, len(got), len(want))
		}
		for i := range want {
			if got[i].Header != want[i].h || !bytes.Equal(got[i].Payload, want[i].payload) {
				t.Fatalf("%s: frame %d: header %+v (want %+v), payload equal %v", name, i, got[i].Header, want[i].h, bytes.Equal(got[i].Payload, want[i].payload))
			}
			if !bytes.Equal(got[i].Raw, wire.AppendHeader(nil, want[i].h)) {
				t.Fatalf("%s: frame %d: raw header % x", name, i, got[i].Raw)
			}
		}
		if first == nil {
			first = got
		} else if !reflect.DeepEqual(first, got) {
			t.Fatalf("%s: results differ from another chunking", name)
		}
	}
}

// KeepMasked leaves the input untouched; Event.Unmask recovers the payload.
func TestDecoderKeepMasked(t *testing.T) {
	stream, want := testStream()
	orig := bytes.Clone(stream)
	d := wire.Decoder{KeepMasked: true}
	var ev wire.Event
	var payloads [][]byte
	for p := stream; len(p) > 0; {
		n, err := d.Decode(p, &ev)
		if err != nil {
			t.Fatal(err)
		}
		switch ev.Kind {
		case wire.EventHeader:
			payloads = append(payloads, nil)
		case wire.EventPayload:
			piece := bytes.Clone(ev.Payload)
			ev.Unmask(piece, ev.Offset)
			payloads[len(payloads)-1] = append(payloads[len(payloads)-1], piece...)
		}
		p = p[n:]
	}
	if !bytes.Equal(stream, orig) {
		t.Fatal("KeepMasked changed the input")
	}
	for i := range want {
		if !bytes.Equal(payloads[i], want[i].payload) {
			t.Fatalf("frame %d: unmasked payload differs", i)
		}
	}
}

// A frame that declares a huge length costs nothing: pieces stream through
// without the decoder buffering or allocating.
func TestDecoderNeverBuffersPayload(t *testing.T) {
	var d wire.Decoder
	var ev wire.Event
	head := wire.AppendHeader(nil, wire.Header{Opcode: wire.OpBinary, Fin: true, Masked: true, Mask: [4]byte{1, 2, 3, 4}, Length: 1 << 40})
	if n, err := d.Decode(head, &ev); err != nil || n != len(head) || ev.Kind != wire.EventHeader {
		t.Fatalf("header: %v %d %v", ev.Kind, n, err)
	}
	chunk := make([]byte, 64<<10)
	allocs := testing.AllocsPerRun(100, func() {
		if n, err := d.Decode(chunk, &ev); err != nil || n != len(chunk) {
			t.Fatalf("payload: %d %v", n, err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocs per payload piece", allocs)
	}
	if d.Remaining() != 1<<40-101*int64(len(chunk)) {
		t.Fatalf("Remaining %d", d.Remaining())
	}
}

// RFC 6455 §5.2 length rules in the decoder: a non-minimal length is
// reported and decoding goes on; an overflowing one stops it for good.
func TestDecoderLengthErrors(t *testing.T) {
	stream := []byte{0x82, 126, 0, 3, 'a', 'b', 'c', 0x81, 1, 'x'}
	for name, chunks := range map[string][][]byte{"whole": splitWhole(stream), "bytewise": splitBytes(stream)} {
		frames, err := decodeChunks(t, chunks, false)
		if err != nil || len(frames) != 2 || frames[0].Err != wire.ErrNonMinimalLength || string(frames[0].Payload) != "abc" || string(frames[1].Payload) != "x" {
			t.Fatalf("%s: %+v %v", name, frames, err)
		}
	}

	overflow := []byte{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0, 'z'}
	for name, chunks := range map[string][][]byte{"whole": splitWhole(overflow), "bytewise": splitBytes(overflow)} {
		if _, err := decodeChunks(t, chunks, false); err != wire.ErrLengthOverflow {
			t.Fatalf("%s: err %v", name, err)
		}
	}
	var d wire.Decoder
	var ev wire.Event
	if _, err := d.Decode(overflow, &ev); err != wire.ErrLengthOverflow {
		t.Fatal(err)
	}
	if n, err := d.Decode([]byte{0x81, 0}, &ev); err != wire.ErrLengthOverflow || n != 0 {
		t.Fatalf("after overflow: %d %v", n, err)
	}
	d.Reset()
	if _, err := d.Decode([]byte{0x81, 0}, &ev); err != nil || ev.Kind != wire.EventHeader {
		t.Fatalf("after Reset: %v %v", ev.Kind, err)
	}
}

// The RFC 6455 §5.7 examples, decoded in all three ways.
func TestDecoderRFCExamples(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, ex := range rfcExamples {
		for _, chunks := range [][][]byte{splitWhole(ex.raw), splitBytes(ex.raw), splitRandom(ex.raw, r)} {
			frames, err := decodeChunks(t, chunks, false)
			if err != nil || len(frames) != 1 || frames[0].Header != ex.header || !bytes.Equal(frames[0].Payload, ex.payload) {
				t.Fatalf("%s: %d frames, err %v", ex.name, len(frames), err)
			}
		}
	}
}
