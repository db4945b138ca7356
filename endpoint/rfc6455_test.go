package endpoint_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/wskit/websocket/endpoint"
	"github.com/wskit/websocket/wire"
)

// The tables below cover every case of the root package's former
// violation, close and control tests, byte in and byte out: the input a
// peer sends, the events the endpoint reports, the frames it queues and
// the error it fails with. Every case runs whole and in small pieces.

var hello = fr(C, true, wire.OpText, "before")

// TestRFC6455Section5_1Masking: a server fails on an unmasked frame, a
// client on a masked one (1002).
func TestRFC6455Section5_1Masking(t *testing.T) {
	runTable(t, []tcase{
		{name: "unmasked client frame", role: S,
			in:     cat(hello, fr(S, true, wire.OpText, "hi")),
			events: []string{`text "before"`}, sent: []string{`close 1002 "protocol error"`}, err: wire.ErrUnmaskedFrame},
		{name: "masked server frame", role: C,
			in:     cat(fr(S, true, wire.OpText, "before"), fr(C, true, wire.OpText, "hi")),
			events: []string{`text "before"`}, sent: []string{`close 1002 "protocol error"`}, err: wire.ErrMaskedFrame},
		{name: "client receives unmasked", role: C,
			in:     fr(S, true, wire.OpBinary, "\x00\x01"),
			events: []string{`binary "\x00\x01"`}},
	})
}

// TestRFC6455Section5_2BaseFraming: reserved bits and opcodes, and
// lengths not in their minimal encoding (1002).
func TestRFC6455Section5_2BaseFraming(t *testing.T) {
	closed := []string{`close 1002 "protocol error"`}
	runTable(t, []tcase{
		{name: "RSV1 without an extension", role: S,
			in:     cat(hello, frx(C, wire.Header{Fin: true, Opcode: wire.OpText, RSV: wire.RSV1}, []byte("hi"))),
			events: []string{`text "before"`}, sent: closed, err: wire.ErrReservedBits},
		{name: "RSV3 on a ping", role: S,
			in:     cat(hello, frx(C, wire.Header{Fin: true, Opcode: wire.OpPing, RSV: wire.RSV3}, nil)),
			events: []string{`text "before"`}, sent: closed, err: wire.ErrReservedBits},
		{name: "reserved data opcode", role: S,
			in:     cat(hello, fr(C, true, 3, "")),
			events: []string{`text "before"`}, sent: closed, err: wire.ErrReservedOpcode},
		{name: "reserved control opcode", role: S,
			in:     cat(hello, fr(C, true, 0xB, "")),
			events: []string{`text "before"`}, sent: closed, err: wire.ErrReservedOpcode},
		{name: "length not in minimal form", role: S,
			in:     cat(hello, []byte{0x82, 0x80 | 126, 0x00, 0x05, 1, 2, 3, 4, 1, 2, 3, 4, 5}),
			events: []string{`text "before"`}, sent: closed, err: wire.ErrNonMinimalLength},
		{name: "length above 2^63-1", role: C,
			in:   []byte{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0},
			sent: closed, err: wire.ErrLengthOverflow},
		{name: "16-bit and 64-bit lengths", role: C,
			in:     cat(fr(S, true, wire.OpBinary, strings.Repeat("a", 126)), fr(S, true, wire.OpBinary, strings.Repeat("b", 70000))),
			events: []string{`binary "` + strings.Repeat("a", 126) + `"`, `binary "` + strings.Repeat("b", 70000) + `"`}},
		{name: "empty messages", role: S,
			in:     cat(fr(C, true, wire.OpText, ""), fr(C, true, wire.OpBinary, "")),
			events: []string{`text ""`, `binary ""`}},
	})
}

