package main

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/internal/testutil"
)

func TestTicker(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx := testutil.Ctx(t)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- run(runCtx, ln, 5*time.Millisecond) }()

	c, _, err := websocket.Dial(ctx, "ws://"+ln.Addr().String()+"/ticks", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	var last time.Time
	for i := 0; i < 3; i++ {
		_, p, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tick, err := time.Parse(time.RFC3339Nano, string(p))
		if err != nil || !tick.After(last) {
			t.Fatalf("tick %d: %q (%v), not after %v", i, p, err, last)
		}
		last = tick
	}
	// The listener answers pings though the handler never reads.
	go func() {
		for {
			if _, _, err := c.Read(ctx); err != nil {
				return
			}
		}
	}()
	if _, err := c.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	<-c.Done()
	if websocket.CloseStatus(c.Err()) != websocket.StatusGoingAway {
		t.Fatalf("client ended with %v, want 1001", c.Err())
	}
}
