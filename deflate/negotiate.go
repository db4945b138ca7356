package deflate

import (
	"fmt"
	"strings"

	"github.com/wskit/websocket/handshake"
)

// Options is one endpoint's permessage-deflate policy, for either role. The
// zero value asks for nothing: context takeover and 32 KiB windows both
// ways, the best compression for the most memory. Window sizes outside
// 8..15 are taken as the nearest of the two; 0 means 15.
//
// What each field puts on the wire (RFC 7692 §7.1), and what a server
// answers to the parameter in an offer from any client:
//
//	field                  a client offers               a server responds
//	NoContextTakeover      client_no_context_takeover    server_no_context_takeover
//	PeerNoContextTakeover  server_no_context_takeover    client_no_context_takeover
//	WindowBits<15          client_max_window_bits=N      server_max_window_bits=N
//	WindowBits=15          client_max_window_bits        -
//	PeerWindowBits<15      server_max_window_bits=N      client_max_window_bits=M (M <= N)
//
//	offer from a client           binds   the server's response
//	server_no_context_takeover    server  repeats it
//	client_no_context_takeover    nobody  repeats it, so that it binds the client
//	server_max_window_bits=N      server  server_max_window_bits=min(N, WindowBits)
//	client_max_window_bits        nobody  client_max_window_bits=PeerWindowBits, if below 15
//	client_max_window_bits=N      nobody  client_max_window_bits=min(N, PeerWindowBits)
//
// A receiver relies only on what the response states: an offer's
// client_no_context_takeover and client_max_window_bits value are hints a
// client may drop unless the response repeats them (RFC 7692 §7.1.1.2,
// §7.1.2.2), and a bare client_max_window_bits only says that the client
// understands the parameter. A client compresses with its own choices even
// when the response does not repeat them, since less context or a smaller
// window than agreed is always allowed.
type Options struct {
	// NoContextTakeover makes this endpoint compress each message on its
	// own, so that its compressor holds no memory between messages. A
	// client offers it as a hint; a server states it in its response.
	NoContextTakeover bool

	// PeerNoContextTakeover has the peer compress each message on its
	// own, so that this endpoint keeps no decompression history (up to
	// 32 KiB) between messages. A client requests it, and a server that
	// will not do so declines the offer; a server imposes it in its
	// response.
	PeerNoContextTakeover bool

	// WindowBits bounds the window this endpoint compresses with, when
	// below 15. A client offers the value as a hint; a server states it in
	// its response.
	WindowBits int

	// PeerWindowBits bounds the window the peer may compress with, and so
	// the history this endpoint keeps between messages, when below 15. A
	// client requests it, and a server that cannot honour it declines the
	// offer. A server states it in its response and declines an offer
	// without client_max_window_bits, which leaves it no way to ask for a
	// smaller window (RFC 7692 §7.1.2.2).
	PeerWindowBits int
}

// Agreement is a negotiated permessage-deflate extension as one endpoint
// sees it.
type Agreement struct {
	// Params are the parameters of the server's response, as sent on the
	// wire (RFC 7692 §7.1).
	Params Params

	// Compress is the flow of this endpoint's messages: pass it to
	// [NewCompressor].
	Compress Flow

	// Decompress is the flow of the peer's messages: pass it to
	// [NewDecompressor].
	Decompress Flow
}

// offer returns the offer a client with options o makes: client_max_window_bits
// is always included, so that a server may limit the client's window.
func (o Options) offer() Params {
	p := Params{
		ClientNoContextTakeover: o.NoContextTakeover,
		ServerNoContextTakeover: o.PeerNoContextTakeover,
		ClientMaxWindowBits:     NoValue,
	}
	if b := windowBits(o.WindowBits); b < MaxWindowBits {
		p.ClientMaxWindowBits = b
	}
	if b := windowBits(o.PeerWindowBits); b < MaxWindowBits {
		p.ServerMaxWindowBits = b
	}
	return p
}

