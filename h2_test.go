package websocket_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/net/http2"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/handshake"
	_ "github.com/wskit/websocket/xconnect"
)

// h2Server is a loopback TLS server offering h2 and http/1.1 whose handler
// accepts WebSockets (as HTTP/2 streams or HTTP/1.1 upgrades), echoes, and
// records the protocol each arrived with.
type h2Server struct {
	*httptest.Server
	conns   atomic.Int64 // TCP connections accepted
	h2, h1  atomic.Int64 // WebSockets by HTTP version
	closeBy chan websocket.StatusCode
}

func newH2Server(t testing.TB, opts *websocket.AcceptOptions, handle func(*websocket.Conn), configure ...func(*http.Server)) *h2Server {
	t.Helper()
	s := &h2Server{closeBy: make(chan websocket.StatusCode, 256)}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, opts)
		if err != nil {
			return
		}
		if r.ProtoMajor == 2 {
			s.h2.Add(1)
		} else {
			s.h1.Add(1)
		}
		if handle != nil {
			handle(c)
			return
		}
		err = echo(r.Context(), c)
		s.closeBy <- websocket.CloseStatus(err)
		c.CloseNow()
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	for _, f := range configure {
		f(s.Config)
	}
	s.EnableHTTP2 = true
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func (s *h2Server) url() string { return "wss" + s.URL[len("https"):] }

func (s *h2Server) dialOpts() *websocket.DialOptions {
	pool := s.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	return &websocket.DialOptions{HTTP2: true, TLSConfig: &tls.Config{RootCAs: pool}, NoProxy: true}
}

func TestH2EchoAndCloseCodes(t *testing.T) {
	for _, compress := range []bool{false, true} {
		t.Run(fmt.Sprintf("compress=%v", compress), func(t *testing.T) {
			var ao websocket.AcceptOptions
			if compress {
				ao.Compression = &websocket.CompressionOptions{}
			}
			s := newH2Server(t, &ao, nil)
			ctx := testCtx(t)
			do := s.dialOpts()
			if compress {
				do.Compression = &websocket.CompressionOptions{}
			}
			c, resp, err := websocket.Dial(ctx, s.url(), do)
			if err != nil {
				t.Fatal(err)
			}
			if resp.ProtoMajor != 2 || resp.StatusCode != 200 {
				t.Fatalf("response %s %d, want HTTP/2 200", resp.Proto, resp.StatusCode)
			}
			if c.Compressed() != compress {
				t.Fatalf("compressed %v, want %v", c.Compressed(), compress)
			}
			for _, n := range []int{0, 1, 125, 126, 65535, 65536, 1 << 20} {
				msg := bytes.Repeat([]byte{byte(n)}, n)
				if err := c.Write(ctx, websocket.MessageBinary, msg); err != nil {
					t.Fatal(err)
				}
				_, got, err := c.Read(ctx)
				if err != nil || !bytes.Equal(got, msg) {
					t.Fatalf("echo of %d bytes: %d bytes, %v", n, len(got), err)
				}
			}
			if _, err := c.Ping(ctx); err != nil {
				t.Fatal(err)
			}
			if err := c.Close(4001, "client bye"); err != nil {
				t.Fatal(err)
			}
			if code := <-s.closeBy; code != 4001 {
				t.Fatalf("server saw close %d, want 4001", code)
			}
			if s.h2.Load() != 1 || s.h1.Load() != 0 {
				t.Fatalf("server saw %d HTTP/2 and %d HTTP/1.1 WebSockets, want 1 and 0", s.h2.Load(), s.h1.Load())
			}
		})
	}
}

func TestH2ServerCloses(t *testing.T) {
	s := newH2Server(t, nil, func(c *websocket.Conn) {
		c.Close(4002, "server bye")
	})
	ctx := testCtx(t)
	c, _, err := websocket.Dial(ctx, s.url(), s.dialOpts())
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Read(ctx)
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != 4002 || ce.Reason != "server bye" {
		t.Fatalf("client read %v, want close 4002 server bye", err)
	}
	c.CloseNow()
}

