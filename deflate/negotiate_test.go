package deflate_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/handshake"
)

func flow(nct bool, bits int) deflate.Flow {
	return deflate.Flow{NoContextTakeover: nct, WindowBits: bits}
}

// RFC 7692 §5, §7.1: the offers a client makes for each option.
func TestRFC7692Section7_1ClientOffers(t *testing.T) {
	tests := []struct {
		name  string
		prefs []deflate.Options
		want  string
	}{
		{"default", nil, "permessage-deflate; client_max_window_bits"},
		{"zero options", []deflate.Options{{}}, "permessage-deflate; client_max_window_bits"},
		{"own no takeover is a hint", []deflate.Options{{NoContextTakeover: true}},
			"permessage-deflate; client_no_context_takeover; client_max_window_bits"},
		{"peer no takeover", []deflate.Options{{PeerNoContextTakeover: true}},
			"permessage-deflate; server_no_context_takeover; client_max_window_bits"},
		{"own window", []deflate.Options{{WindowBits: 10}}, "permessage-deflate; client_max_window_bits=10"},
		{"own window 8", []deflate.Options{{WindowBits: 8}}, "permessage-deflate; client_max_window_bits=8"},
		{"own window below 8 is 8", []deflate.Options{{WindowBits: 3}}, "permessage-deflate; client_max_window_bits=8"},
		{"peer window", []deflate.Options{{PeerWindowBits: 9}}, "permessage-deflate; server_max_window_bits=9; client_max_window_bits"},
		{"15 is the default", []deflate.Options{{WindowBits: 15, PeerWindowBits: 15}}, "permessage-deflate; client_max_window_bits"},
		{"above 15 is 15", []deflate.Options{{WindowBits: 20, PeerWindowBits: 99}}, "permessage-deflate; client_max_window_bits"},
		{"everything", []deflate.Options{{NoContextTakeover: true, PeerNoContextTakeover: true, WindowBits: 11, PeerWindowBits: 10}},
			"permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11"},
		{"two offers", []deflate.Options{{PeerWindowBits: 10, PeerNoContextTakeover: true}, {}},
			"permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits, permessage-deflate; client_max_window_bits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			offers := deflate.ClientOffers(tt.prefs...)
			if got := handshake.FormatExtensions(offers); got != tt.want {
				t.Fatalf("ClientOffers = %q, want %q", got, tt.want)
			}
			for _, o := range offers {
				if _, err := deflate.ParseParams(o); err != nil {
					t.Errorf("offer %v does not parse: %v", o, err)
				}
			}
		})
	}
}

