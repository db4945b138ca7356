package handshake

import (
	"context"
	"errors"
	"net/http"
)

// ErrNotExtendedConnect is a request that [CheckExtendedConnect] does not
// take for an RFC 8441 WebSocket: not HTTP/2, not CONNECT, or a :protocol
// other than websocket.
var ErrNotExtendedConnect = errors.New("websocket: not an HTTP/2 extended CONNECT for websocket")

// ErrExtendedConnectNotSupported is an HTTP/2 server that did not advertise
// SETTINGS_ENABLE_CONNECT_PROTOCOL, so a client must not open a WebSocket
// on it (RFC 8441 §3).
var ErrExtendedConnectNotSupported = errors.New("websocket: the HTTP/2 server does not allow extended CONNECT (no SETTINGS_ENABLE_CONNECT_PROTOCOL)")

// ProtocolHeader is the key under which net/http's HTTP/2 server stores an
// extended CONNECT's :protocol pseudo-header in Request.Header, and under
// which golang.org/x/net/http2's Transport reads the one to send.
const ProtocolHeader = ":protocol"

// IsExtendedConnect reports whether r is an HTTP/2 (or later) extended
// CONNECT whose :protocol is websocket (RFC 8441 §4). It checks nothing
// else; [CheckExtendedConnect] does.
func IsExtendedConnect(r *http.Request) bool {
	return r != nil && r.ProtoMajor >= 2 && r.Method == http.MethodConnect &&
		r.Header.Get(ProtocolHeader) == "websocket"
}

// CheckExtendedConnect checks a WebSocket opened as an HTTP/2 extended
// CONNECT (RFC 8441 §5) and returns its offer, whose Key is empty: RFC 8441
// has no Sec-WebSocket-Key, and Upgrade and Connection are not HTTP/2
// headers. A request that is not one ([IsExtendedConnect]) is refused with
// 400 wrapping [ErrNotExtendedConnect]; Sec-WebSocket-Version,
// Sec-WebSocket-Protocol and Sec-WebSocket-Extensions are checked as
// [CheckRequest] checks them, with the same statuses and sentinels, except
// that a 426 carries only Sec-WebSocket-Version.
func CheckExtendedConnect(r *http.Request) (*Offer, error) {
	if !IsExtendedConnect(r) {
		return nil, requestError(http.StatusBadRequest, nil, "request is not an HTTP/2 CONNECT with :protocol websocket", ErrNotExtendedConnect)
	}
	offer, err := checkOfferHeaders(r.Header)
	if re, ok := err.(*RequestError); ok && re.Header != nil {
		// Connection-specific headers are not allowed in HTTP/2 (RFC 9113
		// §8.2.2).
		re.Header.Del("Upgrade")
		re.Header.Del("Connection")
	}
	return offer, err
}

// ExtendedConnectHeader returns the headers of a server's 200 answer to an
// extended CONNECT (RFC 8441 §5): Sec-WebSocket-Protocol and
// Sec-WebSocket-Extensions when there is something to say, then the extra
// headers that [AppendResponse] would write, with the same filter.
func ExtendedConnectHeader(protocol string, exts []Extension, extra http.Header) http.Header {
	h := make(http.Header, len(extra)+2)
	for name, values := range extra {
		if !isToken(name) || !extraResponseHeaderAllowed(name) {
			continue
		}
		for _, v := range values {
			if validFieldValue(v) {
				h.Add(name, trimOWS(v))
			}
		}
	}
	if protocol != "" {
		h.Set("Sec-WebSocket-Protocol", protocol)
	}
	if len(exts) > 0 {
		h.Set("Sec-WebSocket-Extensions", FormatExtensions(exts))
	}
	return h
}

// ExtendedConnectRequest validates c as [ClientRequest.HTTPRequest] does and
// returns the extended CONNECT that opens the WebSocket as a stream of an
// HTTP/2 connection (RFC 8441 §4, §5): method CONNECT, :protocol websocket
// (in Header under [ProtocolHeader], where golang.org/x/net/http2's
// Transport takes it), the URL's scheme, authority, path and query, and
// Sec-WebSocket-Version, Origin, Sec-WebSocket-Protocol and
// Sec-WebSocket-Extensions as in HTTP/1.1, with no Upgrade, Connection or
// Sec-WebSocket-Key. The request has no body; the caller sets one to stream
// the client's frames.
func (c *ClientRequest) ExtendedConnectRequest(ctx context.Context) (*http.Request, error) {
	req, err := c.HTTPRequest(ctx)
	if err != nil {
		return nil, err
	}
	c.Key = ""
	req.Method = http.MethodConnect
	req.Proto, req.ProtoMajor, req.ProtoMinor = "HTTP/2.0", 2, 0
	req.Header.Del("Upgrade")
	req.Header.Del("Connection")
	req.Header.Del("Sec-WebSocket-Key")
	req.Header.Set(ProtocolHeader, "websocket")
	return req, nil
}

// VerifyExtendedConnect checks the server's answer to the request built by
// [ClientRequest.ExtendedConnectRequest] (RFC 8441 §5): a 2xx status
// ([ErrBadStatus]), then Sec-WebSocket-Protocol and Sec-WebSocket-Extensions
// as [ClientRequest.Verify] checks them. There is no Sec-WebSocket-Accept.
func (c *ClientRequest) VerifyExtendedConnect(resp *http.Response) (*ClientResult, error) {
	if resp == nil {
		return nil, &ResponseError{Reason: "no response", err: ErrBadStatus}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &ResponseError{
			Reason: "status " + quote(statusText(resp)) + " to the extended CONNECT, want 2xx",
			err:    ErrBadStatus,
		}
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
