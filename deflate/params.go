package deflate

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/wskit/websocket/handshake"
)

// ExtensionName is the extension token of permessage-deflate (RFC 7692 §7).
const ExtensionName = "permessage-deflate"

// Window sizes, as the base-2 logarithm of the LZ77 sliding window in
// bytes (RFC 7692 §7.1.2).
const (
	MinWindowBits = 8
	MaxWindowBits = 15
)

// NoValue is the value of [Params.ClientMaxWindowBits] for a
// client_max_window_bits parameter sent without a value, which only an
// offer may do (RFC 7692 §7.1.2.2).
const NoValue = -1

// The four parameters of RFC 7692 §7.1.
const (
	paramServerNoContextTakeover = "server_no_context_takeover"
	paramClientNoContextTakeover = "client_no_context_takeover"
	paramServerMaxWindowBits     = "server_max_window_bits"
	paramClientMaxWindowBits     = "client_max_window_bits"
)

// Params is the parameter list of one permessage-deflate offer or response
// (RFC 7692 §7.1). The zero value is the extension with no parameters:
// context takeover and 15-bit windows in both directions.
type Params struct {
	// ServerNoContextTakeover is server_no_context_takeover: the server
	// compresses each message on its own (RFC 7692 §7.1.1.1).
	ServerNoContextTakeover bool

	// ClientNoContextTakeover is client_no_context_takeover: the client
	// compresses each message on its own (RFC 7692 §7.1.1.2).
	ClientNoContextTakeover bool

	// ServerMaxWindowBits is server_max_window_bits: 0 when absent, else
	// 8 to 15 (RFC 7692 §7.1.2.1).
	ServerMaxWindowBits int

	// ClientMaxWindowBits is client_max_window_bits: 0 when absent, 8 to
	// 15 with a value, or [NoValue] when an offer carries it without one
	// (RFC 7692 §7.1.2.2).
	ClientMaxWindowBits int
}

// ParseParams returns the parameters of e, which must be a
// permessage-deflate offer or response (names compared
// ASCII-case-insensitively). Following RFC 7692 §7.1, it fails with an
// error wrapping [ErrBadParams] on a parameter not defined there, a
// parameter given twice, a value on server_no_context_takeover or
// client_no_context_takeover, and a window size that is missing (for
// server_max_window_bits) or not one of "8" to "15". client_max_window_bits
// without a value is accepted and returned as [NoValue]; only an offer may
// carry it so.
func ParseParams(e handshake.Extension) (Params, error) {
	var p Params
	if !strings.EqualFold(e.Name, ExtensionName) {
		return p, fmt.Errorf("%w: extension %s is not %s", ErrBadParams, quote(e.Name), ExtensionName)
	}
	var seen [4]bool
	for _, prm := range e.Params {
		i := paramIndex(prm.Name)
		if i < 0 {
			return Params{}, fmt.Errorf("%w: unknown parameter %s", ErrBadParams, quote(prm.Name))
		}
		if seen[i] {
			return Params{}, fmt.Errorf("%w: parameter %s given twice", ErrBadParams, quote(prm.Name))
		}
		seen[i] = true
		switch i {
		case 0, 1: // the no_context_takeover pair has no value (§7.1.1)
			if prm.HasValue {
				return Params{}, fmt.Errorf("%w: parameter %s takes no value, got %s", ErrBadParams, quote(prm.Name), quote(prm.Value))
			}
			if i == 0 {
				p.ServerNoContextTakeover = true
			} else {
				p.ClientNoContextTakeover = true
			}
		case 2: // server_max_window_bits always has a value (§7.1.2.1)
			bits, ok := parseWindowBits(prm)
			if !ok {
				return Params{}, badWindowBits(prm)
			}
			p.ServerMaxWindowBits = bits
		case 3: // client_max_window_bits may have none in an offer (§7.1.2.2)
			if !prm.HasValue {
				p.ClientMaxWindowBits = NoValue
				continue
			}
			bits, ok := parseWindowBits(prm)
			if !ok {
				return Params{}, badWindowBits(prm)
			}
			p.ClientMaxWindowBits = bits
		}
	}
	return p, nil
}

