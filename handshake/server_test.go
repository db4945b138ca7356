package handshake_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/wskit/websocket/handshake"
)

// The opening handshake of RFC 6455 §1.2 and the answer of §1.3, as sent.
const (
	rfcRequest = "GET /chat HTTP/1.1\r\n" +
		"Host: server.example.com\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
		"Origin: http://example.com\r\n" +
		"Sec-WebSocket-Protocol: chat, superchat\r\n" +
		"Sec-WebSocket-Version: 13\r\n" +
		"\r\n"
	rfcResponse = "HTTP/1.1 101 Switching Protocols\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" +
		"Sec-WebSocket-Protocol: chat\r\n" +
		"\r\n"
)

func readRequest(t *testing.T, raw string) *http.Request {
	t.Helper()
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func readResponse(t *testing.T, raw []byte) *http.Response {
	t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
	if err != nil {
		t.Fatalf("http.ReadResponse(%q): %v", raw, err)
	}
	return resp
}

// RFC 6455 §1.2, §1.3: the sample handshake, both halves, byte for byte.
func TestRFC6455Section1_2Example(t *testing.T) {
	r := readRequest(t, rfcRequest)
	if !handshake.IsUpgradeRequest(r) {
		t.Error("IsUpgradeRequest(rfc sample) = false")
	}
	offer, err := handshake.CheckRequest(r)
	if err != nil {
		t.Fatalf("CheckRequest(rfc sample): %v", err)
	}
	want := &handshake.Offer{Key: sampleKey, Protocols: []string{"chat", "superchat"}, Origin: "http://example.com"}
	if !reflect.DeepEqual(offer, want) {
		t.Errorf("CheckRequest = %#v, want %#v", offer, want)
	}

	protocol := handshake.SelectProtocol(offer.Protocols, []string{"chat"})
	got := handshake.AppendResponse(nil, offer.Key, protocol, nil, nil)
	if string(got) != rfcResponse {
		t.Errorf("AppendResponse =\n%q\nwant\n%q", got, rfcResponse)
	}

	c := &handshake.ClientRequest{Key: sampleKey, Protocols: []string{"chat", "superchat"}}
	res, err := c.Verify(readResponse(t, []byte(rfcResponse)))
	if err != nil {
		t.Fatalf("Verify(rfc sample): %v", err)
	}
	if res.Protocol != "chat" || res.Extensions != nil {
		t.Errorf("Verify = %+v", res)
	}
}

// RFC 6455 §4.2.1: every way the client's handshake can be wrong, with the
// status and headers to answer with.
func TestRFC6455Section4_2_1CheckRequest(t *testing.T) {
	version13 := header("Sec-WebSocket-Version", "13")
	upgradeRequired := header("Upgrade", "websocket", "Connection", "Upgrade", "Sec-WebSocket-Version", "13")
	tests := []struct {
		name     string
		modify   func(r *http.Request)
		sentinel error
		status   int
		header   http.Header
		text     []string
	}{
		{"POST", func(r *http.Request) { r.Method = "POST" }, handshake.ErrNotGet, 405, header("Allow", "GET"), []string{`"POST"`, "GET"}},
		{"lower-case get", func(r *http.Request) { r.Method = "get" }, handshake.ErrNotGet, 405, header("Allow", "GET"), []string{`"get"`}},
		{"CONNECT", func(r *http.Request) { r.Method = "CONNECT" }, handshake.ErrNotGet, 405, header("Allow", "GET"), nil},
		{"HTTP/1.0", func(r *http.Request) { r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/1.0", 1, 0 },
			handshake.ErrHTTPVersion, 400, nil, []string{"HTTP/1.0"}},
		{"HTTP/0.9", func(r *http.Request) { r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/0.9", 0, 9 },
			handshake.ErrHTTPVersion, 400, nil, nil},
		{"Upgrade missing", func(r *http.Request) { r.Header.Del("Upgrade") },
			handshake.ErrBadUpgrade, 400, nil, []string{"missing Upgrade header"}},
		{"Upgrade h2c", func(r *http.Request) { r.Header.Set("Upgrade", "h2c") },
			handshake.ErrBadUpgrade, 400, nil, []string{"Upgrade header", `"h2c"`, `"websocket"`}},
		{"Upgrade websocket/13", func(r *http.Request) { r.Header.Set("Upgrade", "websocket/13") },
			handshake.ErrBadUpgrade, 400, nil, []string{"Upgrade header"}},
		{"Upgrade empty", func(r *http.Request) { r.Header.Set("Upgrade", "") },
			handshake.ErrBadUpgrade, 400, nil, []string{"Upgrade header"}},
		{"Connection missing", func(r *http.Request) { r.Header.Del("Connection") },
			handshake.ErrBadConnection, 400, nil, []string{"missing Connection header"}},
		{"Connection keep-alive", func(r *http.Request) { r.Header.Set("Connection", "keep-alive") },
			handshake.ErrBadConnection, 400, nil, []string{"Connection header", `"keep-alive"`, `"upgrade"`}},
		{"Connection upgrades", func(r *http.Request) { r.Header.Set("Connection", "upgrades") },
			handshake.ErrBadConnection, 400, nil, []string{"Connection header"}},
		{"Key missing", func(r *http.Request) { r.Header.Del("Sec-WebSocket-Key") },
			handshake.ErrMissingKey, 400, nil, []string{"missing Sec-WebSocket-Key header"}},
		{"Key empty", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Key", "") },
			handshake.ErrMissingKey, 400, nil, []string{"Sec-WebSocket-Key"}},
		{"Key too short", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZQ==") },
			handshake.ErrInvalidKey, 400, nil, []string{"Sec-WebSocket-Key", `"dGhlIHNhbXBsZQ=="`}},
		{"Key 17 bytes", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZSE=") },
			handshake.ErrInvalidKey, 400, nil, []string{"Sec-WebSocket-Key"}},
		{"Key not base64", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Key", "not base64 at all!!!!!!!") },
			handshake.ErrInvalidKey, 400, nil, []string{"Sec-WebSocket-Key"}},
		{"Key twice", func(r *http.Request) { r.Header.Add("Sec-WebSocket-Key", sampleKey) },
			handshake.ErrInvalidKey, 400, nil, []string{"Sec-WebSocket-Key header sent 2 times"}},
		{"Key list", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Key", sampleKey+", "+sampleKey) },
			handshake.ErrInvalidKey, 400, nil, []string{"Sec-WebSocket-Key"}},
		{"Version missing", func(r *http.Request) { r.Header.Del("Sec-WebSocket-Version") },
			handshake.ErrMissingVersion, 400, version13, []string{"missing Sec-WebSocket-Version header"}},
		{"Version empty", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Version", "") },
			handshake.ErrMissingVersion, 400, version13, []string{"Sec-WebSocket-Version"}},
		{"Version 8", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Version", "8") },
			handshake.ErrUnsupportedVersion, 426, upgradeRequired, []string{"Sec-WebSocket-Version", `"8"`}},
		{"Version 14", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Version", "14") },
			handshake.ErrUnsupportedVersion, 426, upgradeRequired, []string{`"14"`}},
		{"Version list", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Version", "13, 8") },
			handshake.ErrUnsupportedVersion, 426, upgradeRequired, []string{`"13, 8"`}},
		{"Version twice", func(r *http.Request) { r.Header.Add("Sec-WebSocket-Version", "13") },
			handshake.ErrUnsupportedVersion, 426, upgradeRequired, []string{`"13, 13"`}},
		{"Protocol malformed", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Protocol", "chat, super chat") },
			handshake.ErrBadProtocols, 400, nil, []string{"Sec-WebSocket-Protocol", `"super chat"`}},
		{"Extensions malformed", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Extensions", "permessage-deflate; x=") },
			handshake.ErrBadExtensions, 400, nil, []string{"Sec-WebSocket-Extensions", `"x"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := readRequest(t, rfcRequest)
			tt.modify(r)
			offer, err := handshake.CheckRequest(r)
			if !errors.Is(err, tt.sentinel) {
				t.Fatalf("CheckRequest = %+v, %v; want %v", offer, err, tt.sentinel)
			}
			var re *handshake.RequestError
			if !errors.As(err, &re) {
				t.Fatalf("%v is not a *RequestError", err)
			}
			if re.Status != tt.status {
				t.Errorf("Status = %d, want %d", re.Status, tt.status)
			}
			if !reflect.DeepEqual(re.Header, tt.header) {
				t.Errorf("Header = %v, want %v", re.Header, tt.header)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "websocket: ") || msg != "websocket: "+re.Reason {
				t.Errorf("error %q is not \"websocket: \" + Reason %q", msg, re.Reason)
			}
			checkErrorText(t, err, "websocket: ", tt.text...)
		})
	}

	if _, err := handshake.CheckRequest(nil); !errors.Is(err, handshake.ErrNotGet) {
		t.Errorf("CheckRequest(nil) = %v, want ErrNotGet", err)
	}
}

// RFC 6455 §4.2.1: what a valid handshake offers, with the lenient parts
// (case, lists, several lines, whitespace) accepted.
func TestRFC6455Section4_2_1CheckRequestOffer(t *testing.T) {
	raw := "GET /chat?room=1 HTTP/1.1\r\n" +
		"Host: server.example.com\r\n" +
		"upgrade: WebSocket\r\n" +
		"Connection: keep-alive\r\n" +
		"Connection: UPGRADE\r\n" +
		"Sec-WebSocket-Key:   dGhlIHNhbXBsZSBub25jZQ==  \r\n" +
		"Sec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Protocol: a,b\r\n" +
		"Sec-WebSocket-Protocol: c\r\n" +
		"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, permessage-deflate\r\n" +
		"Sec-WebSocket-Extensions: x-foo; q=\"1\"\r\n" +
		"\r\n"
	offer, err := handshake.CheckRequest(readRequest(t, raw))
	if err != nil {
		t.Fatal(err)
	}
	want := &handshake.Offer{
		Key:       sampleKey,
		Protocols: []string{"a", "b", "c"},
		Extensions: []handshake.Extension{
			ext("permessage-deflate", flag("client_max_window_bits")),
			ext("permessage-deflate"),
			ext("x-foo", kv("q", "1")),
		},
	}
	if !reflect.DeepEqual(offer, want) {
		t.Errorf("CheckRequest =\n%#v\nwant\n%#v", offer, want)
	}
}

// RFC 6455 §4.2.1 items 1, 3, 4: recognising an upgrade request.
func TestRFC6455Section4_2_1IsUpgradeRequest(t *testing.T) {
	tests := []struct {
		name   string
		method string
		h      http.Header
		want   bool
	}{
		{"minimal", "GET", header("Upgrade", "websocket", "Connection", "Upgrade"), true},
		{"lists and case", "GET", header("Upgrade", "foo, WebSocket", "Connection", "keep-alive, upgrade"), true},
		{"several lines", "GET", header("Upgrade", "foo", "Upgrade", "websocket", "Connection", "x", "Connection", "Upgrade"), true},
		{"no key needed", "GET", header("Upgrade", "websocket", "Connection", "Upgrade", "Sec-WebSocket-Version", "8"), true},
		{"POST", "POST", header("Upgrade", "websocket", "Connection", "Upgrade"), false},
		{"no Upgrade", "GET", header("Connection", "Upgrade"), false},
		{"no Connection", "GET", header("Upgrade", "websocket"), false},
		{"h2c", "GET", header("Upgrade", "h2c", "Connection", "Upgrade"), false},
		{"Connection upgrades", "GET", header("Upgrade", "websocket", "Connection", "upgrades"), false},
		{"plain GET", "GET", header("Accept", "text/html"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &http.Request{Method: tt.method, Header: tt.h, ProtoMajor: 1, ProtoMinor: 1}
			if got := handshake.IsUpgradeRequest(r); got != tt.want {
				t.Errorf("IsUpgradeRequest = %v, want %v", got, tt.want)
			}
		})
	}
	if handshake.IsUpgradeRequest(nil) {
		t.Error("IsUpgradeRequest(nil) = true")
	}
}

// RFC 6455 §4.2.2 item 5: the headers of the server's answer.
func TestRFC6455Section4_2_2ResponseHeader(t *testing.T) {
	h := handshake.ResponseHeader(sampleKey, "", nil)
	want := header("Upgrade", "websocket", "Connection", "Upgrade", "Sec-WebSocket-Accept", sampleAccept)
	if !reflect.DeepEqual(h, want) {
		t.Errorf("ResponseHeader(key, \"\", nil) = %v, want %v", h, want)
	}
	h = handshake.ResponseHeader(sampleKey, "chat", []handshake.Extension{ext("permessage-deflate", kv("server_max_window_bits", "10"))})
	want.Set("Sec-WebSocket-Protocol", "chat")
	want.Set("Sec-WebSocket-Extensions", "permessage-deflate; server_max_window_bits=10")
	if !reflect.DeepEqual(h, want) {
		t.Errorf("ResponseHeader = %v, want %v", h, want)
	}
}

// RFC 6455 §4.2.2 item 5 and RFC 7230 §3.2: the raw answer, with extra
// headers, and nothing written that could break the header block.
func TestRFC6455Section4_2_2AppendResponse(t *testing.T) {
	exts := []handshake.Extension{ext("permessage-deflate", flag("server_no_context_takeover"))}
	extra := http.Header{
		"Set-Cookie":        {"a=1", "b=2"},
		"X-Injected":        {"x\r\nSet-Cookie: evil=1"},
		"X-Lf":              {"x\ny"},
		"X-Nul":             {"x\x00"},
		"X-Ok":              {"fine\tvalue"},
		"Bad Name":          {"1"},
		"Bad:Name":          {"1"},
		"Upgrade":           {"h2c"},
		"connection":        {"close"},
		"Sec-WebSocket-Key": {"x"},
		"Content-Length":    {"10"},
		"Transfer-Encoding": {"chunked"},
		"Server":            {"wskit"},
	}
	dst := []byte("prefix|")
	got := handshake.AppendResponse(dst, sampleKey, "chat", exts, extra)
	want := "prefix|" +
		"HTTP/1.1 101 Switching Protocols\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + sampleAccept + "\r\n" +
		"Sec-WebSocket-Protocol: chat\r\n" +
		"Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n" +
		"Server: wskit\r\n" +
		"Set-Cookie: a=1\r\n" +
		"Set-Cookie: b=2\r\n" +
		"X-Ok: fine\tvalue\r\n" +
		"\r\n"
	if string(got) != want {
		t.Fatalf("AppendResponse =\n%q\nwant\n%q", got, want)
	}

	resp := readResponse(t, got[len(dst):])
	c := &handshake.ClientRequest{Key: sampleKey, Protocols: []string{"chat"}, Extensions: []handshake.Extension{ext("permessage-deflate")}}
	res, err := c.Verify(resp)
	if err != nil {
		t.Fatalf("Verify(AppendResponse): %v", err)
	}
	if res.Protocol != "chat" || !reflect.DeepEqual(res.Extensions, exts) {
		t.Errorf("Verify = %+v", res)
	}
	if v := resp.Header.Values("Set-Cookie"); !reflect.DeepEqual(v, []string{"a=1", "b=2"}) {
		t.Errorf("Set-Cookie = %q", v)
	}

	// Handshake values that cannot be written are dropped too.
	got = handshake.AppendResponse(nil, sampleKey, "chat\r\nX: 1", []handshake.Extension{ext("a", kv("b", "\n"))}, nil)
	if bytes.Contains(got, []byte("X: 1")) || bytes.Count(got, []byte("\n")) != 5 {
		t.Errorf("AppendResponse wrote a broken value: %q", got)
	}
}

// A full opening handshake through real bytes: client request, server check,
// server answer, client check (RFC 6455 §4.1 and §4.2).
func TestRFC6455Section4RoundTrip(t *testing.T) {
	tests := []struct {
		name         string
		client       handshake.ClientRequest
		supported    []string
		wantProtocol string
		wantExts     []handshake.Extension
	}{
		{name: "bare", client: handshake.ClientRequest{}},
		{name: "protocol chosen by server preference",
			client:    handshake.ClientRequest{Protocols: []string{"chat", "superchat"}},
			supported: []string{"superchat", "chat"}, wantProtocol: "superchat"},
		{name: "no common protocol",
			client:    handshake.ClientRequest{Protocols: []string{"chat"}},
			supported: []string{"mqtt"}},
		{name: "extension accepted",
			client: handshake.ClientRequest{Extensions: []handshake.Extension{
				ext("permessage-deflate", flag("client_max_window_bits")), ext("permessage-deflate")}},
			wantExts: []handshake.Extension{ext("permessage-deflate", flag("client_max_window_bits"))}},
		{name: "everything",
			client: handshake.ClientRequest{
				Origin: "https://example.com", Host: "example.com",
				Protocols:  []string{"v2.chat", "v1.chat"},
				Extensions: []handshake.Extension{ext("x-foo", kv("level", "3"))},
				Header:     header("Cookie", "id=42", "Authorization", "Bearer t"),
			},
			supported: []string{"v1.chat", "v2.chat"}, wantProtocol: "v1.chat",
			wantExts: []handshake.Extension{ext("x-foo", kv("level", "3"))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.client
			c.URL = mustURL(t, "wss://example.com/socket?x=1")
			req, err := c.HTTPRequest(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var wire bytes.Buffer
			if err := req.Write(&wire); err != nil {
				t.Fatal(err)
			}

			// Server.
			sreq, err := http.ReadRequest(bufio.NewReader(&wire))
			if err != nil {
				t.Fatal(err)
			}
			offer, err := handshake.CheckRequest(sreq)
			if err != nil {
				t.Fatalf("CheckRequest: %v", err)
			}
			if sreq.URL.RequestURI() != "/socket?x=1" || offer.Origin != c.Origin {
				t.Errorf("server saw %q, origin %q", sreq.URL.RequestURI(), offer.Origin)
			}
			protocol := handshake.SelectProtocol(offer.Protocols, tt.supported)
			var accepted []handshake.Extension
			if len(offer.Extensions) > 0 {
				accepted = offer.Extensions[:1] // this server takes the first offer
			}
			raw := handshake.AppendResponse(nil, offer.Key, protocol, accepted, header("Server", "test"))

			// Client.
			res, err := c.Verify(readResponse(t, raw))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if res.Protocol != tt.wantProtocol || !reflect.DeepEqual(res.Extensions, tt.wantExts) {
				t.Errorf("Verify = %+v, want protocol %q, extensions %v", res, tt.wantProtocol, tt.wantExts)
			}
		})
	}
}