// TestH2ManyStreamsOneConnection opens 100 WebSockets at once to one
// origin: they share one TCP connection, each echoes and pings, and the
// connection closes with the last of them.
func TestH2ManyStreamsOneConnection(t *testing.T) {
	// No keepalive: starved of CPU (nice 19 beside two hogs, -race) the
	// test ran past the default 30 s + 30 s and pongs came late (1011).
	s := newH2Server(t, &websocket.AcceptOptions{ConnOptions: websocket.ConnOptions{PingInterval: -1}}, nil)
	ctx := testCtx(t)
	const n = 100
	conns := make([]*websocket.Conn, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	do := s.dialOpts() // one TLSConfig: one pool key
	for i := range n {
		wg.Go(func() {
			c, _, err := websocket.Dial(ctx, s.url(), do)
			if err != nil {
				errs <- err
				return
			}
			conns[i] = c
			msg := bytes.Repeat([]byte{byte(i)}, 1000*i)
			for range 3 {
				if err := c.Write(ctx, websocket.MessageBinary, msg); err != nil {
					errs <- err
					return
				}
				_, got, err := c.Read(ctx)
				if err != nil || !bytes.Equal(got, msg) {
					errs <- fmt.Errorf("stream %d: echo %d bytes, %v", i, len(got), err)
					return
				}
			}
			if _, err := c.Ping(ctx); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.CloseNow()
			}
		}
	}()
	if got := s.conns.Load(); got != 1 {
		t.Fatalf("%d TCP connections for %d WebSockets, want 1", got, n)
	}
	if got := s.h2.Load(); got != n {
		t.Fatalf("%d WebSockets over HTTP/2, want %d", got, n)
	}
	for i, c := range conns {
		if err := c.Close(websocket.StatusCode(4000+i), ""); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[websocket.StatusCode]bool{}
	for range n {
		seen[<-s.closeBy] = true
	}
	if len(seen) != n {
		t.Fatalf("server saw %d distinct close codes, want %d", len(seen), n)
	}
}

// TestH2CancelledRead cancels a read waiting on an HTTP/2 stream: it
// returns the context's error and the WebSocket goes on working.
func TestH2CancelledRead(t *testing.T) {
	s := newH2Server(t, nil, nil)
	ctx := testCtx(t)
	c, _, err := websocket.Dial(ctx, s.url(), s.dialOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, _, err := c.Read(rctx)
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled read: %v, want context.Canceled", err)
	}
	if err := c.Write(ctx, websocket.MessageText, []byte("still here")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := c.Read(ctx); err != nil || string(got) != "still here" {
		t.Fatalf("after the cancelled read: %q, %v", got, err)
	}
}

// TestH2CancelledWrite cancels a Write blocked by HTTP/2 flow control (the
// server has stopped reading): the write deadline that cancellation sets is
// already past, which ends the stream, and Write returns. It once
// deadlocked there (SetWriteDeadline held the lock that Close takes).
func TestH2CancelledWrite(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	s := newH2Server(t, nil, func(c *websocket.Conn) {
		if _, _, err := c.Reader(context.Background()); err == nil {
			close(started) // the message has begun; nothing more is read
		}
		<-release
		c.CloseNow()
	})
	defer close(release)
	ctx := testCtx(t)
	c, _, err := websocket.Dial(ctx, s.url(), s.dialOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	wctx, cancel := context.WithCancel(ctx)
	go func() {
		<-started
		cancel()
	}()
	err = c.Write(wctx, websocket.MessageBinary, make([]byte, 16<<20)) // far beyond the stream's window
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled write: %v, want context.Canceled", err)
	}
}

// TestH2AndH1OnOneServer: a plain Dial still upgrades over HTTP/1.1 on the
// server that takes HTTP/2 WebSockets.
func TestH2AndH1OnOneServer(t *testing.T) {
	s := newH2Server(t, nil, nil)
	ctx := testCtx(t)
	do := s.dialOpts()
	do.HTTP2 = false
	c, resp, err := websocket.Dial(ctx, s.url(), do)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d, want 101", resp.StatusCode)
	}
	c.Close(websocket.StatusNormalClosure, "")
	<-s.closeBy
	if s.h1.Load() != 1 || s.h2.Load() != 0 {
		t.Fatalf("server saw %d HTTP/1.1 and %d HTTP/2 WebSockets, want 1 and 0", s.h1.Load(), s.h2.Load())
	}
}

// noXConnect serves an HTTP/2 connection that never advertises
// SETTINGS_ENABLE_CONNECT_PROTOCOL: it sends empty SETTINGS, acknowledges
// the client's and reads until the client goes.
func noXConnect(c net.Conn) {
	defer c.Close()
	preface := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(c, preface); err != nil {
		return
	}
	fr := http2.NewFramer(c, c)
	fr.WriteSettings()
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return
		}
		if sf, ok := f.(*http2.SettingsFrame); ok && !sf.IsAck() {
			fr.WriteSettingsAck()
		}
	}
}

