package websocket_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	websocket "github.com/wskit/websocket"
	"github.com/wskit/websocket/handshake"
)

// TestDecideAsAccept: Decide answers every refused handshake with the
// status and body Accept gives it and returns an error that matches
// Accept's, and for an accepted one writes nothing and returns what the
// 101 response needs.
func TestDecideAsAccept(t *testing.T) {
	valid := func() *http.Request {
		r := httptest.NewRequest(http.MethodGet, "http://example.com/chat", nil)
		r.Header.Set("Connection", "Upgrade")
		r.Header.Set("Upgrade", "websocket")
		r.Header.Set("Sec-WebSocket-Version", "13")
		r.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
		return r
	}
	opts := &websocket.AcceptOptions{
		Subprotocols:   []string{"b", "a"},
		ResponseHeader: http.Header{"X-Extra": {"1"}},
		OnUpgrade: func(u *websocket.Upgrade) error {
			if u.Request.URL.Query().Get("deny") != "" {
				return &websocket.Refusal{Status: http.StatusTeapot, Body: []byte("no tea")}
			}
			u.Header.Set("X-Hook", "ran")
			return nil
		},
	}
	opts.Compression = &websocket.CompressionOptions{}
	refused := map[string]func(*http.Request){
		"POST":          func(r *http.Request) { r.Method = http.MethodPost },
		"version 8":     func(r *http.Request) { r.Header.Set("Sec-WebSocket-Version", "8") },
		"bad key":       func(r *http.Request) { r.Header.Set("Sec-WebSocket-Key", "short") },
		"no upgrade":    func(r *http.Request) { r.Header.Del("Upgrade") },
		"foreign":       func(r *http.Request) { r.Header.Set("Origin", "https://evil.example") },
		"hook":          func(r *http.Request) { r.URL.RawQuery = "deny=1" },
		"bad protocols": func(r *http.Request) { r.Header.Set("Sec-WebSocket-Protocol", "a,,b c") },
	}
	for name, spoil := range refused {
		ra, rd := valid(), valid()
		spoil(ra)
		spoil(rd)
		wa, wd := httptest.NewRecorder(), httptest.NewRecorder()
		_, aerr := websocket.Accept(wa, ra, opts)
		d, derr := websocket.Decide(wd, rd, opts)
		if aerr == nil || derr == nil || d != nil {
			t.Errorf("%s: Accept %v, Decide %v (%v)", name, aerr, derr, d)
			continue
		}
		if wa.Code != wd.Code || wa.Body.String() != wd.Body.String() || aerr.Error() != derr.Error() {
			t.Errorf("%s: Accept %d %q %v; Decide %d %q %v", name, wa.Code, wa.Body, aerr, wd.Code, wd.Body, derr)
		}
	}

	r := valid()
	r.Header.Set("Sec-WebSocket-Protocol", "a, b")
	r.Header.Set("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits")
	w := httptest.NewRecorder()
	d, err := websocket.Decide(w, r, opts)
	if err != nil {
		t.Fatal(err)
	}
	if w.Body.Len() != 0 || len(w.Header()) != 0 {
		t.Fatalf("an accepted handshake wrote %d %q %v", w.Code, w.Body, w.Header())
	}
	if d.Key != "dGhlIHNhbXBsZSBub25jZQ==" || d.Subprotocol != "b" || d.Header.Get("X-Extra") != "1" || d.Header.Get("X-Hook") != "ran" {
		t.Fatalf("decision %+v", d)
	}
	if d.Deflate == nil || len(d.Extensions) != 1 || d.Extensions[0].Name != "permessage-deflate" || d.Options == nil {
		t.Fatalf("decision's compression: %+v", d)
	}
	if opts.ResponseHeader.Get("X-Hook") != "" {
		t.Fatal("the hook's header went into the options'")
	}

	// An HTTP/2 WebSocket is Accept's alone.
	r = valid()
	r.ProtoMajor, r.Method = 2, http.MethodConnect
	r.Header.Set(":protocol", "websocket")
	r.Proto = "HTTP/2.0"
	if !handshake.IsExtendedConnect(r) {
		t.Fatal("the HTTP/2 request is not an extended CONNECT")
	}
	w = httptest.NewRecorder()
	if _, err := websocket.Decide(w, r, opts); !errors.Is(err, websocket.ErrNotHTTP1) || w.Code != http.StatusHTTPVersionNotSupported {
		t.Fatalf("HTTP/2: %v, %d", err, w.Code)
	}
}