// TestRFC6455Section5_4Fragmentation: fragments are joined, control frames
// may come between them, and a continuation without a message or a new
// message inside one fails (1002).
func TestRFC6455Section5_4Fragmentation(t *testing.T) {
	closed := []string{`close 1002 "protocol error"`}
	runTable(t, []tcase{
		{name: "three fragments with a ping between", role: S,
			in: cat(fr(C, false, wire.OpText, "Hel"), fr(C, true, wire.OpPing, "p"),
				fr(C, false, wire.OpContinuation, ""), fr(C, true, wire.OpContinuation, "lo")),
			events: []string{`ping "p"`, `text "Hello"`}, sent: []string{`pong "p"`}},
		{name: "empty final continuation", role: S,
			in:     cat(fr(C, false, wire.OpBinary, "ab"), fr(C, true, wire.OpContinuation, "")),
			events: []string{`binary "ab"`}},
		{name: "continuation without a message", role: S,
			in:     cat(hello, fr(C, true, wire.OpContinuation, "x")),
			events: []string{`text "before"`}, sent: closed, err: wire.ErrNoMessageToContinue},
		{name: "new message inside a fragmented one", role: S,
			in:     cat(hello, fr(C, false, wire.OpText, "a"), fr(C, true, wire.OpBinary, "b")),
			events: []string{`text "before"`}, sent: closed, err: wire.ErrMessageNotFinished},
	})
}

// TestRFC6455Section5_5ControlFrames: pings are answered with their
// payload (only the latest when several wait, §5.5.3), pongs reported,
// and fragmented or long control frames fail (1002).
func TestRFC6455Section5_5ControlFrames(t *testing.T) {
	closed := []string{`close 1002 "protocol error"`}
	long := strings.Repeat("x", 125)
	runTable(t, []tcase{
		{name: "ping answered", role: S,
			in:     fr(C, true, wire.OpPing, "are you there"),
			events: []string{`ping "are you there"`}, sent: []string{`pong "are you there"`}},
		{name: "client answers masked", role: C,
			in:     fr(S, true, wire.OpPing, long),
			events: []string{`ping "` + long + `"`}, sent: []string{`pong "` + long + `"`}},
		{name: "latest of two pings", role: S,
			in:     cat(fr(C, true, wire.OpPing, "1"), fr(C, true, wire.OpPing, "2")),
			events: []string{`ping "1"`, `ping "2"`}, sent: []string{`pong "2"`}},
		{name: "empty ping", role: S,
			in:     fr(C, true, wire.OpPing, ""),
			events: []string{`ping ""`}, sent: []string{`pong ""`}},
		{name: "unsolicited pong", role: S,
			in:     fr(C, true, wire.OpPong, "x"),
			events: []string{`pong "x"`}},
		{name: "fragmented ping", role: S,
			in:     cat(hello, fr(C, false, wire.OpPing, "x")),
			events: []string{`text "before"`}, sent: closed, err: wire.ErrFragmentedControl},
		{name: "ping payload of 126 bytes", role: S,
			in:     cat(hello, fr(C, true, wire.OpPing, long+"x")),
			events: []string{`text "before"`}, sent: closed, err: wire.ErrControlTooLong},
	})
}