// RFC 7692 §7.1: a client checks the server's response against its offers
// and derives what each direction uses.
func TestRFC7692Section7_1ClientVerify(t *testing.T) {
	tests := []struct {
		name     string
		prefs    []deflate.Options
		response string
		ok       bool
		params   deflate.Params
		compress deflate.Flow // the client's own messages
		decomp   deflate.Flow // the server's messages
	}{
		{"not accepted", nil, "", false, deflate.Params{}, deflate.Flow{}, deflate.Flow{}},
		{"other extension only", nil, "x-foo", false, deflate.Params{}, deflate.Flow{}, deflate.Flow{}},
		{"plain", nil, "permessage-deflate", true, deflate.Params{}, flow(false, 15), flow(false, 15)},
		{"name case", nil, "PerMessage-Deflate", true, deflate.Params{}, flow(false, 15), flow(false, 15)},
		{"among others", nil, "x-foo; a=1, permessage-deflate, x-bar", true, deflate.Params{}, flow(false, 15), flow(false, 15)},
		{"server no takeover unrequested", nil, "permessage-deflate; server_no_context_takeover", true,
			deflate.Params{ServerNoContextTakeover: true}, flow(false, 15), flow(true, 15)},
		{"client no takeover imposed", nil, "permessage-deflate; client_no_context_takeover", true,
			deflate.Params{ClientNoContextTakeover: true}, flow(true, 15), flow(false, 15)},
		{"server window unrequested", nil, "permessage-deflate; server_max_window_bits=10", true,
			deflate.Params{ServerMaxWindowBits: 10}, flow(false, 15), flow(false, 10)},
		{"client window imposed", nil, "permessage-deflate; client_max_window_bits=9", true,
			deflate.Params{ClientMaxWindowBits: 9}, flow(false, 9), flow(false, 15)},
		{"client window 8", nil, "permessage-deflate; client_max_window_bits=8", true,
			deflate.Params{ClientMaxWindowBits: 8}, flow(false, 8), flow(false, 15)},
		{"own window hint kept", []deflate.Options{{WindowBits: 10}}, "permessage-deflate", true,
			deflate.Params{}, flow(false, 10), flow(false, 15)},
		{"client window larger than offered", []deflate.Options{{WindowBits: 10}}, "permessage-deflate; client_max_window_bits=12", true,
			deflate.Params{ClientMaxWindowBits: 12}, flow(false, 10), flow(false, 15)},
		{"client window smaller than offered", []deflate.Options{{WindowBits: 12}}, "permessage-deflate; client_max_window_bits=9", true,
			deflate.Params{ClientMaxWindowBits: 9}, flow(false, 9), flow(false, 15)},
		{"own no takeover hint kept", []deflate.Options{{NoContextTakeover: true}}, "permessage-deflate", true,
			deflate.Params{}, flow(true, 15), flow(false, 15)},
		{"peer no takeover granted", []deflate.Options{{PeerNoContextTakeover: true}}, "permessage-deflate; server_no_context_takeover", true,
			deflate.Params{ServerNoContextTakeover: true}, flow(false, 15), flow(true, 15)},
		{"peer window granted", []deflate.Options{{PeerWindowBits: 10}}, "permessage-deflate; server_max_window_bits=10", true,
			deflate.Params{ServerMaxWindowBits: 10}, flow(false, 15), flow(false, 10)},
		{"peer window granted smaller", []deflate.Options{{PeerWindowBits: 10}}, "permessage-deflate; server_max_window_bits=8", true,
			deflate.Params{ServerMaxWindowBits: 8}, flow(false, 15), flow(false, 8)},
		{"everything", []deflate.Options{{NoContextTakeover: true, PeerNoContextTakeover: true, WindowBits: 11, PeerWindowBits: 10}},
			"permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=11", true,
			deflate.Params{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 9, ClientMaxWindowBits: 11},
			flow(true, 11), flow(true, 9)},
		{"second offer answered", []deflate.Options{{PeerWindowBits: 10}, {WindowBits: 12}}, "permessage-deflate", true,
			deflate.Params{}, flow(false, 12), flow(false, 15)},
		{"first offer answered", []deflate.Options{{PeerWindowBits: 10, WindowBits: 9}, {WindowBits: 12}}, "permessage-deflate; server_max_window_bits=10", true,
			deflate.Params{ServerMaxWindowBits: 10}, flow(false, 9), flow(false, 10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var accepted []handshake.Extension
			if tt.response != "" {
				accepted = parseHeader(t, tt.response)
			}
			a, ok, err := deflate.ClientVerify(accepted, tt.prefs...)
			if err != nil {
				t.Fatalf("ClientVerify(%q): %v", tt.response, err)
			}
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			want := deflate.Agreement{Params: tt.params, Compress: tt.compress, Decompress: tt.decomp}
			if a != want {
				t.Fatalf("agreement =\n %+v\nwant\n %+v", a, want)
			}
		})
	}
}

