package websocket

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	wskit "github.com/wskit/websocket"
	"github.com/wskit/websocket/handshake"
)

// HandshakeError is a handshake request the Upgrader refused.
type HandshakeError struct{ message string }

func (e HandshakeError) Error() string { return e.message }

// Upgrader upgrades HTTP requests to WebSocket connections. The zero value
// accepts same-origin requests with the defaults.
type Upgrader struct {
	// HandshakeTimeout is not used: the request's context and the
	// http.Server's timeouts bound the handshake.
	HandshakeTimeout time.Duration

	// ReadBufferSize and WriteBufferSize size the connection's buffers.
	ReadBufferSize, WriteBufferSize int

	// WriteBufferPool is not used.
	WriteBufferPool BufferPool

	// Subprotocols are the server's subprotocols in order of preference.
	Subprotocols []string

	// Error, when set, writes the response to a bad handshake. When nil,
	// wskit writes the precise status and reason.
	Error func(w http.ResponseWriter, r *http.Request, status int, reason error)

	// CheckOrigin returns whether the request's Origin is allowed. nil
	// allows only the request's own host (a request without Origin is
	// allowed).
	CheckOrigin func(r *http.Request) bool

	// EnableCompression negotiates permessage-deflate.
	EnableCompression bool
}

// BufferPool is gorilla's write buffer pool interface.
type BufferPool interface {
	Get() any
	Put(any)
}

// Upgrade answers the handshake and returns the connection. responseHeader
// may hold Set-Cookie and other headers, and Sec-WebSocket-Protocol to
// choose the subprotocol when Subprotocols is empty. On an error the
// response has been written.
func (u *Upgrader) Upgrade(w http.ResponseWriter, r *http.Request, responseHeader http.Header) (*Conn, error) {
	if u.Error != nil {
		if _, err := handshake.CheckRequest(r); err != nil {
			status := http.StatusBadRequest
			var re *handshake.RequestError
			if errors.As(err, &re) {
				status = re.Status
			}
			u.Error(w, r, status, err)
			return nil, HandshakeError{err.Error()}
		}
	}
	if u.CheckOrigin != nil && !u.CheckOrigin(r) {
		err := errors.New("websocket: request origin not allowed by Upgrader.CheckOrigin")
		if u.Error != nil {
			u.Error(w, r, http.StatusForbidden, err)
		} else {
			http.Error(w, http.StatusText(http.StatusForbidden), http.StatusForbidden)
		}
		return nil, HandshakeError{err.Error()}
	}
	if _, ok := responseHeader["Sec-Websocket-Extensions"]; ok {
		err := errors.New("websocket: application specific 'Sec-WebSocket-Extensions' headers are unsupported")
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return nil, err
	}
	c := newConn()
	header := responseHeader.Clone()
	chosen := header.Get("Sec-Websocket-Protocol")
	header.Del("Sec-Websocket-Protocol")
	opts := &wskit.AcceptOptions{
		ConnOptions:             c.options(u.ReadBufferSize, u.WriteBufferSize, u.EnableCompression),
		Subprotocols:            u.Subprotocols,
		ResponseHeader:          header,
		InsecureSkipOriginCheck: u.CheckOrigin != nil, // judged above
	}
	if len(u.Subprotocols) == 0 && chosen != "" {
		opts.OnUpgrade = func(up *wskit.Upgrade) error {
			up.Subprotocol = chosen
			return nil
		}
	}
	wc, err := wskit.Accept(w, r, opts)
	if err != nil {
		return nil, HandshakeError{err.Error()}
	}
	return c.attach(wc), nil
}

// IsWebSocketUpgrade reports whether r asks for a WebSocket upgrade.
func IsWebSocketUpgrade(r *http.Request) bool { return handshake.IsUpgradeRequest(r) }

// Subprotocols returns the subprotocols the client offered.
func Subprotocols(r *http.Request) []string {
	p, _ := handshake.ParseProtocols(r.Header)
	return p
}

// Dialer connects to WebSocket servers. The zero value dials directly
// (no proxy), with the defaults.
type Dialer struct {
	// NetDial and NetDialContext dial the TCP connection; NetDialContext
	// wins when both are set.
	NetDial        func(network, addr string) (net.Conn, error)
	NetDialContext func(ctx context.Context, network, addr string) (net.Conn, error)

	// Proxy returns the proxy for a request; nil means none.
	Proxy func(*http.Request) (*url.URL, error)

	// TLSClientConfig is used for wss:// URLs.
	TLSClientConfig *tls.Config

	// HandshakeTimeout bounds the whole handshake; 0 means wskit's 30 s.
	HandshakeTimeout time.Duration

	// ReadBufferSize and WriteBufferSize size the connection's buffers.
	ReadBufferSize, WriteBufferSize int

	// WriteBufferPool is not used.
	WriteBufferPool BufferPool

	// Subprotocols are offered in this order.
	Subprotocols []string

	// EnableCompression offers permessage-deflate.
	EnableCompression bool

	// Jar supplies and stores cookies.
	Jar http.CookieJar
}

// DefaultDialer uses the environment's proxy and a 45 s handshake
// timeout, as gorilla's does.
var DefaultDialer = &Dialer{Proxy: http.ProxyFromEnvironment, HandshakeTimeout: 45 * time.Second}

// Dial is DialContext with context.Background().
func (d *Dialer) Dial(urlStr string, requestHeader http.Header) (*Conn, *http.Response, error) {
	return d.DialContext(context.Background(), urlStr, requestHeader)
}

// DialContext connects to urlStr. requestHeader may hold Origin, Cookie,
// Sec-WebSocket-Protocol and any other header. When the server refuses
// the handshake, the error is ErrBadHandshake and the response is
// returned with its body.
func (d *Dialer) DialContext(ctx context.Context, urlStr string, requestHeader http.Header) (*Conn, *http.Response, error) {
	if d == nil {
		d = &Dialer{}
	}
	c := newConn()
	opts := &wskit.DialOptions{
		ConnOptions:      c.options(d.ReadBufferSize, d.WriteBufferSize, d.EnableCompression),
		Subprotocols:     d.Subprotocols,
		Proxy:            d.Proxy,
		NoProxy:          d.Proxy == nil,
		TLSConfig:        d.TLSClientConfig,
		HandshakeTimeout: d.HandshakeTimeout,
		Jar:              d.Jar,
		NetDialContext:   d.NetDialContext,
	}
	if opts.NetDialContext == nil && d.NetDial != nil {
		opts.NetDialContext = func(_ context.Context, network, addr string) (net.Conn, error) { return d.NetDial(network, addr) }
	}
	h := requestHeader.Clone()
	if h != nil {
		opts.Origin = h.Get("Origin")
		opts.Host = h.Get("Host")
		for _, p := range h.Values("Sec-Websocket-Protocol") {
			for _, s := range strings.Split(p, ",") {
				if s = strings.TrimSpace(s); s != "" {
					opts.Subprotocols = append(opts.Subprotocols, s)
				}
			}
		}
		for _, k := range []string{"Origin", "Host", "Sec-Websocket-Protocol"} {
			h.Del(k)
		}
		opts.Header = h
	}
	wc, resp, err := wskit.Dial(ctx, urlStr, opts)
	if err != nil {
		var he *wskit.HandshakeError
		if errors.As(err, &he) {
			return nil, resp, ErrBadHandshake
		}
		return nil, resp, err
	}
	return c.attach(wc), resp, nil
}