// TestRFC6455Section5_5_1Close: the peer's close frame is reported and
// echoed with its code (1000 for a close without one, reported as 1005),
// nothing after it is read, and bad close payloads fail.
func TestRFC6455Section5_5_1Close(t *testing.T) {
	closed := []string{`close 1002 "protocol error"`}
	runTable(t, []tcase{
		{name: "close echoed", role: S,
			in:     cat(fr(C, true, wire.OpClose, "\x0f\xa1room closed"), fr(C, true, wire.OpText, "ignored")),
			events: []string{`close 4001 "room closed"`}, sent: []string{`close 4001 ""`}},
		{name: "close without a code", role: S,
			in:     fr(C, true, wire.OpClose, ""),
			events: []string{`close 1005 ""`}, sent: []string{`close 1000 ""`}},
		{name: "client echoes masked", role: C,
			in:     fr(S, true, wire.OpClose, "\x03\xe9"),
			events: []string{`close 1001 ""`}, sent: []string{`close 1001 ""`}},
		{name: "no pong after close", role: S,
			in:     cat(fr(C, true, wire.OpClose, "\x03\xe8"), fr(C, true, wire.OpPing, "late")),
			events: []string{`close 1000 ""`}, sent: []string{`close 1000 ""`}},
		{name: "close inside a fragmented message", role: S,
			in:     cat(fr(C, false, wire.OpText, "part"), fr(C, true, wire.OpClose, "\x03\xe8")),
			events: []string{`close 1000 ""`}, sent: []string{`close 1000 ""`}},
		{name: "1-byte payload", role: S,
			in:     cat(hello, fr(C, true, wire.OpClose, "\x03")),
			events: []string{`text "before"`}, sent: closed, err: wire.ErrClosePayloadShort},
		{name: "code 999", role: S,
			in:     cat(hello, fr(C, true, wire.OpClose, "\x03\xe7")),
			events: []string{`text "before"`}, sent: closed, err: wire.ErrInvalidCloseCode},
		{name: "code 1005", role: S,
			in:     cat(hello, fr(C, true, wire.OpClose, "\x03\xed")),
			events: []string{`text "before"`}, sent: closed, err: wire.ErrInvalidCloseCode},
		{name: "code 5000", role: S,
			in:     cat(hello, fr(C, true, wire.OpClose, "\x13\x88")),
			events: []string{`text "before"`}, sent: closed, err: wire.ErrInvalidCloseCode},
		{name: "reason not UTF-8", role: S,
			in:     cat(hello, fr(C, true, wire.OpClose, "\x03\xe8\xff")),
			events: []string{`text "before"`}, sent: []string{`close 1007 "invalid frame payload data"`}, err: wire.ErrCloseReasonUTF8},
	})
}

// TestRFC6455Section8_1UTF8: text is checked as it arrives, across
// fragments, and must end on a character boundary (1007).
func TestRFC6455Section8_1UTF8(t *testing.T) {
	closed := []string{`close 1007 "invalid frame payload data"`}
	runTable(t, []tcase{
		{name: "valid across fragments", role: S,
			in:     cat(fr(C, false, wire.OpText, "ok\xf0\x9f"), fr(C, true, wire.OpContinuation, "\x98\x80")),
			events: []string{`text "ok😀"`}},
		{name: "invalid in one frame", role: S,
			in:     cat(hello, fr(C, true, wire.OpText, "ok\xc0\xafok")),
			events: []string{`text "before"`}, sent: closed, err: wire.ErrInvalidUTF8},
		{name: "invalid split across frames", role: S,
			in:     cat(hello, fr(C, false, wire.OpText, "ok\xf0\x90"), fr(C, true, wire.OpContinuation, "\x28ok")),
			events: []string{`text "before"`}, sent: closed, err: wire.ErrInvalidUTF8},
		{name: "ending inside a character", role: S,
			in:     cat(hello, fr(C, true, wire.OpText, "ok\xe2\x82")),
			events: []string{`text "before"`}, sent: closed, err: wire.ErrIncompleteUTF8},
		{name: "binary is not checked", role: S,
			in:     fr(C, true, wire.OpBinary, "\xff"),
			events: []string{`binary "\xff"`}},
	})
}

// TestRFC6455Section10_4Limits: the message and frame limits fail with
// 1009 at the header, before any payload is read.
func TestRFC6455Section10_4Limits(t *testing.T) {
	closed := []string{`close 1009 "message too big"`}
	limit := &endpoint.Options{MaxMessageSize: 1000}
	runTable(t, []tcase{
		{name: "message at the limit", role: S, opts: limit,
			in:     fr(C, true, wire.OpBinary, strings.Repeat("a", 1000)),
			events: []string{`binary "` + strings.Repeat("a", 1000) + `"`}},
		{name: "message over the limit", role: S, opts: limit,
			in:     cat(hello, fr(C, true, wire.OpBinary, strings.Repeat("a", 1001))),
			events: []string{`text "before"`}, sent: closed, err: wire.ErrMessageTooLarge},
		{name: "fragmented message over the limit", role: S, opts: limit,
			in:     cat(hello, fr(C, false, wire.OpBinary, strings.Repeat("a", 600)), fr(C, true, wire.OpContinuation, strings.Repeat("a", 600))),
			events: []string{`text "before"`}, sent: closed, err: wire.ErrMessageTooLarge},
		{name: "frame over the frame limit", role: S, opts: &endpoint.Options{MaxFrameSize: 100},
			in:     cat(hello, fr(C, true, wire.OpBinary, strings.Repeat("a", 101))),
			events: []string{`text "before"`}, sent: closed, err: wire.ErrFrameTooLarge},
		{name: "declared length alone fails", role: S, opts: limit,
			in:   []byte{0x82, 0x80 | 127, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4},
			sent: closed, err: wire.ErrMessageTooLarge},
	})
}

