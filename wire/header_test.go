package wire_test

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/wskit/websocket/wire"
)

func repeat(b byte, n int) []byte { return bytes.Repeat([]byte{b}, n) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// rfcExamples are the frames of RFC 6455 §5.7, byte for byte.
var rfcExamples = []struct {
	name    string
	raw     []byte
	header  wire.Header
	payload []byte // unmasked
}{
	{
		name:    "single-frame unmasked text",
		raw:     []byte{0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f},
		header:  wire.Header{Fin: true, Opcode: wire.OpText, Length: 5},
		payload: []byte("Hello"),
	},
	{
		name:    "single-frame masked text",
		raw:     []byte{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58},
		header:  wire.Header{Fin: true, Opcode: wire.OpText, Masked: true, Mask: [4]byte{0x37, 0xfa, 0x21, 0x3d}, Length: 5},
		payload: []byte("Hello"),
	},
	{
		name:    "first fragment of unmasked text",
		raw:     []byte{0x01, 0x03, 0x48, 0x65, 0x6c},
		header:  wire.Header{Opcode: wire.OpText, Length: 3},
		payload: []byte("Hel"),
	},
	{
		name:    "last fragment of unmasked text",
		raw:     []byte{0x80, 0x02, 0x6c, 0x6f},
		header:  wire.Header{Fin: true, Opcode: wire.OpContinuation, Length: 2},
		payload: []byte("lo"),
	},
	{
		name:    "unmasked ping",
		raw:     []byte{0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f},
		header:  wire.Header{Fin: true, Opcode: wire.OpPing, Length: 5},
		payload: []byte("Hello"),
	},
	{
		name:    "masked pong",
		raw:     []byte{0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58},
		header:  wire.Header{Fin: true, Opcode: wire.OpPong, Masked: true, Mask: [4]byte{0x37, 0xfa, 0x21, 0x3d}, Length: 5},
		payload: []byte("Hello"),
	},
	{
		name:    "256 bytes binary, 16-bit length",
		raw:     cat([]byte{0x82, 0x7E, 0x01, 0x00}, repeat(0xAB, 256)),
		header:  wire.Header{Fin: true, Opcode: wire.OpBinary, Length: 256},
		payload: repeat(0xAB, 256),
	},
	{
		name:    "64 KiB binary, 64-bit length",
		raw:     cat([]byte{0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00}, repeat(0xCD, 65536)),
		header:  wire.Header{Fin: true, Opcode: wire.OpBinary, Length: 65536},
		payload: repeat(0xCD, 65536),
	},
}

// RFC 6455 §5.7: the examples parse to their headers and encode back to the
// same bytes.
func TestRFC6455Section5_7Examples(t *testing.T) {
	for _, ex := range rfcExamples {
		t.Run(ex.name, func(t *testing.T) {
			h, n, err := wire.ParseHeader(ex.raw)
			if err != nil {
				t.Fatalf("ParseHeader: %v", err)
			}
			if h != ex.header {
				t.Fatalf("ParseHeader = %+v, want %+v", h, ex.header)
			}
			if n != h.Size() || int64(len(ex.raw)-n) != h.Length {
				t.Fatalf("header size %d (Size %d), payload %d bytes, length %d", n, h.Size(), len(ex.raw)-n, h.Length)
			}
			if got := wire.AppendFrame(nil, ex.header, ex.payload); !bytes.Equal(got, ex.raw) {
				t.Fatalf("AppendFrame = % x, want % x", got[:min(len(got), 16)], ex.raw[:min(len(ex.raw), 16)])
			}
			payload := bytes.Clone(ex.raw[n:])
			if h.Masked {
				wire.MaskBytes(h.Mask, 0, payload)
			}
			if !bytes.Equal(payload, ex.payload) {
				t.Fatalf("unmasked payload differs")
			}
		})
	}
}

// RFC 6455 §5.2: every length class round-trips through AppendHeader and
// ParseHeader, in its minimal encoding, with every flag combination.
func TestHeaderRoundTrip(t *testing.T) {
	lengths := []int64{0, 1, 125, 126, 127, 128, 65535, 65536, 1 << 32, math.MaxInt64}
	wantSize := map[int64]int{0: 2, 1: 2, 125: 2, 126: 4, 127: 4, 128: 4, 65535: 4, 65536: 10, 1 << 32: 10, math.MaxInt64: 10}
	for _, length := range lengths {
		for _, masked := range []bool{false, true} {
			for _, fin := range []bool{false, true} {
				for rsv := byte(0); rsv < 8; rsv++ {
					for op := wire.Opcode(0); op < 16; op++ {
						h := wire.Header{Fin: fin, RSV: rsv << 4, Opcode: op, Masked: masked, Length: length}
						if masked {
							h.Mask = [4]byte{1, 2, byte(op), rsv}
						}
						b := wire.AppendHeader(nil, h)
						size := wantSize[length]
						if masked {
							size += 4
						}
						if len(b) != size || h.Size() != size {
							t.Fatalf("%+v: encoded %d bytes, Size %d, want %d", h, len(b), h.Size(), size)
						}
						got, n, err := wire.ParseHeader(b)
						if err != nil || n != len(b) || got != h {
							t.Fatalf("%+v: ParseHeader = %+v, %d, %v", h, got, n, err)
						}
					}
				}
			}
		}
	}
}

// A header cut short anywhere asks for more bytes and consumes nothing.
func TestParseHeaderNeedMore(t *testing.T) {
	full := wire.AppendHeader(nil, wire.Header{Fin: true, Opcode: wire.OpBinary, Masked: true, Mask: [4]byte{9, 8, 7, 6}, Length: 1 << 20})
	for i := range full {
		if _, n, err := wire.ParseHeader(full[:i]); err != wire.ErrNeedMore || n != 0 {
			t.Fatalf("prefix of %d bytes: n=%d err=%v, want ErrNeedMore", i, n, err)
		}
		if hs := wire.HeaderSize(full[:i]); i >= 2 && hs != len(full) || i < 2 && hs != 0 {
			t.Fatalf("HeaderSize of %d-byte prefix = %d", i, hs)
		}
	}
}

// RFC 6455 §5.2: "the minimal number of bytes MUST be used to encode the
// length", and the 64-bit form's most significant bit MUST be 0.
func TestParseHeaderLengthEncoding(t *testing.T) {
	tests := []struct {
		name   string
		raw    []byte
		err    error
		length int64
	}{
		{"16-bit form for 0", []byte{0x82, 126, 0, 0}, wire.ErrNonMinimalLength, 0},
		{"16-bit form for 125", []byte{0x82, 126, 0, 125}, wire.ErrNonMinimalLength, 125},
		{"16-bit form for 126", []byte{0x82, 126, 0, 126}, nil, 126},
		{"64-bit form for 126", []byte{0x82, 127, 0, 0, 0, 0, 0, 0, 0, 126}, wire.ErrNonMinimalLength, 126},
		{"64-bit form for 65535", []byte{0x82, 127, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF}, wire.ErrNonMinimalLength, 65535},
		{"64-bit form for 65536", []byte{0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0}, nil, 65536},
		{"2^63-1", []byte{0x82, 127, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, nil, math.MaxInt64},
		{"2^63", []byte{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0}, wire.ErrLengthOverflow, 0},
		{"2^64-1", []byte{0x82, 127, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, wire.ErrLengthOverflow, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, n, err := wire.ParseHeader(tt.raw)
			if err != tt.err {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if h.Length != tt.length {
				t.Fatalf("length = %d, want %d", h.Length, tt.length)
			}
			if err == wire.ErrLengthOverflow && n != 0 || err != wire.ErrLengthOverflow && n != len(tt.raw) {
				t.Fatalf("n = %d", n)
			}
			if err != nil && wire.CloseCodeFor(err) != wire.StatusProtocolError {
				t.Fatalf("close code %d, want 1002", wire.CloseCodeFor(err))
			}
		})
	}
}

func TestAppendHeaderWritesIllegalFrames(t *testing.T) {
	// Protocol tools need frames no endpoint should send: reserved opcodes,
	// RSV bits, fragmented control frames.
	b := wire.AppendHeader(nil, wire.Header{RSV: wire.RSV1 | wire.RSV3, Opcode: 0xB, Length: 3})
	if !bytes.Equal(b, []byte{0x5B, 0x03}) {
		t.Fatalf("got % x", b)
	}
	if b := wire.AppendHeader([]byte("x"), wire.Header{Opcode: wire.OpText, Length: -5}); !bytes.Equal(b, []byte{'x', 0x01, 0x00}) {
		t.Fatalf("negative length: got % x", b)
	}
}

func TestHeaderNoAllocs(t *testing.T) {
	buf := make([]byte, 0, wire.MaxHeaderSize)
	h := wire.Header{Fin: true, Opcode: wire.OpBinary, Masked: true, Mask: [4]byte{1, 2, 3, 4}, Length: 70000}
	raw := wire.AppendHeader(nil, h)
	if a := testing.AllocsPerRun(100, func() { buf = wire.AppendHeader(buf[:0], h) }); a != 0 {
		t.Errorf("AppendHeader: %v allocs", a)
	}
	if a := testing.AllocsPerRun(100, func() { _, _, _ = wire.ParseHeader(raw) }); a != 0 {
		t.Errorf("ParseHeader: %v allocs", a)
	}
}

func TestOpcodes(t *testing.T) {
	for op := wire.Opcode(0); op < 16; op++ {
		defined := op <= 2 || op >= 8 && op <= 10
		if op.IsReserved() == defined {
			t.Errorf("%v: IsReserved = %v", op, op.IsReserved())
		}
		if op.IsControl() != (op >= 8) || op.IsData() != (op < 8) {
			t.Errorf("%v: IsControl %v IsData %v", op, op.IsControl(), op.IsData())
		}
	}
	if wire.OpText.String() != "text" || wire.Opcode(3).String() != "opcode(3)" || wire.OpPong.String() != "pong" {
		t.Errorf("String: %q %q %q", wire.OpText, wire.Opcode(3), wire.OpPong)
	}
}

func TestProtocolErrorsAreDistinct(t *testing.T) {
	all := []error{
		wire.ErrUnmaskedFrame, wire.ErrMaskedFrame, wire.ErrReservedBits, wire.ErrReservedOpcode,
		wire.ErrFragmentedControl, wire.ErrControlTooLong, wire.ErrNoMessageToContinue,
		wire.ErrMessageNotFinished, wire.ErrNonMinimalLength, wire.ErrLengthOverflow,
		wire.ErrFrameTooLarge, wire.ErrMessageTooLarge, wire.ErrInvalidUTF8, wire.ErrIncompleteUTF8,
		wire.ErrClosePayloadShort, wire.ErrInvalidCloseCode, wire.ErrCloseReasonUTF8,
	}
	seen := map[string]bool{}
	for _, err := range all {
		if seen[err.Error()] {
			t.Errorf("two errors say %q", err)
		}
		seen[err.Error()] = true
		wrapped := errors.Join(errors.New("reading"), err)
		if !errors.Is(wrapped, err) {
			t.Errorf("errors.Is fails through a wrapper for %v", err)
		}
		code := wire.CloseCodeFor(wrapped)
		if !code.ValidOnWire() || code == wire.StatusInternalError {
			t.Errorf("%v maps to %d", err, code)
		}
	}
	if c := wire.CloseCodeFor(wire.ErrMessageTooLarge); c != wire.StatusMessageTooBig {
		t.Errorf("too large maps to %d", c)
	}
	if c := wire.CloseCodeFor(wire.ErrInvalidUTF8); c != wire.StatusInvalidFramePayloadData {
		t.Errorf("bad UTF-8 maps to %d", c)
	}
	if c := wire.CloseCodeFor(errors.New("disk full")); c != wire.StatusInternalError {
		t.Errorf("other error maps to %d", c)
	}
}
