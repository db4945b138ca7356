package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/internal/testutil"
	"github.com/wskit/websocket/wsjson"
)

// clock is a settable time for the service.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestAuth(t *testing.T) {
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	srv := httptest.NewServer(newService(clk.now).handler())
	defer srv.Close()
	ctx := testutil.Ctx(t)
	wsURL := "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws?token="

	login := func(user string) (http.CookieJar, string) {
		jar, _ := cookiejar.New(nil)
		hc := &http.Client{Jar: jar}
		resp, err := hc.Post(srv.URL+"/login?user="+user, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		tok, _ := io.ReadAll(resp.Body)
		return jar, string(tok)
	}
	dialStatus := func(jar http.CookieJar, token string) int {
		c, resp, err := websocket.Dial(ctx, wsURL+token, &websocket.DialOptions{Jar: jar})
		if err == nil {
			c.CloseNow()
			return http.StatusSwitchingProtocols
		}
		if resp == nil {
			t.Fatal(err)
		}
		return resp.StatusCode
	}

	jar, token := login("ann")
	_, bobToken := login("bob")
	for _, tc := range []struct {
		name  string
		jar   http.CookieJar
		token string
		want  int
	}{
		{"no session cookie", nil, token, http.StatusUnauthorized},
		{"no token", jar, "", http.StatusForbidden},
		{"another session's token", jar, bobToken, http.StatusForbidden},
		{"forged expiry", jar, "9999999999." + strings.SplitN(token, ".", 2)[1], http.StatusForbidden},
		{"cookie and its token", jar, token, http.StatusSwitchingProtocols},
	} {
		if got := dialStatus(tc.jar, tc.token); got != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.want)
		}
	}

	c, _, err := websocket.Dial(ctx, wsURL+token, &websocket.DialOptions{Jar: jar})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if err := wsjson.Write(ctx, c, request{Token: token, Text: "hello"}); err != nil {
		t.Fatal(err)
	}
	var r reply
	if err := wsjson.Read(ctx, c, &r); err != nil || r != (reply{User: "ann", Text: "hello"}) {
		t.Fatalf("reply %+v, %v", r, err)
	}
	// A message with bob's token on ann's connection ends it.
	if err := wsjson.Write(ctx, c, request{Token: bobToken, Text: "as bob"}); err != nil {
		t.Fatal(err)
	}
	if err := wsjson.Read(ctx, c, &r); websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
		t.Fatalf("message with another session's token: %v, want 1008", err)
	}

	// The token expires while the connection is open: the next message
	// closes it, and a new handshake with it is refused.
	c, _, err = websocket.Dial(ctx, wsURL+token, &websocket.DialOptions{Jar: jar})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	clk.add(tokenLife)
	if err := wsjson.Write(ctx, c, request{Token: token, Text: "late"}); err != nil {
		t.Fatal(err)
	}
	err = wsjson.Read(ctx, c, &r)
	if websocket.CloseStatus(err) != websocket.StatusPolicyViolation || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("message after the token expired: %v, want 1008 %q", err, errExpiredToken)
	}
	if got := dialStatus(jar, token); got != http.StatusForbidden {
		t.Fatalf("handshake with an expired token: %d, want 403", got)
	}
}
