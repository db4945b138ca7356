package wire_test

import (
	"fmt"

	"github.com/wskit/websocket/wire"
)

// A server reading what a client sent: decode, validate each header, and
// collect the payload, whatever pieces the bytes arrive in.
func ExampleDecoder() {
	// The masked "Hello" of RFC 6455 §5.7, arriving in two reads that split
	// the header.
	reads := [][]byte{
		{0x81, 0x85, 0x37, 0xfa},
		{0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58},
	}
	var d wire.Decoder
	var ev wire.Event
	v := wire.Validator{Role: wire.RoleServer}
	var text []byte
	for _, p := range reads {
		for len(p) > 0 {
			n, err := d.Decode(p, &ev)
			if err != nil {
				fmt.Println("fail with", wire.CloseCodeFor(err))
				return
			}
			switch ev.Kind {
			case wire.EventHeader:
				if err := v.Check(ev.Header); err != nil {
					fmt.Println("fail with", wire.CloseCodeFor(err))
					return
				}
				fmt.Println("frame:", ev.Header.Opcode, ev.Header.Length, "bytes")
			case wire.EventPayload:
				text = append(text, ev.Payload...)
			}
			p = p[n:]
		}
	}
	fmt.Printf("payload: %s\n", text)
	// Output:
	// frame: text 5 bytes
	// payload: Hello
}

// A client writing a masked frame and a close frame.
func ExampleAppendFrame() {
	h := wire.Header{Fin: true, Opcode: wire.OpText, Masked: true, Mask: [4]byte{0x37, 0xfa, 0x21, 0x3d}}
	out := wire.AppendFrame(nil, h, []byte("Hello"))
	fmt.Printf("% x\n", out)

	h.Opcode = wire.OpClose
	h.Mask = [4]byte{}
	out = wire.AppendFrame(nil, h, wire.AppendClosePayload(nil, wire.StatusGoingAway, ""))
	fmt.Printf("% x\n", out)
	// Output:
	// 81 85 37 fa 21 3d 7f 9f 4d 51 58
	// 88 82 00 00 00 00 03 e9
}

// A validator fails a frame that breaks the rules with its close code.
func ExampleValidator() {
	v := wire.Validator{Role: wire.RoleClient}
	err := v.Check(wire.Header{Fin: true, Opcode: wire.OpContinuation, Length: 3})
	fmt.Println(err, "->", wire.CloseCodeFor(err), int(wire.CloseCodeFor(err)))
	// Output:
	// websocket: continuation frame with no message in progress -> protocol error 1002
}
