package deflate_test

import (
	"fmt"
	"testing"

	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/handshake"
)

// RFC 7692 §7.1: for each parameter and both roles, the offer a wskit client
// makes, the response a wskit server gives, and what each side's compressor
// and decompressor then use. Every flow a receiver relies on is stated in
// the response; a hint in the offer binds nobody until the response repeats
// it.
func TestRFC7692Section7_1Agreement(t *testing.T) {
	type sides struct{ compress, decomp deflate.Flow }
	tests := []struct {
		name           string
		client, server deflate.Options
		offer          string
		response       string
		c, s           sides // the client's and the server's flows
	}{
		{"defaults", deflate.Options{}, deflate.Options{},
			"permessage-deflate; client_max_window_bits", "permessage-deflate",
			sides{flow(false, 15), flow(false, 15)}, sides{flow(false, 15), flow(false, 15)}},

		// client_no_context_takeover: a hint from the client (this is also
		// the offer of the Autobahn suite and of Python autobahn's
		// defaults), repeated by the server so that it binds.
		{"client's own no takeover", deflate.Options{NoContextTakeover: true}, deflate.Options{},
			"permessage-deflate; client_no_context_takeover; client_max_window_bits",
			"permessage-deflate; client_no_context_takeover",
			sides{flow(true, 15), flow(false, 15)}, sides{flow(false, 15), flow(true, 15)}},
		// ... or imposed by the server.
		{"server imposes client no takeover", deflate.Options{}, deflate.Options{PeerNoContextTakeover: true},
			"permessage-deflate; client_max_window_bits",
			"permessage-deflate; client_no_context_takeover",
			sides{flow(true, 15), flow(false, 15)}, sides{flow(false, 15), flow(true, 15)}},

		// server_no_context_takeover: a request from the client, which the
		// server must repeat, or announced by the server unasked.
		{"client requests server no takeover", deflate.Options{PeerNoContextTakeover: true}, deflate.Options{},
			"permessage-deflate; server_no_context_takeover; client_max_window_bits",
			"permessage-deflate; server_no_context_takeover",
			sides{flow(false, 15), flow(true, 15)}, sides{flow(true, 15), flow(false, 15)}},
		{"server's own no takeover", deflate.Options{}, deflate.Options{NoContextTakeover: true},
			"permessage-deflate; client_max_window_bits",
			"permessage-deflate; server_no_context_takeover",
			sides{flow(false, 15), flow(true, 15)}, sides{flow(true, 15), flow(false, 15)}},

		// client_max_window_bits: bare in an offer it only says the client
		// understands the parameter; with a value it is a hint, which the
		// server repeats (or lowers) so that it binds.
		{"client's own window", deflate.Options{WindowBits: 10}, deflate.Options{},
			"permessage-deflate; client_max_window_bits=10",
			"permessage-deflate; client_max_window_bits=10",
			sides{flow(false, 10), flow(false, 15)}, sides{flow(false, 15), flow(false, 10)}},
		{"server limits client window", deflate.Options{}, deflate.Options{PeerWindowBits: 9},
			"permessage-deflate; client_max_window_bits",
			"permessage-deflate; client_max_window_bits=9",
			sides{flow(false, 9), flow(false, 15)}, sides{flow(false, 15), flow(false, 9)}},
		{"server limits below client's window", deflate.Options{WindowBits: 12}, deflate.Options{PeerWindowBits: 9},
			"permessage-deflate; client_max_window_bits=12",
			"permessage-deflate; client_max_window_bits=9",
			sides{flow(false, 9), flow(false, 15)}, sides{flow(false, 15), flow(false, 9)}},
		{"client's window below server's limit", deflate.Options{WindowBits: 9}, deflate.Options{PeerWindowBits: 12},
			"permessage-deflate; client_max_window_bits=9",
			"permessage-deflate; client_max_window_bits=9",
			sides{flow(false, 9), flow(false, 15)}, sides{flow(false, 15), flow(false, 9)}},
		{"client window 8", deflate.Options{WindowBits: 8}, deflate.Options{},
			"permessage-deflate; client_max_window_bits=8",
			"permessage-deflate; client_max_window_bits=8",
			sides{flow(false, 8), flow(false, 15)}, sides{flow(false, 15), flow(false, 8)}},

		// server_max_window_bits: a request from the client, honoured with
		// the same or a smaller value, or announced by the server unasked.
		{"client requests server window", deflate.Options{PeerWindowBits: 10}, deflate.Options{},
			"permessage-deflate; server_max_window_bits=10; client_max_window_bits",
			"permessage-deflate; server_max_window_bits=10",
			sides{flow(false, 15), flow(false, 10)}, sides{flow(false, 10), flow(false, 15)}},
		{"server's own window", deflate.Options{}, deflate.Options{WindowBits: 11},
			"permessage-deflate; client_max_window_bits",
			"permessage-deflate; server_max_window_bits=11",
			sides{flow(false, 15), flow(false, 11)}, sides{flow(false, 11), flow(false, 15)}},
		{"server's window below request", deflate.Options{PeerWindowBits: 12}, deflate.Options{WindowBits: 10},
			"permessage-deflate; server_max_window_bits=12; client_max_window_bits",
			"permessage-deflate; server_max_window_bits=10",
			sides{flow(false, 15), flow(false, 10)}, sides{flow(false, 10), flow(false, 15)}},
		{"request below server's window", deflate.Options{PeerWindowBits: 9}, deflate.Options{WindowBits: 12},
			"permessage-deflate; server_max_window_bits=9; client_max_window_bits",
			"permessage-deflate; server_max_window_bits=9",
			sides{flow(false, 15), flow(false, 9)}, sides{flow(false, 9), flow(false, 15)}},
		{"server window 8", deflate.Options{PeerWindowBits: 8}, deflate.Options{},
			"permessage-deflate; server_max_window_bits=8; client_max_window_bits",
			"permessage-deflate; server_max_window_bits=8",
			sides{flow(false, 15), flow(false, 8)}, sides{flow(false, 8), flow(false, 15)}},

		// Everything at once, from either side.
		{"client asks everything", deflate.Options{NoContextTakeover: true, PeerNoContextTakeover: true, WindowBits: 11, PeerWindowBits: 10}, deflate.Options{},
			"permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11",
			"permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11",
			sides{flow(true, 11), flow(true, 10)}, sides{flow(true, 10), flow(true, 11)}},
		{"server asks everything", deflate.Options{}, deflate.Options{NoContextTakeover: true, PeerNoContextTakeover: true, WindowBits: 11, PeerWindowBits: 10},
			"permessage-deflate; client_max_window_bits",
			"permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=11; client_max_window_bits=10",
			sides{flow(true, 10), flow(true, 11)}, sides{flow(true, 11), flow(true, 10)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			offers := deflate.ClientOffers(tt.client)
			if got := handshake.FormatExtensions(offers); got != tt.offer {
				t.Fatalf("offer %q, want %q", got, tt.offer)
			}
			resp, sa, ok := deflate.ServerAccept(offers, tt.server)
			if !ok {
				t.Fatalf("server declined %q", tt.offer)
			}
			if got := resp.String(); got != tt.response {
				t.Fatalf("response %q, want %q", got, tt.response)
			}
			ca, ok, err := deflate.ClientVerify([]handshake.Extension{resp}, tt.client)
			if err != nil || !ok {
				t.Fatalf("client refused %q: %v, %v", tt.response, ok, err)
			}
			if got := (sides{ca.Compress, ca.Decompress}); got != tt.c {
				t.Errorf("client compress %+v decompress %+v, want %+v %+v", got.compress, got.decomp, tt.c.compress, tt.c.decomp)
			}
			if got := (sides{sa.Compress, sa.Decompress}); got != tt.s {
				t.Errorf("server compress %+v decompress %+v, want %+v %+v", got.compress, got.decomp, tt.s.compress, tt.s.decomp)
			}
		})
	}
}

