package handshake

import (
	"errors"
	"net/http"
	"strconv"
)

// Server-side failures: what [CheckRequest] finds wrong in a client's opening
// handshake (RFC 6455 §4.2.1). Each is wrapped in a [*RequestError] that also
// carries the HTTP status and headers to answer with.
var (
	ErrNotGet             = errors.New("websocket: handshake request method is not GET")              // §4.2.1 item 1
	ErrHTTPVersion        = errors.New("websocket: handshake request HTTP version older than 1.1")    // §4.2.1 item 1
	ErrBadUpgrade         = errors.New("websocket: Upgrade header missing or without websocket")      // §4.2.1 item 3; §4.1 response check 2
	ErrBadConnection      = errors.New("websocket: Connection header missing or without upgrade")     // §4.2.1 item 4; §4.1 response check 3
	ErrMissingKey         = errors.New("websocket: missing Sec-WebSocket-Key header")                 // §4.2.1 item 5
	ErrInvalidKey         = errors.New("websocket: Sec-WebSocket-Key is not 16 base64-encoded bytes") // §4.2.1 item 5
	ErrMissingVersion     = errors.New("websocket: missing Sec-WebSocket-Version header")             // §4.2.1 item 6
	ErrUnsupportedVersion = errors.New("websocket: unsupported Sec-WebSocket-Version")                // §4.2.2 /version/, §4.4
	ErrBadProtocols       = errors.New("websocket: malformed Sec-WebSocket-Protocol header")          // §4.1 item 10, §4.2.1 item 8
	ErrBadExtensions      = errors.New("websocket: malformed Sec-WebSocket-Extensions header")        // §9.1
)

// ErrBadClientRequest is a [ClientRequest] that cannot be turned into a valid
// opening handshake (RFC 6455 §4.1 items 1–12): a bad URL, a protocol or
// extension offer that is not a token, an extra header that collides with the
// handshake headers, an invalid Key. The error text says which.
var ErrBadClientRequest = errors.New("websocket: invalid client handshake request")

// Client-side failures: what [ClientRequest.Verify] finds wrong in a server's
// opening handshake; on any of them the client must fail the connection
// (RFC 6455 §4.1). Each is wrapped in a [*ResponseError] that names the header.
// [ErrBadUpgrade], [ErrBadConnection] and [ErrBadExtensions] are reused for
// the response's Upgrade, Connection and malformed Sec-WebSocket-Extensions
// headers.
var (
	ErrBadStatus           = errors.New("websocket: handshake response status is not 101")               // §4.1 response check 1
	ErrBadAccept           = errors.New("websocket: Sec-WebSocket-Accept missing or wrong")              // §4.1 response check 4
	ErrUnexpectedExtension = errors.New("websocket: server accepted an extension that was not offered")  // §4.1 response check 5
	ErrUnexpectedProtocol  = errors.New("websocket: server selected a subprotocol that was not offered") // §4.1 response check 6
)

// RequestError is a client's opening handshake that the server must refuse
// with an HTTP error response instead of switching protocols (RFC 6455
// §4.2.1, last paragraph).
//
// Status is the HTTP status to answer with, Header the headers that answer
// must carry (Allow for 405, Sec-WebSocket-Version for 426; nil when none),
// and Reason a short English description that names the offending header. The
// reason may quote (escaped and shortened) text from the request, so send it
// only as text/plain. Unwrap returns the sentinel, so errors.Is(err,
// ErrInvalidKey) and the like work through it.
type RequestError struct {
	Status int
	Header http.Header
	Reason string
	err    error
}

// Error returns "websocket: " followed by the reason.
func (e *RequestError) Error() string { return "websocket: " + e.Reason }

// Unwrap returns the sentinel error for this failure, one of ErrNotGet,
// ErrHTTPVersion, ErrBadUpgrade, ErrBadConnection, ErrMissingKey,
// ErrInvalidKey, ErrMissingVersion, ErrUnsupportedVersion, ErrBadProtocols or
// ErrBadExtensions.
func (e *RequestError) Unwrap() error { return e.err }

// ResponseError is a server's opening handshake that the client must refuse
// (RFC 6455 §4.1). Header names the response header that is missing or wrong
// ("Upgrade", "Sec-WebSocket-Accept", ...), or is empty when the status line
// itself is wrong; Reason says what is wrong with it. Unwrap returns the
// sentinel.
type ResponseError struct {
	Header string
	Reason string
	err    error
}

// Error returns "websocket: bad handshake response: " followed by the header
// name and the reason.
func (e *ResponseError) Error() string {
	if e.Header == "" {
		return "websocket: bad handshake response: " + e.Reason
	}
	return "websocket: bad handshake response: " + e.Header + " header: " + e.Reason
}

// Unwrap returns the sentinel error for this failure, one of ErrBadStatus,
// ErrBadUpgrade, ErrBadConnection, ErrBadAccept, ErrUnexpectedProtocol,
// ErrUnexpectedExtension or ErrBadExtensions.
func (e *ResponseError) Unwrap() error { return e.err }

// maxQuoted bounds how much peer text an error message quotes.
const maxQuoted = 64

// quote returns s as a Go-quoted string, cut to maxQuoted bytes, for error
// messages that show peer input.
func quote(s string) string {
	if len(s) > maxQuoted {
		return strconv.Quote(s[:maxQuoted]) + "..."
	}
	return strconv.Quote(s)
}