// paramIndex returns the index of a parameter name in the order of the
// constants above, or -1 for an unknown name.
func paramIndex(name string) int {
	for i, n := range [...]string{paramServerNoContextTakeover, paramClientNoContextTakeover, paramServerMaxWindowBits, paramClientMaxWindowBits} {
		if strings.EqualFold(name, n) {
			return i
		}
	}
	return -1
}

// parseWindowBits parses a window size value: a decimal integer from 8 to
// 15 without leading zeroes (RFC 7692 §7.1.2.1, §7.1.2.2).
func parseWindowBits(prm handshake.Param) (int, bool) {
	v := prm.Value
	if !prm.HasValue || len(v) == 0 || len(v) > 2 || v[0] == '0' {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < MinWindowBits || n > MaxWindowBits || strconv.Itoa(n) != v {
		return 0, false
	}
	return n, true
}

func badWindowBits(prm handshake.Param) error {
	if !prm.HasValue {
		return fmt.Errorf("%w: parameter %s needs a value from 8 to 15", ErrBadParams, quote(prm.Name))
	}
	return fmt.Errorf("%w: parameter %s has value %s, want 8 to 15", ErrBadParams, quote(prm.Name), quote(prm.Value))
}

// Extension returns p as a permessage-deflate element of a
// Sec-WebSocket-Extensions list, parameters in the order of RFC 7692 §7.1:
// server_no_context_takeover, client_no_context_takeover,
// server_max_window_bits, client_max_window_bits. A window size of 0 is
// left out and [NoValue] is written without a value; other values are
// written as they are, unchecked.
func (p Params) Extension() handshake.Extension {
	e := handshake.Extension{Name: ExtensionName}
	if p.ServerNoContextTakeover {
		e.Params = append(e.Params, handshake.Param{Name: paramServerNoContextTakeover})
	}
	if p.ClientNoContextTakeover {
		e.Params = append(e.Params, handshake.Param{Name: paramClientNoContextTakeover})
	}
	if p.ServerMaxWindowBits != 0 {
		e.Params = append(e.Params, handshake.Param{Name: paramServerMaxWindowBits, Value: strconv.Itoa(p.ServerMaxWindowBits), HasValue: true})
	}
	switch p.ClientMaxWindowBits {
	case 0:
	case NoValue:
		e.Params = append(e.Params, handshake.Param{Name: paramClientMaxWindowBits})
	default:
		e.Params = append(e.Params, handshake.Param{Name: paramClientMaxWindowBits, Value: strconv.Itoa(p.ClientMaxWindowBits), HasValue: true})
	}
	return e
}

// Flows returns what p, taken as the agreement a server's response states,
// means for each direction of messages (RFC 7692 §7.1.1, §7.1.2): client is
// the flow of messages the client sends, server of those the server sends.
// A passive reader of both directions needs no more than this, and it is
// what every receiver relies on: [ServerAccept]'s [Agreement] has exactly
// these flows, and [ClientVerify]'s only makes the client's own compressor
// stricter where its offer chose so.
func (p Params) Flows() (client, server Flow) {
	client = Flow{NoContextTakeover: p.ClientNoContextTakeover, WindowBits: windowBits(p.ClientMaxWindowBits)}
	server = Flow{NoContextTakeover: p.ServerNoContextTakeover, WindowBits: windowBits(p.ServerMaxWindowBits)}
	return client, server
}

// Flow is what the negotiation decided for one direction of messages: how
// the sender compresses, and so what the receiver must keep between
// messages. The zero value is context takeover with a 32 KiB window.
type Flow struct {
	// NoContextTakeover is set when the sender compresses each message on
	// its own, so that the receiver keeps no history between messages
	// (RFC 7692 §7.1.1).
	NoContextTakeover bool

	// WindowBits bounds the distance of back-references to 2^WindowBits
	// bytes, 8 to 15; 0 means 15 (RFC 7692 §7.1.2). A value outside 8..15
	// is taken as the nearest of the two.
	WindowBits int
}

// windowBits returns the window size meant by a parameter or option value:
// 15 for 0 (absent), [NoValue] or anything above 15, 8 for anything below 8.
func windowBits(v int) int {
	switch {
	case v == 0 || v == NoValue || v > MaxWindowBits:
		return MaxWindowBits
	case v < MinWindowBits:
		return MinWindowBits
	}
	return v
}
