package handshake_test

import (
	"bufio"
	"bytes"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/wskit/websocket/handshake"
)

// fuzzLines turns fuzz input into header lines: each "\n" starts a new line,
// so one input exercises lists spread over several header lines.
func fuzzLines(name, s string) http.Header {
	return headerLines(name, strings.Split(s, "\n")...)
}

func isTokenForTest(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// RFC 6455 §9.1: ParseExtensions never panics, accepts only tokens, and what
// it accepts formats to text that parses back to the same value.
func FuzzParseExtensions(f *testing.F) {
	for _, s := range []string{
		"permessage-deflate",
		"permessage-deflate; client_max_window_bits",
		"permessage-deflate; client_max_window_bits=15; server_no_context_takeover, permessage-deflate",
		`x-foo; a="b"; c=d`,
		"a\nb; x=1\n,\n",
		" , a ;\tx = 1 , ",
		"foo;",
		"foo; x=",
		`foo; x="1`,
		`foo; x="a b"`,
		`foo; x="a\"b"`,
		"a b",
		"=",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		exts, err := handshake.ParseExtensions(fuzzLines("Sec-WebSocket-Extensions", s))
		if err != nil {
			if !errors.Is(err, handshake.ErrBadExtensions) || exts != nil {
				t.Fatalf("ParseExtensions(%q) = %v, %v", s, exts, err)
			}
			return
		}
		for _, e := range exts {
			if !isTokenForTest(e.Name) {
				t.Fatalf("ParseExtensions(%q): name %q is not a token", s, e.Name)
			}
			for _, p := range e.Params {
				if !isTokenForTest(p.Name) || p.HasValue && !isTokenForTest(p.Value) || !p.HasValue && p.Value != "" {
					t.Fatalf("ParseExtensions(%q): bad param %#v", s, p)
				}
			}
		}
		formatted := handshake.FormatExtensions(exts)
		again, err := handshake.ParseExtensions(fuzzLines("Sec-WebSocket-Extensions", formatted))
		if err != nil {
			t.Fatalf("ParseExtensions(%q) = %v, formatted as %q, which fails: %v", s, exts, formatted, err)
		}
		if !reflect.DeepEqual(again, exts) {
			t.Fatalf("ParseExtensions(%q) = %#v, formatted as %q, parses to %#v", s, exts, formatted, again)
		}
	})
}

// RFC 6455 §4.1 item 10: ParseProtocols never panics, returns only tokens, and
// its result joined with commas parses back to the same list.
func FuzzParseProtocols(f *testing.F) {
	for _, s := range []string{"chat", "chat, superchat", "a\nb, c", " , ,", "", "a b", "chat/1", `"chat"`, "ch\x00at"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := handshake.ParseProtocols(fuzzLines("Sec-WebSocket-Protocol", s))
		if err != nil {
			if !errors.Is(err, handshake.ErrBadProtocols) || ps != nil {
				t.Fatalf("ParseProtocols(%q) = %q, %v", s, ps, err)
			}
			return
		}
		for _, p := range ps {
			if !isTokenForTest(p) {
				t.Fatalf("ParseProtocols(%q): %q is not a token", s, p)
			}
		}
		again, err := handshake.ParseProtocols(fuzzLines("Sec-WebSocket-Protocol", strings.Join(ps, ", ")))
		if err != nil || !slices.Equal(again, ps) {
			t.Fatalf("ParseProtocols(%q) = %q, re-parsed as %q, %v", s, ps, again, err)
		}
	})
}

// RFC 6455 §4.2.1: CheckRequest never panics on any request net/http can
// parse. A request it accepts has a valid key, and the answer built for it
// passes the client's checks; a request it refuses gets a *RequestError with
// a status the package documents.
func FuzzCheckRequest(f *testing.F) {
	f.Add([]byte(rfcRequest))
	f.Add([]byte(strings.Replace(rfcRequest, "GET", "POST", 1)))
	f.Add([]byte(strings.Replace(rfcRequest, "Version: 13", "Version: 8", 1)))
	f.Add([]byte(strings.Replace(rfcRequest, "Sec-WebSocket-Protocol: chat, superchat", "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, x; y=\"1\"", 1)))
	f.Add([]byte("GET / HTTP/1.0\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: h\r\n\r\n"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(data)))
		if err != nil {
			return
		}
		offer, err := handshake.CheckRequest(r)
		if err != nil {
			var re *handshake.RequestError
			if !errors.As(err, &re) || offer != nil {
				t.Fatalf("CheckRequest = %v, %v; want a *RequestError", offer, err)
			}
			if re.Status != 400 && re.Status != 405 && re.Status != 426 || errors.Unwrap(err) == nil {
				t.Fatalf("CheckRequest: status %d, error %v", re.Status, err)
			}
			return
		}
		if !handshake.ValidKey(offer.Key) {
			t.Fatalf("CheckRequest accepted key %q", offer.Key)
		}
		if !handshake.IsUpgradeRequest(r) {
			t.Fatal("CheckRequest accepted a request IsUpgradeRequest rejects")
		}
		protocol := handshake.SelectProtocol(offer.Protocols, offer.Protocols)
		raw := handshake.AppendResponse(nil, offer.Key, protocol, offer.Extensions, nil)
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
		if err != nil {
			t.Fatalf("http.ReadResponse(%q): %v", raw, err)
		}
		c := &handshake.ClientRequest{Key: offer.Key, Protocols: offer.Protocols, Extensions: offer.Extensions}
		res, err := c.Verify(resp)
		if err != nil {
			t.Fatalf("Verify of the answer to an accepted request: %v", err)
		}
		if res.Protocol != protocol || !reflect.DeepEqual(res.Extensions, offer.Extensions) {
			t.Fatalf("Verify = %+v, want %q and %v", res, protocol, offer.Extensions)
		}
	})
}

// RFC 6455 §4.1: Verify never panics on any response net/http can parse, and
// what it accepts is within what was offered.
func FuzzVerifyResponse(f *testing.F) {
	f.Add([]byte(rfcResponse))
	f.Add([]byte(strings.Replace(rfcResponse, "101 Switching Protocols", "200 OK", 1)))
	f.Add([]byte(strings.Replace(rfcResponse, "Sec-WebSocket-Protocol: chat", "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10", 1)))
	f.Add([]byte(strings.Replace(rfcResponse, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "wrong", 1)))
	f.Add([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"))
	f.Add([]byte("garbage"))
	offered := verifyClient()
	f.Fuzz(func(t *testing.T, data []byte) {
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(data)), nil)
		if err != nil {
			return
		}
		c := verifyClient()
		res, err := c.Verify(resp)
		if err != nil {
			var re *handshake.ResponseError
			if !errors.As(err, &re) || res != nil || errors.Unwrap(err) == nil {
				t.Fatalf("Verify = %v, %v; want a *ResponseError", res, err)
			}
			return
		}
		if res.Protocol != "" && !slices.Contains(offered.Protocols, res.Protocol) {
			t.Fatalf("Verify accepted protocol %q", res.Protocol)
		}
		for _, e := range res.Extensions {
			if !slices.ContainsFunc(offered.Extensions, func(o handshake.Extension) bool { return strings.EqualFold(o.Name, e.Name) }) {
				t.Fatalf("Verify accepted extension %q", e.Name)
			}
		}
	})
}
