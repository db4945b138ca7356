package websocket_test

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/handshake"
	"github.com/wskit/websocket/wire"
)

// TestCompressionRoundTrips echoes compressible and random messages, whole
// and fragmented, between a wskit client and server for every window size
// from 8 to 15 bits with context takeover on and off, asked for by either
// side, and a few messages of several MiB at the extremes.
func TestCompressionRoundTrips(t *testing.T) {
	type combo struct {
		client, server deflate.Options
		sizes          []int
	}
	small := []int{0, 1, 127, 128, 1000, 65536}
	var combos []combo
	for bits := 8; bits <= 15; bits++ {
		for _, takeover := range []bool{true, false} {
			combos = append(combos,
				combo{deflate.Options{WindowBits: bits, NoContextTakeover: !takeover}, deflate.Options{}, small},
				combo{deflate.Options{}, deflate.Options{WindowBits: bits, NoContextTakeover: !takeover}, small},
				combo{deflate.Options{PeerWindowBits: bits, PeerNoContextTakeover: !takeover}, deflate.Options{PeerWindowBits: bits}, small},
			)
		}
	}
	for _, bits := range []int{8, 15} {
		for _, takeover := range []bool{true, false} {
			o := deflate.Options{WindowBits: bits, PeerWindowBits: bits, NoContextTakeover: !takeover, PeerNoContextTakeover: !takeover}
			combos = append(combos, combo{o, o, []int{3 << 20}})
		}
	}
	for i, cb := range combos {
		t.Run(fmt.Sprintf("%d/%+v/%+v/%d", i, cb.client, cb.server, len(cb.sizes)), func(t *testing.T) {
			t.Parallel()
			// No keepalive: under -race at load 21 a pong waiting behind
			// a 3 MiB message took past the default 30 s + 30 s, and the
			// server failed the connection with 1011 (keepalive has tests
			// of its own).
			url := echoServer(t, &websocket.AcceptOptions{ConnOptions: websocket.ConnOptions{
				PingInterval: -1,
				Compression:  &websocket.CompressionOptions{Options: cb.server}}})
			// The 3 MiB messages are read whole, past DefaultMaxMessageSize.
			c := dial(t, url, &websocket.DialOptions{ConnOptions: websocket.ConnOptions{
				MaxMessageSize: 4 << 20,
				Compression:    &websocket.CompressionOptions{Options: cb.client}}})
			if !c.Compressed() {
				t.Fatalf("compression not agreed: %v", c.Extensions())
			}
			ctx := testCtx(t)
			var msgs [][]byte
			for _, n := range cb.sizes {
				msgs = append(msgs, payload(websocket.MessageText, n, 5), payload(websocket.MessageBinary, n, 6))
			}
			sent := make(chan error, 1)
			go func() {
				for k, m := range msgs {
					typ := websocket.MessageText
					if k%2 == 1 {
						typ = websocket.MessageBinary
					}
					if err := sendMessage(ctx, c, typ, m, k%4 < 2); err != nil {
						sent <- err
						return
					}
				}
				sent <- nil
			}()
			for k, want := range msgs {
				_, got, err := c.Read(ctx)
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("message %d (%d bytes): %v, got %d bytes", k, len(want), err, len(got))
				}
			}
			if err := <-sent; err != nil {
				t.Fatal(err)
			}
			c.Close(websocket.StatusNormalClosure, "")
		})
	}
}

// TestCompressedBytesInterop checks what wskit puts on the wire against
// compress/flate, an inflater that is not wskit's, and that wskit inflates
// what compress/flate produced.
func TestCompressedBytesInterop(t *testing.T) {
	a, b := tcpPair(t)
	ext := []handshake.Extension{{Name: "permessage-deflate"}}
	srv := websocket.NewConn(b, websocket.RoleServer, &websocket.ConnOptions{Extensions: ext})
	defer srv.CloseNow()
	ctx := testCtx(t)
	msg := bytes.Repeat([]byte("compress me, compress me again; "), 100)
	go srv.Write(ctx, websocket.MessageText, msg)

	// Read the raw frame and inflate it with compress/flate.
	var dec wire.Decoder
	var ev wire.Event
	var p []byte
	buf := make([]byte, 64<<10)
	var h wire.Header
	for done := false; !done; {
		n, err := a.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		for data := buf[:n]; len(data) > 0; {
			k, err := dec.Decode(data, &ev)
			if err != nil {
				t.Fatal(err)
			}
			data = data[k:]
			if ev.Kind == wire.EventHeader {
				h = ev.Header
			}
			p = append(p, ev.Payload...)
			done = done || ev.Kind != wire.EventNone && ev.FrameEnd()
		}
	}
	if h.RSV != wire.RSV1 || len(p) >= len(msg) {
		t.Fatalf("frame RSV %x, %d bytes for %d: not compressed", h.RSV, len(p), len(msg))
	}
	tail := []byte{0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff} // RFC 7692 §7.2.2, then a final empty block
	got, err := io.ReadAll(flate.NewReader(io.MultiReader(bytes.NewReader(p), bytes.NewReader(tail))))
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("compress/flate inflates wskit's message to %d bytes: %v", len(got), err)
	}

	// The other way: compress/flate compresses, wskit inflates.
	var zb bytes.Buffer
	fw, _ := flate.NewWriter(&zb, flate.BestCompression)
	fw.Write(msg)
	fw.Flush()
	z := bytes.TrimSuffix(zb.Bytes(), []byte{0, 0, 0xff, 0xff})
	a.Write(rawFrame(websocket.RoleClient, wire.Header{Fin: true, Opcode: wire.OpText, RSV: wire.RSV1}, z))
	_, got, err = srv.Read(ctx)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("wskit inflates compress/flate's message: %v (%d bytes)", err, len(got))
	}
}

