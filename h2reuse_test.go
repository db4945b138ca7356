package websocket_test

import (
	"crypto/tls"
	"testing"

	"github.com/wskit/websocket"
)

// TestH2DialReusesConnection: a Dial without HTTP2 upgrades over HTTP/1.1
// while there is no HTTP/2 connection to the origin, becomes a stream of
// the one an HTTP2 Dial opened (the server sees a single TCP connection
// carry both), and goes back to HTTP/1.1 once that connection has closed
// with its last WebSocket. Another TLSConfig is another pool key.
func TestH2DialReusesConnection(t *testing.T) {
	s := newH2Server(t, nil, nil)
	ctx := testCtx(t)
	do := s.dialOpts()
	plain := *do
	plain.HTTP2 = false

	dialEcho := func(o *websocket.DialOptions, wantMajor int) *websocket.Conn {
		t.Helper()
		c, resp, err := websocket.Dial(ctx, s.url(), o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.CloseNow() }) // before the server's Close
		if resp.ProtoMajor != wantMajor {
			t.Fatalf("Dial (HTTP2 %v) went over %s, want HTTP/%d", o.HTTP2, resp.Proto, wantMajor)
		}
		if err := c.Write(ctx, websocket.MessageText, []byte("hi")); err != nil {
			t.Fatal(err)
		}
		if _, got, err := c.Read(ctx); err != nil || string(got) != "hi" {
			t.Fatalf("echo: %q, %v", got, err)
		}
		return c
	}
	counts := func(conns, h1, h2 int64) {
		t.Helper()
		if s.conns.Load() != conns || s.h1.Load() != h1 || s.h2.Load() != h2 {
			t.Fatalf("server saw %d TCP connections, %d HTTP/1.1 and %d HTTP/2 WebSockets, want %d, %d and %d",
				s.conns.Load(), s.h1.Load(), s.h2.Load(), conns, h1, h2)
		}
	}

	first := dialEcho(&plain, 1) // no HTTP/2 connection yet
	first.CloseNow()
	counts(1, 1, 0)

	viaH2 := dialEcho(do, 2)
	counts(2, 1, 1)
	reused := dialEcho(&plain, 2)
	counts(2, 1, 2)

	other := plain
	other.TLSConfig = &tls.Config{RootCAs: do.TLSConfig.RootCAs}
	dialEcho(&other, 1).CloseNow()
	counts(3, 2, 2)

	// The plain Dial's stream keeps the connection open after the first
	// stream closes; the connection closes with the last.
	viaH2.CloseNow()
	again := dialEcho(&plain, 2)
	counts(3, 2, 3)
	reused.CloseNow()
	again.CloseNow()
	dialEcho(&plain, 1).CloseNow()
	counts(4, 3, 3)
}
