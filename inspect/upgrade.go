package inspect

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/handshake"
)

// ErrNotUpgrade is an observed opening handshake that is not a valid
// WebSocket upgrade. The error returned by CheckUpgrade, NewFlow and
// NewFlowBytes wraps it, together with the handshake package's error that
// names the problem (handshake.ErrBadAccept, handshake.ErrUnsupportedVersion,
// ...) when there is one.
var ErrNotUpgrade = errors.New("websocket inspect: not a valid WebSocket upgrade")

// Upgrade is a valid opening handshake as observed, and what it agreed.
type Upgrade struct {
	Request  *http.Request
	Response *http.Response

	// Protocol is the subprotocol the server selected, or "".
	Protocol string

	// Extensions are those the server accepted, in its order.
	Extensions []handshake.Extension

	// Deflate is set when permessage-deflate was agreed (RFC 7692); its
	// Flows give the parameters of each direction.
	Deflate *deflate.Params
}

// CheckUpgrade checks that req and resp are the two halves of a valid
// WebSocket opening handshake (RFC 6455 §4): a GET with the Upgrade and
// Connection tokens, a well-formed key and version 13, answered by a 101
// with the Upgrade and Connection tokens, the accept value that matches
// the key, and only a subprotocol and extensions that were offered. The
// first problem found is returned, wrapping ErrNotUpgrade and the
// handshake package's sentinel.
func CheckUpgrade(req *http.Request, resp *http.Response) (*Upgrade, error) {
	if req == nil || resp == nil {
		return nil, fmt.Errorf("%w: missing request or response", ErrNotUpgrade)
	}
	if _, err := handshake.CheckRequest(req); err != nil {
		return nil, fmt.Errorf("%w: request: %w", ErrNotUpgrade, err)
	}
	offered, _ := handshake.ParseExtensions(req.Header) // checked by CheckRequest
	protocols, _ := handshake.ParseProtocols(req.Header)
	cr := handshake.ClientRequest{
		Key:        req.Header.Get("Sec-WebSocket-Key"),
		Protocols:  protocols,
		Extensions: offered,
	}
	res, err := cr.Verify(resp)
	if err != nil {
		return nil, fmt.Errorf("%w: response: %w", ErrNotUpgrade, err)
	}
	u := &Upgrade{Request: req, Response: resp, Protocol: res.Protocol, Extensions: res.Extensions}
	for _, e := range res.Extensions {
		if !strings.EqualFold(e.Name, deflate.ExtensionName) {
			continue
		}
		if u.Deflate != nil {
			return nil, fmt.Errorf("%w: response: permessage-deflate accepted twice: %w", ErrNotUpgrade, deflate.ErrBadResponse)
		}
		p, err := deflate.ParseParams(e)
		if err == nil && p.ClientMaxWindowBits == deflate.NoValue {
			err = fmt.Errorf("client_max_window_bits without a value: %w", deflate.ErrBadParams)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: response: %w", ErrNotUpgrade, err)
		}
		u.Deflate = &p
	}
	return u, nil
}

// ParseUpgrade parses the raw bytes of an observed request and response
// (each a whole HTTP head; anything after the response's head is ignored)
// and checks them with CheckUpgrade.
func ParseUpgrade(request, response []byte) (*Upgrade, error) {
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(request)))
	if err != nil {
		return nil, fmt.Errorf("%w: request: %w", ErrNotUpgrade, err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(response)), req)
	if err != nil {
		return nil, fmt.Errorf("%w: response: %w", ErrNotUpgrade, err)
	}
	return CheckUpgrade(req, resp)
}

// HeadLen returns the length of the HTTP head (start line and headers,
// through the empty line) at the start of b, or 0 when b does not yet
// hold a whole one.
func HeadLen(b []byte) int {
	if i := bytes.Index(b, []byte("\r\n\r\n")); i >= 0 {
		return i + 4
	}
	if i := bytes.Index(b, []byte("\n\n")); i >= 0 {
		return i + 2
	}
	return 0
}
