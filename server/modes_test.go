package server_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/server"
)

// mode is a driver the suite runs on: a goroutine per connection, or the
// event loop (Options.EventLoop), where a route is served by Events, with
// the handshakes read by net/http (the Server mounted in an http.Server)
// or by the loops themselves (own: Server.Serve).
type mode struct {
	name string
	loop *server.EventLoopOptions
	own  bool
}

// modes are the drivers of this platform: the event loop needs Linux.
var modes = func() []mode {
	m := []mode{{name: "goroutine"}}
	if runtime.GOOS == "linux" {
		m = append(m, mode{name: "loop", loop: &server.EventLoopOptions{Loops: 2, Workers: 4}},
			mode{name: "loop-serve", loop: &server.EventLoopOptions{Loops: 2, Workers: 4}, own: true})
	}
	return m
}()

// serve starts srv as m serves it, on a loopback port, shut down when the
// test ends, and returns its ws:// base URL.
func (m mode) serve(t testing.TB, srv *server.Server) string {
	t.Helper()
	if !m.own {
		return serve(t, srv, nil)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		if err := <-served; err != http.ErrServerClosed {
			t.Errorf("Serve returned %v, want http.ErrServerClosed", err)
		}
	})
	return "ws://" + ln.Addr().String()
}

// forModes runs f once on each driver.
func forModes(t *testing.T, f func(t *testing.T, m mode)) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) { f(t, m) })
	}
}

// forReaders runs f once for each reader of handshakes: net/http (the
// goroutine mode, which the event loop's Server.Upgrade path shares) and
// the loops themselves (Server.Serve).
func forReaders(t *testing.T, f func(t *testing.T, m mode)) {
	for _, m := range modes {
		if m.loop == nil || m.own {
			t.Run(m.name, func(t *testing.T) { f(t, m) })
		}
	}
}

// options returns o (a new Options when nil) set for m.
func (m mode) options(o *server.Options) *server.Options {
	if o == nil {
		o = &server.Options{}
	}
	if m.loop != nil {
		l := *m.loop
		o.EventLoop = &l
	}
	return o
}

// route returns a route for path served by h on the goroutine driver and
// by ev, which does the same, on the event loop; started, when not nil,
// learns of each connection that reaches either.
func (m mode) route(path string, started starts, h func(context.Context, *websocket.Conn) error, ev *server.Events) server.Route {
	if m.loop == nil {
		if started != nil {
			return server.Route{Path: path, Handler: started.wrap(h)}
		}
		return server.Route{Path: path, Handler: server.HandlerFunc(h)}
	}
	if started != nil {
		e := *ev
		open := ev.OnOpen
		e.OnOpen = func(c server.Conn, r *http.Request) {
			if open != nil {
				open(c, r)
			}
			started <- struct{}{}
		}
		ev = &e
	}
	return server.Route{Path: path, Events: ev}
}

// eventsEcho returns Events that echo every message, as echo does,
// reporting each connection's driver type on opened when it is not nil.
func eventsEcho(opened chan<- string) *server.Events {
	return &server.Events{
		OnOpen: func(c server.Conn, r *http.Request) {
			if opened != nil {
				opened <- fmt.Sprintf("%T %s", c, r.URL.Path)
			}
		},
		OnText:   func(c server.Conn, s string) { c.WriteText(s) },
		OnBinary: func(c server.Conn, p []byte) { c.WriteBinary(p) },
	}
}

// eventsIdle are Events that only wait for the connection to end, as
// readUntilEnd does.
func eventsIdle() *server.Events { return &server.Events{} }

// refusedAfterShutdown checks that a handshake to url, after the Server's
// Shutdown, is refused: 503 from a Server mounted in an http.Server, which
// still accepts; no connection at all from Serve, whose listener is closed.
func (m mode) refusedAfterShutdown(t *testing.T, url string) {
	t.Helper()
	if m.own {
		c, resp, err := websocket.Dial(testCtx(t), url, nil)
		if err == nil || resp != nil {
			if c != nil {
				c.CloseNow()
			}
			t.Fatalf("after Shutdown: dial %v, response %v; want no connection", err, resp)
		}
		return
	}
	if r := handshakeRefusal(t, url, nil); r.status != http.StatusServiceUnavailable {
		t.Fatalf("handshake after Shutdown: %d %q, want 503", r.status, r.body)
	}
}
