package websocket

import (
	"bufio"
	"bytes"
	"context"
	crand "crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/handshake"
	"github.com/wskit/websocket/wire"
)

// DialOptions configures Dial. The zero value (or nil) dials directly or
// through the proxy named by the environment, with the ConnOptions defaults.
type DialOptions struct {
	ConnOptions

	// Header holds extra request headers, such as Authorization or
	// User-Agent. The handshake's own headers may not be set here.
	Header http.Header

	// Subprotocols are offered in this order (RFC 6455 §4.1 item 10).
	Subprotocols []string

	// Origin, when set, is sent as the Origin header.
	Origin string

	// Host, when set, is sent as the Host header instead of the URL's host.
	Host string

	// Jar, when set, supplies the request's cookies and stores those the
	// server's response sets.
	Jar http.CookieJar

	// TLSConfig is used for wss:// URLs; nil means the defaults with the
	// URL's host as server name.
	TLSConfig *tls.Config

	// Proxy returns the HTTP proxy for a request, nil for none. A nil Proxy
	// means http.ProxyFromEnvironment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY,
	// with ws:// treated as http:// and wss:// as https://); set NoProxy to
	// dial directly. The connection goes through the proxy with CONNECT.
	Proxy   func(*http.Request) (*url.URL, error)
	NoProxy bool

	// NetDialContext dials the TCP connection (to the server or the
	// proxy); nil means a net.Dialer.
	NetDialContext func(ctx context.Context, network, addr string) (net.Conn, error)

	// HTTP2 opens the WebSocket as a stream of an HTTP/2 connection, with
	// an extended CONNECT (RFC 8441), sharing one connection per origin
	// (host, port and TLSConfig pointer) with the other WebSockets open
	// on it; the connection closes with the last of them. Over wss://
	// TLS offers h2 and http/1.1, and Dial falls back to an HTTP/1.1
	// upgrade when the server picks http/1.1 or does not advertise
	// SETTINGS_ENABLE_CONNECT_PROTOCOL. Over ws:// it speaks HTTP/2 in
	// cleartext (h2c, prior knowledge) and a server without the setting
	// is an error wrapping handshake.ErrExtendedConnectNotSupported.
	//
	// Without HTTP2, Dial still opens a stream of such a connection while
	// one is open to the origin and the server has taken an extended
	// CONNECT on it, as browsers do (the response's ProtoMajor says 2);
	// otherwise it upgrades over HTTP/1.1 on a connection of its own.
	HTTP2 bool

	// HandshakeTimeout bounds the connect, TLS and WebSocket handshakes;
	// 0 means DefaultHandshakeTimeout. ctx still applies.
	HandshakeTimeout time.Duration
}

// browserDial is set under js/wasm, where Dial opens the browser's own
// WebSocket (dial_js.go).
var browserDial func(ctx context.Context, rawURL string, opts *DialOptions) (*Conn, *http.Response, error)

// HandshakeError is returned by Dial when the server does not accept the
// opening handshake. The response is also returned by Dial, with its body
// (up to 64 KiB) readable.
type HandshakeError struct {
	StatusCode int
	Err        error // the handshake package's reason
}

func (e *HandshakeError) Error() string { return e.Err.Error() }
func (e *HandshakeError) Unwrap() error { return e.Err }

// maxErrorBody bounds how much of a refusal's body Dial keeps.
const maxErrorBody = 64 << 10

