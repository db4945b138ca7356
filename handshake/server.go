package handshake

import (
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
)

// The names of the headers looked up, in the canonical form in which
// net/http stores them (textproto.CanonicalMIMEHeaderKey), so that they
// index http.Header directly. Its methods canonicalize the name they are
// given, which scans it, and for the RFC's spelling, "Sec-WebSocket-Key",
// makes a new string on every lookup: four allocations per handshake.
const (
	upgradeHeader    = "Upgrade"
	connectionHeader = "Connection"
	originHeader     = "Origin"
	keyHeader        = "Sec-Websocket-Key"
	versionHeader    = "Sec-Websocket-Version"
	protocolHeader   = "Sec-Websocket-Protocol"
	extensionsHeader = "Sec-Websocket-Extensions"
	acceptHeader     = "Sec-Websocket-Accept"
)

// IsUpgradeRequest reports whether r asks for a WebSocket upgrade: a GET
// whose Upgrade header lists websocket and whose Connection header lists
// upgrade, both compared case-insensitively (RFC 6455 §4.2.1 items 1, 3 and 4).
// It checks nothing else and writes nothing, so a handler can use it to route
// WebSocket and plain HTTP requests for the same path; [CheckRequest] then
// finds whatever else is wrong.
func IsUpgradeRequest(r *http.Request) bool {
	return r != nil && r.Method == http.MethodGet &&
		hasToken(r.Header[upgradeHeader], "websocket") &&
		hasToken(r.Header[connectionHeader], "upgrade")
}

// Offer is what a valid client opening handshake asks for (RFC 6455 §4.2.1).
type Offer struct {
	// Key is the client's Sec-WebSocket-Key, to be answered with
	// AcceptKey(Key) (RFC 6455 §4.2.1 item 5, §4.2.2).
	Key string

	// Protocols are the subprotocols offered, in the client's order of
	// preference (RFC 6455 §4.2.1 item 8); nil when none.
	Protocols []string

	// Extensions are the extensions offered, in the client's order of
	// preference (RFC 6455 §4.2.1 item 9, §9.1); nil when none.
	Extensions []Extension

	// Origin is the Origin header, "" when absent (RFC 6455 §4.2.1 item 7,
	// §10.2). Checking it is the server's policy, not this package's.
	Origin string
}

// CheckRequest checks a client's opening handshake (RFC 6455 §4.2.1) and
// returns what it offers. The checks run in this order, and the first failure
// is returned as a [*RequestError] wrapping its sentinel:
//
//   - method not GET (a nil r included): 405 with "Allow: GET" ([ErrNotGet]);
//   - HTTP version older than 1.1: 400 ([ErrHTTPVersion]);
//   - Upgrade missing or not listing websocket: 400 ([ErrBadUpgrade]);
//   - Connection missing or not listing upgrade: 400 ([ErrBadConnection]);
//   - Sec-WebSocket-Key missing or empty: 400 ([ErrMissingKey]);
//   - Sec-WebSocket-Key sent more than once, or not the padded base64 of 16
//     bytes ([ValidKey]): 400 ([ErrInvalidKey]);
//   - Sec-WebSocket-Version missing or empty: 400 with
//     "Sec-WebSocket-Version: 13" ([ErrMissingVersion]);
//   - Sec-WebSocket-Version other than one line "13": 426 Upgrade Required
//     with "Sec-WebSocket-Version: 13" (RFC 6455 §4.2.2 /version/, §4.4) and
//     "Upgrade: websocket", "Connection: Upgrade" (RFC 7231 §6.5.15)
//     ([ErrUnsupportedVersion]);
//   - Sec-WebSocket-Protocol malformed: 400 ([ErrBadProtocols]);
//   - Sec-WebSocket-Extensions malformed: 400 ([ErrBadExtensions]).
//
// The Host header (§4.2.1 item 2) is left to net/http, which rejects an
// HTTP/1.1 request without one. Origin is returned, not judged.
func CheckRequest(r *http.Request) (*Offer, error) {
	if r == nil {
		return nil, requestError(http.StatusMethodNotAllowed, allowGet(), "no request", ErrNotGet)
	}
	if r.Method != http.MethodGet {
		return nil, requestError(http.StatusMethodNotAllowed, allowGet(),
			"handshake request method is "+quote(r.Method)+", want GET", ErrNotGet)
	}
	if !r.ProtoAtLeast(1, 1) {
		return nil, requestError(http.StatusBadRequest, nil,
			"handshake request is "+quote(r.Proto)+", want HTTP/1.1 or later", ErrHTTPVersion)
	}
	if err := checkRequestToken(r.Header, upgradeHeader, "websocket", ErrBadUpgrade); err != nil {
		return nil, err
	}
	if err := checkRequestToken(r.Header, connectionHeader, "upgrade", ErrBadConnection); err != nil {
		return nil, err
	}

	keys := r.Header[keyHeader]
	switch {
	case len(keys) == 0:
		return nil, requestError(http.StatusBadRequest, nil, "missing Sec-WebSocket-Key header", ErrMissingKey)
	case len(keys) > 1:
		return nil, requestError(http.StatusBadRequest, nil,
			"Sec-WebSocket-Key header sent "+strconv.Itoa(len(keys))+" times", ErrInvalidKey)
	}
	key := trimOWS(keys[0])
	if key == "" {
		return nil, requestError(http.StatusBadRequest, nil, "empty Sec-WebSocket-Key header", ErrMissingKey)
	}
	if !ValidKey(key) {
		return nil, requestError(http.StatusBadRequest, nil,
			"Sec-WebSocket-Key "+quote(key)+" is not 16 bytes in padded base64", ErrInvalidKey)
	}

	offer, err := checkOfferHeaders(r.Header)
	if err != nil {
		return nil, err
	}
	offer.Key = key
	return offer, nil
}

