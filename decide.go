package websocket

import (
	"errors"
	"net/http"

	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/handshake"
)

// A Decision is what [Decide] made of a valid opening handshake: what the
// 101 response must carry and the options the connection gets.
type Decision struct {
	// Key is the client's Sec-WebSocket-Key, from which the response's
	// Sec-WebSocket-Accept is made.
	Key string

	// Subprotocol is the subprotocol selected, or "".
	Subprotocol string

	// Header holds the extra response headers: AcceptOptions'
	// ResponseHeader, with what an OnUpgrade hook added.
	Header http.Header

	// Extensions are the extensions agreed, for the response, and Deflate
	// the permessage-deflate parameters among them (nil when none).
	Extensions []handshake.Extension
	Deflate    *deflate.Agreement

	// Options are the connection's options, with an OnUpgrade hook's
	// changes (keepalive, values). They are not to be modified.
	Options *ConnOptions
}

// ErrNotHTTP1 is returned by Decide for an HTTP/2 WebSocket (RFC 8441),
// whose stream only Accept can serve.
var ErrNotHTTP1 = errors.New("websocket: not an HTTP/1.1 upgrade")

// Decide judges an HTTP/1.1 opening handshake as Accept does (the
// request's checks, the origin policy, the subprotocols, the OnUpgrade
// hook and compression) without taking over the connection, for a server
// that answers it with a driver of its own, such as an event loop. For a
// refused handshake it writes the refusal, exactly as Accept would, and
// returns the error Accept would. For an accepted one it writes nothing:
// the caller sends the 101 response the Decision describes (for instance
// with handshake.AppendResponse) on the connection it hijacks.
func Decide(w http.ResponseWriter, r *http.Request, opts *AcceptOptions) (*Decision, error) {
	if opts == nil {
		opts = &noAcceptOptions
	}
	if handshake.IsExtendedConnect(r) {
		refuse(w, http.StatusHTTPVersionNotSupported, nil, ErrNotHTTP1.Error())
		return nil, ErrNotHTTP1
	}
	offer, err := checkOffer(w, r, false)
	if err != nil {
		return nil, err
	}
	var a acceptance
	if err := a.decide(w, r, opts, offer); err != nil {
		return nil, err
	}
	d := &Decision{Key: a.key, Subprotocol: a.protocol, Header: a.header, Extensions: a.extensions(), Options: a.co}
	if a.compress {
		d.Deflate = &a.agreement
	}
	return d, nil
}
