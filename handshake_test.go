package websocket_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/handshake"
	"github.com/wskit/websocket/wire"
)

// TestAcceptRefusals sends bad handshakes with net/http's client and checks
// the status and headers Accept answers with.
func TestAcceptRefusals(t *testing.T) {
	var mu sync.Mutex
	var lastErr error
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: []string{"*.example.com"}})
		if err != nil {
			mu.Lock()
			lastErr = err
			mu.Unlock()
			return
		}
		c.CloseNow()
	}))
	defer srv.Close()
	valid := func() http.Header {
		return http.Header{
			"Upgrade":               {"websocket"},
			"Connection":            {"Upgrade"},
			"Sec-Websocket-Key":     {"dGhlIHNhbXBsZSBub25jZQ=="},
			"Sec-Websocket-Version": {"13"},
		}
	}
	cases := []struct {
		name   string
		method string
		edit   func(h http.Header)
		status int
		header string // a response header that must be present, "Name: value"
		err    error
	}{
		{"POST", "POST", nil, 405, "Allow: GET", handshake.ErrNotGet},
		{"no Upgrade", "GET", func(h http.Header) { h.Del("Upgrade") }, 400, "", handshake.ErrBadUpgrade},
		{"no Connection upgrade", "GET", func(h http.Header) { h.Set("Connection", "keep-alive") }, 400, "", handshake.ErrBadConnection},
		{"no key", "GET", func(h http.Header) { h.Del("Sec-Websocket-Key") }, 400, "", handshake.ErrMissingKey},
		{"bad key", "GET", func(h http.Header) { h.Set("Sec-Websocket-Key", "short") }, 400, "", handshake.ErrInvalidKey},
		{"no version", "GET", func(h http.Header) { h.Del("Sec-Websocket-Version") }, 400, "Sec-Websocket-Version: 13", handshake.ErrMissingVersion},
		{"version 8", "GET", func(h http.Header) { h.Set("Sec-Websocket-Version", "8") }, 426, "Sec-Websocket-Version: 13", handshake.ErrUnsupportedVersion},
		{"foreign origin", "GET", func(h http.Header) { h.Set("Origin", "https://evil.test") }, 403, "", websocket.ErrOriginNotAllowed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, srv.URL, nil)
			req.Header = valid()
			if tc.edit != nil {
				tc.edit(req.Header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, body, tc.status)
			}
			if tc.header != "" {
				name, value, _ := strings.Cut(tc.header, ": ")
				if got := resp.Header.Get(name); got != value {
					t.Errorf("%s: %q, want %q", name, got, value)
				}
			}
			if len(body) == 0 {
				t.Error("refusal without a reason in the body")
			}
			mu.Lock()
			err = lastErr
			mu.Unlock()
			if !errors.Is(err, tc.err) {
				t.Errorf("Accept returned %v, want %v", err, tc.err)
			}
		})
	}
}

// TestOriginPolicy checks which origins Accept lets through by default,
// with patterns, and with the check turned off.
func TestOriginPolicy(t *testing.T) {
	cases := []struct {
		origin string
		opts   websocket.AcceptOptions
		ok     bool
	}{
		{"", websocket.AcceptOptions{}, true},
		{"http://HOST", websocket.AcceptOptions{}, true},
		{"https://other.test", websocket.AcceptOptions{}, false},
		{"https://app.example.com", websocket.AcceptOptions{OriginPatterns: []string{"*.example.com"}}, true},
		{"https://app.example.com:8443", websocket.AcceptOptions{OriginPatterns: []string{"*.example.com"}}, true},
		{"https://app.example.com:8443", websocket.AcceptOptions{OriginPatterns: []string{"*.example.com:9000"}}, false},
		{"http://app.example.com", websocket.AcceptOptions{OriginPatterns: []string{"https://*.example.com"}}, false},
		{"https://app.example.com", websocket.AcceptOptions{OriginPatterns: []string{"https://*.example.com"}}, true},
		{"null", websocket.AcceptOptions{}, false},
		{"https://other.test", websocket.AcceptOptions{InsecureSkipOriginCheck: true}, true},
	}
	for _, tc := range cases {
		opts := tc.opts
		url := echoServer(t, &opts)
		origin := strings.Replace(tc.origin, "HOST", strings.TrimPrefix(url, "ws://"), 1)
		c, resp, err := websocket.Dial(testCtx(t), url, &websocket.DialOptions{Origin: origin})
		if tc.ok != (err == nil) {
			t.Errorf("origin %q with %+v: err %v, want ok=%v", origin, tc.opts, err, tc.ok)
		}
		if err == nil {
			c.CloseNow()
		} else if resp == nil || resp.StatusCode != 403 {
			t.Errorf("origin %q refused without a 403 response: %v", origin, resp)
		}
	}
}

