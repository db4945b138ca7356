package websocket_test

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/internal/testutil"
	"github.com/wskit/websocket/wire"
)

// testCtx returns a context that ends with the test or after three minutes.
func testCtx(t testing.TB) context.Context { return testutil.Ctx(t) }

// echo reads messages from c and sends each back, streaming, with the
// same type and bytes, until the connection ends.
func echo(ctx context.Context, c *websocket.Conn) error {
	for {
		typ, r, err := c.Reader(ctx)
		if err != nil {
			return err
		}
		w, err := c.Writer(ctx, typ)
		if err != nil {
			return err
		}
		if _, err := io.Copy(w, r); err != nil {
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
	}
}

// echoServer starts an HTTP server on loopback whose handler accepts every
// WebSocket request and echoes. It returns the ws:// URL.
func echoServer(t testing.TB, opts *websocket.AcceptOptions) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, opts)
		if err != nil {
			return
		}
		defer c.CloseNow()
		echo(context.Background(), c)
	}))
	t.Cleanup(srv.Close)
	return wsURL(srv)
}

func wsURL(srv *httptest.Server) string { return "ws" + strings.TrimPrefix(srv.URL, "http") }

// dial connects to url and closes the connection when the test ends.
func dial(t testing.TB, url string, opts *websocket.DialOptions) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.Dial(testCtx(t), url, opts)
	if err != nil {
		t.Fatalf("Dial %s: %v", url, err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

// pipePair returns a client and a server Conn over net.Pipe, with the
// server echoing.
func pipePair(t testing.TB, server *websocket.ConnOptions) *websocket.Conn {
	t.Helper()
	a, b := net.Pipe()
	srv := websocket.NewConn(b, websocket.RoleServer, server)
	done := make(chan struct{})
	go func() {
		defer close(done)
		echo(context.Background(), srv)
		srv.CloseNow()
	}()
	cli := websocket.NewConn(a, websocket.RoleClient, nil)
	t.Cleanup(func() {
		cli.CloseNow()
		<-done
	})
	return cli
}

// payload returns n bytes of valid UTF-8 mixing ASCII and multi-byte
// characters (for text) or n random bytes (for binary).
func payload(typ websocket.MessageType, n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	if typ == websocket.MessageBinary {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(r.Uint32())
		}
		return p
	}
	var b bytes.Buffer
	runes := []string{"a", "é", "€", "𝄞", "z", " "}
	for b.Len() < n {
		s := runes[r.IntN(len(runes))]
		if b.Len()+len(s) > n {
			s = "x"
		}
		b.WriteString(s)
	}
	return b.Bytes()
}

// closeScanner finds the first close frame in the bytes a Conn sent, fed
// in any pieces.
type closeScanner struct {
	dec    wire.Decoder
	ev     wire.Event
	p      []byte
	done   bool
	code   wire.StatusCode
	reason string
}

// feed decodes b and reports whether the close frame is complete; an error
// means the bytes do not parse or the close payload is invalid.
func (s *closeScanner) feed(b []byte) (bool, error) {
	for len(b) > 0 && !s.done {
		n, err := s.dec.Decode(b, &s.ev)
		if err != nil {
			return false, err
		}
		b = b[n:]
		if s.ev.Kind == wire.EventNone || s.ev.Header.Opcode != wire.OpClose {
			continue
		}
		s.p = append(s.p, s.ev.Payload...)
		if s.ev.FrameEnd() {
			s.done = true
			s.code, s.reason, err = wire.ParseClosePayload(s.p)
			return true, err
		}
	}
	return s.done, nil
}

// readmeEcho is the README's server pattern: Accept, then Read and Write
// until the connection ends.
func readmeEcho(opts *websocket.AcceptOptions) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, opts)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, msg, err := c.Read(r.Context())
			if err != nil {
				return
			}
			if err := c.Write(r.Context(), typ, msg); err != nil {
				return
			}
		}
	}
}

// upgradeRequest is a minimal opening handshake request to host, with the
// key of RFC 6455 §1.3, for tests that speak raw TCP.
func upgradeRequest(host string) []byte {
	return []byte("GET / HTTP/1.1\r\nHost: " + host + "\r\n" +
		"Upgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
}
