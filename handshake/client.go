package handshake

import (
	"context"
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
)

// ClientRequest describes a client's opening handshake (RFC 6455 §4.1). Fill
// it in, call [ClientRequest.HTTPRequest] and write the request to the
// connection, then pass the server's response to [ClientRequest.Verify].
//
// A ClientRequest is used for one handshake: HTTPRequest stores the key it
// generates in Key, and Verify checks the response against that key and the
// offers made.
type ClientRequest struct {
	// URL is the target: ws or wss (RFC 6455 §3), or http or https which
	// mean the same. Its host, path and query are sent; a fragment is an
	// error (RFC 6455 §3: fragments are not used in WebSocket URIs), and
	// userinfo is not sent (set an Authorization header in Header instead).
	URL *url.URL

	// Host, when set, is sent as the Host header instead of URL.Host
	// (RFC 6455 §4.1 item 4).
	Host string

	// Origin, when set, is sent as the Origin header (RFC 6455 §4.1 item 8,
	// §10.2). Browsers always send one; other clients may.
	Origin string

	// Protocols are the subprotocols offered, most preferred first. Each must
	// be a token and appear once (RFC 6455 §4.1 item 10).
	Protocols []string

	// Extensions are the extensions offered, most preferred first. Every
	// name, parameter name and value must be a token (RFC 6455 §9.1).
	Extensions []Extension

	// Header holds extra request headers, such as Cookie, Authorization or
	// User-Agent (RFC 6455 §4.1 item 12). It must not set Host, Upgrade,
	// Connection or any Sec-WebSocket- header, which this package writes,
	// nor Origin when the Origin field is set.
	Header http.Header

	// Key is the Sec-WebSocket-Key to send (RFC 6455 §4.1 item 7). When
	// empty, HTTPRequest stores a fresh [NewKey] here; when set, it must
	// pass [ValidKey]. A key must never be reused across connections.
	Key string
}

// ClientResult is what a server accepted in its opening handshake.
type ClientResult struct {
	// Protocol is the subprotocol the server selected, or "" for none
	// (RFC 6455 §4.1 response check 6, §1.9).
	Protocol string

	// Extensions are the extensions the server accepted, in the order of its
	// Sec-WebSocket-Extensions header, which is the order they apply in
	// (RFC 6455 §9.1). Their parameters are for each extension to check.
	Extensions []Extension
}

// isHandshakeRequestHeader reports whether the canonical header name is one
// HTTPRequest writes itself (RFC 6455 §4.1 items 4–11): Host, Upgrade,
// Connection and every Sec-WebSocket- header.
func isHandshakeRequestHeader(canon string) bool {
	switch canon {
	case "Host", "Upgrade", "Connection":
		return true
	}
	return strings.HasPrefix(canon, "Sec-Websocket-")
}

// HTTPRequest validates c and returns the GET request of the opening
// handshake (RFC 6455 §4.1 items 1–12), ready to be sent with req.Write(conn):
// the request target is the URL's path and query, and the headers are Host,
// Upgrade: websocket, Connection: Upgrade, Sec-WebSocket-Key,
// Sec-WebSocket-Version: 13, then Origin, Sec-WebSocket-Protocol and
// Sec-WebSocket-Extensions when there is something to send, then c.Header.
// The request's URL has scheme http or https (for ws and wss), so it also
// suits an http.Client or an HTTP proxy.
//
// Header names are stored in Go's canonical form, so they go on the wire as,
// for instance, "Sec-Websocket-Key"; field names are case-insensitive (RFC
// 7230 §3.2) and servers must accept that. req.Write adds
// "User-Agent: Go-http-client/1.1" unless c.Header sets a User-Agent.
//
// When c.Key is empty it is set to a new key. Errors wrap
// [ErrBadClientRequest], or the error from crypto/rand.
func (c *ClientRequest) HTTPRequest(ctx context.Context) (*http.Request, error) {
	if ctx == nil {
		return nil, badClientRequest("nil context")
	}
	u, err := c.targetURL()
	if err != nil {
		return nil, err
	}
	if err := c.checkOffers(); err != nil {
		return nil, err
	}
	if err := c.checkHeader(); err != nil {
		return nil, err
	}
	if !validFieldValue(c.Host) || !validFieldValue(c.Origin) {
		return nil, badClientRequest("Host or Origin contains a control character")
	}
	switch {
	case c.Key == "":
		key, err := NewKey()
		if err != nil {
			return nil, err
		}
		c.Key = key
	case !ValidKey(c.Key):
		return nil, badClientRequest("Key " + quote(c.Key) + " is not 16 base64-encoded bytes")
	}

	h := make(http.Header, len(c.Header)+7)
	for name, values := range c.Header {
		canon := textproto.CanonicalMIMEHeaderKey(name)
		h[canon] = append(h[canon], values...)
	}
	h.Set("Upgrade", "websocket")
	h.Set("Connection", "Upgrade")
	h.Set("Sec-WebSocket-Key", c.Key)
	h.Set("Sec-WebSocket-Version", Version)
	if c.Origin != "" {
		h.Set("Origin", c.Origin)
	}
	if len(c.Protocols) > 0 {
		h.Set("Sec-WebSocket-Protocol", strings.Join(c.Protocols, ", "))
	}
	if len(c.Extensions) > 0 {
		h.Set("Sec-WebSocket-Extensions", FormatExtensions(c.Extensions))
	}

	host := u.Host
	if c.Host != "" {
		host = c.Host
	}
	req := &http.Request{
		Method:     http.MethodGet,
		URL:        u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     h,
		Host:       host,
	}
	return req.WithContext(ctx), nil
}

