package websocket_test

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/handshake"
)

// endingProxy is a loopback HTTP proxy that answers every CONNECT with
// 200 and hands the client's side of the tunnel, and the target, to serve,
// which may end the protocol inside it itself.
type endingProxy struct {
	ln       net.Listener
	connects atomic.Int64
}

func newEndingProxy(t *testing.T, serve func(client net.Conn, target string)) *endingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &endingProxy{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				br := bufio.NewReader(c)
				req, err := http.ReadRequest(br)
				if err != nil || req.Method != http.MethodConnect {
					c.Close()
					return
				}
				p.connects.Add(1)
				if _, err := io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
					c.Close()
					return
				}
				serve(&bufferedConn{Conn: c, r: br}, req.Host)
			}()
		}
	}()
	return p
}

func (p *endingProxy) url() func(*http.Request) (*url.URL, error) {
	return http.ProxyURL(&url.URL{Scheme: "http", Host: p.ln.Addr().String()})
}

// bufferedConn reads what the proxy's reader already holds first.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// relay copies bytes both ways between a and b until either ends.
func relay(a, b net.Conn) {
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn) {
		io.Copy(dst, src)
		dst.Close()
		src.Close()
		done <- struct{}{}
	}
	go cp(a, b)
	go cp(b, a)
	<-done
	<-done
}

// TestH2ThroughProxy: with DialOptions.Proxy, the TLS connection to the
// origin goes through the proxy's CONNECT tunnel and speaks h2 inside it;
// three WebSockets share the one tunnel.
func TestH2ThroughProxy(t *testing.T) {
	s := newH2Server(t, nil, nil)
	var tunnels atomic.Int32
	proxy := &url.URL{Scheme: "http", User: url.UserPassword("u", "p"), Host: connectProxy(t, &tunnels)}
	ctx := testCtx(t)
	do := s.dialOpts()
	do.NoProxy = false
	do.Proxy = http.ProxyURL(proxy)
	for i := range 3 {
		c, resp, err := websocket.Dial(ctx, s.url(), do)
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		if resp.ProtoMajor != 2 {
			t.Fatalf("WebSocket %d over %s, want HTTP/2", i, resp.Proto)
		}
		if err := c.Write(ctx, websocket.MessageText, []byte("via proxy")); err != nil {
			t.Fatal(err)
		}
		if _, got, err := c.Read(ctx); err != nil || string(got) != "via proxy" {
			t.Fatalf("echo: %q, %v", got, err)
		}
	}
	if tunnels.Load() != 1 || s.conns.Load() != 1 || s.h2.Load() != 3 {
		t.Fatalf("%d tunnels, %d TCP connections at the server, %d HTTP/2 WebSockets; want 1, 1 and 3",
			tunnels.Load(), s.conns.Load(), s.h2.Load())
	}
}

// TestH2ProxyStripsSetting: a proxy that ends HTTP/2 itself and does not
// advertise SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3) gets an HTTP/1.1
// upgrade over wss:// (here it relays HTTP/1.1 to the server after
// terminating TLS with the server's own certificate), and over ws:// (h2c
// through the tunnel) an error wrapping ErrExtendedConnectNotSupported:
// never a hang.
func TestH2ProxyStripsSetting(t *testing.T) {
	s := newH2Server(t, nil, nil)
	ctx := testCtx(t)
	cfg := &tls.Config{Certificates: s.TLS.Certificates, NextProtos: []string{"h2", "http/1.1"}}
	var h2Seen atomic.Int64
	p := newEndingProxy(t, func(client net.Conn, target string) {
		tc := tls.Server(client, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			client.Close()
			return
		}
		if tc.ConnectionState().NegotiatedProtocol == "h2" {
			h2Seen.Add(1)
			noXConnect(tc)
			return
		}
		up, err := tls.Dial("tcp", target, &tls.Config{RootCAs: s.dialOpts().TLSConfig.RootCAs, NextProtos: []string{"http/1.1"}})
		if err != nil {
			tc.Close()
			return
		}
		relay(tc, up)
	})
	do := s.dialOpts()
	do.NoProxy = false
	do.Proxy = p.url()
	c, resp, err := websocket.Dial(ctx, s.url(), do)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if resp.ProtoMajor != 1 {
		t.Fatalf("over %s, want the HTTP/1.1 fallback", resp.Proto)
	}
	if err := c.Write(ctx, websocket.MessageText, []byte("fell back")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := c.Read(ctx); err != nil || string(got) != "fell back" {
		t.Fatalf("echo: %q, %v", got, err)
	}
	if h2Seen.Load() != 1 || p.connects.Load() != 2 || s.h1.Load() != 1 || s.h2.Load() != 0 {
		t.Fatalf("proxy: %d h2 connections, %d CONNECTs; server: %d HTTP/1.1, %d HTTP/2 WebSockets; want 1, 2, 1 and 0",
			h2Seen.Load(), p.connects.Load(), s.h1.Load(), s.h2.Load())
	}

	h2c := newEndingProxy(t, func(client net.Conn, _ string) { noXConnect(client) })
	_, _, err = websocket.Dial(ctx, "ws://"+s.Listener.Addr().String()+"/", &websocket.DialOptions{HTTP2: true, Proxy: h2c.url()})
	if !errors.Is(err, handshake.ErrExtendedConnectNotSupported) {
		t.Fatalf("h2c through the proxy: %v, want ErrExtendedConnectNotSupported", err)
	}
	if ctx.Err() != nil {
		t.Fatal(ctx.Err())
	}
}
