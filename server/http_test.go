package server_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wskit/websocket/server"
)

// TestHTTPServerLimits: the server HTTPServer returns has the handshake
// limits set, and without them net/http would keep a slow handshake open.
func TestHTTPServerLimits(t *testing.T) {
	hs := server.HTTPServer(":0", http.NotFoundHandler())
	if hs.ReadHeaderTimeout != server.HandshakeTimeout || hs.MaxHeaderBytes != server.MaxHandshakeBytes ||
		hs.IdleTimeout != server.IdleTimeout || hs.ReadTimeout != 0 || hs.WriteTimeout != 0 {
		t.Fatalf("HTTPServer: %+v", hs)
	}
}

// startHTTP serves srv with server.HTTPServer on loopback, its header
// timeout shortened to d so that the test need not wait 10 s.
func startHTTP(t *testing.T, srv *server.Server, d time.Duration) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := server.HTTPServer("", srv)
	hs.ReadHeaderTimeout = d
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	return ln.Addr().String()
}

// TestSlowlorisHandshakes: 200 clients each send the start of a handshake
// and never finish it. The server closes every one of them once the
// header timeout passes; none is left holding a descriptor.
//
// In event-loop mode with the loops reading the handshakes (Serve), the
// loop's handshake deadline does the same.
func TestSlowlorisHandshakes(t *testing.T) {
	forReaders(t, testSlowloris)
}

func testSlowloris(t *testing.T, m mode) {
	const conns = 200
	var addr string
	var srv *server.Server
	if m.own {
		o := m.options(nil)
		o.EventLoop.HandshakeTimeout = 200 * time.Millisecond
		srv = server.New(o)
		srv.HandleRoute(m.route("/", nil, echo, eventsEcho(nil)))
		addr = strings.TrimPrefix(m.serve(t, srv), "ws://")
	} else {
		srv = server.New(nil)
		srv.Handle("/", server.HandlerFunc(echo))
		addr = startHTTP(t, srv, 200*time.Millisecond)
	}
	ctx := testCtx(t)
	errs := make(chan error, conns)
	for range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n", addr)
		go func() {
			// The safety deadline is far past the header timeout; what
			// is checked is that the server ended the connection.
			c.SetReadDeadline(time.Now().Add(3 * time.Minute))
			_, err := io.Copy(io.Discard, c)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				err = fmt.Errorf("the server kept a half-sent handshake open: %w", err)
			} else {
				err = nil // io.EOF or a reset: closed by the server
			}
			errs <- err
		}()
	}
	for range conns {
		select {
		case err := <-errs:
			if err != nil {
				t.Fatal(err)
			}
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
	}
	if st := srv.Stats(); st.Accepted != 0 {
		t.Errorf("%d connections accepted", st.Accepted)
	}
}

// TestOversizedHandshake: a handshake with a header over
// MaxHandshakeBytes is answered 431 and never reaches the handler.
func TestOversizedHandshake(t *testing.T) {
	forReaders(t, testOversized)
}

func testOversized(t *testing.T, m mode) {
	srv := server.New(m.options(nil))
	srv.HandleRoute(m.route("/", nil, echo, eventsEcho(nil)))
	var addr string
	if m.own {
		addr = strings.TrimPrefix(m.serve(t, srv), "ws://")
	} else {
		addr = startHTTP(t, srv, server.HandshakeTimeout)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	big := strings.Repeat("a", 2*server.MaxHandshakeBytes)
	go fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nX-Big: %s\r\n\r\n", addr, big)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("status %s, want 431", resp.Status)
	}
}