// TestH2FallbackWithoutSetting: over wss://, a server that speaks h2 but
// does not advertise the setting gets an HTTP/1.1 upgrade instead.
func TestH2FallbackWithoutSetting(t *testing.T) {
	var h1 atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		h1.Add(1)
		echo(r.Context(), c)
		c.CloseNow()
	}))
	srv.TLS = &tls.Config{NextProtos: []string{"h2", "http/1.1"}}
	srv.Config.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){
		"h2": func(_ *http.Server, c *tls.Conn, _ http.Handler) { noXConnect(c) },
	}
	srv.StartTLS()
	defer srv.Close()
	s := &h2Server{Server: srv}
	ctx := testCtx(t)
	c, resp, err := websocket.Dial(ctx, s.url(), s.dialOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if resp.ProtoMajor != 1 || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("response %s %d, want the HTTP/1.1 fallback's 101", resp.Proto, resp.StatusCode)
	}
	if err := c.Write(ctx, websocket.MessageText, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := c.Read(ctx); err != nil || string(got) != "hi" {
		t.Fatalf("echo: %q, %v", got, err)
	}
	if h1.Load() != 1 {
		t.Fatalf("server accepted %d HTTP/1.1 WebSockets, want 1", h1.Load())
	}
}

// TestH2CleartextWithoutSetting: over ws:// (h2c, prior knowledge) there is
// nothing to fall back to: a precise error, not a hang.
func TestH2CleartextWithoutSetting(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go noXConnect(c)
		}
	}()
	ctx := testCtx(t)
	_, _, err = websocket.Dial(ctx, "ws://"+ln.Addr().String()+"/", &websocket.DialOptions{HTTP2: true, NoProxy: true})
	if !errors.Is(err, handshake.ErrExtendedConnectNotSupported) {
		t.Fatalf("Dial: %v, want ErrExtendedConnectNotSupported", err)
	}
}

