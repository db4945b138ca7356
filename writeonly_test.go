package websocket_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wskit/websocket"
)

// writeOnlyServer accepts one connection, calls CloseRead on it and hands
// it to the test with the context CloseRead returned.
func writeOnlyServer(t *testing.T, opts *websocket.AcceptOptions) (url string, conns chan *websocket.Conn, ctxs chan context.Context) {
	conns, ctxs = make(chan *websocket.Conn, 1), make(chan context.Context, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, opts)
		if err != nil {
			t.Error(err)
			return
		}
		ctxs <- c.CloseRead(context.Background())
		conns <- c
	}))
	t.Cleanup(srv.Close)
	return wsURL(srv), conns, ctxs
}

// TestCloseReadAnswersAndHonoursClose: a server that only writes still
// answers pings, drops the client's data messages, and ends the close
// handshake the client starts.
func TestCloseReadAnswersAndHonoursClose(t *testing.T) {
	ctx := testCtx(t)
	url, conns, ctxs := writeOnlyServer(t, nil)
	c := dial(t, url, nil)
	s, sctx := <-conns, <-ctxs
	for i := 0; i < 3; i++ {
		if err := c.Write(ctx, websocket.MessageText, []byte(strings.Repeat("ignored ", 1000))); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Ping(ctx); err != nil {
			t.Fatalf("Ping %d of a server that only writes: %v", i, err)
		}
		if err := s.Write(ctx, websocket.MessageText, []byte("tick")); err != nil {
			t.Fatal(err)
		}
		if _, p, err := c.Read(ctx); err != nil || string(p) != "tick" {
			t.Fatalf("Read: %q, %v", p, err)
		}
	}
	if sctx.Err() != nil {
		t.Fatal("CloseRead's context ended while the connection is open")
	}
	if err := c.Close(websocket.StatusNormalClosure, "done"); err != nil {
		t.Fatalf("Close: %v (the server did not answer the close handshake)", err)
	}
	<-sctx.Done()
	if got := websocket.CloseStatus(s.Err()); got != websocket.StatusNormalClosure {
		t.Fatalf("server ended with %v, want 1000", s.Err())
	}
}

// TestCloseReadKeepsLimits: a discarded message above the limit still
// fails the connection with 1009.
func TestCloseReadKeepsLimits(t *testing.T) {
	ctx := testCtx(t)
	url, conns, ctxs := writeOnlyServer(t, &websocket.AcceptOptions{ConnOptions: websocket.ConnOptions{MaxMessageSize: 100}})
	c := dial(t, url, nil)
	<-conns
	sctx := <-ctxs
	if err := c.Write(ctx, websocket.MessageBinary, make([]byte, 101)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Read(ctx); websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
		t.Fatalf("client saw %v, want 1009", err)
	}
	<-sctx.Done()
}

// TestCloseReadStopsWithCtx: ending the context given to CloseRead ends
// the one it returned.
func TestCloseReadStopsWithCtx(t *testing.T) {
	c := dial(t, echoServer(t, nil), nil)
	parent, cancel := context.WithCancel(context.Background())
	ctx := c.CloseRead(parent)
	cancel()
	<-ctx.Done()
	if c.State() != websocket.StateOpen {
		t.Fatalf("state %v after CloseRead's context ended, want open", c.State())
	}
}
