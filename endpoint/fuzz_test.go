package endpoint_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/endpoint"
	"github.com/wskit/websocket/wire"
)

// feedRandom is feed with pieces of random sizes from r.
func feedRandom(t testing.TB, e *endpoint.Endpoint, in []byte, r *rand.Rand) result {
	var res result
	var msg []byte
	var typ wire.Opcode
	var ev endpoint.Event
	buf := make([]byte, 1+r.IntN(3000))
	in = bytes.Clone(in)
	for steps := 0; steps < 20*len(in)+1000; steps++ {
		p := in[:min(len(in), r.IntN(40))]
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
				k, end, err := e.Inflate(buf[:1+r.IntN(len(buf))])
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

// FuzzEndpoint: any input, in either role, with or without compression,
// never panics, fails only with a *wire.ProtocolError and a matching close
// frame, and gives the same events, frames sent and error whole, one byte
// at a time and in random pieces.
func FuzzEndpoint(f *testing.F) {
	f.Add(cat(hello, fr(C, true, wire.OpPing, "x"), fr(C, true, wire.OpClose, "\x03\xe8")), uint8(1), uint64(1))
	f.Add(cat(fr(C, false, wire.OpText, "Hel"), fr(C, true, wire.OpPing, "p"), fr(C, true, wire.OpContinuation, "lo")), uint8(1), uint64(2))
	f.Add(zfr(C, true, wire.OpText, wire.RSV1, deflated("Hello, Hello, Hello")), uint8(3), uint64(3))
	f.Add(zfr(S, true, wire.OpBinary, wire.RSV1, deflated("abc")), uint8(2), uint64(4))
	f.Add(fr(S, true, wire.OpText, "ok\xe2\x82"), uint8(0), uint64(5))
	f.Fuzz(func(t *testing.T, in []byte, flags uint8, seed uint64) {
		o := endpoint.Options{MaxMessageSize: 1 << 16}
		role := C
		if flags&1 != 0 {
			role = S
		}
		if flags&2 != 0 {
			o.Deflate = &deflate.Agreement{Decompress: deflate.Flow{NoContextTakeover: flags&4 != 0}}
		}
		whole := feed(t, newEndpoint(role, o), in, 0, 64<<10)
		if whole.err != nil {
			var pe *wire.ProtocolError
			if !errors.As(whole.err, &pe) {
				t.Fatalf("failure %v is not a protocol error", whole.err)
			}
		}
		bytewise := feed(t, newEndpoint(role, o), in, 1, 1)
		pieces := feedRandom(t, newEndpoint(role, o), in, rand.New(rand.NewPCG(seed, 1)))
		for _, got := range []result{bytewise, pieces} {
			if !equal(got.events, whole.events) || !equal(got.sent, whole.sent) || !errors.Is(got.err, whole.err) {
				t.Fatalf("whole: %v\nin pieces: %v", whole, got)
			}
		}
	})
}
