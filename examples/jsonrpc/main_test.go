package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/internal/testutil"
)

func TestRPC(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(serveRPC))
	defer srv.Close()
	ctx := testutil.Ctx(t)
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	cl := newClient(c)

	var sum float64
	if err := cl.call(ctx, "add", []float64{1, 2, 3.5}, &sum); err != nil || sum != 6.5 {
		t.Fatalf("add: %v, %v", sum, err)
	}
	if err := cl.call(ctx, "nope", nil, &sum); err == nil || !strings.Contains(err.Error(), "no method nope") {
		t.Fatalf("unknown method: %v", err)
	}
	if err := cl.call(ctx, "add", "not numbers", &sum); err == nil {
		t.Fatal("add of a string succeeded")
	}

	// A slow call (a minute) does not hold up quick ones made after it.
	slow := make(chan error, 1)
	go func() {
		var s string
		slow <- cl.call(ctx, "sleep", 60_000, &s)
	}()
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var got float64
			if err := cl.call(ctx, "add", []float64{float64(i), 1}, &got); err != nil || got != float64(i+1) {
				t.Errorf("add %d+1: %v, %v", i, got, err)
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-slow:
		t.Fatalf("the slow call ended before the quick ones were checked: %v", err)
	default:
	}
	// Closing the connection ends the call still waiting.
	c.Close(websocket.StatusNormalClosure, "")
	if err := <-slow; websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Fatalf("slow call after Close: %v", err)
	}
}
