package server_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/server"
)

type userKey struct{}

// TestHandshakeHooks checks every way a hook can answer: the status,
// headers and body of each refusal, and what an accepting hook changes.
func TestHandshakeHooks(t *testing.T) { forModes(t, testHandshakeHooks) }

func testHandshakeHooks(t *testing.T, m mode) {
	srv := server.New(m.options(&server.Options{
		AcceptOptions: websocket.AcceptOptions{
			// The server-wide hook runs first, for every route.
			OnUpgrade: func(u *websocket.Upgrade) error {
				if u.Request.URL.Query().Get("banned") != "" {
					return websocket.Refuse(http.StatusForbidden, "banned")
				}
				u.Header.Set("X-Server-Hook", "ran")
				return nil
			},
		},
	}))
	whoami := func(ctx context.Context, c *websocket.Conn) error {
		user, _ := c.Value(userKey{}).(string)
		if err := c.Write(ctx, websocket.MessageText, []byte(user+"|"+c.Subprotocol())); err != nil {
			return err
		}
		return readUntilEnd(ctx, c)
	}
	whoamiEvents := &server.Events{OnOpen: func(c server.Conn, _ *http.Request) {
		user, _ := server.Value(c, userKey{}).(string)
		c.WriteText(user + "|" + c.Subprotocol())
	}}
	route := m.route("/app", nil, whoami, whoamiEvents)
	route.OnUpgrade = func(u *websocket.Upgrade) error {
		q := u.Request.URL.Query()
		switch q.Get("case") {
		case "401":
			r := websocket.RefuseJSON(http.StatusUnauthorized, map[string]string{"error": "login required"})
			r.Header.Set("WWW-Authenticate", `Bearer realm="chat"`)
			return r
		case "429":
			r := websocket.Refuse(http.StatusTooManyRequests, "slow down")
			r.Header.Set("Retry-After", "30")
			return r
		case "wrapped":
			return errors.Join(errors.New("context"), websocket.Refuse(http.StatusTeapot, "short and stout"))
		case "plain-error":
			return errors.New("database password is hunter2")
		case "bad-proto":
			u.Subprotocol = "never-offered"
			return nil
		case "choose":
			u.Subprotocol = u.Offered[len(u.Offered)-1]
		}
		u.SetValue(userKey{}, q.Get("user"))
		u.Header.Add("Set-Cookie", "session=abc; HttpOnly")
		return nil
	}
	srv.HandleRoute(route)
	base := m.serve(t, srv)

	refusals := []struct {
		query  string
		status int
		body   string
		header map[string]string
	}{
		{"?case=401", 401, `{"error":"login required"}` + "\n", map[string]string{"Content-Type": "application/json", "WWW-Authenticate": `Bearer realm="chat"`}},
		{"?case=429", 429, "slow down\n", map[string]string{"Content-Type": "text/plain; charset=utf-8", "Retry-After": "30"}},
		{"?case=wrapped", 418, "short and stout\n", nil},
		{"?case=plain-error", 403, "forbidden\n", nil},
		{"?case=bad-proto", 500, "internal error\n", nil},
		{"?banned=1&case=429", 403, "banned\n", nil}, // the server's hook refuses before the route's runs
	}
	for _, tc := range refusals {
		r := handshakeRefusal(t, base+"/app"+tc.query, nil)
		if r.status != tc.status || r.body != tc.body {
			t.Errorf("%s: %d %q, want %d %q", tc.query, r.status, r.body, tc.status, tc.body)
		}
		for k, v := range tc.header {
			if got := r.header.Get(k); got != v {
				t.Errorf("%s: header %s = %q, want %q", tc.query, k, got, v)
			}
		}
		if r.header.Get("Sec-WebSocket-Accept") != "" {
			t.Errorf("%s: a refusal carries Sec-WebSocket-Accept", tc.query)
		}
		if strings.Contains(r.body, "hunter2") {
			t.Errorf("%s: the hook's error text reached the client", tc.query)
		}
	}

	// Accepted: values, response headers from both hooks, and the
	// subprotocol the hook chose.
	c, resp, err := websocket.Dial(testCtx(t), base+"/app?user=alice&case=choose", &websocket.DialOptions{Subprotocols: []string{"a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if got := resp.Header.Get("Set-Cookie"); got != "session=abc; HttpOnly" {
		t.Errorf("Set-Cookie = %q", got)
	}
	if got := resp.Header.Get("X-Server-Hook"); got != "ran" {
		t.Errorf("X-Server-Hook = %q", got)
	}
	_, p, err := c.Read(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if string(p) != "alice|b" {
		t.Errorf("handler saw %q, want alice|b", p)
	}
	if got := srv.Select(func(c server.Conn) bool { return server.Value(c, userKey{}) == "alice" }); len(got) != 1 {
		t.Errorf("Select by value found %d connections, want 1", len(got))
	}
	c.Close(websocket.StatusNormalClosure, "")

	// Requests that are not valid handshakes never reach a hook.
	plain := []struct {
		method string
		header map[string]string
		status int
		body   string
		want   map[string]string
	}{
		{"GET", nil, 400, "Upgrade", nil},
		{"POST", nil, 405, "want GET", map[string]string{"Allow": "GET"}},
		{"GET", map[string]string{"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "8"}, 426, "Version", map[string]string{"Sec-WebSocket-Version": "13"}},
		{"GET", map[string]string{"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": "short", "Sec-WebSocket-Version": "13"}, 400, "Key", nil},
		{"GET", map[string]string{"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13", "Origin": "http://evil.example"}, 403, "origin", nil},
	}
	httpBase := "http" + strings.TrimPrefix(base, "ws")
	for _, tc := range plain {
		req, _ := http.NewRequest(tc.method, httpBase+"/app?case=plain-error", nil)
		for k, v := range tc.header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body := readBody(resp)
		if resp.StatusCode != tc.status || !strings.Contains(body, tc.body) {
			t.Errorf("%s %v: %d %q, want %d containing %q", tc.method, tc.header, resp.StatusCode, body, tc.status, tc.body)
		}
		for k, v := range tc.want {
			if got := resp.Header.Get(k); got != v {
				t.Errorf("%s %v: header %s = %q, want %q", tc.method, tc.header, k, got, v)
			}
		}
	}

	st := srv.Stats()
	want := map[string]uint64{server.RefusedHook: 6, server.RefusedBadHandshake: 4, server.RefusedOrigin: 1}
	for k, v := range want {
		if st.Refused[k] != v {
			t.Errorf("Stats.Refused[%s] = %d, want %d (all: %v)", k, st.Refused[k], v, st.Refused)
		}
	}
	if st.Accepted != 1 {
		t.Errorf("Stats.Accepted = %d, want 1", st.Accepted)
	}
}

func readBody(resp *http.Response) string {
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

// MaxConns answers 503 with Retry-After once the limit is reached, and
// admits again when a connection ends.
func TestMaxConns(t *testing.T) { forModes(t, testMaxConns) }

func testMaxConns(t *testing.T, m mode) {
	srv := server.New(m.options(&server.Options{MaxConns: 2}))
	ended := endsOf(srv)
	srv.HandleRoute(m.route("/", nil, echo, eventsEcho(nil)))
	base := m.serve(t, srv)
	a := dial(t, base+"/", nil)
	dial(t, base+"/", nil)
	r := handshakeRefusal(t, base+"/", nil)
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" || r.body != "too many connections\n" {
		t.Fatalf("third connection: %d %q %v, want 503 with Retry-After", r.status, r.body, r.header)
	}
	a.Close(websocket.StatusNormalClosure, "")
	// The slot frees when the server has finished with the connection.
	ended.wait(1)
	c, _, err := websocket.Dial(testCtx(t), base+"/", nil)
	if err != nil {
		t.Fatalf("no slot after a connection closed: %v", err)
	}
	c.CloseNow()
	if got := srv.Stats().Refused[server.RefusedMaxConns]; got < 1 {
		t.Errorf("Stats.Refused[max_conns] = %d", got)
	}
}