// TestSubprotocolAndHeaders checks subprotocol selection, extra request and
// response headers, and cookies through a jar.
func TestSubprotocolAndHeaders(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Token") != "t1" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		ck, err := r.Cookie("session")
		if err != nil || ck.Value != "abc" {
			http.Error(w, "no session cookie", http.StatusUnauthorized)
			return
		}
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
			Subprotocols:   []string{"chat.v2", "chat.v1"},
			ResponseHeader: http.Header{"Set-Cookie": {"seen=yes; Path=/"}},
		})
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.Write(r.Context(), websocket.MessageText, []byte(c.Subprotocol()))
		c.Read(r.Context())
	}))
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(srv.URL)
	jar.SetCookies(u, []*http.Cookie{{Name: "session", Value: "abc"}})
	ctx := testCtx(t)

	c, resp, err := websocket.Dial(ctx, wsURL(srv), &websocket.DialOptions{
		Header:       http.Header{"X-Token": {"t1"}},
		Subprotocols: []string{"chat.v1", "chat.v2"},
		Jar:          jar,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if c.Subprotocol() != "chat.v2" {
		t.Errorf("client's subprotocol %q, want the server's first choice the client offers, chat.v2", c.Subprotocol())
	}
	if _, p, err := c.Read(ctx); err != nil || string(p) != "chat.v2" {
		t.Errorf("server's subprotocol %q %v", p, err)
	}
	if resp.StatusCode != 101 {
		t.Errorf("status %d", resp.StatusCode)
	}
	found := false
	for _, ck := range jar.Cookies(u) {
		found = found || ck.Name == "seen" && ck.Value == "yes"
	}
	if !found {
		t.Error("the cookie set in the 101 response did not reach the jar")
	}

	// A refusal comes back with its status and body.
	_, resp, err = websocket.Dial(ctx, wsURL(srv), nil)
	var he *websocket.HandshakeError
	if !errors.As(err, &he) || he.StatusCode != 401 || resp == nil {
		t.Fatalf("refused dial: %v, %v", err, resp)
	}
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), "no token") {
		t.Errorf("refusal body %q", body)
	}
	if !strings.Contains(err.Error(), "401") {
		t.Errorf("error %q does not name the status", err)
	}
}

// TestDialTLSAndProxy dials wss:// through an HTTP CONNECT proxy.
func TestDialTLSAndProxy(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		echo(context.Background(), c)
	}))
	defer srv.Close()
	var tunnels atomic.Int32
	proxyAddr := connectProxy(t, &tunnels)
	ctx := testCtx(t)
	pu := &url.URL{Scheme: "http", Host: proxyAddr}
	pu.User = url.UserPassword("u", "p")
	opts := &websocket.DialOptions{
		TLSConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig,
		Proxy:     http.ProxyURL(pu),
	}
	c, _, err := websocket.Dial(ctx, "wss"+strings.TrimPrefix(srv.URL, "https"), opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Write(ctx, websocket.MessageText, []byte("through the tunnel")); err != nil {
		t.Fatal(err)
	}
	if _, p, err := c.Read(ctx); err != nil || string(p) != "through the tunnel" {
		t.Fatalf("%q %v", p, err)
	}
	c.Close(websocket.StatusNormalClosure, "")
	if tunnels.Load() != 1 {
		t.Errorf("%d tunnels through the proxy, want 1", tunnels.Load())
	}

	// Without the CA, the TLS handshake fails with a clear error.
	_, _, err = websocket.Dial(ctx, "wss"+strings.TrimPrefix(srv.URL, "https"), &websocket.DialOptions{NoProxy: true, TLSConfig: &tls.Config{}})
	if err == nil || !strings.Contains(err.Error(), "TLS") {
		t.Errorf("dial without the CA: %v", err)
	}
}

