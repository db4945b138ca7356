package server_test

import (
	"context"
	"io"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/internal/testutil"
	"github.com/wskit/websocket/server"
)

// TestHandlerStack holds connections idle after one echo each and checks
// that their handlers' goroutines kept the 2 KiB stack they start with:
// the reads and writes of a handler wait at the bottom of its goroutine's
// stack, and a chain of calls one frame too deep doubles the stack, for
// the connection's whole life (2 KiB more of each idle connection's 6 or
// so). The handlers are the two ways to read, Read and Reader, with small
// frames of their own. Frames differ under the race detector, so it runs
// without.
func TestHandlerStack(t *testing.T) {
	if raceEnabled {
		t.Skip("frame sizes differ under the race detector")
	}
	handlers := map[string]server.HandlerFunc{
		"Read": echo,
		"Reader": func(ctx context.Context, c *websocket.Conn) error {
			buf := make([]byte, 64)
			for {
				typ, r, err := c.Reader(ctx)
				if err != nil {
					return nil
				}
				n, err := io.ReadFull(r, buf[:16])
				if err != nil {
					return nil
				}
				if err := c.Write(ctx, typ, buf[:n]); err != nil {
					return nil
				}
			}
		},
	}
	for name, h := range handlers {
		t.Run(name, func(t *testing.T) {
			const n = 200
			stack := handlerStack(t, h, n)
			t.Logf("goroutine stack per idle connection after an echo: %d bytes", stack)
			if stack > 3<<10 {
				t.Errorf("goroutine stack per idle connection: %d bytes, want 2 KiB (4 KiB means a call on the read or write path grew it)", stack)
			}
		})
	}
}

// handlerStack opens n connections to a server/ server running h, each
// with one 16-byte echo, and returns how much goroutine stack each holds
// once idle. The client side is plain TCP on the test's goroutine
// (testutil.OpenEchoed), so that the stacks counted are the server's.
func handlerStack(t *testing.T, h server.HandlerFunc, n int) int64 {
	opts := &server.Options{}
	opts.PingInterval = -1
	srv := server.New(opts)
	srv.Handle("/", h)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	open := func() { testutil.OpenEchoed(t, hs.Listener.Addr().String()) }
	open() // one-time initialisation, not what a connection costs
	measure := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.StackInuse
	}
	before := measure()
	for range n {
		open()
	}
	return (int64(measure()) - int64(before)) / int64(n)
}
