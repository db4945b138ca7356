package server_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/server"
)

// TestShutdown closes 100 open connections with 1001: every client sees
// it, the server returns well before the deadline, nothing is left in the
// registry, and (TestMain) no goroutine outlives the test.
func TestShutdown(t *testing.T) { forModes(t, testShutdown) }

func testShutdown(t *testing.T, m mode) {
	const conns = 100
	srv := server.New(m.options(nil))
	started := newStarts()
	srv.HandleRoute(m.route("/", started, echo, eventsEcho(nil)))
	base := m.serve(t, srv)
	ctx := testCtx(t)

	codes := make(chan websocket.StatusCode, conns)
	var wg sync.WaitGroup
	for range conns {
		c := dial(t, base+"/", nil)
		wg.Go(func() { codes <- websocket.CloseStatus(readUntilEnd(ctx, c)) })
	}
	started.wait(conns)
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := srv.Shutdown(sctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	took := time.Since(start)
	if took > 5*time.Second {
		t.Errorf("Shutdown took %v", took)
	}
	wg.Wait()
	close(codes)
	for code := range codes {
		if code != websocket.StatusGoingAway {
			t.Fatalf("a client saw close code %d, want 1001", code)
		}
	}
	if n := srv.Count(); n != 0 {
		t.Fatalf("%d connections left after Shutdown", n)
	}
	st := srv.Stats()
	if st.CloseCodes[websocket.StatusGoingAway] != conns || st.Open != 0 {
		t.Fatalf("Stats after Shutdown: %+v", st)
	}
	// Handshakes after Shutdown are refused.
	m.refusedAfterShutdown(t, base+"/")
	t.Logf("Shutdown of %d connections took %v", conns, took)
}

// A handler that ignores its connection is dropped when the deadline
// passes: Shutdown returns the context's error, the handler's context is
// cancelled, and the client sees the connection end. On the event loop,
// whose connections have no handler, the connection is dropped and
// OnClose called.
func TestShutdownDeadline(t *testing.T) { forModes(t, testShutdownDeadline) }

func testShutdownDeadline(t *testing.T, m mode) {
	srv := server.New(m.options(nil))
	handlerDone := make(chan error, 1)
	started := newStarts()
	ev := &server.Events{OnClose: func(server.Conn, websocket.StatusCode, string) { handlerDone <- context.Canceled }}
	srv.HandleRoute(m.route("/", started, func(ctx context.Context, c *websocket.Conn) error {
		<-ctx.Done() // never reads, so never sees the close handshake end
		handlerDone <- ctx.Err()
		return nil
	}, ev))
	base := m.serve(t, srv)
	c := dial(t, base+"/", nil)
	started.wait(1)
	sctx, cancel := context.WithTimeout(testCtx(t), 300*time.Millisecond)
	defer cancel()
	// The client reads nothing either, so the close handshake cannot end.
	start := time.Now()
	err := srv.Shutdown(sctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want the deadline", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("Shutdown took %v after a 300ms deadline", took)
	}
	if err := <-handlerDone; !errors.Is(err, context.Canceled) {
		t.Fatalf("handler context ended with %v", err)
	}
	if err := readUntilEnd(testCtx(t), c); websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Fatalf("client: %v, want the 1001 close frame", err)
	}
}