// TestDecompressionBomb sends a compressed frame of a few hundred KiB that
// would inflate to 256 MiB and checks that the connection stops at the limit
// with 1009, without the heap growing anywhere near the message's size.
func TestDecompressionBomb(t *testing.T) {
	// A sync-flushed chunk of 1 MiB of zeros ends on a byte boundary and
	// refers back no further than its own start, so copies of it in a row
	// form one valid stream.
	var zb bytes.Buffer
	fw, _ := flate.NewWriter(&zb, flate.BestCompression)
	fw.Write(make([]byte, 1<<20))
	fw.Flush()
	z := bytes.Repeat(zb.Bytes(), 256)
	z = bytes.TrimSuffix(z, []byte{0, 0, 0xff, 0xff})
	t.Logf("256 MiB of zeros in %d compressed bytes", len(z))

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	send := rawFrame(websocket.RoleClient, wire.Header{Fin: true, Opcode: wire.OpBinary, RSV: wire.RSV1}, z)
	opts := &websocket.ConnOptions{
		MaxMessageSize: 4 << 20,
		Extensions:     []handshake.Extension{{Name: "permessage-deflate"}},
	}
	res := runRawPeer(t, websocket.RoleServer, opts, send)
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if res.closeCode != 1009 || !errors.Is(res.appErr, wire.ErrMessageTooLarge) {
		t.Fatalf("bomb: close %d, error %v; want 1009", res.closeCode, res.appErr)
	}
	// Read may hold up to the 4 MiB limit; a bomb that got through would
	// need 1 GiB.
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 64<<20 {
		t.Fatalf("heap grew by %d MiB while inflating", grew>>20)
	}
	if total := after.TotalAlloc - before.TotalAlloc; total > 256<<20 {
		t.Fatalf("%d MiB allocated while inflating a bomb", total>>20)
	}
}

// TestDialRejectsBadDeflateResponse checks that a client fails the
// connection when the server's permessage-deflate response is not one it
// can accept (RFC 7692 §7.1), and sends 1010 on its way out.
func TestDialRejectsBadDeflateResponse(t *testing.T) {
	for _, resp := range []string{
		"permessage-deflate; foo=1",
		"permessage-deflate; server_max_window_bits=16",
		"permessage-deflate; client_max_window_bits=10; client_max_window_bits=10",
		"permessage-deflate; server_no_context_takeover=yes",
	} {
		codes := make(chan wire.StatusCode, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			nc, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			defer nc.Close()
			key := r.Header.Get("Sec-WebSocket-Key")
			fmt.Fprintf(nc, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\nSec-WebSocket-Extensions: %s\r\n\r\n",
				handshake.AcceptKey(key), resp)
			code, _ := readCloseCode(nc)
			codes <- code
		}))
		_, _, err := websocket.Dial(testCtx(t), wsURL(srv), &websocket.DialOptions{ConnOptions: websocket.ConnOptions{
			Compression: &websocket.CompressionOptions{}}})
		if !errors.Is(err, deflate.ErrBadResponse) && !errors.Is(err, handshake.ErrUnexpectedExtension) {
			t.Errorf("response %q: Dial returned %v, want a refusal", resp, err)
		}
		if code := <-codes; code != 1010 {
			t.Errorf("response %q: the client closed with %d, want 1010", resp, code)
		}
		srv.Close()
	}
}

// readCloseCode reads one close frame from a raw connection.
func readCloseCode(nc net.Conn) (wire.StatusCode, error) {
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(io.LimitReader(nc, 2+4+125))
	var s closeScanner
	if _, ferr := s.feed(b); ferr != nil {
		return 0, ferr
	}
	return s.code, err
}