// ClientOffers returns the permessage-deflate offers for a client's
// Sec-WebSocket-Extensions header, one for each of prefs in order of
// preference, or a single offer for the zero Options when prefs is empty
// (RFC 7692 §5, §7.1). A client that asks the server for something
// ([Options.PeerNoContextTakeover], [Options.PeerWindowBits]) but would
// rather compress without it than not at all adds a second, plainer
// Options.
func ClientOffers(prefs ...Options) []handshake.Extension {
	if len(prefs) == 0 {
		prefs = []Options{{}}
	}
	exts := make([]handshake.Extension, len(prefs))
	for i, o := range prefs {
		exts[i] = o.offer().Extension()
	}
	return exts
}

// ClientVerify checks the extensions a server accepted (for instance
// handshake.ClientResult.Extensions) against the offers ClientOffers(prefs...)
// made, following RFC 7692 §7.1. ok is false, with a nil error, when the
// server did not accept permessage-deflate. Otherwise the response must parse
// and answer at least one offer, and the agreement is computed for the first
// one it answers, with that Options' local choices applied. Any failure wraps
// [ErrBadResponse], and the client must fail the connection.
//
// A response answers an offer unless it leaves out server_no_context_takeover
// or server_max_window_bits that the offer requested, has
// server_max_window_bits larger than requested, or has client_max_window_bits
// (which a response must give a value) when the offer had none (RFC 7692
// §7.1.1.1, §7.1.2.1, §7.1.2.2). A client_max_window_bits larger than the
// offer's value is allowed: the client keeps to its own value.
func ClientVerify(accepted []handshake.Extension, prefs ...Options) (a Agreement, ok bool, err error) {
	if len(prefs) == 0 {
		prefs = []Options{{}}
	}
	var resp handshake.Extension
	for _, e := range accepted {
		if !strings.EqualFold(e.Name, ExtensionName) {
			continue
		}
		if ok {
			return Agreement{}, false, fmt.Errorf("%w: %s accepted twice", ErrBadResponse, ExtensionName)
		}
		resp, ok = e, true
	}
	if !ok {
		return Agreement{}, false, nil
	}
	p, err := ParseParams(resp)
	if err != nil {
		return Agreement{}, false, fmt.Errorf("%w: %w", ErrBadResponse, err)
	}
	if p.ClientMaxWindowBits == NoValue {
		return Agreement{}, false, fmt.Errorf("%w: %s without a value", ErrBadResponse, paramClientMaxWindowBits)
	}
	var first error
	for _, o := range prefs {
		offer := o.offer()
		if err := checkResponse(offer, p); err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		a = Agreement{Params: p}
		a.Compress, a.Decompress = p.Flows()
		// The client keeps to its own choices even where the response
		// does not repeat them: compressing with less context or a smaller
		// window than agreed is always allowed (RFC 7692 §7.1.1.2,
		// §7.1.2.2). The server's flow is the response's alone.
		a.Compress.NoContextTakeover = a.Compress.NoContextTakeover || offer.ClientNoContextTakeover
		a.Compress.WindowBits = min(a.Compress.WindowBits, windowBits(offer.ClientMaxWindowBits))
		return a, true, nil
	}
	if len(prefs) > 1 {
		return Agreement{}, false, fmt.Errorf("%w: answers none of the %d offers; first offer: %w", ErrBadResponse, len(prefs), first)
	}
	return Agreement{}, false, fmt.Errorf("%w: %w", ErrBadResponse, first)
}

// mismatch is why a well-formed response does not answer an offer.
type mismatch string

func (m mismatch) Error() string { return string(m) }

