package handshake_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/wskit/websocket/handshake"
)

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

type ctxKey struct{}

// RFC 6455 §4.1 items 1–12: every part of the client's opening handshake.
func TestRFC6455Section4_1HTTPRequest(t *testing.T) {
	c := &handshake.ClientRequest{
		URL:        mustURL(t, "ws://example.com:8080/chat/room?id=1&x=%20"),
		Origin:     "http://example.com",
		Protocols:  []string{"chat", "superchat"},
		Extensions: []handshake.Extension{ext("permessage-deflate", flag("client_max_window_bits")), ext("x-foo", kv("a", "1"))},
		Header:     header("Cookie", "session=1", "User-Agent", "wskit-test", "x-lower", "v"),
	}
	ctx := context.WithValue(context.Background(), ctxKey{}, "here")
	req, err := c.HTTPRequest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !handshake.ValidKey(c.Key) {
		t.Fatalf("HTTPRequest stored an invalid key %q", c.Key)
	}
	if req.Context().Value(ctxKey{}) != "here" {
		t.Error("the request does not carry the context")
	}
	if req.Method != http.MethodGet || req.ProtoMajor != 1 || req.ProtoMinor != 1 {
		t.Errorf("request is %s HTTP/%d.%d, want GET HTTP/1.1", req.Method, req.ProtoMajor, req.ProtoMinor)
	}
	if req.URL.Scheme != "http" || req.URL.RequestURI() != "/chat/room?id=1&x=%20" {
		t.Errorf("URL = %v, want http scheme and /chat/room?id=1&x=%%20", req.URL)
	}
	if c.URL.Scheme != "ws" {
		t.Errorf("HTTPRequest changed c.URL to %v", c.URL)
	}

	// Send it through real bytes and look at what a server reads.
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if line, _, _ := strings.Cut(buf.String(), "\r\n"); line != "GET /chat/room?id=1&x=%20 HTTP/1.1" {
		t.Errorf("request line = %q", line)
	}
	got, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"Host":                     "example.com:8080",
		"Upgrade":                  "websocket",
		"Connection":               "Upgrade",
		"Sec-WebSocket-Key":        c.Key,
		"Sec-WebSocket-Version":    "13",
		"Origin":                   "http://example.com",
		"Sec-WebSocket-Protocol":   "chat, superchat",
		"Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits, x-foo; a=1",
		"Cookie":                   "session=1",
		"User-Agent":               "wskit-test",
		"X-Lower":                  "v",
	}
	for name, value := range want {
		if name == "Host" {
			if got.Host != value {
				t.Errorf("Host = %q, want %q", got.Host, value)
			}
			continue
		}
		if v := got.Header.Values(name); len(v) != 1 || v[0] != value {
			t.Errorf("%s = %q, want exactly %q", name, v, value)
		}
	}
	offer, err := handshake.CheckRequest(got)
	if err != nil {
		t.Fatalf("CheckRequest of our own request: %v", err)
	}
	if offer.Key != c.Key || offer.Origin != c.Origin ||
		!reflect.DeepEqual(offer.Protocols, c.Protocols) || !reflect.DeepEqual(offer.Extensions, c.Extensions) {
		t.Errorf("CheckRequest = %+v, want what was offered", offer)
	}
}

// RFC 6455 §4.1: Host override, the fixed key, and the optional headers that
// are left out when there is nothing to send.
func TestRFC6455Section4_1HTTPRequestMinimal(t *testing.T) {
	c := &handshake.ClientRequest{URL: mustURL(t, "wss://example.com"), Host: "other.example:9", Key: sampleKey}
	req, err := c.HTTPRequest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.Key != sampleKey || req.Header.Get("Sec-WebSocket-Key") != sampleKey {
		t.Errorf("key changed: c.Key = %q, header %q", c.Key, req.Header.Get("Sec-WebSocket-Key"))
	}
	if req.Host != "other.example:9" || req.URL.Scheme != "https" || req.URL.RequestURI() != "/" {
		t.Errorf("Host %q, URL %v", req.Host, req.URL)
	}
	for _, name := range []string{"Origin", "Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions"} {
		if v, ok := req.Header[http.CanonicalHeaderKey(name)]; ok {
			t.Errorf("%s = %q, want it absent", name, v)
		}
	}
}

