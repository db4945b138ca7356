//go:build linux

package server_test

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/loop"
	"github.com/wskit/websocket/server"
)

// wantType is the Conn type a mode's plain connection is served by.
func wantType(m mode) string {
	if m.loop != nil {
		return "*loop.Conn"
	}
	return "*websocket.Conn"
}

// TestEventsOnBothDrivers: the same routes with Events, on either driver,
// route by path and subprotocol pattern, apply the origin policy and the
// hooks, echo (compressed or not), count, broadcast and shut down with
// 1001 to every client; the loop's connections are *loop.Conn.
func TestEventsOnBothDrivers(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			ctx := testCtx(t)
			opened := make(chan string, 64)
			var closes atomic.Int64
			ev := eventsEcho(opened)
			ev.OnClose = func(c server.Conn, code websocket.StatusCode, _ string) {
				if code == websocket.StatusGoingAway {
					closes.Add(1)
				}
			}
			opts := &server.Options{EventLoop: m.loop}
			opts.Compression = &websocket.CompressionOptions{}
			srv := server.New(opts)
			srv.HandleRoute(server.Route{Path: "/echo", Events: ev})
			var srvRef atomic.Pointer[server.Server]
			chat := &server.Events{
				OnOpen: func(c server.Conn, r *http.Request) {
					if err := srvRef.Load().Subscribe(ctx, c, "lobby", nil); err != nil {
						t.Errorf("Subscribe: %v", err)
					}
					ev.OnOpen(c, r)
				},
				OnText: func(c server.Conn, s string) { c.WriteText(c.Subprotocol() + ": " + s) },
			}
			srv.HandleRoute(server.Route{Path: "/rooms/*", Subprotocol: "chat.*", Events: chat,
				OnUpgrade: func(u *websocket.Upgrade) error {
					if u.Request.URL.Query().Get("deny") != "" {
						return &websocket.Refusal{Status: http.StatusTeapot, Body: []byte("denied")}
					}
					u.Header.Set("X-Route", "rooms")
					u.SetValue(userKey{}, u.Request.URL.Query().Get("user"))
					return nil
				}})
			srvRef.Store(srv)
			url := m.serve(t, srv)

			const n = 6
			clients := make([]*websocket.Conn, 0, n)
			for i := range n {
				o := &websocket.DialOptions{}
				if i%2 == 1 {
					o.Compression = &websocket.CompressionOptions{}
				}
				c := dial(t, url+"/echo", o)
				if got, want := <-opened, wantType(m)+" /echo"; got != want {
					t.Fatalf("OnOpen got %s, want %s", got, want)
				}
				if c.Compressed() != (i%2 == 1) {
					t.Fatalf("client %d: compressed %v", i, c.Compressed())
				}
				msg := strings.Repeat(fmt.Sprintf("echo %d ", i), 100)
				if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
					t.Fatal(err)
				}
				if typ, p, err := c.Read(ctx); err != nil || typ != websocket.MessageText || string(p) != msg {
					t.Fatalf("client %d: echo %v %d bytes, %v", i, typ, len(p), err)
				}
				if err := c.Write(ctx, websocket.MessageBinary, []byte{0, 1, 2, byte(i)}); err != nil {
					t.Fatal(err)
				}
				if typ, p, err := c.Read(ctx); err != nil || typ != websocket.MessageBinary || len(p) != 4 || p[3] != byte(i) {
					t.Fatalf("client %d: binary echo %v %v, %v", i, typ, p, err)
				}
				clients = append(clients, c)
			}

			c, resp, err := websocket.Dial(ctx, url+"/rooms/lobby?user=carol", &websocket.DialOptions{Subprotocols: []string{"other", "chat.v2"}})
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			<-opened
			if c.Subprotocol() != "chat.v2" || resp.Header.Get("X-Route") != "rooms" {
				t.Fatalf("rooms: subprotocol %q, X-Route %q", c.Subprotocol(), resp.Header.Get("X-Route"))
			}
			c.Write(ctx, websocket.MessageText, []byte("hi"))
			if _, p, err := c.Read(ctx); err != nil || string(p) != "chat.v2: hi" {
				t.Fatalf("rooms echo %q, %v", p, err)
			}
			clients = append(clients, c)

			// The registry finds the connections whichever driver serves
			// them, by address and by the values hooks set.
			carol := srv.Select(func(c server.Conn) bool { return server.Value(c, userKey{}) == "carol" })
			if len(carol) != 1 || fmt.Sprintf("%T", carol[0]) != wantType(m) || carol[0].Subprotocol() != "chat.v2" {
				t.Fatalf("Select by value: %v", carol)
			}
			if got := srv.Find("127.0.0.0/8", ""); len(got) != n+1 {
				t.Fatalf("Find 127.0.0.0/8: %d, want %d", len(got), n+1)
			}
			if got := srv.Find("10.*", ""); len(got) != 0 {
				t.Fatalf("Find 10.*: %d", len(got))
			}
			pm, _ := websocket.NewPreparedMessage(websocket.MessageText, []byte("to carol"))
			if res := srv.SendPrepared(pm, carol); res.Queued != 1 {
				t.Fatalf("SendPrepared %+v", res)
			}
			if _, p, err := c.Read(ctx); err != nil || string(p) != "to carol" {
				t.Fatalf("carol got %q, %v", p, err)
			}
			if _, err := srv.Publish(ctx, "lobby", []byte(`{"hello":"lobby"}`)); err != nil {
				t.Fatal(err)
			}
			if _, p, err := c.Read(ctx); err != nil || !strings.Contains(string(p), "lobby") {
				t.Fatalf("channel message %q, %v", p, err)
			}

			if r := handshakeRefusal(t, url+"/rooms/lobby?deny=1", &websocket.DialOptions{Subprotocols: []string{"chat.v1"}}); r.status != http.StatusTeapot || r.body != "denied" {
				t.Fatalf("hook refusal: %d %q", r.status, r.body)
			}
			if r := handshakeRefusal(t, url+"/nowhere", nil); r.status != http.StatusNotFound {
				t.Fatalf("no route: %d", r.status)
			}
			foreign := &websocket.DialOptions{Header: http.Header{"Origin": {"https://elsewhere.example"}}}
			if r := handshakeRefusal(t, url+"/echo", foreign); r.status != http.StatusForbidden {
				t.Fatalf("foreign origin: %d", r.status)
			}

			if got := srv.Count(); got != n+1 {
				t.Fatalf("Count %d, want %d", got, n+1)
			}
			st := srv.Stats()
			if st.Open != n+1 || st.Accepted != n+1 || st.MessagesIn < 2*n+1 {
				t.Fatalf("stats: open %d, accepted %d, messages in %d", st.Open, st.Accepted, st.MessagesIn)
			}
			if st.Refused[server.RefusedHook] != 1 || st.Refused[server.RefusedNoRoute] != 1 || st.Refused[server.RefusedOrigin] != 1 {
				t.Fatalf("refusals %v", st.Refused)
			}

			res, err := srv.Broadcast(websocket.MessageText, []byte("to everyone"))
			if err != nil || res.Queued != n+1 {
				t.Fatalf("broadcast %+v, %v", res, err)
			}
			for i, c := range clients {
				if _, p, err := c.Read(ctx); err != nil || string(p) != "to everyone" {
					t.Fatalf("client %d: broadcast %q, %v", i, p, err)
				}
			}

			done := make(chan error, 1)
			go func() { done <- srv.Shutdown(ctx) }()
			for i, c := range clients {
				_, _, err := c.Read(ctx)
				if code := websocket.CloseStatus(err); code != websocket.StatusGoingAway {
					t.Fatalf("client %d ended with %v, want 1001", i, err)
				}
			}
			if err := <-done; err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
			if srv.Count() != 0 || closes.Load() != n {
				t.Fatalf("after shutdown: Count %d, OnClose with 1001 %d of %d", srv.Count(), closes.Load(), n)
			}
			if st := srv.Stats(); st.CloseCodes[websocket.StatusGoingAway] != n+1 {
				t.Fatalf("close codes %v", st.CloseCodes)
			}
			m.refusedAfterShutdown(t, url+"/echo")
		})
	}
}

