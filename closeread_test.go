package websocket_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/wskit/websocket"
)

// TestCloseLeavesMessagesToReader checks that echoes arriving while Close
// waits for the peer's close frame reach a reader that pauses between
// messages, instead of being dropped by Close.
func TestCloseLeavesMessagesToReader(t *testing.T) {
	c := dial(t, echoServer(t, nil), nil)
	ctx := testCtx(t)
	got := make(chan []string, 1)
	go func() {
		var msgs []string
		for {
			_, p, err := c.Read(ctx)
			if err != nil {
				got <- msgs
				return
			}
			msgs = append(msgs, string(p))
			time.Sleep(5 * time.Millisecond) // work between messages
		}
	}()
	for i := 0; i < 5; i++ {
		if err := c.Write(ctx, websocket.MessageText, []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if msgs := <-got; len(msgs) != 5 {
		t.Fatalf("reader got %q, want all 5 echoes", msgs)
	}
}
