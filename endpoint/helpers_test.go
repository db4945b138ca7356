package endpoint_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/endpoint"
	"github.com/wskit/websocket/wire"
)

const (
	C = wire.RoleClient
	S = wire.RoleServer
)

// fixedMask makes the endpoint's output reproducible.
func fixedMask() [4]byte { return [4]byte{0xa1, 0xb2, 0xc3, 0xd4} }

// fr builds a frame as a peer in role from sends it: masked when from is a
// client, written as given even when it breaks the rules.
func fr(from wire.Role, fin bool, op wire.Opcode, payload string) []byte {
	return frx(from, wire.Header{Fin: fin, Opcode: op}, []byte(payload))
}

func frx(from wire.Role, h wire.Header, payload []byte) []byte {
	if from == C {
		h.Masked, h.Mask = true, [4]byte{0x11, 0x22, 0x33, 0x44}
	}
	return wire.AppendFrame(nil, h, payload)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// peerOf returns the role that sends to an endpoint of role r.
func peerOf(r wire.Role) wire.Role {
	if r == C {
		return S
	}
	return C
}

// result is what an endpoint did with its input: the events, with each
// message's pieces joined (so it does not depend on the chunking), the
// frames it queued to send, and the error it failed with.
type result struct {
	events []string
	sent   []string
	err    error
}

func (r result) String() string {
	return fmt.Sprintf("events %q sent %q err %v", r.events, r.sent, r.err)
}

// feed gives in to e in pieces of chunk bytes (0: whole), inflating with
// output buffers of outChunk bytes, and returns what happened.
func feed(t testing.TB, e *endpoint.Endpoint, in []byte, chunk, outChunk int) result {
	t.Helper()
	var res result
	var msg []byte
	var typ wire.Opcode
	var ev endpoint.Event
	buf := make([]byte, max(outChunk, 1))
	in = bytes.Clone(in) // Receive unmasks in place
	limit := 10*len(in) + 1000
	for steps := 0; ; steps++ {
		if steps > limit {
			t.Fatalf("no progress after %d steps", steps)
		}
		p := in
		if chunk > 0 && len(p) > chunk {
			p = p[:chunk]
		}
		n, err := e.Receive(p, &ev)
		in = in[n:]
		if err != nil {
			res.err = err
			break
		}
		switch ev.Kind {
		case endpoint.None:
			if len(in) == 0 {
				res.sent = frames(t, e)
				return res
			}
		case endpoint.MessageStart:
			typ, msg = ev.Type, msg[:0]
		case endpoint.Data:
			msg = append(msg, ev.Data...)
			if ev.End {
				res.events = append(res.events, fmt.Sprintf("%s %q", typ, msg))
			}
		case endpoint.Inflate:
			for {
				k, end, err := e.Inflate(buf)
				msg = append(msg, buf[:k]...)
				if err != nil {
					res.err = err
					res.sent = frames(t, e)
					return res
				}
				if end {
					res.events = append(res.events, fmt.Sprintf("%s %q", typ, msg))
					break
				}
				if k == 0 {
					break
				}
			}
		case endpoint.Ping, endpoint.Pong:
			res.events = append(res.events, fmt.Sprintf("%s %q", ev.Kind, ev.Data))
		case endpoint.Close:
			res.events = append(res.events, fmt.Sprintf("close %d %q", ev.Code, ev.Reason))
		}
	}
	res.sent = frames(t, e)
	return res
}

// frames decodes what the endpoint queued to send, checking the masking
// its role requires.
func frames(t testing.TB, e *endpoint.Endpoint) []string {
	t.Helper()
	return decodeFrames(t, e.Role(), e.AppendOutgoing(nil))
}

func decodeFrames(t testing.TB, from wire.Role, out []byte) []string {
	t.Helper()
	var dec wire.Decoder
	var ev wire.Event
	var got []string
	var payload []byte
	out = bytes.Clone(out) // the decoder unmasks in place
	for len(out) > 0 {
		n, err := dec.Decode(out, &ev)
		if err != nil {
			t.Fatalf("the endpoint sent a bad frame: %v", err)
		}
		out = out[n:]
		if ev.Kind == wire.EventHeader {
			if ev.Header.Masked != (from == C) {
				t.Fatalf("a %v sent a frame with Masked %v", from, ev.Header.Masked)
			}
			payload = payload[:0]
		}
		if ev.Kind == wire.EventPayload {
			payload = append(payload, ev.Payload...)
		}
		if ev.Kind != wire.EventNone && ev.FrameEnd() {
			h := ev.Header
			s := fmt.Sprintf("%s %q", h.Opcode, payload)
			if h.Opcode == wire.OpClose {
				code, reason, err := wire.ParseClosePayload(payload)
				if err != nil {
					t.Fatalf("bad close payload % x: %v", payload, err)
				}
				s = fmt.Sprintf("close %d %q", code, reason)
			}
			if h.Opcode.IsData() || h.Opcode == wire.OpContinuation {
				s = fmt.Sprintf("%s fin=%v rsv=%d %q", h.Opcode, h.Fin, h.RSV, payload)
			}
			got = append(got, s)
		}
	}
	return got
}

// tcase is one row of a byte-in/byte-out table.
type tcase struct {
	name   string
	role   wire.Role // of the endpoint under test
	opts   *endpoint.Options
	in     []byte
	events []string
	sent   []string
	err    error // nil, or the sentinel the failure matches
}

// runTable runs each case whole and in pieces of 1, 2, 3 and 7 bytes, with
// inflate buffers of 1 and 64 KiB bytes; the results must not differ.
func runTable(t *testing.T, cases []tcase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, chunk := range []int{0, 1, 2, 3, 7} {
				for _, outChunk := range []int{64 << 10, 1} {
					o := endpoint.Options{}
					if tc.opts != nil {
						o = *tc.opts
					}
					o.Role = tc.role
					o.Mask = fixedMask
					got := feed(t, endpoint.New(o), tc.in, chunk, outChunk)
					check(t, fmt.Sprintf("chunk %d out %d", chunk, outChunk), tc, got)
				}
			}
		})
	}
}

func check(t *testing.T, how string, tc tcase, got result) {
	t.Helper()
	if !equal(got.events, tc.events) || !equal(got.sent, tc.sent) || !errors.Is(got.err, tc.err) || (tc.err == nil) != (got.err == nil) {
		t.Fatalf("%s:\n got  %v\n want events %q sent %q err %v", how, got, tc.events, tc.sent, tc.err)
	}
	if tc.err != nil {
		if code := wire.CloseCodeFor(got.err); len(got.sent) == 0 || !strings.HasPrefix(got.sent[len(got.sent)-1], fmt.Sprintf("close %d ", code)) {
			t.Fatalf("%s: failed with %v but the last frame sent is not a close with %d: %q", how, got.err, code, got.sent)
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// deflated returns msg compressed as one message by a fresh compressor.
func deflated(msg string) []byte {
	c := deflate.NewCompressor(deflate.Flow{}, 0)
	return c.Finish(c.Compress(nil, []byte(msg)))
}

// compression is the options of an endpoint with permessage-deflate and
// context takeover both ways.
func compression() *endpoint.Options {
	return &endpoint.Options{Deflate: &deflate.Agreement{}}
}