// checkOfferHeaders checks the version, subprotocol and extension headers
// that an HTTP/1.1 upgrade and an HTTP/2 extended CONNECT share (RFC 6455
// §4.2.1 items 6, 8 and 9; RFC 8441 §5) and returns the offer without a key.
func checkOfferHeaders(h http.Header) (*Offer, error) {
	versions := h[versionHeader]
	if len(versions) == 0 || len(versions) == 1 && trimOWS(versions[0]) == "" {
		rh := http.Header{}
		rh.Set("Sec-WebSocket-Version", Version)
		return nil, requestError(http.StatusBadRequest, rh, "missing Sec-WebSocket-Version header", ErrMissingVersion)
	}
	if len(versions) != 1 || trimOWS(versions[0]) != Version {
		rh := http.Header{}
		rh.Set("Upgrade", "websocket")
		rh.Set("Connection", "Upgrade")
		rh.Set("Sec-WebSocket-Version", Version)
		return nil, requestError(http.StatusUpgradeRequired, rh,
			"Sec-WebSocket-Version "+quote(strings.Join(versions, ", "))+" is not supported, want "+Version, ErrUnsupportedVersion)
	}

	protocols, reason := parseProtocols(h[protocolHeader])
	if reason != "" {
		return nil, requestError(http.StatusBadRequest, nil, "malformed Sec-WebSocket-Protocol header: "+reason, ErrBadProtocols)
	}
	exts, reason := parseExtensions(h[extensionsHeader])
	if reason != "" {
		return nil, requestError(http.StatusBadRequest, nil, "malformed Sec-WebSocket-Extensions header: "+reason, ErrBadExtensions)
	}
	return &Offer{
		Protocols:  protocols,
		Extensions: exts,
		Origin:     first(h[originHeader]),
	}, nil
}

func requestError(status int, h http.Header, reason string, sentinel error) *RequestError {
	return &RequestError{Status: status, Header: h, Reason: reason, err: sentinel}
}

func allowGet() http.Header {
	h := http.Header{}
	h.Set("Allow", http.MethodGet)
	return h
}

// first returns the first of values, or "" for none, as http.Header.Get.
func first(values []string) string {
	if len(values) == 0 {
		return ""
	}
	return values[0]
}

// checkRequestToken checks that header name, in canonical form, of a
// request lists token (RFC 6455 §4.2.1 items 3 and 4).
func checkRequestToken(h http.Header, name, token string, sentinel error) error {
	values := h[name]
	if len(values) == 0 {
		return requestError(http.StatusBadRequest, nil, "missing "+name+" header", sentinel)
	}
	if !hasToken(values, token) {
		return requestError(http.StatusBadRequest, nil,
			name+" header "+quote(strings.Join(values, ", "))+" does not list "+quote(token), sentinel)
	}
	return nil
}

// SelectProtocol returns the first subprotocol of supported, which is in the
// server's order of preference, that the client offered, or "" when there is
// none (RFC 6455 §4.2.2 /subprotocol/). Names are compared case-sensitively
// (RFC 7936 §2).
func SelectProtocol(offered, supported []string) string {
	for _, s := range supported {
		if slices.Contains(offered, s) {
			return s
		}
	}
	return ""
}