// targetURL checks c.URL and returns a copy with scheme http or https, no
// userinfo and no fragment (RFC 6455 §3).
func (c *ClientRequest) targetURL() (*url.URL, error) {
	if c.URL == nil {
		return nil, badClientRequest("nil URL")
	}
	u := *c.URL
	switch strings.ToLower(u.Scheme) {
	case "ws", "http":
		u.Scheme = "http"
	case "wss", "https":
		u.Scheme = "https"
	default:
		return nil, badClientRequest("URL scheme " + quote(u.Scheme) + " is not ws, wss, http or https")
	}
	if u.Fragment != "" || u.RawFragment != "" {
		return nil, badClientRequest("URL has a fragment " + quote(u.Fragment))
	}
	if u.Opaque != "" {
		return nil, badClientRequest("URL " + quote(c.URL.String()) + " has no //host")
	}
	if u.Host == "" {
		return nil, badClientRequest("URL has no host")
	}
	u.User = nil
	return &u, nil
}

// checkOffers checks that the offered subprotocols and extensions can be
// written as RFC 6455 requires (§4.1 item 10, §9.1).
func (c *ClientRequest) checkOffers() error {
	for i, p := range c.Protocols {
		if !isToken(p) {
			return badClientRequest("subprotocol " + quote(p) + " is not a token")
		}
		for _, q := range c.Protocols[:i] {
			if p == q {
				return badClientRequest("subprotocol " + quote(p) + " offered twice")
			}
		}
	}
	for _, e := range c.Extensions {
		if !isToken(e.Name) {
			return badClientRequest("extension name " + quote(e.Name) + " is not a token")
		}
		for _, p := range e.Params {
			if !isToken(p.Name) {
				return badClientRequest("parameter name " + quote(p.Name) + " of extension " + quote(e.Name) + " is not a token")
			}
			if p.HasValue && !isToken(p.Value) {
				return badClientRequest("value " + quote(p.Value) + " of parameter " + quote(p.Name) + " is not a token")
			}
		}
	}
	return nil
}

// checkHeader checks that the extra headers neither collide with the
// handshake headers nor carry anything that cannot be written on one line.
func (c *ClientRequest) checkHeader() error {
	for name, values := range c.Header {
		canon := textproto.CanonicalMIMEHeaderKey(name)
		if isHandshakeRequestHeader(canon) {
			return badClientRequest("Header sets " + quote(name) + ", which the handshake sets itself")
		}
		if canon == "Origin" && c.Origin != "" {
			return badClientRequest("Header sets Origin and so does the Origin field")
		}
		if !isToken(name) {
			return badClientRequest("header name " + quote(name) + " is not a token")
		}
		for _, v := range values {
			if !validFieldValue(v) {
				return badClientRequest("value of header " + quote(name) + " contains a control character")
			}
		}
	}
	return nil
}

func badClientRequest(reason string) error {
	return fmt.Errorf("%w: %s", ErrBadClientRequest, reason)
}

// Verify checks the server's answer to the request built by
// [ClientRequest.HTTPRequest] (RFC 6455 §4.1, checks on the server's
// response), in this order:
//
//  1. the status is 101 ([ErrBadStatus]);
//  2. Upgrade has the token websocket ([ErrBadUpgrade]);
//  3. Connection has the token upgrade ([ErrBadConnection]);
//  4. Sec-WebSocket-Accept is present once and equals AcceptKey(c.Key)
//     ([ErrBadAccept]);
//  5. Sec-WebSocket-Protocol is absent, or names exactly one of the offered
//     subprotocols, compared case-sensitively (RFC 7936 §2)
//     ([ErrUnexpectedProtocol]);
//  6. Sec-WebSocket-Extensions parses ([ErrBadExtensions]) and names only
//     extensions that were offered ([ErrUnexpectedExtension]). Names are
//     compared case-insensitively; parameters are left to each extension.
//
// Tokens in Upgrade and Connection are compared case-insensitively, inside
// comma lists, in any header line. The first failure is returned as a
// [*ResponseError] naming the header and wrapping the sentinel. A
// Sec-WebSocket-Protocol header whose value is empty counts as absent.
func (c *ClientRequest) Verify(resp *http.Response) (*ClientResult, error) {
	if resp == nil {
		return nil, &ResponseError{Reason: "no response", err: ErrBadStatus}
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return nil, &ResponseError{
			Reason: "status " + quote(statusText(resp)) + ", want \"101 Switching Protocols\"",
			err:    ErrBadStatus,
		}
	}
	if err := checkTokenHeader(resp.Header, "Upgrade", "websocket", ErrBadUpgrade); err != nil {
		return nil, err
	}
	if err := checkTokenHeader(resp.Header, "Connection", "upgrade", ErrBadConnection); err != nil {
		return nil, err
	}
	if err := c.checkAccept(resp.Header); err != nil {
		return nil, err
	}
	protocol, err := c.checkProtocol(resp.Header)
	if err != nil {
		return nil, err
	}
	exts, err := c.checkExtensions(resp.Header)
	if err != nil {
		return nil, err
	}
	return &ClientResult{Protocol: protocol, Extensions: exts}, nil
}

