package server_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/internal/testutil"
	"github.com/wskit/websocket/server"
)

// testCtx returns a context that ends with the test or after three minutes.
func testCtx(t testing.TB) context.Context { return testutil.Ctx(t) }

// serve starts srv on a loopback HTTP server, shutting both down when the
// test ends, and returns the server's ws:// base URL. wrap, when not nil,
// wraps the listener.
func serve(t testing.TB, srv *server.Server, wrap func(net.Listener) net.Listener) string {
	t.Helper()
	hs := httptest.NewUnstartedServer(srv)
	if wrap != nil {
		hs.Listener = wrap(hs.Listener)
	}
	hs.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		hs.Close()
	})
	return "ws" + strings.TrimPrefix(hs.URL, "http")
}

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

// echo is a handler that sends every message back until the connection
// ends.
func echo(ctx context.Context, c *websocket.Conn) error {
	for {
		typ, p, err := c.Read(ctx)
		if err != nil {
			return err
		}
		if err := c.Write(ctx, typ, p); err != nil {
			return err
		}
	}
}

// readUntilEnd reads and discards messages until the connection ends, and
// returns how it ended.
func readUntilEnd(ctx context.Context, c *websocket.Conn) error {
	for {
		if _, _, err := c.Read(ctx); err != nil {
			return err
		}
	}
}

// refusal is what a refused handshake answered.
type refusal struct {
	status int
	header http.Header
	body   string
}

// handshakeRefusal dials url expecting a refusal and returns it.
func handshakeRefusal(t *testing.T, url string, opts *websocket.DialOptions) refusal {
	t.Helper()
	c, resp, err := websocket.Dial(testCtx(t), url, opts)
	if err == nil {
		c.CloseNow()
		t.Fatalf("Dial %s succeeded, want a refusal", url)
	}
	if resp == nil {
		t.Fatalf("Dial %s: %v (no response)", url, err)
	}
	body, _ := io.ReadAll(resp.Body)
	return refusal{resp.StatusCode, resp.Header, string(body)}
}

// starts tells a test when connections reach their handlers: the server
// registers a connection before it calls the handler, so after wait(n) it
// holds n more, with no polling.
type starts chan struct{}

func newStarts() starts { return make(starts, 1<<16) }

// wrap returns f as a Handler that reports each connection it is given.
func (s starts) wrap(f func(context.Context, *websocket.Conn) error) server.Handler {
	return server.HandlerFunc(func(ctx context.Context, c *websocket.Conn) error {
		s <- struct{}{}
		return f(ctx, c)
	})
}

// wait returns once n more connections have reached their handlers.
func (s starts) wait(n int) {
	for range n {
		<-s
	}
}

// endsOf tells a test when srv is done with connections (see
// server.OnConnEnd): after wait(n), n more are out of its registry,
// counted and logged. Call it before srv serves.
func endsOf(srv *server.Server) starts {
	s := newStarts()
	server.OnConnEnd(srv, func() { s <- struct{}{} })
	return s
}

// progress is how far each of a test's readers has got; a waiter wakes
// at every change instead of polling.
type progress struct {
	n    []atomic.Int64
	wake chan struct{}
}

func newProgress(readers int) *progress {
	return &progress{n: make([]atomic.Int64, readers), wake: make(chan struct{}, 1)}
}

// set records that reader k has got to v.
func (p *progress) set(k int, v int64) {
	p.n[k].Store(v)
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// add records that reader k has got one further.
func (p *progress) add(k int) { p.set(k, p.n[k].Load()+1) }

// slowest returns how far the slowest reader has got.
func (p *progress) slowest() int64 {
	m := p.n[0].Load()
	for i := range p.n {
		m = min(m, p.n[i].Load())
	}
	return m
}

// await returns once every reader has got to v, failing t when ctx ends
// first.
func (p *progress) await(t testing.TB, ctx context.Context, v int64) {
	for p.slowest() < v {
		select {
		case <-p.wake:
		case <-ctx.Done():
			t.Fatalf("readers at %d, waited for %d: %v", p.slowest(), v, ctx.Err())
		}
	}
}
