package websocket_test

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/wire"
)

// rawFrame builds one frame as a peer in role from would send it, masked when
// from is a client, and writes it as given even when it breaks the rules.
func rawFrame(from websocket.Role, h wire.Header, payload []byte) []byte {
	if from == websocket.RoleClient {
		h.Masked = true
		h.Mask = [4]byte{0x11, 0x22, 0x33, 0x44}
	}
	h.Length = int64(len(payload))
	return wire.AppendFrame(nil, h, payload)
}

func frame(fin bool, op wire.Opcode) wire.Header {
	return wire.Header{Fin: fin, Opcode: op}
}

// rawPeerResult is what a raw peer saw after sending its bytes.
type rawPeerResult struct {
	messages  [][]byte // data messages the Conn's application read
	appErr    error    // the error the application's read ended with
	closeCode wire.StatusCode
	gotClose  bool // a close frame came back
}

// runRawPeer connects a Conn playing role over loopback TCP to a raw peer
// that sends the given bytes, then reads everything back until the Conn
// closes TCP. The Conn's application reads messages until an error.
func runRawPeer(t *testing.T, role websocket.Role, opts *websocket.ConnOptions, send []byte) rawPeerResult {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx := testCtx(t)
	type appResult struct {
		msgs [][]byte
		err  error
	}
	app := make(chan appResult, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			app <- appResult{err: err}
			return
		}
		c := websocket.NewConn(nc, role, opts)
		defer c.CloseNow()
		var res appResult
		for {
			_, p, err := c.Read(ctx)
			if err != nil {
				res.err = err
				break
			}
			res.msgs = append(res.msgs, p)
		}
		app <- res
	}()
	peer, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	peer.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := peer.Write(send); err != nil {
		t.Fatalf("raw peer write: %v", err)
	}
	back, err := io.ReadAll(peer)
	if err != nil {
		t.Fatalf("raw peer read: %v (the Conn never closed TCP)", err)
	}
	a := <-app
	res := rawPeerResult{messages: a.msgs, appErr: a.err}
	var s closeScanner
	if _, err := s.feed(back); err != nil {
		t.Fatalf("the Conn sent bytes that do not parse, or a bad close payload: %v", err)
	}
	res.gotClose, res.closeCode = s.done, s.code
	return res
}

