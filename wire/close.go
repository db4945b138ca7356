package wire

import (
	"encoding/binary"
	"strings"
	"unicode/utf8"
)

// MaxCloseReason is the longest close reason that fits in a control frame
// after the 2-byte status code (RFC 6455 §5.5).
const MaxCloseReason = MaxControlPayload - 2

// ParseClosePayload parses the payload of a close frame (RFC 6455 §5.5.1).
// An empty payload means the peer gave no code: it returns
// StatusNoStatusRcvd and no error. A 1-byte payload, a code that may not be
// sent (see [StatusCode.ValidOnWire]), a reason that is not UTF-8 and a
// payload over 125 bytes are errors; the code is returned with them when it
// could be read.
func ParseClosePayload(p []byte) (StatusCode, string, error) {
	switch {
	case len(p) == 0:
		return StatusNoStatusRcvd, "", nil
	case len(p) == 1:
		return 0, "", ErrClosePayloadShort
	case len(p) > MaxControlPayload:
		return 0, "", ErrControlTooLong
	}
	code := StatusCode(binary.BigEndian.Uint16(p))
	if !code.ValidOnWire() {
		return code, "", ErrInvalidCloseCode
	}
	reason := p[2:]
	if !utf8.Valid(reason) {
		return code, "", ErrCloseReasonUTF8
	}
	return code, string(reason), nil
}

// AppendClosePayload appends the payload of a close frame with code and
// reason to dst. StatusNoStatusRcvd appends nothing: it is how a close
// without a code is sent. The reason is made valid UTF-8 (each invalid byte
// becomes U+FFFD) and cut by [TruncateReason]. It does not check that code
// may be sent; [StatusCode.ValidOnWire] does.
func AppendClosePayload(dst []byte, code StatusCode, reason string) []byte {
	if code == StatusNoStatusRcvd {
		return dst
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(code))
	if !utf8.ValidString(reason) {
		reason = validReason(reason)
	}
	return append(dst, TruncateReason(reason)...)
}

// validReason is reason with each invalid UTF-8 sequence replaced by
// U+FFFD. It is a function of its own so that AppendClosePayload's frame
// stays small: a connection's close echo is appended deep in its reading
// goroutine's stack.
//
//go:noinline
func validReason(reason string) string {
	return strings.ToValidUTF8(reason, "\uFFFD")
}

// TruncateReason returns s cut to at most MaxCloseReason (123) bytes without
// splitting a UTF-8 sequence.
func TruncateReason(s string) string {
	if len(s) <= MaxCloseReason {
		return s
	}
	i := MaxCloseReason
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}