// checkResponse reports why the well-formed response resp does not answer
// offer, or nil when it does (RFC 7692 §7.1).
func checkResponse(offer, resp Params) error {
	if resp.ClientMaxWindowBits == NoValue {
		return mismatch(paramClientMaxWindowBits + " without a value")
	}
	if offer.ServerNoContextTakeover && !resp.ServerNoContextTakeover {
		return mismatch(paramServerNoContextTakeover + " was requested but is missing")
	}
	if offer.ServerMaxWindowBits != 0 {
		if resp.ServerMaxWindowBits == 0 {
			return mismatch(fmt.Sprintf("%s=%d was requested but is missing", paramServerMaxWindowBits, offer.ServerMaxWindowBits))
		}
		if resp.ServerMaxWindowBits > offer.ServerMaxWindowBits {
			return mismatch(fmt.Sprintf("%s=%d is larger than the %d requested", paramServerMaxWindowBits, resp.ServerMaxWindowBits, offer.ServerMaxWindowBits))
		}
	}
	if resp.ClientMaxWindowBits != 0 && offer.ClientMaxWindowBits == 0 {
		return mismatch(paramClientMaxWindowBits + " was not offered")
	}
	return nil
}

// ServerAccept picks the first permessage-deflate offer among a client's
// extension offers (for instance from [handshake.ParseExtensions]; other
// extensions are skipped) that it can accept with options o, and returns the
// element for the response's Sec-WebSocket-Extensions header and the
// agreement (RFC 7692 §5, §7.1). ok is false when it accepts none.
//
// An offer is declined, never answered, when [ParseParams] rejects it
// (unknown or repeated parameters, bad values), or when o.PeerWindowBits is
// below 15 and the offer has no client_max_window_bits, which leaves no way
// to ask the client for a smaller window. Every other offer is accepted:
// server_no_context_takeover and server_max_window_bits are honoured,
// since the compressor supports every window size from 8 to 15; the
// client's hints (client_no_context_takeover, a client_max_window_bits
// value) are repeated, so that the decompressor can rely on them; and o
// adds what it asks for within what RFC 7692 §7.1 lets a server say (see
// [Options]). Both flows of the agreement are those the response states.
func ServerAccept(offers []handshake.Extension, o Options) (resp handshake.Extension, a Agreement, ok bool) {
	for _, e := range offers {
		if !strings.EqualFold(e.Name, ExtensionName) {
			continue
		}
		offer, err := ParseParams(e)
		if err != nil {
			continue // RFC 7692 §7.1: decline a malformed offer
		}
		p, ok := answer(offer, o)
		if !ok {
			continue
		}
		// Both flows are the response's: what the response does not
		// state, the client is not bound to (RFC 7692 §7.1).
		a = Agreement{Params: p}
		a.Decompress, a.Compress = p.Flows()
		return p.Extension(), a, true
	}
	return handshake.Extension{}, Agreement{}, false
}

// answer returns the server's response to a well-formed offer under
// options o, or false when the server declines it.
func answer(offer Params, o Options) (Params, bool) {
	p := Params{
		// §7.1.1.1: must be echoed when offered, may be added when not.
		ServerNoContextTakeover: offer.ServerNoContextTakeover || o.NoContextTakeover,
		// §7.1.1.2: a server may always ask this. In an offer it is only
		// a hint, which the client may drop unless the response repeats
		// it; repeating it binds the client and spares the server's
		// decompressor a window per connection.
		ClientNoContextTakeover: offer.ClientNoContextTakeover || o.PeerNoContextTakeover,
	}
	// §7.1.2.1: a requested server window is honoured with the same or a
	// smaller value; an unrequested one may be announced.
	own := windowBits(o.WindowBits)
	if offer.ServerMaxWindowBits != 0 {
		p.ServerMaxWindowBits = min(offer.ServerMaxWindowBits, own)
	} else if own < MaxWindowBits {
		p.ServerMaxWindowBits = own
	}
	// §7.1.2.2: client_max_window_bits only when offered; echoing the
	// offer's value makes the client's hint part of the agreement.
	peer := windowBits(o.PeerWindowBits)
	switch {
	case offer.ClientMaxWindowBits == 0:
		if peer < MaxWindowBits {
			return Params{}, false
		}
	case peer < MaxWindowBits || offer.ClientMaxWindowBits != NoValue:
		p.ClientMaxWindowBits = min(peer, windowBits(offer.ClientMaxWindowBits))
	}
	return p, true
}
