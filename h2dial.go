package websocket

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"golang.org/x/net/http2"

	"github.com/wskit/websocket/handshake"
)

// h2Conns holds the HTTP/2 connections that Dial with HTTP2 opened, one per
// origin and TLS configuration, while a WebSocket is open on them. A Dial
// without HTTP2 uses one too, once it has taken an extended CONNECT.
var h2Conns = h2Pool{conns: make(map[h2Key]*h2Entry)}

type h2Pool struct {
	mu    sync.Mutex
	conns map[h2Key]*h2Entry
}

type h2Key struct {
	addr, serverName string
	secure           bool
	tls              *tls.Config
}

// h2Entry is one HTTP/2 connection, or one being opened (ready not yet
// closed).
type h2Entry struct {
	ready   chan struct{}
	cc      *http2.ClientConn
	nc      net.Conn // set when ALPN chose http/1.1: the caller upgrades it
	err     error
	streams int
	// xconnect: the server took an extended CONNECT here, so it advertised
	// SETTINGS_ENABLE_CONNECT_PROTOCOL (x/net refuses to send one before).
	xconnect bool
}

// errH1 is an h2Entry's connection on which ALPN chose HTTP/1.1.
var errH1 = errors.New("http/1.1 chosen")

// get returns an HTTP/2 connection to key with a stream reserved on it,
// or, when TLS chose HTTP/1.1, the new connection itself (cc nil).
func (p *h2Pool) get(ctx context.Context, key h2Key, dial func() (net.Conn, error)) (*h2Entry, net.Conn, error) {
	for {
		p.mu.Lock()
		e := p.conns[key]
		if e == nil {
			e = &h2Entry{ready: make(chan struct{})}
			p.conns[key] = e
			p.mu.Unlock()
			e.err = p.open(e, dial)
			p.mu.Lock()
			if e.err != nil {
				delete(p.conns, key)
			}
			close(e.ready)
			if e.err == errH1 {
				p.mu.Unlock()
				return nil, e.nc, nil
			}
			if e.err != nil {
				p.mu.Unlock()
				return nil, nil, e.err
			}
			e.streams++
			p.mu.Unlock()
			return e, nil, nil
		}
		p.mu.Unlock()
		select {
		case <-e.ready:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
		p.mu.Lock()
		if e.err == nil && p.conns[key] == e && e.cc.CanTakeNewRequest() {
			e.streams++
			p.mu.Unlock()
			return e, nil, nil
		}
		if e.err == nil && p.conns[key] == e {
			delete(p.conns, key) // full or closing: open another
		}
		p.mu.Unlock()
		if e.err != nil && e.err != errH1 {
			return nil, nil, e.err
		}
	}
}

func (p *h2Pool) open(e *h2Entry, dial func() (net.Conn, error)) error {
	nc, err := dial()
	if err != nil {
		return err
	}
	if tc, ok := nc.(*tls.Conn); ok && tc.ConnectionState().NegotiatedProtocol != http2.NextProtoTLS {
		e.nc = nc
		return errH1
	}
	cc, err := (&http2.Transport{}).NewClientConn(clampFrameSize(nc))
	if err != nil {
		nc.Close()
		return fmt.Errorf("websocket: HTTP/2: %w", err)
	}
	e.cc, e.nc = cc, nc
	return nil
}

// reuse reserves a stream on the open HTTP/2 connection to key, if there
// is one that has already taken an extended CONNECT and has room; it never
// opens a connection or waits for one.
func (p *h2Pool) reuse(key h2Key) *h2Entry {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.conns[key]
	if e == nil || !e.xconnect || !e.cc.CanTakeNewRequest() {
		return nil
	}
	e.streams++
	return e
}

// release gives back a stream of e, closing the connection with the last.
func (p *h2Pool) release(key h2Key, e *h2Entry) {
	p.mu.Lock()
	e.streams--
	last := e.streams == 0
	if last && p.conns[key] == e {
		delete(p.conns, key)
	}
	p.mu.Unlock()
	if last {
		e.cc.Close()
	}
}

// dialStream opens the WebSocket as an extended CONNECT stream (RFC 8441)
// on an HTTP/2 connection to the URL's origin, shared with the other
// WebSockets open there. Over wss://, ALPN choosing HTTP/1.1, or a server
// without SETTINGS_ENABLE_CONNECT_PROTOCOL, falls back to an HTTP/1.1
// upgrade; over ws:// (h2c with prior knowledge) the second is an error.
func dialStream(ctx context.Context, o *DialOptions, creq *handshake.ClientRequest, target *url.URL, secure bool) (*Conn, *http.Response, error) {
	req, err := creq.ExtendedConnectRequest(ctx)
	if err != nil {
		return nil, nil, err
	}
	key := h2KeyFor(o, target, secure)
	e, nc, err := h2Conns.get(ctx, key, func() (net.Conn, error) {
		return dialTransport(ctx, o, req, target, secure, []string{http2.NextProtoTLS, "http/1.1"})
	})
	if err != nil {
		return nil, nil, err
	}
	if e == nil {
		return upgradeOver(ctx, nc, creq, o)
	}
	conn, resp, err := roundTripStream(ctx, e, key, creq, req, o)
	if errors.Is(err, handshake.ErrExtendedConnectNotSupported) && secure {
		nc, err := dialTransport(ctx, o, req, target, secure, []string{"http/1.1"})
		if err != nil {
			return nil, nil, err
		}
		return upgradeOver(ctx, nc, creq, o)
	}
	return conn, resp, err
}

// h2KeyFor is the pool key of a Dial with o to target.
func h2KeyFor(o *DialOptions, target *url.URL, secure bool) h2Key {
	key := h2Key{addr: hostPort(target), secure: secure, tls: o.TLSConfig}
	if o.TLSConfig != nil {
		key.serverName = o.TLSConfig.ServerName
	}
	return key
}

// dialReused opens the WebSocket as a stream of an HTTP/2 connection that
// h2Conns already holds to the URL's origin and on which the server took
// an extended CONNECT. ok is false when there is none, or when the
// connection failed before the server answered (it may have been closing):
// the caller then upgrades over HTTP/1.1 as it would have.
func dialReused(ctx context.Context, o *DialOptions, creq *handshake.ClientRequest, target *url.URL, secure bool) (conn *Conn, resp *http.Response, ok bool, err error) {
	key := h2KeyFor(o, target, secure)
	e := h2Conns.reuse(key)
	if e == nil {
		return nil, nil, false, nil
	}
	req, err := creq.ExtendedConnectRequest(ctx)
	if err != nil {
		h2Conns.release(key, e)
		return nil, nil, true, err
	}
	conn, resp, err = roundTripStream(ctx, e, key, creq, req, o)
	if err != nil && resp == nil && ctx.Err() == nil {
		return nil, nil, false, nil
	}
	return conn, resp, true, err
}

// upgradeOver runs the HTTP/1.1 opening handshake on nc, an HTTP/2
// dial's fallback.
func upgradeOver(ctx context.Context, nc net.Conn, creq *handshake.ClientRequest, o *DialOptions) (*Conn, *http.Response, error) {
	creq.Key = ""
	req, err := creq.HTTPRequest(ctx)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return finishHandshake(ctx, nc, creq, req, o)
}

// roundTripStream sends the extended CONNECT on e's connection and turns
// the stream into a Conn.
func roundTripStream(ctx context.Context, e *h2Entry, key h2Key, creq *handshake.ClientRequest, req *http.Request, o *DialOptions) (*Conn, *http.Response, error) {
	var once sync.Once
	release := func() { once.Do(func() { h2Conns.release(key, e) }) }
	// The stream outlives Dial's ctx, which only bounds the opening.
	streamCtx, cancel := context.WithCancel(context.Background())
	stop := context.AfterFunc(ctx, cancel)
	pr, pw := io.Pipe()
	req = req.WithContext(streamCtx)
	req.Body = pr
	fail := func(err error) error {
		cancel()
		pw.Close()
		release()
		return err
	}
	resp, err := e.cc.RoundTrip(req)
	if !stop() {
		if err == nil {
			resp.Body.Close()
		}
		return nil, nil, fail(fmt.Errorf("websocket: opening handshake: %w", ctx.Err()))
	}
	if err != nil {
		// x/net/http2 has no sentinel for this (RFC 8441 §3).
		if strings.Contains(err.Error(), "extended connect not supported") {
			err = handshake.ErrExtendedConnectNotSupported
		}
		return nil, nil, fail(fmt.Errorf("websocket: HTTP/2 extended CONNECT: %w", err))
	}
	h2Conns.mu.Lock()
	e.xconnect = true
	h2Conns.mu.Unlock()
	result, verr := creq.VerifyExtendedConnect(resp)
	if verr != nil {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		return nil, resp, fail(&HandshakeError{StatusCode: resp.StatusCode, Err: verr})
	}
	agreed, err := clientAgreement(result, o)
	if err != nil {
		resp.Body.Close() // resets the stream
		return nil, resp, fail(err)
	}
	// END_STREAM, then RST_STREAM(CANCEL) for what the server still sends.
	end := func(bool) {
		pw.Close()
		cancel()
		release()
	}
	s := newH2Stream(resp.Body, pw, end, e.nc.LocalAddr(), e.nc.RemoteAddr())
	return newConn(s, RoleClient, &o.ConnOptions, result.Protocol, nil, nil, agreed), resp, nil
}
