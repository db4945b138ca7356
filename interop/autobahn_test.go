package interop_test

import (
	"testing"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/deflate"
)

// comp returns compression options with deflate options o.
func comp(o deflate.Options) *websocket.CompressionOptions {
	return &websocket.CompressionOptions{Options: o}
}

// autobahnServerModes are wskit client settings against Autobahn|Python
// server settings (peers/ab_peer.py), each with the extension they must
// agree on: every parameter a wskit client can offer, and every one
// autobahn's server can impose or choose on its own.
var autobahnServerModes = []compMode{
	compOff,
	{name: "peer-off", comp: comp(deflate.Options{}), declined: true},
	{name: "defaults", comp: comp(deflate.Options{}), peerArgs: []string{"--compress"}, agreed: "permessage-deflate"},
	{name: "client-no-context-hint", comp: comp(deflate.Options{NoContextTakeover: true}), peerArgs: []string{"--compress"},
		agreed: "permessage-deflate"},
	{name: "client-no-context-imposed", comp: comp(deflate.Options{NoContextTakeover: true}), peerArgs: []string{"--compress", "--request-no-context"},
		agreed: "permessage-deflate; client_no_context_takeover"},
	{name: "client-window-imposed", comp: comp(deflate.Options{}), peerArgs: []string{"--compress", "--request-window", "10"},
		agreed: "permessage-deflate; client_max_window_bits=10"},
	{name: "client-window-hint", comp: comp(deflate.Options{WindowBits: 11}), peerArgs: []string{"--compress"},
		agreed: "permessage-deflate"},
	{name: "server-no-context-requested", comp: comp(deflate.Options{PeerNoContextTakeover: true}), peerArgs: []string{"--compress"},
		agreed: "permessage-deflate; server_no_context_takeover"},
	{name: "server-window-requested", comp: comp(deflate.Options{PeerWindowBits: 10}), peerArgs: []string{"--compress"},
		agreed: "permessage-deflate; server_max_window_bits=10"},
	{name: "server-own-no-context-window", comp: comp(deflate.Options{}), peerArgs: []string{"--compress", "--no-context", "--window", "10"},
		agreed: "permessage-deflate"},
	{name: "everything", comp: comp(deflate.Options{NoContextTakeover: true, PeerNoContextTakeover: true, WindowBits: 11, PeerWindowBits: 10}),
		peerArgs: []string{"--compress", "--request-no-context", "--request-window", "9"},
		agreed:   "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9"},
}

// autobahnClientModes are Autobahn|Python client settings against wskit
// server settings, each with the extension they must agree on. The first
// compressed one is autobahn's default offer, "permessage-deflate;
// client_no_context_takeover; client_max_window_bits", which the original
// Autobahn suite's client makes too.
var autobahnClientModes = []compMode{
	compOff,
	{name: "server-off", peerArgs: []string{"--compress"}},
	{name: "default-offer", comp: comp(deflate.Options{}), peerArgs: []string{"--compress"},
		agreed: "permessage-deflate; client_no_context_takeover"},
	{name: "default-offer-client-window", comp: comp(deflate.Options{PeerWindowBits: 10}), peerArgs: []string{"--compress"},
		agreed: "permessage-deflate; client_no_context_takeover; client_max_window_bits=10"},
	{name: "default-offer-server-own", comp: comp(deflate.Options{NoContextTakeover: true, WindowBits: 10}), peerArgs: []string{"--compress"},
		agreed: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10"},
	{name: "plain-offer", comp: comp(deflate.Options{}), peerArgs: []string{"--compress", "--offer-plain"},
		agreed: "permessage-deflate"},
	{name: "plain-offer-no-context-imposed", comp: comp(deflate.Options{PeerNoContextTakeover: true}), peerArgs: []string{"--compress", "--offer-plain"},
		agreed: "permessage-deflate; client_no_context_takeover"},
	{name: "plain-offer-window-declined", comp: comp(deflate.Options{PeerWindowBits: 10}), peerArgs: []string{"--compress", "--offer-plain"},
		declined: true},
	{name: "server-no-context-requested", comp: comp(deflate.Options{}), peerArgs: []string{"--compress", "--request-no-context"},
		agreed: "permessage-deflate; server_no_context_takeover; client_no_context_takeover"},
	{name: "server-window-requested", comp: comp(deflate.Options{}), peerArgs: []string{"--compress", "--request-window", "10"},
		agreed: "permessage-deflate; client_no_context_takeover; server_max_window_bits=10"},
	{name: "server-window-under-request", comp: comp(deflate.Options{WindowBits: 9}), peerArgs: []string{"--compress", "--request-window", "11"},
		agreed: "permessage-deflate; client_no_context_takeover; server_max_window_bits=9"},
	{name: "client-own-no-context-window", comp: comp(deflate.Options{}), peerArgs: []string{"--compress", "--offer-plain", "--no-context", "--window", "10"},
		agreed: "permessage-deflate"},
	{name: "everything", comp: comp(deflate.Options{NoContextTakeover: true, PeerNoContextTakeover: true, WindowBits: 12, PeerWindowBits: 11}),
		peerArgs: []string{"--compress", "--request-no-context", "--request-window", "10"},
		agreed:   "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11"},
}

func TestAutobahnServer(t *testing.T) {
	t.Parallel()
	need(t, "autobahn")
	for _, m := range autobahnServerModes {
		t.Run(m.name, func(t *testing.T) { testPeerServer(t, m, python, "peers/ab_peer.py", "server") })
	}
}

func TestAutobahnClient(t *testing.T) {
	t.Parallel()
	need(t, "autobahn")
	for _, m := range autobahnClientModes {
		t.Run(m.name, func(t *testing.T) {
			testPeerClient(t, m, func(url string) []string { return []string{python, "peers/ab_peer.py", "client", url} })
		})
	}
}
