package websocket_test

import (
	"fmt"
	"testing"

	"github.com/wskit/websocket"
)

// TestCloseLeavesMessagesToReader checks that echoes arriving while Close
// waits for the peer's close frame reach an application that reads but is
// paused between messages when Close starts, instead of being dropped by
// Close.
func TestCloseLeavesMessagesToReader(t *testing.T) {
	c := dial(t, echoServer(t, nil), nil)
	ctx := testCtx(t)
	got := make(chan []string, 1)
	first := make(chan struct{})
	closing := make(chan struct{})
	go func() {
		var msgs []string
		for {
			_, p, err := c.Read(ctx)
			if err != nil {
				got <- msgs
				return
			}
			msgs = append(msgs, string(p))
			if len(msgs) == 1 {
				close(first)
				<-closing // paused, between messages, while Close starts
			}
		}
	}()
	for i := 0; i < 5; i++ {
		if err := c.Write(ctx, websocket.MessageText, []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	<-first
	go func() {
		// Close is called; the reader goes on at some point after.
		closing <- struct{}{}
	}()
	if err := c.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if msgs := <-got; len(msgs) != 5 {
		t.Fatalf("reader got %q, want all 5 echoes", msgs)
	}
}
