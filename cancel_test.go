package websocket_test

import (
	"context"
	"errors"
	"net"
	"runtime"
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

// TestSharedContextWatch gives reads and writes one context, as the
// README's handler does with its request's, which they then share a
// registration for: cancelling it interrupts a blocked read and a blocked
// write alike, and when the read moves on to another context the write is
// still watched on the first. It runs in a synctest bubble, so that the
// context is cancelled once both calls are blocked; a call left blocked
// fails the test as a deadlock.
func TestSharedContextWatch(t *testing.T) {
	// result runs f and returns a function that waits for its error.
	result := func(f func() error) func() error {
		ch := make(chan error, 1)
		go func() { ch <- f() }()
		return func() error { return <-ch }
	}
	big := make([]byte, 1<<20) // more than a pipe passes without a reader

	t.Run("both interrupted", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			a, b := net.Pipe()
			defer b.Close()
			c := websocket.NewConn(a, websocket.RoleClient, nil)
			defer c.CloseNow()
			shared, cancel := context.WithCancel(context.Background())
			read := result(func() error { _, _, err := c.Read(shared); return err })
			synctest.Wait() // the read has registered
			write := result(func() error { return c.Write(shared, websocket.MessageBinary, big) })
			synctest.Wait() // both are blocked
			cancel()
			if err := read(); !errors.Is(err, context.Canceled) {
				t.Fatalf("read: %v", err)
			}
			if err := write(); !errors.Is(err, context.Canceled) {
				t.Fatalf("write: %v", err)
			}
		})
	})

	t.Run("read moves on", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx := context.Background()
			a, b := net.Pipe()
			srv := websocket.NewConn(b, websocket.RoleServer, nil)
			defer srv.CloseNow()
			c := websocket.NewConn(a, websocket.RoleClient, nil)
			defer c.CloseNow()
			first, cancelFirst := context.WithCancel(ctx)
			defer cancelFirst()
			second, cancelSecond := context.WithCancel(ctx)
			defer cancelSecond()
			exchange := func(rctx, wctx context.Context, msg string) {
				t.Helper()
				sent := result(func() error { return srv.Write(ctx, websocket.MessageText, []byte(msg)) })
				if _, p, err := c.Read(rctx); err != nil || string(p) != msg {
					t.Fatalf("read %q: %q %v", msg, p, err)
				}
				if err := sent(); err != nil {
					t.Fatal(err)
				}
				echoed := result(func() error { _, _, err := srv.Read(ctx); return err })
				if err := c.Write(wctx, websocket.MessageText, []byte(msg)); err != nil {
					t.Fatalf("write %q: %v", msg, err)
				}
				if err := echoed(); err != nil {
					t.Fatal(err)
				}
			}
			exchange(first, first, "one")  // the read registers, the write shares
			exchange(second, first, "two") // the read moves on; the write keeps first
			write := result(func() error { return c.Write(first, websocket.MessageBinary, big) })
			synctest.Wait()
			cancelFirst()
			if err := write(); !errors.Is(err, context.Canceled) {
				t.Fatalf("write: %v", err)
			}
		})
	})
}

// TestCancelRacesReadEnd cancels each read's context while the echo it
// waits for is arriving, so that the context's end and the read's end come
// in either order. Either the read returns the message, or it reports the
// cancellation and the next read, with a fresh context, returns it: an
// interrupted read leaves no deadline behind and loses nothing, and a read
// that finished first is not reported as cancelled.
func TestCancelRacesReadEnd(t *testing.T) {
	c := dial(t, echoServer(t, nil), nil)
	ctx := testCtx(t)
	cancelled := 0
	for i := range 300 {
		msg := []byte{byte(i), byte(i >> 8)}
		rctx, cancel := context.WithCancel(ctx)
		if err := c.Write(rctx, websocket.MessageBinary, msg); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		go func() {
			for range i % 7 {
				runtime.Gosched()
			}
			cancel()
		}()
		_, p, err := c.Read(rctx)
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("read %d: %v", i, err)
			}
			cancelled++
			_, p, err = c.Read(ctx)
			if err != nil {
				t.Fatalf("read %d again, after its cancelled read: %v", i, err)
			}
		}
		if string(p) != string(msg) {
			t.Fatalf("read %d: %x, want %x", i, p, msg)
		}
		cancel()
	}
	t.Logf("%d of 300 reads cancelled", cancelled)
}
