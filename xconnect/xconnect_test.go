package xconnect_test

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"golang.org/x/net/http2"

	"github.com/wskit/websocket/xconnect"
)

// TestServerAdvertises: with this package imported, net/http's HTTP/2
// server (initialised after it) sends SETTINGS_ENABLE_CONNECT_PROTOCOL = 1
// in its first SETTINGS frame (RFC 8441 §3).
func TestServerAdvertises(t *testing.T) {
	if !xconnect.Enabled() {
		t.Fatal("GODEBUG does not hold http2xconnect=1 after init")
	}
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	c, err := tls.Dial("tcp", srv.Listener.Addr().String(), &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if p := c.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Fatalf("ALPN chose %q, want h2", p)
	}
	if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(c, c)
	fr.WriteSettings()
	f, err := fr.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	sf, ok := f.(*http2.SettingsFrame)
	if !ok {
		t.Fatalf("first frame %v, want SETTINGS", f)
	}
	if v, ok := sf.Value(http2.SettingEnableConnectProtocol); !ok || v != 1 {
		t.Fatalf("SETTINGS %v: ENABLE_CONNECT_PROTOCOL %d (sent %v), want 1", sf, v, ok)
	}
}
