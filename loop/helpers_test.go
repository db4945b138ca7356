//go:build linux

package loop_test

import (
	"context"
	"net"
	"testing"

	websocket "github.com/wskit/websocket"
	"github.com/wskit/websocket/internal/testutil"
	"github.com/wskit/websocket/loop"
)

// echoEvents sends every message back.
func echoEvents() *loop.Events {
	return &loop.Events{
		OnText:   func(c *loop.Conn, s string) { c.WriteText(s) },
		OnBinary: func(c *loop.Conn, p []byte) { c.WriteBinary(p) },
	}
}

// start runs a server on loopback with ev and o, shut down (and checked
// to end cleanly) at the test's end; it returns the server and its
// address.
func start(t *testing.T, ev *loop.Events, o *loop.Options) (*loop.Server, string) {
	t.Helper()
	s, err := loop.New(ev, o)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx := testutil.Ctx(t)
		if err := s.Shutdown(ctx); err != nil && err != loop.ErrServerClosed { // the test may have shut it down
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-served; err != loop.ErrServerClosed {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return s, ln.Addr().String()
}

// dial connects a wskit client to addr, with compression when compress.
func dial(t *testing.T, ctx context.Context, addr string, compress bool) *websocket.Conn {
	t.Helper()
	o := &websocket.DialOptions{}
	if compress {
		o.Compression = &websocket.CompressionOptions{}
	}
	c, _, err := websocket.Dial(ctx, "ws://"+addr+"/", o)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}
