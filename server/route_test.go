package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/server"
)

// named is a handler that sends its name and the agreed subprotocol, then
// waits for the client to close.
func named(name string) server.Handler {
	return server.HandlerFunc(func(ctx context.Context, c *websocket.Conn) error {
		if err := c.Write(ctx, websocket.MessageText, []byte(name+"|"+c.Subprotocol())); err != nil {
			return err
		}
		return readUntilEnd(ctx, c)
	})
}

// namedEvents are named's Events, for the event loop.
func namedEvents(name string) *server.Events {
	return &server.Events{OnOpen: func(c server.Conn, _ *http.Request) { c.WriteText(name + "|" + c.Subprotocol()) }}
}

func TestRouting(t *testing.T) { forModes(t, testRouting) }

func testRouting(t *testing.T, m mode) {
	srv := server.New(m.options(nil))
	add := func(path, proto, name string) {
		r := server.Route{Path: path, Subprotocol: proto, Handler: named(name)}
		if m.loop != nil {
			r.Handler, r.Events = nil, namedEvents(name)
		}
		srv.HandleRoute(r)
	}
	add("/chat", "", "chat")
	add("/rooms/*", "chat.v2", "rooms-v2")
	add("/rooms/*", "", "rooms-any")
	add("/rooms/lobby", "chat.v*", "lobby-v")
	add("/static/", "", "prefix")
	add("/static/deep/", "", "deep-prefix")
	add("/files/*.bin", "", "glob-bin")
	base := m.serve(t, srv)

	cases := []struct {
		path    string
		offered []string
		handler string // "" for a 404
		proto   string
	}{
		{"/chat", nil, "chat", ""},
		{"/chat", []string{"x"}, "chat", ""},
		{"/rooms/1", []string{"chat.v2"}, "rooms-v2", "chat.v2"},
		{"/rooms/1", []string{"other", "chat.v2"}, "rooms-v2", "chat.v2"},
		{"/rooms/1", []string{"chat.v1"}, "rooms-any", ""},
		{"/rooms/1", nil, "rooms-any", ""},
		{"/rooms/lobby", []string{"chat.v3", "chat.v2"}, "lobby-v", "chat.v3"},
		{"/rooms/lobby", nil, "rooms-any", ""},
		{"/static/", nil, "prefix", ""},
		{"/static/x/y", nil, "prefix", ""},
		{"/static/deep/z", nil, "deep-prefix", ""},
		{"/files/a.bin", nil, "glob-bin", ""},
		{"/files/a.txt", nil, "", ""},
		{"/rooms/a/b", nil, "", ""},
		{"/chat/", nil, "", ""},
		{"/static", nil, "", ""},
		{"/nope", []string{"chat.v2"}, "", ""},
	}
	for _, tc := range cases {
		name := tc.path + " " + strings.Join(tc.offered, ",")
		opts := &websocket.DialOptions{Subprotocols: tc.offered}
		if tc.handler == "" {
			r := handshakeRefusal(t, base+tc.path, opts)
			if r.status != http.StatusNotFound || r.body != "no WebSocket route for "+tc.path+"\n" ||
				r.header.Get("Content-Type") != "text/plain; charset=utf-8" {
				t.Errorf("%s: refusal %d %q %v, want 404 naming the path", name, r.status, r.body, r.header)
			}
			continue
		}
		c := dial(t, base+tc.path, opts)
		_, p, err := c.Read(testCtx(t))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if want := tc.handler + "|" + tc.proto; string(p) != want {
			t.Errorf("%s: reached %q, want %q", name, p, want)
		}
		if c.Subprotocol() != tc.proto {
			t.Errorf("%s: client agreed %q, want %q", name, c.Subprotocol(), tc.proto)
		}
		c.Close(websocket.StatusNormalClosure, "")
	}
	if got := srv.Stats().Refused[server.RefusedNoRoute]; got != 5 {
		t.Errorf("Stats.Refused[no_route] = %d, want 5", got)
	}
}

// Bad patterns and a route added twice are programming errors and panic,
// as with http.ServeMux.
func TestRouteRegistrationPanics(t *testing.T) {
	h := named("x")
	for _, r := range []server.Route{
		{Path: "chat", Handler: h},
		{Path: "/a/[", Handler: h},
		{Path: "/a", Subprotocol: "[", Handler: h},
		{Path: "/a"},
		{Path: "/dup", Handler: h},
	} {
		srv := server.New(nil)
		srv.Handle("/dup", h)
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("HandleRoute(%+v) did not panic", r)
				}
			}()
			srv.HandleRoute(r)
		}()
	}
}
