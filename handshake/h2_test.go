package handshake

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
)

func extendedConnect(h http.Header) *http.Request {
	r := &http.Request{Method: http.MethodConnect, Proto: "HTTP/2.0", ProtoMajor: 2, Header: h, Host: "example.com",
		URL: &url.URL{Path: "/chat"}}
	if h.Get(ProtocolHeader) == "" {
		h.Set(ProtocolHeader, "websocket")
	}
	return r
}

func TestCheckExtendedConnect(t *testing.T) {
	h := http.Header{}
	h.Set("Sec-WebSocket-Version", "13")
	h.Set("Sec-WebSocket-Protocol", "chat, superchat")
	h.Set("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits")
	h.Set("Origin", "https://example.com")
	offer, err := CheckExtendedConnect(extendedConnect(h))
	if err != nil {
		t.Fatal(err)
	}
	if offer.Key != "" || len(offer.Protocols) != 2 || offer.Protocols[1] != "superchat" ||
		len(offer.Extensions) != 1 || offer.Extensions[0].Name != "permessage-deflate" || offer.Origin != "https://example.com" {
		t.Fatalf("offer %+v", offer)
	}

	for _, tc := range []struct {
		name   string
		req    func() *http.Request
		status int
		err    error
	}{
		{"HTTP/1.1 CONNECT", func() *http.Request {
			r := extendedConnect(http.Header{"Sec-Websocket-Version": {"13"}})
			r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/1.1", 1, 1
			return r
		}, 400, ErrNotExtendedConnect},
		{"other protocol", func() *http.Request {
			return extendedConnect(http.Header{ProtocolHeader: {"connect-udp"}, "Sec-Websocket-Version": {"13"}})
		}, 400, ErrNotExtendedConnect},
		{"GET", func() *http.Request {
			r := extendedConnect(http.Header{"Sec-Websocket-Version": {"13"}})
			r.Method = http.MethodGet
			return r
		}, 400, ErrNotExtendedConnect},
		{"no version", func() *http.Request { return extendedConnect(http.Header{}) }, 400, ErrMissingVersion},
		{"version 8", func() *http.Request { return extendedConnect(http.Header{"Sec-Websocket-Version": {"8"}}) }, 426, ErrUnsupportedVersion},
		{"bad protocols", func() *http.Request {
			return extendedConnect(http.Header{"Sec-Websocket-Version": {"13"}, "Sec-Websocket-Protocol": {"a b"}})
		}, 400, ErrBadProtocols},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CheckExtendedConnect(tc.req())
			var re *RequestError
			if !errors.As(err, &re) || re.Status != tc.status || !errors.Is(err, tc.err) {
				t.Fatalf("got %v, want %d wrapping %v", err, tc.status, tc.err)
			}
			// RFC 9113 §8.2.2: no connection-specific headers in HTTP/2.
			if re.Header.Get("Upgrade") != "" || re.Header.Get("Connection") != "" {
				t.Fatalf("refusal headers %v carry Upgrade or Connection", re.Header)
			}
			if tc.status == 426 && re.Header.Get("Sec-WebSocket-Version") != "13" {
				t.Fatalf("426 without Sec-WebSocket-Version: 13: %v", re.Header)
			}
		})
	}
}

func TestExtendedConnectRequestAndVerify(t *testing.T) {
	u, _ := url.Parse("wss://example.com/chat?room=1")
	c := &ClientRequest{URL: u, Origin: "https://example.com", Protocols: []string{"chat"},
		Extensions: []Extension{{Name: "permessage-deflate"}}, Header: http.Header{"Authorization": {"Bearer x"}}}
	req, err := c.ExtendedConnectRequest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if req.Method != http.MethodConnect || req.Header.Get(ProtocolHeader) != "websocket" || req.URL.Scheme != "https" ||
		req.URL.RequestURI() != "/chat?room=1" || req.Host != "example.com" {
		t.Fatalf("request %s %s %v host %s", req.Method, req.URL, req.Header, req.Host)
	}
	for _, name := range []string{"Upgrade", "Connection", "Sec-WebSocket-Key"} {
		if req.Header.Get(name) != "" {
			t.Errorf("the extended CONNECT carries %s (RFC 8441 §5)", name)
		}
	}
	if req.Header.Get("Sec-WebSocket-Version") != "13" || req.Header.Get("Sec-WebSocket-Protocol") != "chat" ||
		req.Header.Get("Origin") != "https://example.com" || req.Header.Get("Authorization") != "Bearer x" {
		t.Fatalf("headers %v", req.Header)
	}
	if !IsExtendedConnect(&http.Request{Method: req.Method, ProtoMajor: 2, Header: req.Header}) {
		t.Fatal("IsExtendedConnect is false for the request as a server sees it")
	}

	ok := &http.Response{StatusCode: 200, Header: ExtendedConnectHeader("chat", []Extension{{Name: "permessage-deflate"}},
		http.Header{"Set-Cookie": {"a=b"}, "Upgrade": {"websocket"}, "Sec-Websocket-Accept": {"x"}, "Bad\nName": {"v"}})}
	if ok.Header.Get("Upgrade") != "" || ok.Header.Get("Sec-WebSocket-Accept") != "" || ok.Header.Get("Set-Cookie") != "a=b" || len(ok.Header) != 3 {
		t.Fatalf("ExtendedConnectHeader kept %v", ok.Header)
	}
	res, err := c.VerifyExtendedConnect(ok)
	if err != nil || res.Protocol != "chat" || len(res.Extensions) != 1 {
		t.Fatalf("verify: %+v, %v", res, err)
	}
	for _, tc := range []struct {
		resp *http.Response
		err  error
	}{
		{nil, ErrBadStatus},
		{&http.Response{StatusCode: 101, Header: http.Header{}}, ErrBadStatus},
		{&http.Response{StatusCode: 403, Header: http.Header{}}, ErrBadStatus},
		{&http.Response{StatusCode: 200, Header: http.Header{"Sec-Websocket-Protocol": {"other"}}}, ErrUnexpectedProtocol},
		{&http.Response{StatusCode: 200, Header: http.Header{"Sec-Websocket-Extensions": {"x-unknown"}}}, ErrUnexpectedExtension},
	} {
		if _, err := c.VerifyExtendedConnect(tc.resp); !errors.Is(err, tc.err) {
			t.Errorf("verify %v: %v, want %v", tc.resp, err, tc.err)
		}
	}
}
