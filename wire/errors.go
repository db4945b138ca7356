package wire

import "errors"

// ProtocolError is a violation of RFC 6455 found in what the peer sent. Code is
// the close status the connection must be failed with; the text is for the
// local application and is never put on the wire.
//
// Every error this package returns for peer input is a *ProtocolError, and
// each distinct failure is its own sentinel value, so callers test for one
// with errors.Is and find the close code with [CloseCodeFor].
type ProtocolError struct {
	Code   StatusCode
	Reason string
}

func (e *ProtocolError) Error() string { return "websocket: " + e.Reason }

func protocolError(code StatusCode, reason string) *ProtocolError {
	return &ProtocolError{Code: code, Reason: reason}
}

// Framing errors (RFC 6455 §5.2, §5.4, §5.5).
var (
	ErrUnmaskedFrame       = protocolError(StatusProtocolError, "client sent an unmasked frame")                           // §5.1
	ErrMaskedFrame         = protocolError(StatusProtocolError, "server sent a masked frame")                              // §5.1
	ErrReservedBits        = protocolError(StatusProtocolError, "reserved bits set without an extension that claims them") // §5.2
	ErrReservedOpcode      = protocolError(StatusProtocolError, "reserved opcode")                                         // §5.2
	ErrFragmentedControl   = protocolError(StatusProtocolError, "fragmented control frame")                                // §5.5
	ErrControlTooLong      = protocolError(StatusProtocolError, "control frame payload over 125 bytes")                    // §5.5
	ErrNoMessageToContinue = protocolError(StatusProtocolError, "continuation frame with no message in progress")          // §5.4
	ErrMessageNotFinished  = protocolError(StatusProtocolError, "new data frame inside a fragmented message")              // §5.4
	ErrNonMinimalLength    = protocolError(StatusProtocolError, "payload length not in its minimal encoding")              // §5.2
	ErrLengthOverflow      = protocolError(StatusProtocolError, "payload length above 2^63-1")                             // §5.2
	ErrFrameTooLarge       = protocolError(StatusMessageTooBig, "frame larger than the limit")
	ErrMessageTooLarge     = protocolError(StatusMessageTooBig, "message larger than the limit")
	ErrOverBudget          = protocolError(StatusTryAgainLater, "memory budget spent: message refused") // RFC 6455 §7.4.1, 1013
)

// Payload errors (RFC 6455 §5.5.1, §8.1).
var (
	ErrInvalidUTF8       = protocolError(StatusInvalidFramePayloadData, "invalid UTF-8 in a text message")           // §8.1
	ErrIncompleteUTF8    = protocolError(StatusInvalidFramePayloadData, "text message ends inside a UTF-8 sequence") // §8.1
	ErrClosePayloadShort = protocolError(StatusProtocolError, "close payload of 1 byte")                             // §5.5.1
	ErrInvalidCloseCode  = protocolError(StatusProtocolError, "close code not allowed on the wire")                  // §7.4
	ErrCloseReasonUTF8   = protocolError(StatusInvalidFramePayloadData, "close reason is not valid UTF-8")           // §5.5.1
)

// ErrNeedMore is returned by [ParseHeader] when the buffer holds only part of
// a frame header. It is not a protocol error: feed more bytes.
var ErrNeedMore = errors.New("websocket: need more bytes")

// CloseCodeFor returns the close status a connection must be failed with for
// err: the code of a *ProtocolError found with errors.As, or
// StatusInternalError (1011) for any other error. It is the one place that
// maps failures to close codes.
func CloseCodeFor(err error) StatusCode {
	var pe *ProtocolError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return StatusInternalError
}
