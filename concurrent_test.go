package websocket_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/wskit/websocket"
)

// TestConcurrentWriters has 16 goroutines write messages at once — whole,
// streamed in fragments, and pings in between — and checks that every
// message comes back whole: concurrent writes never interleave frames of
// different messages.
func TestConcurrentWriters(t *testing.T) {
	const writers, perWriter = 16, 40
	for name, open := range map[string]func(t *testing.T) *websocket.Conn{
		"tcp":  func(t *testing.T) *websocket.Conn { return dial(t, echoServer(t, nil), nil) },
		"pipe": func(t *testing.T) *websocket.Conn { return pipePair(t, nil) },
	} {
		t.Run(name, func(t *testing.T) {
			c := open(t)
			ctx := testCtx(t)
			var wg sync.WaitGroup
			errs := make(chan error, writers)
			for w := 0; w < writers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < perWriter; i++ {
						msg := concurrentMessage(w, i)
						var err error
						switch i % 3 {
						case 0:
							err = c.Write(ctx, websocket.MessageBinary, msg)
						case 1:
							err = sendMessage(ctx, c, websocket.MessageBinary, msg, true)
						case 2:
							_, err = c.Ping(ctx)
							if err == nil {
								err = c.Write(ctx, websocket.MessageBinary, msg)
							}
						}
						if err != nil {
							errs <- fmt.Errorf("writer %d message %d: %w", w, i, err)
							return
						}
					}
				}()
			}
			seen := make(map[string]bool)
			for n := 0; n < writers*perWriter; n++ {
				_, p, err := c.Read(ctx)
				if err != nil {
					t.Fatalf("after %d messages: %v", n, err)
				}
				var w, i int
				if _, err := fmt.Sscanf(string(p), "w%d i%d ", &w, &i); err != nil || !bytes.Equal(p, concurrentMessage(w, i)) {
					t.Fatalf("message %d arrived mangled (%d bytes): %.40q", n, len(p), p)
				}
				key := fmt.Sprint(w, i)
				if seen[key] {
					t.Fatalf("message %s twice", key)
				}
				seen[key] = true
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

// concurrentMessage is a self-describing message whose length varies with
// its writer and index, so a mix-up shows.
func concurrentMessage(w, i int) []byte {
	head := fmt.Sprintf("w%d i%d ", w, i)
	body := bytes.Repeat([]byte{byte('a' + w)}, (w*131+i*977)%9000)
	return append([]byte(head), body...)
}