// ResponseHeader returns the headers of the server's opening handshake for a
// client that sent key (RFC 6455 §4.2.2 item 5): Upgrade: websocket,
// Connection: Upgrade and Sec-WebSocket-Accept: AcceptKey(key), plus
// Sec-WebSocket-Protocol when protocol is not "" and Sec-WebSocket-Extensions
// when exts is not empty. It suits a net/http handler that writes them and
// then status 101.
func ResponseHeader(key, protocol string, exts []Extension) http.Header {
	h := make(http.Header, 5)
	h.Set("Upgrade", "websocket")
	h.Set("Connection", "Upgrade")
	h.Set("Sec-WebSocket-Accept", AcceptKey(key))
	if protocol != "" {
		h.Set("Sec-WebSocket-Protocol", protocol)
	}
	if len(exts) > 0 {
		h.Set("Sec-WebSocket-Extensions", FormatExtensions(exts))
	}
	return h
}

// AppendResponse appends to dst the whole server opening handshake (RFC 6455
// §4.2.2 item 5), for servers that write to a hijacked connection:
//
//	HTTP/1.1 101 Switching Protocols
//	Upgrade: websocket
//	Connection: Upgrade
//	Sec-WebSocket-Accept: <AcceptKey(key)>
//	Sec-WebSocket-Protocol: <protocol>        (when not "")
//	Sec-WebSocket-Extensions: <exts>          (when not empty)
//	<extra headers, sorted by name>
//
// each line ended by CRLF and the header by an empty line. A line whose value
// holds a control character such as CR or LF is dropped, never written, so no
// value can inject a header or end the response (RFC 7230 §3.2). Extra headers
// whose name is not a token are dropped, and so are those the handshake
// writes itself (Upgrade, Connection, Sec-WebSocket-*) and those that would
// announce a body, which a 101 response cannot have (Content-Length,
// Transfer-Encoding; RFC 7230 §3.3.1, §3.3.2).
func AppendResponse(dst []byte, key, protocol string, exts []Extension, extra http.Header) []byte {
	dst = append(dst, "HTTP/1.1 101 Switching Protocols\r\n"...)
	dst = appendHeaderLine(dst, "Upgrade", "websocket")
	dst = appendHeaderLine(dst, "Connection", "Upgrade")
	if len(key) == keyLen {
		dst = append(dst, "Sec-WebSocket-Accept: "...)
		dst = append(appendAcceptKey(dst, key), "\r\n"...)
	} else {
		dst = appendHeaderLine(dst, "Sec-WebSocket-Accept", AcceptKey(key))
	}
	if protocol != "" {
		dst = appendHeaderLine(dst, "Sec-WebSocket-Protocol", protocol)
	}
	if len(exts) > 0 {
		dst = appendHeaderLine(dst, "Sec-WebSocket-Extensions", FormatExtensions(exts))
	}
	if len(extra) > 0 {
		dst = appendExtraHeaders(dst, extra)
	}
	return append(dst, "\r\n"...)
}

// appendExtraHeaders appends the extra headers AppendResponse may write,
// sorted by name. It is a function of its own so that AppendResponse's
// frame stays small: the handler's goroutine that answers a handshake
// keeps, for the connection's life, the largest stack the handshake needed.
func appendExtraHeaders(dst []byte, extra http.Header) []byte {
	names := make([]string, 0, len(extra))
	for name := range extra {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if !isToken(name) || !extraResponseHeaderAllowed(name) {
			continue
		}
		for _, v := range extra[name] {
			dst = appendHeaderLine(dst, name, v)
		}
	}
	return dst
}

// extraResponseHeaderAllowed reports whether AppendResponse may write an
// extra header of this name.
func extraResponseHeaderAllowed(name string) bool {
	switch canon := textproto.CanonicalMIMEHeaderKey(name); {
	case canon == "Upgrade", canon == "Connection",
		canon == "Content-Length", canon == "Transfer-Encoding",
		strings.HasPrefix(canon, "Sec-Websocket-"):
		return false
	}
	return true
}

// appendHeaderLine appends "name: value\r\n", or nothing when value cannot be
// written on one line.
func appendHeaderLine(dst []byte, name, value string) []byte {
	if !validFieldValue(value) {
		return dst
	}
	dst = append(dst, name...)
	dst = append(dst, ": "...)
	dst = append(dst, trimOWS(value)...)
	return append(dst, "\r\n"...)
}