// TestSetMessageLimit: a driver sets the limit of the message its
// application is about to read, before the message's first header arrives
// or after, when what the frames declared is checked at once (1009 before
// the payload); the message after it has Options.MaxMessageSize again.
func TestSetMessageLimit(t *testing.T) {
	a := func(n int) []byte { return fr(C, true, wire.OpBinary, strings.Repeat("a", n)) }
	closed := []string{`close 1009 "message too big"`}
	t.Run("before the header", func(t *testing.T) {
		e := newEndpoint(S, endpoint.Options{MaxMessageSize: 2000})
		if err := e.SetMessageLimit(1000); err != nil {
			t.Fatal(err)
		}
		got := feed(t, e, a(1001), 0, 64<<10)
		check(t, "", tcase{sent: closed, err: wire.ErrMessageTooLarge}, got)
	})
	t.Run("after the header", func(t *testing.T) {
		e := newEndpoint(S, endpoint.Options{MaxMessageSize: 2000})
		in := a(1001)
		var ev endpoint.Event
		if n, err := e.Receive(in[:8], &ev); n != 8 || err != nil || ev.Kind != endpoint.MessageStart {
			t.Fatalf("header: %d %v %v", n, ev.Kind, err)
		}
		if err := e.SetMessageLimit(1000); !errors.Is(err, wire.ErrMessageTooLarge) {
			t.Fatalf("SetMessageLimit after a 1001-byte header: %v", err)
		}
		wantSent(t, e, closed...)
		if _, err := e.Receive(in[8:], &ev); !errors.Is(err, wire.ErrMessageTooLarge) {
			t.Fatalf("Receive after the failure: %v", err)
		}
	})
	t.Run("one message only", func(t *testing.T) {
		e := newEndpoint(S, endpoint.Options{MaxMessageSize: 2000})
		if err := e.SetMessageLimit(1000); err != nil {
			t.Fatal(err)
		}
		got := feed(t, e, cat(a(1000), a(2000)), 0, 64<<10)
		want := tcase{events: []string{`binary "` + strings.Repeat("a", 1000) + `"`, `binary "` + strings.Repeat("a", 2000) + `"`}}
		check(t, "", want, got)
	})
}

// TestMessageLeft: what is left of an uncompressed message is known in its
// final frame only.
func TestMessageLeft(t *testing.T) {
	e := newEndpoint(S, endpoint.Options{})
	in := cat(fr(C, false, wire.OpBinary, "abc"), fr(C, true, wire.OpContinuation, "defgh"))
	var ev endpoint.Event
	var lefts []int64
	for len(in) > 0 {
		n, err := e.Receive(in[:1], &ev)
		if err != nil {
			t.Fatal(err)
		}
		in = in[n:]
		lefts = append(lefts, e.MessageLeft())
	}
	// A byte at a time: the first frame's 6 header bytes and 3 payload
	// bytes, then the final frame's 6 and 5.
	want := []int64{-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 5, 4, 3, 2, 1, -1}
	if fmt.Sprint(lefts) != fmt.Sprint(want) {
		t.Fatalf("MessageLeft after each byte: %v, want %v", lefts, want)
	}
}
