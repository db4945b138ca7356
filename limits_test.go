package websocket_test

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"testing"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/handshake"
	"github.com/wskit/websocket/wire"
)

// TestDefaultLimitsReadAndReader: with the default limits, Reader takes a
// 2 MiB message, which it does not hold, and Read refuses the next one
// with 1009 before reading its payload (DefaultMaxMessageSize, 1 MiB).
func TestDefaultLimitsReadAndReader(t *testing.T) {
	a, b := tcpPair(t)
	opts := &websocket.ConnOptions{PingInterval: -1}
	srv := websocket.NewConn(a, websocket.RoleServer, opts)
	defer srv.CloseNow()
	cli := websocket.NewConn(b, websocket.RoleClient, opts)
	defer cli.CloseNow()
	ctx := testCtx(t)
	msg := payload(websocket.MessageBinary, 2<<20, 7)
	sent := make(chan error, 1)
	go func() {
		for range 2 {
			if err := cli.Write(ctx, websocket.MessageBinary, msg); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	_, r, err := srv.Reader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := io.Copy(io.Discard, r); err != nil || n != int64(len(msg)) {
		t.Fatalf("Reader: %d bytes, %v; want %d", n, err, len(msg))
	}
	if _, _, err := srv.Read(ctx); !errors.Is(err, wire.ErrMessageTooLarge) || websocket.CloseStatus(err) != 1009 {
		t.Fatalf("Read of a 2 MiB message: %v, want 1009", err)
	}
	if _, _, err := cli.Read(ctx); websocket.CloseStatus(err) != 1009 {
		t.Fatalf("the peer got %v, want a close frame with 1009", err)
	}
	<-sent
}

// TestCompressedAtTheDefaultLimit: Read takes a compressed message of
// exactly DefaultMaxMessageSize whose compressed form is larger (noise, in
// stored blocks), and fails the next, one byte longer, with 1009 as it
// inflates.
func TestCompressedAtTheDefaultLimit(t *testing.T) {
	noise := payload(websocket.MessageBinary, websocket.DefaultMaxMessageSize+1, 8)
	// compress/flate at level 9 (as gorilla's peers may send) cuts stored
	// blocks at 16 KiB: 321 bytes more than the noise.
	deflated := func(p []byte) []byte {
		var b bytes.Buffer
		w, _ := flate.NewWriter(&b, flate.BestCompression)
		w.Write(p)
		w.Flush()
		return bytes.TrimSuffix(b.Bytes(), []byte{0, 0, 0xff, 0xff})
	}
	at, over := deflated(noise[:len(noise)-1]), deflated(noise)
	if len(at) <= websocket.DefaultMaxMessageSize {
		t.Fatalf("the noise compressed to %d bytes, want more than the limit", len(at))
	}
	h := wire.Header{Fin: true, Opcode: wire.OpBinary, RSV: wire.RSV1}
	opts := &websocket.ConnOptions{PingInterval: -1, Extensions: []handshake.Extension{{Name: "permessage-deflate"}}}
	res := runRawPeer(t, websocket.RoleServer, opts, cat(rawFrame(websocket.RoleClient, h, at), rawFrame(websocket.RoleClient, h, over)))
	if len(res.messages) != 1 || !bytes.Equal(res.messages[0], noise[:len(noise)-1]) {
		t.Fatalf("%d messages read, want the one at the limit", len(res.messages))
	}
	if res.closeCode != 1009 || !errors.Is(res.appErr, wire.ErrMessageTooLarge) {
		t.Fatalf("one byte over: close %d, %v; want 1009", res.closeCode, res.appErr)
	}
}