// TestProtocolViolations sends each violation of RFC 6455 from a
// hand-written peer and checks the close code that comes back, the error
// the application sees, and that a message accepted before the violation
// was delivered.
func TestProtocolViolations(t *testing.T) {
	C, S := websocket.RoleClient, websocket.RoleServer
	good := rawFrame(C, frame(true, wire.OpText), []byte("before"))
	cases := []struct {
		name string
		role websocket.Role // of the Conn under test
		opts *websocket.ConnOptions
		send []byte
		code wire.StatusCode
		err  error
	}{
		{"unmasked client frame", S, nil,
			wire.AppendFrame(nil, wire.Header{Fin: true, Opcode: wire.OpText, Length: 2}, []byte("hi")),
			1002, wire.ErrUnmaskedFrame},
		{"masked server frame", C, nil,
			rawFrame(C, frame(true, wire.OpText), []byte("hi")),
			1002, wire.ErrMaskedFrame},
		{"RSV1 set", S, nil,
			rawFrame(C, wire.Header{Fin: true, Opcode: wire.OpText, RSV: wire.RSV1}, []byte("hi")),
			1002, wire.ErrReservedBits},
		{"RSV3 set on a ping", S, nil,
			rawFrame(C, wire.Header{Fin: true, Opcode: wire.OpPing, RSV: wire.RSV3}, nil),
			1002, wire.ErrReservedBits},
		{"reserved data opcode", S, nil,
			rawFrame(C, frame(true, 3), nil),
			1002, wire.ErrReservedOpcode},
		{"reserved control opcode", S, nil,
			rawFrame(C, frame(true, 0xB), nil),
			1002, wire.ErrReservedOpcode},
		{"fragmented ping", S, nil,
			rawFrame(C, frame(false, wire.OpPing), []byte("x")),
			1002, wire.ErrFragmentedControl},
		{"ping payload of 126 bytes", S, nil,
			rawFrame(C, frame(true, wire.OpPing), make([]byte, 126)),
			1002, wire.ErrControlTooLong},
		{"continuation without a message", S, nil,
			rawFrame(C, frame(true, wire.OpContinuation), []byte("x")),
			1002, wire.ErrNoMessageToContinue},
		{"new message inside a fragmented one", S, nil,
			cat(rawFrame(C, frame(false, wire.OpText), []byte("a")),
				rawFrame(C, frame(true, wire.OpBinary), []byte("b"))),
			1002, wire.ErrMessageNotFinished},
		{"invalid UTF-8 in one frame", S, nil,
			rawFrame(C, frame(true, wire.OpText), []byte("ok\xc0\xafok")),
			1007, wire.ErrInvalidUTF8},
		{"invalid UTF-8 split across frames", S, nil,
			cat(rawFrame(C, frame(false, wire.OpText), []byte("ok\xf0\x90")),
				rawFrame(C, frame(true, wire.OpContinuation), []byte("\x28ok"))),
			1007, wire.ErrInvalidUTF8},
		{"text ending inside a character", S, nil,
			rawFrame(C, frame(true, wire.OpText), []byte("ok\xe2\x82")),
			1007, wire.ErrIncompleteUTF8},
		{"close with a 1-byte payload", S, nil,
			rawFrame(C, frame(true, wire.OpClose), []byte{0x03}),
			1002, wire.ErrClosePayloadShort},
		{"close with code 999", S, nil,
			rawFrame(C, frame(true, wire.OpClose), []byte{0x03, 0xe7}),
			1002, wire.ErrInvalidCloseCode},
		{"close with code 1005", S, nil,
			rawFrame(C, frame(true, wire.OpClose), []byte{0x03, 0xed}),
			1002, wire.ErrInvalidCloseCode},
		{"close with code 5000", S, nil,
			rawFrame(C, frame(true, wire.OpClose), []byte{0x13, 0x88}),
			1002, wire.ErrInvalidCloseCode},
		{"close reason not UTF-8", S, nil,
			rawFrame(C, frame(true, wire.OpClose), []byte{0x03, 0xe8, 0xff}),
			1007, wire.ErrCloseReasonUTF8},
		{"message over the limit", S, &websocket.ConnOptions{MaxMessageSize: 1000},
			rawFrame(C, frame(true, wire.OpBinary), make([]byte, 1001)),
			1009, wire.ErrMessageTooLarge},
		{"fragmented message over the limit", S, &websocket.ConnOptions{MaxMessageSize: 1000},
			cat(rawFrame(C, frame(false, wire.OpBinary), make([]byte, 600)),
				rawFrame(C, frame(true, wire.OpContinuation), make([]byte, 600))),
			1009, wire.ErrMessageTooLarge},
		{"frame over the frame limit", S, &websocket.ConnOptions{MaxFrameSize: 100},
			rawFrame(C, frame(true, wire.OpBinary), make([]byte, 101)),
			1009, wire.ErrFrameTooLarge},
		{"length not in minimal form", S, nil,
			[]byte{0x82, 0x80 | 126, 0x00, 0x05, 1, 2, 3, 4, 1, 2, 3, 4, 5},
			1002, wire.ErrNonMinimalLength},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			send := tc.send
			if tc.role == S {
				send = cat(good, send)
			} else {
				send = cat(rawFrame(S, frame(true, wire.OpText), []byte("before")), send)
			}
			res := runRawPeer(t, tc.role, tc.opts, send)
			if len(res.messages) != 1 || string(res.messages[0]) != "before" {
				t.Errorf("the message before the violation was not delivered: %q", res.messages)
			}
			if !res.gotClose || res.closeCode != tc.code {
				t.Errorf("close frame sent: %v with code %d, want code %d", res.gotClose, res.closeCode, tc.code)
			}
			if !errors.Is(res.appErr, tc.err) {
				t.Errorf("application error %v, want %v", res.appErr, tc.err)
			}
			if got := websocket.CloseStatus(res.appErr); got != tc.code {
				t.Errorf("CloseStatus = %d, want %d", got, tc.code)
			}
		})
	}
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
