package endpoint_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/wskit/websocket/endpoint"
	"github.com/wskit/websocket/wire"
)

// What the endpoint offers a driver that checks part of the protocol
// itself, as the conformance tester does.

// TestExtensionRSVRaw: with Options.ExtensionRSV and no Deflate, a
// message whose first frame has RSV1 is handed out as it arrived, without
// the UTF-8 check (the driver inflates it), and RSV1 still fails an
// endpoint that agreed no extension (RFC 6455 §5.2).
func TestExtensionRSVRaw(t *testing.T) {
	bad := []byte{0xf2, 0x00} // a compressed empty block is not UTF-8 as such
	in := cat(frx(C, wire.Header{Fin: false, RSV: wire.RSV1, Opcode: wire.OpText}, bad[:1]),
		frx(C, wire.Header{Fin: true, Opcode: wire.OpContinuation}, bad[1:]))
	for _, chunk := range []int{0, 1} {
		e := endpoint.New(endpoint.Options{Role: S, ExtensionRSV: wire.RSV1})
		var got []byte
		var ev endpoint.Event
		p := bytes.Clone(in)
		ended := false
		for len(p) > 0 || !ended {
			q := p
			if chunk > 0 && len(q) > chunk {
				q = q[:chunk]
			}
			n, err := e.Receive(q, &ev)
			if err != nil {
				t.Fatalf("chunk %d: %v", chunk, err)
			}
			p = p[n:]
			switch ev.Kind {
			case endpoint.MessageStart:
				if ev.Compressed || ev.Type != wire.OpText {
					t.Fatalf("chunk %d: start %+v", chunk, ev)
				}
			case endpoint.Data:
				got = append(got, ev.Data...)
				ended = ev.End
			case endpoint.None:
				if len(p) == 0 && !ended {
					t.Fatalf("chunk %d: input used up before the message's end", chunk)
				}
			}
		}
		if !bytes.Equal(got, bad) {
			t.Fatalf("chunk %d: got % x, want % x", chunk, got, bad)
		}
	}
	e := endpoint.New(endpoint.Options{Role: S})
	var ev endpoint.Event
	if _, err := e.Receive(bytes.Clone(in), &ev); !errors.Is(err, wire.ErrReservedBits) {
		t.Fatalf("without ExtensionRSV: %v, want ErrReservedBits", err)
	}
}

// TestInvalidCloseShown: a close frame that is not valid fails the
// connection, and the event still shows it, for a driver that reports
// what the peer sent (RFC 6455 §5.5.1, §7.4).
func TestInvalidCloseShown(t *testing.T) {
	payload := []byte{0x03, 0xed} // 1005 may not be sent
	e := endpoint.New(endpoint.Options{Role: S})
	var ev endpoint.Event
	_, err := e.Receive(frx(C, wire.Header{Fin: true, Opcode: wire.OpClose}, payload), &ev)
	if !errors.Is(err, wire.ErrInvalidCloseCode) {
		t.Fatalf("err %v, want ErrInvalidCloseCode", err)
	}
	if ev.Kind != endpoint.Close || ev.Code != 1005 || !bytes.Equal(ev.Data, payload) {
		t.Fatalf("event %+v, want the close frame with code 1005", ev)
	}
	if _, err := e.Receive(nil, &ev); err == nil || ev.Kind != endpoint.None {
		t.Fatalf("after the failure: %v %+v, want the error and no event", err, ev)
	}
}
