package websocket_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wskit/websocket"
)

// TestReadCancelKeepsConnection cancels a read that waits for a message,
// then reads the next message on the same connection.
func TestReadCancelKeepsConnection(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) *websocket.Conn{
		"tcp":  func(t *testing.T) *websocket.Conn { return dial(t, echoServer(t, nil), nil) },
		"pipe": func(t *testing.T) *websocket.Conn { return pipePair(t, nil) },
	} {
		t.Run(name, func(t *testing.T) {
			c := open(t)
			short, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
			defer cancel()
			if _, _, err := c.Read(short); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Read with an ending context: %v", err)
			}
			if c.State() != websocket.StateOpen {
				t.Fatalf("state after a cancelled read: %s", c.State())
			}
			ctx := testCtx(t)
			go c.Write(ctx, websocket.MessageText, []byte("still here"))
			if _, p, err := c.Read(ctx); err != nil || string(p) != "still here" {
				t.Fatalf("read after cancel: %q %v", p, err)
			}
		})
	}
}

// TestWriteCancelBeforeStart checks that a write waiting for another
// writer's message gives up with its context and leaves the connection
// usable.
func TestWriteCancelBeforeStart(t *testing.T) {
	c := pipePair(t, nil)
	ctx := testCtx(t)
	w, err := c.Writer(ctx, websocket.MessageBinary)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	if err := c.Write(short, websocket.MessageBinary, []byte("x")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Write while a Writer is open: %v", err)
	}
	go func() {
		w.Write([]byte("streamed"))
		w.Close()
	}()
	if _, p, err := c.Read(ctx); err != nil || string(p) != "streamed" {
		t.Fatalf("%q %v", p, err)
	}
}

// TestRunEvents drives a connection with callbacks, in a synctest bubble:
// Events.Timeout fires on the bubble's clock, exactly once in 200ms of
// silence with a 150ms timeout.
func TestRunEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		srv := websocket.NewConn(b, websocket.RoleServer, nil)
		defer srv.CloseNow()
		cli := websocket.NewConn(a, websocket.RoleClient, nil)
		defer cli.CloseNow()
		ctx := context.Background()
		var got []string
		done := make(chan error, 1)
		go func() {
			done <- srv.Run(ctx, &websocket.Events{
				OnOpen: func(*websocket.Conn) { got = append(got, "open") },
				OnText: func(c *websocket.Conn, s string) {
					got = append(got, "text "+s)
					c.Write(ctx, websocket.MessageText, []byte("re: "+s))
				},
				OnBinary:  func(_ *websocket.Conn, p []byte) { got = append(got, "binary "+string(p)) },
				OnPing:    func(_ *websocket.Conn, p []byte) { got = append(got, "ping") },
				OnTimeout: func(*websocket.Conn) { got = append(got, "timeout") },
				Timeout:   150 * time.Millisecond,
				OnClose: func(_ *websocket.Conn, code websocket.StatusCode, reason string) {
					got = append(got, "close "+code.String()+" "+reason)
				},
			})
		}()
		cli.Write(ctx, websocket.MessageText, []byte("hi"))
		if _, p, err := cli.Read(ctx); err != nil || string(p) != "re: hi" {
			t.Fatalf("%q %v", p, err)
		}
		cli.Write(ctx, websocket.MessageBinary, []byte("bin"))
		go cli.Read(ctx) // answers the close
		cli.Ping(ctx)
		time.Sleep(200 * time.Millisecond) // the bubble's clock
		cli.Close(websocket.StatusNormalClosure, "bye")
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
		want := []string{"open", "text hi", "binary bin", "ping", "timeout", "close normal closure bye"}
		if len(got) != len(want) {
			t.Fatalf("events %q, want %q", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("events %q, want %q", got, want)
			}
		}
	})
}

// TestReadLoopOneContext reads with one cancellable context many times (it
// is registered once), then cancels it between reads and while a read
// waits: both reads return the context's error at once, and a read with
// another context still works.
func TestReadLoopOneContext(t *testing.T) {
	c := dial(t, echoServer(t, nil), nil)
	loopCtx, cancelLoop := context.WithCancel(context.Background())
	for i := range 20 {
		msg := []byte{byte('a' + i)}
		if err := c.Write(loopCtx, websocket.MessageText, msg); err != nil {
			t.Fatal(err)
		}
		if _, p, err := c.Read(loopCtx); err != nil || string(p) != string(msg) {
			t.Fatalf("message %d: %q %v", i, p, err)
		}
	}
	// Cancelled while no read is in progress.
	cancelLoop()
	start := time.Now()
	if _, _, err := c.Read(loopCtx); !errors.Is(err, context.Canceled) {
		t.Fatalf("read with a context cancelled between reads: %v", err)
	}
	// Cancelled while a read waits.
	waitCtx, cancelWait := context.WithCancel(context.Background())
	if err := c.Write(waitCtx, websocket.MessageText, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Read(waitCtx); err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(50*time.Millisecond, cancelWait)
	if _, _, err := c.Read(waitCtx); !errors.Is(err, context.Canceled) {
		t.Fatalf("read cancelled while waiting: %v", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("cancelled reads took %v", took)
	}
	ctx := testCtx(t)
	if err := c.Write(ctx, websocket.MessageText, []byte("still here")); err != nil {
		t.Fatal(err)
	}
	if _, p, err := c.Read(ctx); err != nil || string(p) != "still here" {
		t.Fatalf("read after cancels: %q %v", p, err)
	}
}
