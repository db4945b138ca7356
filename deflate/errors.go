package deflate

import (
	"errors"
	"strconv"

	"github.com/wskit/websocket/wire"
)

// Negotiation failures (RFC 7692 §7.1). A server never returns these to a
// client: it declines a bad offer and moves on to the next one. A client must
// fail the connection on a response that wraps [ErrBadResponse].
var (
	// ErrBadParams is a permessage-deflate parameter list that breaks RFC
	// 7692 §7.1: an unknown parameter, a parameter given twice, a value
	// where none is allowed, or a window size that is not a decimal
	// integer from 8 to 15 without leading zeroes.
	ErrBadParams = errors.New("websocket: malformed permessage-deflate parameters")

	// ErrBadResponse is a server's permessage-deflate response that the
	// client must refuse (RFC 7692 §7.1, last paragraph): it is malformed
	// (the error then wraps [ErrBadParams] too), it lists the extension
	// twice, or it answers none of the offers made, for instance with
	// client_max_window_bits that was not offered or server_max_window_bits
	// larger than requested.
	ErrBadResponse = errors.New("websocket: invalid permessage-deflate response")
)

// ErrCorrupt is a compressed message that cannot be inflated: invalid
// DEFLATE data (RFC 1951), a back-reference beyond the history this
// endpoint keeps, data that needs more than the tail RFC 7692 §7.2.2
// appends, or far more final blocks than data (see [Decompressor]). The
// connection must be failed with 1007, as for any payload whose content is
// invalid (RFC 6455 §7.4.1); the text never depends on the data.
var ErrCorrupt = &wire.ProtocolError{
	Code:   wire.StatusInvalidFramePayloadData,
	Reason: "invalid permessage-deflate data in a message",
}

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