// RFC 7692 §7.1: for every well-formed offer (each parameter absent or
// present, each window with and without a value) and every server policy,
// the server's response answers the offer, its decompressor assumes exactly
// what the response states the client is bound to (never a hint of the
// offer), and its compressor keeps to at least what the response states.
func TestRFC7692Section7_1ServerReliesOnlyOnResponse(t *testing.T) {
	var policies []deflate.Options
	for _, nct := range []bool{false, true} {
		for _, pnct := range []bool{false, true} {
			for _, wb := range []int{0, 8, 11} {
				for _, pwb := range []int{0, 8, 11} {
					policies = append(policies, deflate.Options{NoContextTakeover: nct, PeerNoContextTakeover: pnct, WindowBits: wb, PeerWindowBits: pwb})
				}
			}
		}
	}
	n := 0
	for _, snct := range []bool{false, true} {
		for _, cnct := range []bool{false, true} {
			for _, smwb := range []int{0, 8, 10, 15} {
				for _, cmwb := range []int{0, deflate.NoValue, 8, 10, 15} {
					offer := deflate.Params{ServerNoContextTakeover: snct, ClientNoContextTakeover: cnct, ServerMaxWindowBits: smwb, ClientMaxWindowBits: cmwb}
					for _, o := range policies {
						name := fmt.Sprintf("offer %q, policy %+v", offer.Extension().String(), o)
						resp, a, ok := deflate.ServerAccept([]handshake.Extension{offer.Extension()}, o)
						if !ok {
							// Declining is right only when the policy limits the
							// client's window and the offer gives no way to.
							if cmwb != 0 || o.PeerWindowBits == 0 {
								t.Fatalf("%s: declined", name)
							}
							continue
						}
						n++
						p, err := deflate.ParseParams(resp)
						if err != nil || p != a.Params {
							t.Fatalf("%s: response %q parses to %+v, %v; agreement %+v", name, resp, p, err, a.Params)
						}
						if err := deflate.CheckResponse(offer, p); err != nil {
							t.Fatalf("%s: response %q does not answer the offer: %v", name, resp, err)
						}
						client, server := p.Flows()
						if a.Decompress != client {
							t.Fatalf("%s: response %q binds the client to %+v, the server decompresses assuming %+v", name, resp, client, a.Decompress)
						}
						checkCompatible(t, name, a.Compress, server)
						// A hint of the offer is repeated, so that the server
						// can rely on it.
						if cnct && !p.ClientNoContextTakeover {
							t.Fatalf("%s: client_no_context_takeover offered, not repeated in %q", name, resp)
						}
						if cmwb > 0 && (p.ClientMaxWindowBits == 0 || p.ClientMaxWindowBits > cmwb) {
							t.Fatalf("%s: client_max_window_bits=%d offered, response %q", name, cmwb, resp)
						}
					}
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no offer accepted")
	}
}

// The offers other implementations make, as wskit's server answers them:
// each response states everything the server's decompressor relies on, and
// satisfies what that peer checks in a response.
func TestRFC7692Section7_1PeerOffers(t *testing.T) {
	tests := []struct {
		peer, offer, response string
	}{
		// The Autobahn suite's client and Python autobahn's default
		// PerMessageDeflateOffer: the client accepts no context takeover
		// and a window limit, and keeps its context unless told otherwise.
		{"autobahn", "permessage-deflate; client_no_context_takeover; client_max_window_bits",
			"permessage-deflate; client_no_context_takeover"},
		// gorilla/websocket's client supports no context takeover only, and
		// fails the handshake unless the response has both parameters.
		{"gorilla", "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
			"permessage-deflate; server_no_context_takeover; client_no_context_takeover"},
		// Chromium, Python websockets and Node ws.
		{"browsers", "permessage-deflate; client_max_window_bits", "permessage-deflate"},
	}
	for _, tt := range tests {
		t.Run(tt.peer, func(t *testing.T) {
			resp, a, ok := deflate.ServerAccept(parseHeader(t, tt.offer), deflate.Options{})
			if !ok || resp.String() != tt.response {
				t.Fatalf("response %q, %v; want %q", resp, ok, tt.response)
			}
			client, server := a.Params.Flows()
			if a.Decompress != client || a.Compress != server {
				t.Fatalf("flows %+v %+v, response states client %+v server %+v", a.Compress, a.Decompress, client, server)
			}
		})
	}
}