// TestH2Cleartext opens a WebSocket over h2c to a net/http server that
// allows unencrypted HTTP/2.
func TestH2Cleartext(t *testing.T) {
	var h2 atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		if r.ProtoMajor == 2 {
			h2.Add(1)
		}
		echo(r.Context(), c)
		c.CloseNow()
	}))
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	defer srv.Close()
	ctx := testCtx(t)
	c, _, err := websocket.Dial(ctx, "ws"+srv.URL[len("http"):], &websocket.DialOptions{HTTP2: true, NoProxy: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if err := c.Write(ctx, websocket.MessageText, []byte("h2c")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := c.Read(ctx); err != nil || string(got) != "h2c" {
		t.Fatalf("echo: %q, %v", got, err)
	}
	if h2.Load() != 1 {
		t.Fatal("the server did not see the WebSocket arrive over HTTP/2")
	}
}

// TestH2CleartextToHTTP1Server: ws:// with HTTP2 to a server that speaks
// only HTTP/1.1 fails at once, with an error, not at the timeout.
func TestH2CleartextToHTTP1Server(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	ctx := testCtx(t)
	_, _, err := websocket.Dial(ctx, "ws"+srv.URL[len("http"):], &websocket.DialOptions{HTTP2: true, NoProxy: true})
	if err == nil || errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		t.Fatalf("Dial: %v (test context %v), want an HTTP/2 error", err, ctx.Err())
	}
	t.Log(err)
}

// TestH2DialCancelled cancels Dial while the server has not answered the
// extended CONNECT: Dial returns the context's error, the stream is given
// back, and the next Dial on the same connection works.
func TestH2DialCancelled(t *testing.T) {
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	s := newH2Server(t, nil, nil, func(srv *http.Server) {
		h := srv.Handler
		srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/slow" {
				arrived <- struct{}{}
				select {
				case <-release:
				case <-r.Context().Done():
				}
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	defer close(release)
	ctx := testCtx(t)
	do := s.dialOpts()
	keep, _, err := websocket.Dial(ctx, s.url(), do) // holds the connection open
	if err != nil {
		t.Fatal(err)
	}
	defer keep.CloseNow()
	dctx, cancel := context.WithCancel(ctx)
	go func() {
		<-arrived
		cancel()
	}()
	_, _, err = websocket.Dial(dctx, s.url()+"/slow", do)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Dial: %v, want context.Canceled", err)
	}
	c, _, err := websocket.Dial(ctx, s.url(), do)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if err := c.Write(ctx, websocket.MessageText, []byte("after")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := c.Read(ctx); err != nil || string(got) != "after" {
		t.Fatalf("echo after the cancelled Dial: %q, %v", got, err)
	}
	if n := s.conns.Load(); n != 1 {
		t.Fatalf("%d TCP connections, want 1", n)
	}
}

// TestH2Negotiation: over HTTP/2 the origin policy refuses with 403, the
// hook's refusal is written as over HTTP/1.1, and the subprotocol is the
// server's most preferred one the client offers (RFC 8441 §5).
func TestH2Negotiation(t *testing.T) {
	s := newH2Server(t, &websocket.AcceptOptions{
		Subprotocols: []string{"v2", "v1"},
		OnUpgrade: func(u *websocket.Upgrade) error {
			if u.Request.URL.Query().Get("token") != "ok" {
				return websocket.Refuse(http.StatusUnauthorized, "no token")
			}
			u.Header.Set("X-Hook", "yes")
			return nil
		},
	}, nil)
	ctx := testCtx(t)

	do := s.dialOpts()
	do.Origin = "https://evil.example"
	_, resp, err := websocket.Dial(ctx, s.url()+"/?token=ok", do)
	var he *websocket.HandshakeError
	if !errors.As(err, &he) || he.StatusCode != http.StatusForbidden || resp == nil || resp.ProtoMajor != 2 {
		t.Fatalf("foreign origin: %v (response %v), want a 403 over HTTP/2", err, resp)
	}

	do = s.dialOpts()
	_, resp, err = websocket.Dial(ctx, s.url()+"/", do)
	if !errors.As(err, &he) || he.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no token: %v, want 401", err)
	}
	if body, _ := io.ReadAll(resp.Body); string(body) != "no token\n" {
		t.Fatalf("refusal body %q", body)
	}

	do.Subprotocols = []string{"v1", "v2"}
	c, resp, err := websocket.Dial(ctx, s.url()+"/?token=ok", do)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if c.Subprotocol() != "v2" || resp.Header.Get("X-Hook") != "yes" || resp.Header.Get("Sec-WebSocket-Accept") != "" {
		t.Fatalf("subprotocol %q, headers %v", c.Subprotocol(), resp.Header)
	}
}