// RFC 6455 §3: ws and wss URIs, and their http and https equivalents.
func TestRFC6455Section3Schemes(t *testing.T) {
	tests := []struct {
		url, scheme, uri string
	}{
		{"ws://h/", "http", "/"},
		{"wss://h/", "https", "/"},
		{"http://h/", "http", "/"},
		{"https://h/", "https", "/"},
		{"WS://h", "http", "/"},
		{"WsS://h:443/a?b", "https", "/a?b"},
		{"ws://user:pass@h/p", "http", "/p"},
		{"ws://[::1]:80/", "http", "/"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			c := &handshake.ClientRequest{URL: mustURL(t, tt.url)}
			req, err := c.HTTPRequest(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if req.URL.Scheme != tt.scheme || req.URL.RequestURI() != tt.uri || req.URL.User != nil {
				t.Errorf("URL = %v, want scheme %q and %q without userinfo", req.URL, tt.scheme, tt.uri)
			}
		})
	}
}

// RFC 6455 §3 and §4.1: requests that cannot be sent.
func TestRFC6455Section4_1HTTPRequestErrors(t *testing.T) {
	good := func() *handshake.ClientRequest {
		return &handshake.ClientRequest{URL: &url.URL{Scheme: "ws", Host: "example.com", Path: "/"}}
	}
	tests := []struct {
		name   string
		modify func(c *handshake.ClientRequest)
		ctx    context.Context
		want   string
	}{
		{"nil URL", func(c *handshake.ClientRequest) { c.URL = nil }, nil, "nil URL"},
		{"ftp scheme", func(c *handshake.ClientRequest) { c.URL.Scheme = "ftp" }, nil, `"ftp"`},
		{"empty scheme", func(c *handshake.ClientRequest) { c.URL.Scheme = "" }, nil, "scheme"},
		{"unix scheme", func(c *handshake.ClientRequest) { c.URL.Scheme = "ws+unix" }, nil, `"ws+unix"`},
		{"fragment", func(c *handshake.ClientRequest) { c.URL.Fragment = "top" }, nil, "fragment"},
		{"no host", func(c *handshake.ClientRequest) { c.URL.Host = "" }, nil, "no host"},
		{"opaque", func(c *handshake.ClientRequest) { c.URL = &url.URL{Scheme: "ws", Opaque: "example.com"} }, nil, "no //host"},
		{"protocol not a token", func(c *handshake.ClientRequest) { c.Protocols = []string{"chat", "a b"} }, nil, `"a b"`},
		{"empty protocol", func(c *handshake.ClientRequest) { c.Protocols = []string{""} }, nil, "not a token"},
		{"duplicate protocol", func(c *handshake.ClientRequest) { c.Protocols = []string{"a", "b", "a"} }, nil, "twice"},
		{"extension name", func(c *handshake.ClientRequest) { c.Extensions = []handshake.Extension{ext("a,b")} }, nil, `"a,b"`},
		{"extension param name", func(c *handshake.ClientRequest) { c.Extensions = []handshake.Extension{ext("a", flag("x=1"))} }, nil, `"x=1"`},
		{"extension value", func(c *handshake.ClientRequest) { c.Extensions = []handshake.Extension{ext("a", kv("x", "1 2"))} }, nil, `"1 2"`},
		{"extension empty value", func(c *handshake.ClientRequest) { c.Extensions = []handshake.Extension{ext("a", kv("x", ""))} }, nil, `value ""`},
		{"invalid key", func(c *handshake.ClientRequest) { c.Key = "short" }, nil, `"short"`},
		{"header Upgrade", func(c *handshake.ClientRequest) { c.Header = header("Upgrade", "h2c") }, nil, `"Upgrade"`},
		{"header Connection", func(c *handshake.ClientRequest) { c.Header = http.Header{"connection": {"close"}} }, nil, `"connection"`},
		{"header key", func(c *handshake.ClientRequest) { c.Header = header("Sec-WebSocket-Key", sampleKey) }, nil, "Sec-Websocket-Key"},
		{"header version", func(c *handshake.ClientRequest) { c.Header = header("Sec-WebSocket-Version", "8") }, nil, "Sec-Websocket-Version"},
		{"header protocol", func(c *handshake.ClientRequest) { c.Header = header("Sec-WebSocket-Protocol", "chat") }, nil, "Sec-Websocket-Protocol"},
		{"header extensions", func(c *handshake.ClientRequest) { c.Header = header("Sec-WebSocket-Extensions", "foo") }, nil, "Sec-Websocket-Extensions"},
		{"header Host", func(c *handshake.ClientRequest) { c.Header = header("Host", "x") }, nil, `"Host"`},
		{"header Origin and field", func(c *handshake.ClientRequest) { c.Origin = "http://a"; c.Header = header("Origin", "http://b") }, nil, "Origin"},
		{"header value with CRLF", func(c *handshake.ClientRequest) { c.Header = header("X-A", "1\r\nX-B: 2") }, nil, `"X-A"`},
		{"header name not a token", func(c *handshake.ClientRequest) { c.Header = http.Header{"X A": {"1"}} }, nil, `"X A"`},
		{"Host with CRLF", func(c *handshake.ClientRequest) { c.Host = "a\r\nX: 1" }, nil, "control character"},
		{"Origin with LF", func(c *handshake.ClientRequest) { c.Origin = "http://a\nX: 1" }, nil, "control character"},
		{"nil context", func(c *handshake.ClientRequest) {}, nil, "nil context"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good()
			tt.modify(c)
			ctx := tt.ctx
			if tt.name != "nil context" {
				ctx = context.Background()
			}
			req, err := c.HTTPRequest(ctx)
			if !errors.Is(err, handshake.ErrBadClientRequest) {
				t.Fatalf("HTTPRequest = %v, %v; want ErrBadClientRequest", req, err)
			}
			checkErrorText(t, err, "websocket: ", tt.want)
		})
	}

	// Origin in Header alone is fine.
	c := good()
	c.Header = header("Origin", "http://b")
	req, err := c.HTTPRequest(context.Background())
	if err != nil || req.Header.Get("Origin") != "http://b" {
		t.Errorf("Origin through Header: %v, %v", req, err)
	}
}