// Dial opens a WebSocket connection to rawURL (ws:// or wss://, or http://
// and https://, which mean the same) and returns it with the server's
// handshake response. When the server refuses, the error is a
// *HandshakeError and the response is returned too, its body readable, so
// the caller can see the status and what the server said. ctx bounds the
// whole opening; once Dial returns, ctx no longer matters.
func Dial(ctx context.Context, rawURL string, opts *DialOptions) (*Conn, *http.Response, error) {
	if browserDial != nil {
		return browserDial(ctx, rawURL, opts)
	}
	var o DialOptions
	if opts != nil {
		o = *opts
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, nil, fmt.Errorf("websocket: bad URL: %w", err)
	}
	secure := false
	switch u.Scheme {
	case "ws", "http":
	case "wss", "https":
		secure = true
	default:
		return nil, nil, fmt.Errorf("websocket: bad URL %q: scheme must be ws or wss", rawURL)
	}
	timeout := o.HandshakeTimeout
	if timeout <= 0 {
		timeout = DefaultHandshakeTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	creq := &handshake.ClientRequest{
		URL:       u,
		Host:      o.Host,
		Origin:    o.Origin,
		Protocols: o.Subprotocols,
		Header:    o.Header.Clone(),
	}
	if o.Compression != nil {
		creq.Extensions = deflate.ClientOffers(o.Compression.Options)
	}
	httpURL := *u
	httpURL.Scheme = "http"
	if secure {
		httpURL.Scheme = "https"
	}
	httpURL.User = nil
	httpURL.Fragment = ""
	if o.Jar != nil {
		if cookies := o.Jar.Cookies(&httpURL); len(cookies) > 0 {
			if creq.Header == nil {
				creq.Header = make(http.Header)
			}
			for _, ck := range cookies {
				creq.Header.Add("Cookie", ck.String())
			}
		}
	}
	var conn *Conn
	var resp *http.Response
	reused := false
	if o.HTTP2 {
		conn, resp, err = dialStream(ctx, &o, creq, &httpURL, secure)
	} else {
		conn, resp, reused, err = dialReused(ctx, &o, creq, &httpURL, secure)
	}
	if !o.HTTP2 && !reused {
		var req *http.Request
		req, err = creq.HTTPRequest(ctx)
		if err != nil {
			return nil, nil, err
		}
		var netConn net.Conn
		netConn, err = dialTransport(ctx, &o, req, &httpURL, secure, []string{"http/1.1"})
		if err != nil {
			return nil, nil, err
		}
		conn, resp, err = finishHandshake(ctx, netConn, creq, req, &o)
	}
	if err != nil {
		return nil, resp, err
	}
	if o.Jar != nil {
		if rc := resp.Cookies(); len(rc) > 0 {
			o.Jar.SetCookies(&httpURL, rc)
		}
	}
	return conn, resp, nil
}

// finishHandshake runs the HTTP/1.1 opening handshake on netConn within
// ctx, closing netConn when it fails.
func finishHandshake(ctx context.Context, netConn net.Conn, creq *handshake.ClientRequest, req *http.Request, o *DialOptions) (*Conn, *http.Response, error) {
	stopWatch := context.AfterFunc(ctx, func() { netConn.SetDeadline(past) })
	conn, resp, err := handshakeOver(netConn, creq, req, o)
	if !stopWatch() || ctx.Err() != nil {
		if err == nil {
			conn.CloseNow()
		}
		netConn.Close()
		return nil, resp, fmt.Errorf("websocket: opening handshake: %w", ctx.Err())
	}
	if err != nil {
		netConn.Close()
		return nil, resp, err
	}
	return conn, resp, nil
}

// dialTransport opens the TCP connection, through a proxy if one applies,
// and TLS for wss offering the ALPN protocols alpn.
func dialTransport(ctx context.Context, o *DialOptions, req *http.Request, target *url.URL, secure bool, alpn []string) (net.Conn, error) {
	dial := o.NetDialContext
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	addr := hostPort(target)
	var proxyURL *url.URL
	if !o.NoProxy {
		proxy := o.Proxy
		if proxy == nil {
			proxy = http.ProxyFromEnvironment
		}
		preq := &http.Request{Method: http.MethodGet, URL: target, Header: http.Header{}}
		u, err := proxy(preq)
		if err != nil {
			return nil, fmt.Errorf("websocket: choosing a proxy: %w", err)
		}
		proxyURL = u
	}
	var netConn net.Conn
	var err error
	if proxyURL != nil {
		netConn, err = dialProxy(ctx, dial, proxyURL, addr)
	} else {
		netConn, err = dial(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("websocket: dial: %w", err)
	}
	if !secure {
		return netConn, nil
	}
	cfg := o.TLSConfig.Clone()
	if cfg == nil {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = target.Hostname()
	}
	// RFC 6455 §4.1 WebSocket runs over HTTP/1.1; RFC 8441 over h2 too.
	cfg.NextProtos = alpn
	tc := tls.Client(netConn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		netConn.Close()
		return nil, fmt.Errorf("websocket: TLS handshake: %w", err)
	}
	return tc, nil
}

// hostPort returns u's host with the scheme's default port when it has none.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// dialProxy opens a tunnel to addr through an HTTP proxy with CONNECT
// (RFC 9110 §9.3.6).
func dialProxy(ctx context.Context, dial func(context.Context, string, string) (net.Conn, error), proxy *url.URL, addr string) (net.Conn, error) {
	if proxy.Scheme != "http" && proxy.Scheme != "" {
		return nil, fmt.Errorf("proxy scheme %q not supported (only http)", proxy.Scheme)
	}
	pc, err := dial(ctx, "tcp", hostPort(&url.URL{Scheme: "http", Host: proxy.Host}))
	if err != nil {
		return nil, fmt.Errorf("connecting to proxy %s: %w", proxy.Host, err)
	}
	stop := context.AfterFunc(ctx, func() { pc.SetDeadline(past) })
	defer stop()
	h := http.Header{}
	if proxy.User != nil {
		pass, _ := proxy.User.Password()
		cred := base64.StdEncoding.EncodeToString([]byte(proxy.User.Username() + ":" + pass))
		h.Set("Proxy-Authorization", "Basic "+cred)
	}
	creq := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: addr}, Host: addr, Header: h}
	if err := creq.Write(pc); err != nil {
		pc.Close()
		return nil, fmt.Errorf("proxy CONNECT: %w", err)
	}
	br := bufio.NewReader(pc)
	resp, err := http.ReadResponse(br, creq)
	if err != nil {
		pc.Close()
		return nil, fmt.Errorf("proxy CONNECT: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		pc.Close()
		return nil, fmt.Errorf("proxy CONNECT to %s refused: %s", addr, resp.Status)
	}
	if br.Buffered() > 0 {
		pc.Close()
		return nil, errors.New("proxy sent data before the tunnel was used")
	}
	pc.SetDeadline(time.Time{})
	return pc, nil
}

// handshakeOver sends the opening handshake on netConn and checks the reply.
func handshakeOver(netConn net.Conn, creq *handshake.ClientRequest, req *http.Request, o *DialOptions) (*Conn, *http.Response, error) {
	if err := req.Write(netConn); err != nil {
		return nil, nil, fmt.Errorf("websocket: sending the opening handshake: %w", err)
	}
	size := o.ReadBufferSize
	if size <= 0 {
		size = DefaultReadBufferSize
	}
	br := bufio.NewReaderSize(netConn, max(size, minReadBuffer))
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return nil, nil, fmt.Errorf("websocket: reading the handshake response: %w", err)
	}
	result, verr := creq.Verify(resp)
	if verr != nil {
		if resp.StatusCode != http.StatusSwitchingProtocols {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
			resp.Body.Close()
			resp.Body = io.NopCloser(bytes.NewReader(body))
		}
		return nil, resp, &HandshakeError{StatusCode: resp.StatusCode, Err: verr}
	}
	agreed, err := clientAgreement(result, o)
	if err != nil {
		// RFC 7692 §7.1: a response the client cannot accept fails the
		// connection.
		netConn.Write(closeFrame(StatusMandatoryExtension))
		return nil, resp, err
	}
	// What br read past the response comes first; the Conn reads the
	// connection itself after that.
	leftover, _ := br.Peek(br.Buffered())
	c := newConn(netConn, RoleClient, &o.ConnOptions, result.Protocol, nil, leftover, agreed)
	return c, resp, nil
}

// clientAgreement is the permessage-deflate agreement the server's
// response makes, nil for none.
func clientAgreement(result *handshake.ClientResult, o *DialOptions) (*deflate.Agreement, error) {
	if o.Compression == nil {
		return nil, nil
	}
	agreement, compress, err := deflate.ClientVerify(result.Extensions, o.Compression.Options)
	if err != nil {
		return nil, fmt.Errorf("websocket: %w", err)
	}
	if !compress {
		return nil, nil
	}
	return &agreement, nil
}

// closeFrame returns a client's close frame with code, for a connection
// failed before a Conn exists.
func closeFrame(code StatusCode) []byte {
	h := wire.Header{Fin: true, Opcode: wire.OpClose, Masked: true, Length: 2}
	var key [4]byte
	crand.Read(key[:])
	h.Mask = key
	return wire.AppendFrame(nil, h, wire.AppendClosePayload(nil, code, ""))
}
