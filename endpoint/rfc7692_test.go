package endpoint_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/endpoint"
	"github.com/wskit/websocket/wire"
)

func zfr(from wire.Role, fin bool, op wire.Opcode, rsv byte, payload []byte) []byte {
	return frx(from, wire.Header{Fin: fin, Opcode: op, RSV: rsv}, payload)
}

// TestRFC7692Section6Receive: a message with RSV1 on its first frame is
// inflated, with the context kept from one message to the next (§7.1.1);
// RSV1 elsewhere fails (1002), bad data fails with 1007, and the limit
// applies to the inflated size (1009).
func TestRFC7692Section6Receive(t *testing.T) {
	c := deflate.NewCompressor(deflate.Flow{}, 0)
	first := c.Finish(c.Compress(nil, []byte(strings.Repeat("wskit ", 50))))
	second := c.Finish(c.Compress(nil, []byte(strings.Repeat("wskit ", 50)))) // refers to the first
	frag := c.Flush(c.Compress(nil, []byte("Hel")))
	rest := c.Finish(c.Compress(nil, []byte("lo")))
	big := deflated(strings.Repeat("a", 2000))
	limit := compression()
	limit.MaxMessageSize = 1000
	z := compression()
	runTable(t, []tcase{
		{name: "one message", role: S, opts: z,
			in:     zfr(C, true, wire.OpText, wire.RSV1, deflated("Hello")),
			events: []string{`text "Hello"`}},
		{name: "context takeover, fragments, plain message between", role: S, opts: z,
			in: cat(zfr(C, true, wire.OpText, wire.RSV1, first), zfr(C, true, wire.OpText, wire.RSV1, second),
				zfr(C, false, wire.OpBinary, wire.RSV1, frag), fr(C, true, wire.OpPing, "p"), zfr(C, true, wire.OpContinuation, 0, rest),
				fr(C, true, wire.OpText, "plain")),
			events: []string{`text "` + strings.Repeat("wskit ", 50) + `"`, `text "` + strings.Repeat("wskit ", 50) + `"`,
				`ping "p"`, `binary "Hello"`, `text "plain"`},
			sent: []string{`pong "p"`}},
		{name: "empty compressed message", role: C, opts: z,
			in:     zfr(S, true, wire.OpBinary, wire.RSV1, nil),
			events: []string{`binary ""`}},
		{name: "RSV1 on a continuation", role: S, opts: z,
			in:   cat(zfr(C, false, wire.OpText, wire.RSV1, frag), zfr(C, true, wire.OpContinuation, wire.RSV1, rest)),
			sent: []string{`close 1002 "protocol error"`}, err: wire.ErrReservedBits},
		{name: "RSV1 on a ping", role: S, opts: z,
			in:   zfr(C, true, wire.OpPing, wire.RSV1, nil),
			sent: []string{`close 1002 "protocol error"`}, err: wire.ErrReservedBits},
		{name: "corrupt data", role: S, opts: z,
			in:   zfr(C, true, wire.OpBinary, wire.RSV1, []byte{0xff, 0xff, 0xff}),
			sent: []string{`close 1007 "invalid frame payload data"`}, err: deflate.ErrCorrupt},
		{name: "inflated over the limit", role: S, opts: limit,
			in:   zfr(C, true, wire.OpBinary, wire.RSV1, big),
			sent: []string{`close 1009 "message too big"`}, err: wire.ErrMessageTooLarge},
		{name: "inflated text not UTF-8", role: S, opts: z,
			in:   zfr(C, true, wire.OpText, wire.RSV1, deflated("ok\xff")),
			sent: []string{`close 1007 "invalid frame payload data"`}, err: wire.ErrInvalidUTF8},
	})
}

// TestRFC7692Section7_2Send: what one endpoint sends compressed, another
// inflates; small messages go uncompressed, fragments carry RSV1 on the
// first frame only.
func TestRFC7692Section7_2Send(t *testing.T) {
	for _, role := range []wire.Role{C, S} {
		o := *compression()
		o.Role, o.Mask = role, fixedMask
		tx := endpoint.New(o)
		o.Role = peerOf(role)
		rx := endpoint.New(o)
		long := strings.Repeat("compress me ", 100)
		var out []byte
		var err error
		out, err = tx.AppendMessage(out, wire.OpText, []byte(long))
		must(t, err)
		out, err = tx.AppendMessage(out, wire.OpBinary, []byte("tiny"))
		must(t, err)
		out, err = tx.AppendFragment(out, wire.OpText, []byte(long[:500]), false)
		must(t, err)
		out, err = tx.AppendFragment(out, wire.OpContinuation, []byte(long[500:]), true)
		must(t, err)
		sent := decodeFrames(t, role, out)
		if len(sent) != 4 || !strings.Contains(sent[0], "rsv=64") || sent[1] != `binary fin=true rsv=0 "tiny"` ||
			!strings.Contains(sent[2], "fin=false rsv=64") || !strings.Contains(sent[3], "continuation fin=true rsv=0") {
			t.Fatalf("%v sent %q", role, sent)
		}
		got := feed(t, rx, out, 5, 100)
		want := []string{`text "` + long + `"`, `binary "tiny"`, `text "` + long + `"`}
		if !equal(got.events, want) || got.err != nil {
			t.Fatalf("%v: the peer got %v", role, got)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestInflateBeforeInput: Inflate called between a compressed message's
// start and its first payload byte waits for input instead of ending the
// message.
func TestInflateBeforeInput(t *testing.T) {
	e := newEndpoint(S, *compression())
	in := zfr(C, true, wire.OpText, wire.RSV1, deflated("Hello"))
	var ev endpoint.Event
	n, err := e.Receive(in[:6], &ev)
	if err != nil || ev.Kind != endpoint.MessageStart || !ev.Compressed {
		t.Fatalf("header: %v %v", ev.Kind, err)
	}
	buf := make([]byte, 100)
	if k, end, err := e.Inflate(buf); k != 0 || end || err != nil {
		t.Fatalf("Inflate before any payload: %d %v %v", k, end, err)
	}
	if got := feed(t, e, in[n:], 0, 100); len(got.events) != 1 || !strings.HasSuffix(got.events[0], `"Hello"`) {
		t.Fatalf("then: %v", got)
	}
}

// TestRFC7692CompressedAtTheLimit: data deflate cannot shrink grows by the
// stored blocks' headers (RFC 1951 §3.2.4), so the declared-length check
// leaves room for them: a compressed message at the limit is accepted as
// an uncompressed one is, and one byte more fails with 1009 as it inflates.
func TestRFC7692CompressedAtTheLimit(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	noise := make([]byte, 1001)
	for i := range noise {
		noise[i] = byte(r.Uint32())
	}
	at, over := deflated(string(noise[:1000])), deflated(string(noise))
	if len(at) <= 1000 {
		t.Fatalf("the noise compressed to %d bytes, want more than 1000", len(at))
	}
	limit := compression()
	limit.MaxMessageSize = 1000
	runTable(t, []tcase{
		{name: "at the limit", role: S, opts: limit,
			in:     zfr(C, true, wire.OpBinary, wire.RSV1, at),
			events: []string{fmt.Sprintf("binary %q", noise[:1000])}},
		{name: "one byte over", role: S, opts: limit,
			in:   zfr(C, true, wire.OpBinary, wire.RSV1, over),
			sent: []string{`close 1009 "message too big"`}, err: wire.ErrMessageTooLarge},
	})
}
