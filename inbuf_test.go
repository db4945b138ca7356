package websocket_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/wire"
)

// TestReadTCPTrickle reads over loopback TCP, where an idle Conn waits for
// the socket to become readable holding no buffer: frames that arrive a
// byte at a time, a message larger than the read buffer read straight
// into the caller's, a ping answered between them, and the peer's end of
// the connection, which must come out as the abnormal closure it is.
func TestReadTCPTrickle(t *testing.T) {
	peer, s := tcpPair(t)
	c := websocket.NewConn(s, websocket.RoleServer, &websocket.ConnOptions{PingInterval: -1})
	defer c.CloseNow()
	mask := [4]byte{7, 1, 9, 3}
	frame := func(op wire.Opcode, p []byte) []byte { // AppendFrame masks p
		return wire.AppendFrame(nil, wire.Header{Fin: true, Opcode: op, Length: int64(len(p)), Masked: true, Mask: mask}, p)
	}
	small := []byte("one byte at a time")
	large := bytes.Repeat([]byte("0123456789abcdef"), 1<<10) // 16 KiB, past the 4 KiB buffer
	var stream []byte
	stream = append(stream, frame(wire.OpText, small)...)
	stream = append(stream, frame(wire.OpPing, []byte("p"))...)
	stream = append(stream, frame(wire.OpBinary, large)...)
	sent := make(chan error, 1)
	go func() {
		for i := range stream {
			if _, err := peer.Write(stream[i : i+1]); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	ctx := testCtx(t)
	if typ, p, err := c.Read(ctx); err != nil || typ != websocket.MessageText || !bytes.Equal(p, small) {
		t.Fatalf("first message: %v %q %v", typ, p, err)
	}
	buf := make([]byte, 0, len(large))
	if typ, p, err := c.AppendRead(ctx, buf); err != nil || typ != websocket.MessageBinary || !bytes.Equal(p, large) {
		t.Fatalf("second message: %v, %d bytes, %v", typ, len(p), err)
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	// The pong for the ping, unmasked from the server.
	pong := make([]byte, 3)
	if _, err := io.ReadFull(peer, pong); err != nil || !bytes.Equal(pong, []byte{0x8a, 1, 'p'}) {
		t.Fatalf("pong: %x %v", pong, err)
	}
	// The peer goes away without a close frame while the Conn waits.
	go peer.Close()
	_, _, err := c.Read(ctx)
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.StatusAbnormalClosure {
		t.Fatalf("read after the peer left: %v, want a CloseError with 1006", err)
	}
}
