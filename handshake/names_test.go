package handshake

import (
	"bufio"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
)

// TestHeaderNamesCanonical checks the names the package looks headers up
// by: each is its RFC spelling in net/http's canonical form, and a valid
// request parsed by net/http is checked without allocating a copy of any.
func TestHeaderNamesCanonical(t *testing.T) {
	for rfc, name := range map[string]string{
		"Sec-WebSocket-Key":        keyHeader,
		"Sec-WebSocket-Version":    versionHeader,
		"Sec-WebSocket-Protocol":   protocolHeader,
		"Sec-WebSocket-Extensions": extensionsHeader,
		"Sec-WebSocket-Accept":     acceptHeader,
		"Upgrade":                  upgradeHeader,
		"Connection":               connectionHeader,
		"Origin":                   originHeader,
	} {
		if got := textproto.CanonicalMIMEHeaderKey(rfc); got != name {
			t.Errorf("%s: canonical %q, the package uses %q", rfc, got, name)
		}
	}
	raw := "GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	// What CheckRequest allocates is the Offer it returns, and nothing for
	// the header names.
	offer := new(Offer)
	allocs := testing.AllocsPerRun(100, func() {
		o, err := CheckRequest(r)
		if err != nil {
			t.Fatal(err)
		}
		offer = o
	})
	if allocs > 1 {
		t.Errorf("CheckRequest: %v allocations, want 1 (the Offer)", allocs)
	}
	if offer.Key != "dGhlIHNhbXBsZSBub25jZQ==" {
		t.Errorf("key %q", offer.Key)
	}
}
