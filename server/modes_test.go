package server_test

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"testing"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/server"
)

// mode is a driver the suite runs on: a goroutine per connection, or the
// event loop (Options.EventLoop), where a route is served by Events.
type mode struct {
	name string
	loop *server.EventLoopOptions
}

// modes are the drivers of this platform: the event loop needs Linux.
var modes = func() []mode {
	m := []mode{{name: "goroutine"}}
	if runtime.GOOS == "linux" {
		m = append(m, mode{name: "loop", loop: &server.EventLoopOptions{Loops: 2, Workers: 4}})
	}
	return m
}()

// forModes runs f once on each driver.
func forModes(t *testing.T, f func(t *testing.T, m mode)) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) { f(t, m) })
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