// verifyClient is the offer that the Verify tests answer.
func verifyClient() *handshake.ClientRequest {
	return &handshake.ClientRequest{
		URL:        &url.URL{Scheme: "ws", Host: "example.com", Path: "/chat"},
		Key:        sampleKey,
		Protocols:  []string{"chat", "superchat"},
		Extensions: []handshake.Extension{ext("permessage-deflate", flag("client_max_window_bits")), ext("x-foo")},
	}
}

// goodResponse is RFC 6455 §1.3's answer, with an extension accepted.
func goodResponse() *http.Response {
	return &http.Response{
		Status:     "101 Switching Protocols",
		StatusCode: 101,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header: header(
			"Upgrade", "websocket",
			"Connection", "Upgrade",
			"Sec-WebSocket-Accept", sampleAccept,
			"Sec-WebSocket-Protocol", "chat",
			"Sec-WebSocket-Extensions", "permessage-deflate; server_max_window_bits=10",
		),
	}
}

// RFC 6455 §4.1, checks on the server's response: each failure alone.
func TestRFC6455Section4_1Verify(t *testing.T) {
	tests := []struct {
		name     string
		modify   func(r *http.Response, c *handshake.ClientRequest)
		sentinel error  // nil for success
		header   string // ResponseError.Header
		text     []string
		protocol string
	}{
		{"good", func(r *http.Response, c *handshake.ClientRequest) {}, nil, "", nil, "chat"},
		{"status 200", func(r *http.Response, c *handshake.ClientRequest) { r.StatusCode, r.Status = 200, "200 OK" },
			handshake.ErrBadStatus, "", []string{"200 OK", "101"}, ""},
		{"status 403 without text", func(r *http.Response, c *handshake.ClientRequest) { r.StatusCode, r.Status = 403, "" },
			handshake.ErrBadStatus, "", []string{"403"}, ""},
		{"Upgrade missing", func(r *http.Response, c *handshake.ClientRequest) { r.Header.Del("Upgrade") },
			handshake.ErrBadUpgrade, "Upgrade", []string{"Upgrade header", "missing"}, ""},
		{"Upgrade wrong", func(r *http.Response, c *handshake.ClientRequest) { r.Header.Set("Upgrade", "h2c") },
			handshake.ErrBadUpgrade, "Upgrade", []string{"Upgrade header", `"h2c"`}, ""},
		{"Upgrade websockets", func(r *http.Response, c *handshake.ClientRequest) { r.Header.Set("Upgrade", "websockets") },
			handshake.ErrBadUpgrade, "Upgrade", []string{"Upgrade header"}, ""},
		{"Upgrade in a list, upper case", func(r *http.Response, c *handshake.ClientRequest) { r.Header.Set("Upgrade", "foo, WEBSOCKET") },
			nil, "", nil, "chat"},
		{"Upgrade on a second line", func(r *http.Response, c *handshake.ClientRequest) {
			r.Header.Set("Upgrade", "foo")
			r.Header.Add("Upgrade", "WebSocket")
		}, nil, "", nil, "chat"},
		{"Connection missing", func(r *http.Response, c *handshake.ClientRequest) { r.Header.Del("Connection") },
			handshake.ErrBadConnection, "Connection", []string{"Connection header", "missing"}, ""},
		{"Connection wrong", func(r *http.Response, c *handshake.ClientRequest) { r.Header.Set("Connection", "keep-alive") },
			handshake.ErrBadConnection, "Connection", []string{"Connection header", `"keep-alive"`}, ""},
		{"Connection in a list", func(r *http.Response, c *handshake.ClientRequest) { r.Header.Set("Connection", "keep-alive, upgrade") },
			nil, "", nil, "chat"},
		{"Accept missing", func(r *http.Response, c *handshake.ClientRequest) { r.Header.Del("Sec-WebSocket-Accept") },
			handshake.ErrBadAccept, "Sec-WebSocket-Accept", []string{"Sec-WebSocket-Accept header", "missing"}, ""},
		{"Accept wrong", func(r *http.Response, c *handshake.ClientRequest) {
			r.Header.Set("Sec-WebSocket-Accept", handshake.AcceptKey("x"))
		},
			handshake.ErrBadAccept, "Sec-WebSocket-Accept", []string{"Sec-WebSocket-Accept header", sampleAccept}, ""},
		{"Accept for another key", func(r *http.Response, c *handshake.ClientRequest) { c.Key = "AAAAAAAAAAAAAAAAAAAAAA==" },
			handshake.ErrBadAccept, "Sec-WebSocket-Accept", []string{"does not match"}, ""},
		{"Accept twice", func(r *http.Response, c *handshake.ClientRequest) { r.Header.Add("Sec-WebSocket-Accept", sampleAccept) },
			handshake.ErrBadAccept, "Sec-WebSocket-Accept", []string{"2 times"}, ""},
		{"Accept with empty Key", func(r *http.Response, c *handshake.ClientRequest) { c.Key = "" },
			handshake.ErrBadAccept, "Sec-WebSocket-Accept", []string{"Key is empty"}, ""},
		{"Protocol absent", func(r *http.Response, c *handshake.ClientRequest) { r.Header.Del("Sec-WebSocket-Protocol") },
			nil, "", nil, ""},
		{"Protocol empty", func(r *http.Response, c *handshake.ClientRequest) { r.Header.Set("Sec-WebSocket-Protocol", "") },
			nil, "", nil, ""},
		{"Protocol second choice", func(r *http.Response, c *handshake.ClientRequest) {
			r.Header.Set("Sec-WebSocket-Protocol", "superchat")
		},
			nil, "", nil, "superchat"},
		{"Protocol not offered", func(r *http.Response, c *handshake.ClientRequest) { r.Header.Set("Sec-WebSocket-Protocol", "mqtt") },
			handshake.ErrUnexpectedProtocol, "Sec-WebSocket-Protocol", []string{"Sec-WebSocket-Protocol header", `"mqtt"`}, ""},
		{"Protocol other case", func(r *http.Response, c *handshake.ClientRequest) { r.Header.Set("Sec-WebSocket-Protocol", "Chat") },
			handshake.ErrUnexpectedProtocol, "Sec-WebSocket-Protocol", []string{`"Chat"`}, ""},
		{"Protocol none offered", func(r *http.Response, c *handshake.ClientRequest) { c.Protocols = nil },
			handshake.ErrUnexpectedProtocol, "Sec-WebSocket-Protocol", []string{"no subprotocol was offered"}, ""},
		{"Protocol list", func(r *http.Response, c *handshake.ClientRequest) {
			r.Header.Set("Sec-WebSocket-Protocol", "chat, superchat")
		},
			handshake.ErrUnexpectedProtocol, "Sec-WebSocket-Protocol", []string{"not a single subprotocol"}, ""},
		{"Protocol twice", func(r *http.Response, c *handshake.ClientRequest) { r.Header.Add("Sec-WebSocket-Protocol", "chat") },
			handshake.ErrUnexpectedProtocol, "Sec-WebSocket-Protocol", []string{"2 times"}, ""},
		{"Extensions absent", func(r *http.Response, c *handshake.ClientRequest) { r.Header.Del("Sec-WebSocket-Extensions") },
			nil, "", nil, "chat"},
		{"Extensions name in other case", func(r *http.Response, c *handshake.ClientRequest) { r.Header.Set("Sec-WebSocket-Extensions", "X-Foo") },
			nil, "", nil, "chat"},
		{"Extensions not offered", func(r *http.Response, c *handshake.ClientRequest) { r.Header.Set("Sec-WebSocket-Extensions", "x-bar") },
			handshake.ErrUnexpectedExtension, "Sec-WebSocket-Extensions", []string{"Sec-WebSocket-Extensions header", `"x-bar"`}, ""},
		{"Extensions none offered", func(r *http.Response, c *handshake.ClientRequest) { c.Extensions = nil },
			handshake.ErrUnexpectedExtension, "Sec-WebSocket-Extensions", []string{`"permessage-deflate"`}, ""},
		{"Extensions second one not offered", func(r *http.Response, c *handshake.ClientRequest) {
			r.Header.Add("Sec-WebSocket-Extensions", "x-foo, x-bar")
		}, handshake.ErrUnexpectedExtension, "Sec-WebSocket-Extensions", []string{`"x-bar"`}, ""},
		{"Extensions malformed", func(r *http.Response, c *handshake.ClientRequest) {
			r.Header.Set("Sec-WebSocket-Extensions", "permessage-deflate;")
		},
			handshake.ErrBadExtensions, "Sec-WebSocket-Extensions", []string{"Sec-WebSocket-Extensions header", "parameter name"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, c := goodResponse(), verifyClient()
			tt.modify(resp, c)
			res, err := c.Verify(resp)
			if tt.sentinel == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if res.Protocol != tt.protocol {
					t.Errorf("Protocol = %q, want %q", res.Protocol, tt.protocol)
				}
				return
			}
			if !errors.Is(err, tt.sentinel) {
				t.Fatalf("Verify = %+v, %v; want %v", res, err, tt.sentinel)
			}
			var re *handshake.ResponseError
			if !errors.As(err, &re) {
				t.Fatalf("%v is not a *ResponseError", err)
			}
			if re.Header != tt.header {
				t.Errorf("ResponseError.Header = %q, want %q", re.Header, tt.header)
			}
			checkErrorText(t, err, "websocket: ", tt.text...)
		})
	}
}

// RFC 6455 §4.1: the extensions accepted are returned in the server's order,
// with their parameters, for each extension to check.
func TestRFC6455Section4_1VerifyResult(t *testing.T) {
	resp, c := goodResponse(), verifyClient()
	resp.Header.Set("Sec-WebSocket-Extensions", "x-foo; y=2")
	resp.Header.Add("Sec-WebSocket-Extensions", "Permessage-Deflate; server_no_context_takeover")
	res, err := c.Verify(resp)
	if err != nil {
		t.Fatal(err)
	}
	want := &handshake.ClientResult{
		Protocol:   "chat",
		Extensions: []handshake.Extension{ext("x-foo", kv("y", "2")), ext("Permessage-Deflate", flag("server_no_context_takeover"))},
	}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("Verify = %#v, want %#v", res, want)
	}

	if _, err := c.Verify(nil); !errors.Is(err, handshake.ErrBadStatus) {
		t.Errorf("Verify(nil) = %v, want ErrBadStatus", err)
	}
}