func statusText(resp *http.Response) string {
	if resp.Status != "" {
		return resp.Status
	}
	return strconv.Itoa(resp.StatusCode)
}

// checkTokenHeader checks that header name of a response lists token
// (RFC 6455 §4.1 response checks 2 and 3).
func checkTokenHeader(h http.Header, name, token string, sentinel error) error {
	values := h.Values(name)
	if len(values) == 0 {
		return &ResponseError{Header: name, Reason: "missing", err: sentinel}
	}
	if !HeaderHasToken(h, name, token) {
		return &ResponseError{
			Header: name,
			Reason: quote(strings.Join(values, ", ")) + " does not list " + quote(token),
			err:    sentinel,
		}
	}
	return nil
}

// checkAccept checks Sec-WebSocket-Accept (RFC 6455 §4.1 response check 4).
func (c *ClientRequest) checkAccept(h http.Header) error {
	const name = "Sec-WebSocket-Accept"
	values := h.Values(acceptHeader)
	switch {
	case len(values) == 0:
		return &ResponseError{Header: name, Reason: "missing", err: ErrBadAccept}
	case len(values) > 1:
		return &ResponseError{Header: name, Reason: "sent " + strconv.Itoa(len(values)) + " times", err: ErrBadAccept}
	case c.Key == "":
		return &ResponseError{Header: name, Reason: "cannot be checked: ClientRequest.Key is empty", err: ErrBadAccept}
	}
	if got, want := trimOWS(values[0]), AcceptKey(c.Key); got != want {
		return &ResponseError{Header: name, Reason: quote(got) + " does not match the key sent, want " + quote(want), err: ErrBadAccept}
	}
	return nil
}

// checkProtocol checks Sec-WebSocket-Protocol (RFC 6455 §4.1 response check
// 6, §4.2.2 /subprotocol/: the server echoes one value at most).
func (c *ClientRequest) checkProtocol(h http.Header) (string, error) {
	const name = "Sec-WebSocket-Protocol"
	values := h.Values(protocolHeader)
	if len(values) == 0 {
		return "", nil
	}
	if len(values) > 1 {
		return "", &ResponseError{Header: name, Reason: "sent " + strconv.Itoa(len(values)) + " times", err: ErrUnexpectedProtocol}
	}
	got := trimOWS(values[0])
	if got == "" {
		return "", nil
	}
	if !isToken(got) {
		return "", &ResponseError{Header: name, Reason: quote(got) + " is not a single subprotocol", err: ErrUnexpectedProtocol}
	}
	for _, p := range c.Protocols {
		if p == got {
			return got, nil
		}
	}
	if len(c.Protocols) == 0 {
		return "", &ResponseError{Header: name, Reason: quote(got) + " selected but no subprotocol was offered", err: ErrUnexpectedProtocol}
	}
	return "", &ResponseError{Header: name, Reason: quote(got) + " was not offered", err: ErrUnexpectedProtocol}
}

// checkExtensions checks Sec-WebSocket-Extensions (RFC 6455 §4.1 response
// check 5, §9.1).
func (c *ClientRequest) checkExtensions(h http.Header) ([]Extension, error) {
	const name = "Sec-WebSocket-Extensions"
	exts, reason := parseExtensions(h.Values(extensionsHeader))
	if reason != "" {
		return nil, &ResponseError{Header: name, Reason: reason, err: ErrBadExtensions}
	}
	for _, e := range exts {
		if !c.offeredExtension(e.Name) {
			return nil, &ResponseError{Header: name, Reason: "extension " + quote(e.Name) + " was not offered", err: ErrUnexpectedExtension}
		}
	}
	return exts, nil
}

func (c *ClientRequest) offeredExtension(name string) bool {
	for _, o := range c.Extensions {
		if strings.EqualFold(o.Name, name) {
			return true
		}
	}
	return false
}