// TestHandshakeTimeout checks that a server that never answers the opening
// handshake does not hold Dial past its timeout.
func TestHandshakeTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		bufio.NewReader(c).ReadString('!') // read and never answer
	}()
	start := time.Now()
	_, _, err = websocket.Dial(context.Background(), "ws://"+ln.Addr().String(), &websocket.DialOptions{HandshakeTimeout: 100 * time.Millisecond})
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("dial to a silent server: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Dial took %v", d)
	}
}

// TestNewConnLeftover hands NewConn a connection whose first frame was
// already read past a handshake done elsewhere.
func TestNewConnLeftover(t *testing.T) {
	a, b := tcpPair(t)
	early := rawFrame(websocket.RoleServer, frame(true, 1), []byte("early"))
	go b.Write(rawFrame(websocket.RoleServer, frame(true, 1), []byte("later")))
	c := websocket.NewConn(a, websocket.RoleClient, &websocket.ConnOptions{Leftover: early, Subprotocol: "p"})
	defer c.CloseNow()
	ctx := testCtx(t)
	for _, want := range []string{"early", "later"} {
		if _, p, err := c.Read(ctx); err != nil || string(p) != want {
			t.Fatalf("read %q %v, want %q", p, err, want)
		}
	}
	if c.Subprotocol() != "p" || c.Role() != websocket.RoleClient || c.RemoteAddr() == nil || c.LocalAddr() == nil {
		t.Errorf("introspection: %q %v %v %v", c.Subprotocol(), c.Role(), c.RemoteAddr(), c.LocalAddr())
	}
	c.SetValue("user", 42)
	if c.Value("user") != 42 {
		t.Error("Value")
	}
}

// connectProxy starts a minimal HTTP CONNECT proxy on loopback that wants
// Basic credentials, and returns its address.
func connectProxy(t *testing.T, tunnels *atomic.Int32) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			down, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer down.Close()
				br := bufio.NewReader(down)
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				if req.Method != http.MethodConnect || req.Header.Get("Proxy-Authorization") == "" {
					io.WriteString(down, "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
					return
				}
				up, err := net.Dial("tcp", req.Host)
				if err != nil {
					io.WriteString(down, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
					return
				}
				defer up.Close()
				tunnels.Add(1)
				io.WriteString(down, "HTTP/1.1 200 Connection established\r\n\r\n")
				go func() { io.Copy(up, br); up.Close() }()
				io.Copy(down, up)
			}()
		}
	}()
	return ln.Addr().String()
}

// A client may send its first frames right behind the handshake request, in
// the same packet; Accept hands the bytes net/http read ahead to the Conn.
func TestAcceptFramesBehindHandshake(t *testing.T) {
	url := echoServer(t, nil)
	host := strings.TrimPrefix(url, "ws://")
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := "GET / HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	out := []byte(req)
	for _, m := range []string{"first", "second"} {
		out = append(out, rawFrame(websocket.RoleClient, frame(true, wire.OpText), []byte(m))...)
	}
	if _, err := conn.Write(out); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	var got []string
	for len(got) < 2 {
		var hdr [2]byte
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			t.Fatalf("after %q: %v", got, err)
		}
		p := make([]byte, hdr[1]&0x7f)
		io.ReadFull(br, p)
		got = append(got, string(p))
	}
	if got[0] != "first" || got[1] != "second" {
		t.Fatalf("echoed %q", got)
	}
}