// RFC 7692 §7.1 (last paragraph), §7.1.1.1, §7.1.2.1, §7.1.2.2: responses
// the client must fail the connection on.
func TestRFC7692Section7_1ClientVerifyBadResponse(t *testing.T) {
	tests := []struct {
		name      string
		prefs     []deflate.Options
		response  string
		malformed bool // the error also wraps ErrBadParams
		want      string
	}{
		{"unknown param", nil, "permessage-deflate; foo", true, `unknown parameter "foo"`},
		{"unknown param with value", nil, "permessage-deflate; mem_level=8", true, `unknown parameter "mem_level"`},
		{"duplicate flag", nil, "permessage-deflate; server_no_context_takeover; server_no_context_takeover", true, "given twice"},
		{"duplicate window", nil, "permessage-deflate; client_max_window_bits=10; client_max_window_bits=10", true, "given twice"},
		{"flag with value", nil, "permessage-deflate; client_no_context_takeover=true", true, "takes no value"},
		{"server window 7", nil, "permessage-deflate; server_max_window_bits=7", true, `"7"`},
		{"server window 16", nil, "permessage-deflate; server_max_window_bits=16", true, `"16"`},
		{"server window abc", nil, "permessage-deflate; server_max_window_bits=abc", true, `"abc"`},
		{"server window without value", nil, "permessage-deflate; server_max_window_bits", true, "needs a value"},
		{"client window 16", nil, "permessage-deflate; client_max_window_bits=16", true, `"16"`},
		{"client window without value", nil, "permessage-deflate; client_max_window_bits", false, "client_max_window_bits without a value"},
		{"accepted twice", nil, "permessage-deflate, permessage-deflate", false, "accepted twice"},
		{"accepted twice differently", nil, "permessage-deflate; server_no_context_takeover, PERMESSAGE-DEFLATE", false, "accepted twice"},
		{"server window larger than requested", []deflate.Options{{PeerWindowBits: 10}}, "permessage-deflate; server_max_window_bits=11", false,
			"server_max_window_bits=11 is larger than the 10 requested"},
		{"requested server window missing", []deflate.Options{{PeerWindowBits: 10}}, "permessage-deflate", false,
			"server_max_window_bits=10 was requested but is missing"},
		{"requested no takeover missing", []deflate.Options{{PeerNoContextTakeover: true}}, "permessage-deflate", false,
			"server_no_context_takeover was requested but is missing"},
		{"no offer answered", []deflate.Options{{PeerWindowBits: 10}, {PeerNoContextTakeover: true}}, "permessage-deflate; server_max_window_bits=12", false,
			"answers none of the 2 offers; first offer: server_max_window_bits=12 is larger than the 10 requested"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, ok, err := deflate.ClientVerify(parseHeader(t, tt.response), tt.prefs...)
			if err == nil {
				t.Fatalf("ClientVerify(%q) = %+v, %v; want an error", tt.response, a, ok)
			}
			if ok || a != (deflate.Agreement{}) {
				t.Errorf("ClientVerify returned %+v, %v with its error", a, ok)
			}
			if !errors.Is(err, deflate.ErrBadResponse) {
				t.Errorf("error %v does not wrap ErrBadResponse", err)
			}
			if errors.Is(err, deflate.ErrBadParams) != tt.malformed {
				t.Errorf("errors.Is(%v, ErrBadParams) = %v", err, !tt.malformed)
			}
			if !strings.HasPrefix(err.Error(), "websocket: invalid permessage-deflate response: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// RFC 7692 §7.1.2.2: a response may carry client_max_window_bits only when
// the offer did, and always with a value. ClientOffers always offers it, so
// this checks the rule on offers made by hand.
func TestRFC7692Section7_1_2_2ClientWindowNotOffered(t *testing.T) {
	tests := []struct {
		offer, resp deflate.Params
		want        string
	}{
		{deflate.Params{}, deflate.Params{ClientMaxWindowBits: 10}, "client_max_window_bits was not offered"},
		{deflate.Params{ClientMaxWindowBits: deflate.NoValue}, deflate.Params{ClientMaxWindowBits: deflate.NoValue}, "without a value"},
		{deflate.Params{ClientMaxWindowBits: 9}, deflate.Params{ClientMaxWindowBits: 10}, ""},
		{deflate.Params{ClientMaxWindowBits: deflate.NoValue}, deflate.Params{ClientMaxWindowBits: 10}, ""},
		{deflate.Params{}, deflate.Params{}, ""},
	}
	for _, tt := range tests {
		err := deflate.CheckResponse(tt.offer, tt.resp)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("CheckResponse(%+v, %+v) = %v", tt.offer, tt.resp, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("CheckResponse(%+v, %+v) = %v, want %q", tt.offer, tt.resp, err, tt.want)
		}
	}
}

// RFC 7692 §5, §7.1: a server picks the first offer it can accept, declines
// malformed ones and answers within what the offer allows.
func TestRFC7692Section7_1ServerAccept(t *testing.T) {
	tests := []struct {
		name     string
		offers   string
		opts     deflate.Options
		ok       bool
		response string
		compress deflate.Flow // the server's own messages
		decomp   deflate.Flow // the client's messages
	}{
		{"no offers", "", deflate.Options{}, false, "", deflate.Flow{}, deflate.Flow{}},
		{"other extensions only", "x-webkit-deflate-frame, deflate-frame", deflate.Options{}, false, "", deflate.Flow{}, deflate.Flow{}},
		{"plain", "permessage-deflate", deflate.Options{}, true, "permessage-deflate", flow(false, 15), flow(false, 15)},
		{"name case", "Permessage-Deflate", deflate.Options{}, true, "permessage-deflate", flow(false, 15), flow(false, 15)},
		{"among others", "x-webkit-deflate-frame, permessage-deflate; client_max_window_bits, foo", deflate.Options{}, true,
			"permessage-deflate", flow(false, 15), flow(false, 15)},
		// Each parameter of an offer.
		{"server no takeover requested", "permessage-deflate; server_no_context_takeover", deflate.Options{}, true,
			"permessage-deflate; server_no_context_takeover", flow(true, 15), flow(false, 15)},
		{"client no takeover hint repeated", "permessage-deflate; client_no_context_takeover", deflate.Options{}, true,
			"permessage-deflate; client_no_context_takeover", flow(false, 15), flow(true, 15)},
		{"server window requested", "permessage-deflate; server_max_window_bits=10", deflate.Options{}, true,
			"permessage-deflate; server_max_window_bits=10", flow(false, 10), flow(false, 15)},
		{"server window 8 honoured", "permessage-deflate; server_max_window_bits=8", deflate.Options{}, true,
			"permessage-deflate; server_max_window_bits=8", flow(false, 8), flow(false, 15)},
		{"server window 15", "permessage-deflate; server_max_window_bits=15", deflate.Options{}, true,
			"permessage-deflate; server_max_window_bits=15", flow(false, 15), flow(false, 15)},
		{"client window bare", "permessage-deflate; client_max_window_bits", deflate.Options{}, true,
			"permessage-deflate", flow(false, 15), flow(false, 15)},
		{"client window value echoed", "permessage-deflate; client_max_window_bits=10", deflate.Options{}, true,
			"permessage-deflate; client_max_window_bits=10", flow(false, 15), flow(false, 10)},
		{"quoted value", `permessage-deflate; client_max_window_bits="12"`, deflate.Options{}, true,
			"permessage-deflate; client_max_window_bits=12", flow(false, 15), flow(false, 12)},
		// Each option.
		{"own no takeover", "permessage-deflate", deflate.Options{NoContextTakeover: true}, true,
			"permessage-deflate; server_no_context_takeover", flow(true, 15), flow(false, 15)},
		{"peer no takeover", "permessage-deflate", deflate.Options{PeerNoContextTakeover: true}, true,
			"permessage-deflate; client_no_context_takeover", flow(false, 15), flow(true, 15)},
		{"own window announced", "permessage-deflate", deflate.Options{WindowBits: 11}, true,
			"permessage-deflate; server_max_window_bits=11", flow(false, 11), flow(false, 15)},
		{"own window under requested", "permessage-deflate; server_max_window_bits=13", deflate.Options{WindowBits: 11}, true,
			"permessage-deflate; server_max_window_bits=11", flow(false, 11), flow(false, 15)},
		{"requested under own window", "permessage-deflate; server_max_window_bits=9", deflate.Options{WindowBits: 11}, true,
			"permessage-deflate; server_max_window_bits=9", flow(false, 9), flow(false, 15)},
		{"peer window on bare", "permessage-deflate; client_max_window_bits", deflate.Options{PeerWindowBits: 10}, true,
			"permessage-deflate; client_max_window_bits=10", flow(false, 15), flow(false, 10)},
		{"peer window under client's", "permessage-deflate; client_max_window_bits=12", deflate.Options{PeerWindowBits: 10}, true,
			"permessage-deflate; client_max_window_bits=10", flow(false, 15), flow(false, 10)},
		{"client's under peer window", "permessage-deflate; client_max_window_bits=9", deflate.Options{PeerWindowBits: 10}, true,
			"permessage-deflate; client_max_window_bits=9", flow(false, 15), flow(false, 9)},
		{"peer window not offered: declined", "permessage-deflate", deflate.Options{PeerWindowBits: 10}, false, "", deflate.Flow{}, deflate.Flow{}},
		{"peer window: second offer", "permessage-deflate; server_no_context_takeover, permessage-deflate; client_max_window_bits", deflate.Options{PeerWindowBits: 10}, true,
			"permessage-deflate; client_max_window_bits=10", flow(false, 15), flow(false, 10)},
		// Combinations.
		{"everything offered", "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12",
			deflate.Options{}, true,
			"permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12", flow(true, 10), flow(true, 12)},
		{"everything both ways", "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits",
			deflate.Options{NoContextTakeover: true, PeerNoContextTakeover: true, WindowBits: 12, PeerWindowBits: 9}, true,
			"permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9", flow(true, 10), flow(true, 9)},
		// Several offers and malformed ones (RFC 7692 §7.1: decline, do not answer).
		{"first of several", "permessage-deflate; server_max_window_bits=10, permessage-deflate", deflate.Options{}, true,
			"permessage-deflate; server_max_window_bits=10", flow(false, 10), flow(false, 15)},
		{"server window 7 declined", "permessage-deflate; server_max_window_bits=7, permessage-deflate; client_max_window_bits", deflate.Options{}, true,
			"permessage-deflate", flow(false, 15), flow(false, 15)},
		{"server window 16 declined", "permessage-deflate; server_max_window_bits=16", deflate.Options{}, false, "", deflate.Flow{}, deflate.Flow{}},
		{"server window abc declined", "permessage-deflate; server_max_window_bits=abc", deflate.Options{}, false, "", deflate.Flow{}, deflate.Flow{}},
		{"server window without value declined", "permessage-deflate; server_max_window_bits", deflate.Options{}, false, "", deflate.Flow{}, deflate.Flow{}},
		{"client window 16 declined", "permessage-deflate; client_max_window_bits=16", deflate.Options{}, false, "", deflate.Flow{}, deflate.Flow{}},
		{"client window 07 declined", "permessage-deflate; client_max_window_bits=07", deflate.Options{}, false, "", deflate.Flow{}, deflate.Flow{}},
		{"duplicate declined", "permessage-deflate; client_no_context_takeover; client_no_context_takeover, permessage-deflate; server_max_window_bits=12",
			deflate.Options{}, true, "permessage-deflate; server_max_window_bits=12", flow(false, 12), flow(false, 15)},
		{"duplicate window declined", "permessage-deflate; server_max_window_bits=10; server_max_window_bits=11", deflate.Options{}, false, "", deflate.Flow{}, deflate.Flow{}},
		{"unknown param declined", "permessage-deflate; x_foo, permessage-deflate; client_no_context_takeover", deflate.Options{}, true,
			"permessage-deflate; client_no_context_takeover", flow(false, 15), flow(true, 15)},
		{"flag with value declined", "permessage-deflate; server_no_context_takeover=1", deflate.Options{}, false, "", deflate.Flow{}, deflate.Flow{}},
		{"all malformed", "permessage-deflate; a, permessage-deflate; server_max_window_bits=0, permessage-deflate; b=1", deflate.Options{}, false, "", deflate.Flow{}, deflate.Flow{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var offers []handshake.Extension
			if tt.offers != "" {
				offers = parseHeader(t, tt.offers)
			}
			resp, a, ok := deflate.ServerAccept(offers, tt.opts)
			if ok != tt.ok {
				t.Fatalf("ServerAccept(%q) ok = %v, want %v (response %v)", tt.offers, ok, tt.ok, resp)
			}
			if !ok {
				if resp.Name != "" || a != (deflate.Agreement{}) {
					t.Errorf("declined with %v, %+v", resp, a)
				}
				return
			}
			if got := resp.String(); got != tt.response {
				t.Errorf("response %q, want %q", got, tt.response)
			}
			p, err := deflate.ParseParams(resp)
			if err != nil || p != a.Params {
				t.Errorf("response parses to %+v, %v; agreement has %+v", p, err, a.Params)
			}
			if a.Compress != tt.compress || a.Decompress != tt.decomp {
				t.Errorf("flows compress %+v decompress %+v, want %+v %+v", a.Compress, a.Decompress, tt.compress, tt.decomp)
			}
		})
	}
}

// RFC 7692 §7.1: whatever the client and server options, a server's answer
// to a client's offers passes the client's check, each sender is at least
// as restrictive as its receiver assumes, and each receiver assumes only
// what the response states.
func TestRFC7692Section7_1BothRoles(t *testing.T) {
	var all []deflate.Options
	for _, nct := range []bool{false, true} {
		for _, pnct := range []bool{false, true} {
			for _, wb := range []int{0, 8, 12} {
				for _, pwb := range []int{0, 9, 13} {
					all = append(all, deflate.Options{NoContextTakeover: nct, PeerNoContextTakeover: pnct, WindowBits: wb, PeerWindowBits: pwb})
				}
			}
		}
	}
	for _, c := range all {
		for _, s := range all {
			for _, prefs := range [][]deflate.Options{{c}, {c, {}}} {
				resp, sa, ok := deflate.ServerAccept(deflate.ClientOffers(prefs...), s)
				if !ok {
					t.Fatalf("server %+v declined %v", s, deflate.ClientOffers(prefs...))
				}
				ca, ok, err := deflate.ClientVerify([]handshake.Extension{resp}, prefs...)
				if err != nil || !ok {
					t.Fatalf("client %+v refused %v from server %+v: %v", prefs, resp, s, err)
				}
				if ca.Params != sa.Params {
					t.Fatalf("params differ: client %+v server %+v", ca.Params, sa.Params)
				}
				checkCompatible(t, "client to server", ca.Compress, sa.Decompress)
				checkCompatible(t, "server to client", sa.Compress, ca.Decompress)
				// Each receiver assumes what the response states, no more.
				if client, server := ca.Params.Flows(); sa.Decompress != client || ca.Decompress != server {
					t.Fatalf("response %v states client %+v server %+v; receivers assume %+v and %+v", resp, client, server, sa.Decompress, ca.Decompress)
				}
			}
		}
	}
}

func checkCompatible(t *testing.T, dir string, sender, receiver deflate.Flow) {
	t.Helper()
	if receiver.NoContextTakeover && !sender.NoContextTakeover || sender.WindowBits > receiver.WindowBits {
		t.Fatalf("%s: sender %+v, receiver %+v", dir, sender, receiver)
	}
	for _, f := range []deflate.Flow{sender, receiver} {
		if f.WindowBits < 8 || f.WindowBits > 15 {
			t.Fatalf("%s: window bits %d", dir, f.WindowBits)
		}
	}
}