// TestEventLoopTLSByGoroutine: in event-loop mode, a TLS connection of a
// route with Events is served by the goroutine driver with the same
// callbacks, a plain one by the loop, and a route with a Handler by its
// goroutine; a broadcast reaches all three.
func TestEventLoopTLSByGoroutine(t *testing.T) {
	ctx := testCtx(t)
	opened := make(chan string, 8)
	srv := server.New(&server.Options{EventLoop: &server.EventLoopOptions{}})
	srv.HandleRoute(server.Route{Path: "/events", Events: eventsEcho(opened)})
	started := newStarts()
	srv.Handle("/handler", started.wrap(echo))
	plain := serve(t, srv, nil)
	hs := httptest.NewTLSServer(srv)
	defer hs.Close()
	secure := "wss" + strings.TrimPrefix(hs.URL, "https")
	tlsOpts := func() *websocket.DialOptions {
		return &websocket.DialOptions{TLSConfig: &tls.Config{RootCAs: hs.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}}
	}

	var clients []*websocket.Conn
	for _, d := range []struct {
		url  string
		opts *websocket.DialOptions
		want string
	}{
		{plain + "/events", nil, "*loop.Conn /events"},
		{secure + "/events", tlsOpts(), "*websocket.Conn /events"},
	} {
		c := dial(t, d.url, d.opts)
		if got := <-opened; got != d.want {
			t.Fatalf("%s: OnOpen got %s, want %s", d.url, got, d.want)
		}
		c.Write(ctx, websocket.MessageText, []byte("ping"))
		if _, p, err := c.Read(ctx); err != nil || string(p) != "ping" {
			t.Fatalf("%s: echo %q, %v", d.url, p, err)
		}
		clients = append(clients, c)
	}
	clients = append(clients, dial(t, plain+"/handler", nil))
	started.wait(1)
	if srv.Count() != 3 {
		t.Fatalf("Count %d, want 3", srv.Count())
	}
	if res, _ := srv.Broadcast(websocket.MessageBinary, []byte("all")); res.Queued != 3 {
		t.Fatalf("broadcast %+v", res)
	}
	for i, c := range clients {
		if _, p, err := c.Read(ctx); err != nil || string(p) != "all" {
			t.Fatalf("client %d: %q, %v", i, p, err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(ctx) }()
	for i, c := range clients {
		if _, _, err := c.Read(ctx); websocket.CloseStatus(err) != websocket.StatusGoingAway {
			t.Fatalf("client %d: %v, want 1001", i, err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestEventLoopSlowConsumer: a loop connection that does not read, sent
// more than MaxQueue, is closed with 1008 by a broadcast, or spared the
// message with DropMessage, and the result says which.
func TestEventLoopSlowConsumer(t *testing.T) {
	for _, policy := range []server.QueuePolicy{server.CloseSlow, server.DropMessage} {
		t.Run(fmt.Sprint(policy), func(t *testing.T) {
			ctx := testCtx(t)
			opened := make(chan string, 1)
			srv := server.New(&server.Options{OnQueueFull: policy, EventLoop: &server.EventLoopOptions{MaxQueue: 64 << 10}})
			srv.HandleRoute(server.Route{Path: "/", Events: eventsEcho(opened)})
			url := serve(t, srv, nil)
			c := dial(t, url, nil)
			<-opened
			big := make([]byte, 256<<10)
			var res server.BroadcastResult
			for i := 0; i < 64 && res.Dropped+res.Closed == 0; i++ {
				r, err := srv.Broadcast(websocket.MessageBinary, big)
				if err != nil {
					t.Fatal(err)
				}
				res = r
			}
			switch {
			case policy == server.CloseSlow && res.Closed != 1:
				t.Fatalf("CloseSlow: %+v", res)
			case policy == server.DropMessage && res.Dropped != 1:
				t.Fatalf("DropMessage: %+v", res)
			}
			if policy == server.CloseSlow {
				for {
					_, _, err := c.Read(ctx)
					if err != nil {
						if code := websocket.CloseStatus(err); code != websocket.StatusPolicyViolation {
							t.Fatalf("slow client ended with %v, want 1008", err)
						}
						break
					}
				}
			}
		})
	}
}

// TestEventLoopModeNeedsEvents: a route with both a Handler and Events is
// refused when added.
func TestEventLoopModeNeedsEvents(t *testing.T) {
	srv := server.New(nil)
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "both") {
			t.Fatalf("panic %v, want one about both", r)
		}
	}()
	srv.HandleRoute(server.Route{Path: "/", Handler: server.HandlerFunc(echo), Events: &server.Events{}})
}

var _ server.Conn = (*loop.Conn)(nil)
var _ server.Conn = (*websocket.Conn)(nil)
