package websocket_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/wire"
)

// TestPing checks that Ping returns a round-trip time both when nobody else
// reads and while another goroutine is blocked in Read, and that the pong
// callback sees the payload. It runs in a synctest bubble, so that "blocked
// in Read" is a fact (synctest.Wait) and not a guess.
func TestPing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		var mu sync.Mutex
		var pongs [][]byte
		a, b := net.Pipe()
		cli := websocket.NewConn(a, websocket.RoleClient, &websocket.ConnOptions{
			OnPong: func(p []byte) { mu.Lock(); pongs = append(pongs, bytes.Clone(p)); mu.Unlock() },
		})
		defer cli.CloseNow()
		srv := websocket.NewConn(b, websocket.RoleServer, &websocket.ConnOptions{PingInterval: -1})
		defer srv.CloseNow()
		go echo(context.Background(), srv)

		if _, err := cli.Ping(ctx); err != nil {
			t.Fatalf("Ping with no reader: %v", err)
		}

		read := make(chan error, 1)
		go func() {
			_, p, err := cli.Read(ctx)
			if err == nil && string(p) != "after" {
				err = fmt.Errorf("read %q", p)
			}
			read <- err
		}()
		synctest.Wait() // the reader is blocked in Read
		for i := 0; i < 3; i++ {
			if _, err := cli.Ping(ctx); err != nil {
				t.Fatalf("Ping with a reader: %v", err)
			}
		}
		if err := cli.Write(ctx, websocket.MessageText, []byte("after")); err != nil {
			t.Fatal(err)
		}
		if err := <-read; err != nil {
			t.Fatalf("reader during pings: %v", err)
		}
		mu.Lock()
		n := len(pongs)
		mu.Unlock()
		if n != 4 {
			t.Fatalf("pong callback called %d times, want 4", n)
		}

		// Ping waits no longer than its context.
		short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		srv.CloseNow()
		if _, err := cli.Ping(short); err == nil {
			t.Fatal("Ping to a closed peer succeeded")
		}
	})
}

// TestPingStopsAtData checks that a Ping reading on its own leaves a data
// message that arrives before the pong for the application.
func TestPingStopsAtData(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		a, b := net.Pipe()
		cli := websocket.NewConn(a, websocket.RoleClient, nil)
		defer cli.CloseNow()
		defer b.Close()
		// The raw server sends a message first, then answers the ping.
		go func() {
			var dec wire.Decoder
			var ev wire.Event
			buf := make([]byte, 256)
			n, _ := b.Read(buf)
			var p []byte
			for data := buf[:n]; len(data) > 0; {
				k, err := dec.Decode(data, &ev)
				if err != nil {
					return
				}
				data = data[k:]
				if ev.Kind == wire.EventPayload {
					p = append(p, ev.Payload...)
				}
			}
			b.Write(rawFrame(websocket.RoleServer, frame(true, wire.OpText), []byte("first")))
			b.Write(rawFrame(websocket.RoleServer, frame(true, wire.OpPong), p))
			io.Copy(io.Discard, b)
		}()
		pinged := make(chan error, 1)
		go func() {
			_, err := cli.Ping(ctx)
			pinged <- err
		}()
		synctest.Wait() // Ping has stopped at the data message
		select {
		case err := <-pinged:
			t.Fatalf("Ping returned before the pong was read: %v", err)
		default:
		}
		_, p, err := cli.Read(ctx)
		if err != nil || string(p) != "first" {
			t.Fatalf("message before the pong: %q %v", p, err)
		}
		// Ping, woken by the read, finds the pong itself.
		if err := <-pinged; err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})
}

// TestKeepAliveClosesDeadPeer checks, on the bubble's clock, that a peer
// that stops answering pings is closed as dead after the interval and the
// pong timeout, and one that answers is not.
func TestKeepAliveClosesDeadPeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		opts := &websocket.ConnOptions{PingInterval: 30 * time.Millisecond, PongTimeout: 100 * time.Millisecond}

		// A live peer: a wskit client that reads, so it answers pings.
		a, b := net.Pipe()
		srv := websocket.NewConn(b, websocket.RoleServer, opts)
		defer srv.CloseNow()
		cli := websocket.NewConn(a, websocket.RoleClient, nil)
		defer cli.CloseNow()
		var pings atomic.Int64
		go cli.Run(ctx, &websocket.Events{OnPing: func(*websocket.Conn, []byte) { pings.Add(1) }})
		go srv.Read(ctx)
		time.Sleep(305 * time.Millisecond) // the bubble's clock: ten intervals
		synctest.Wait()
		if n := pings.Load(); n != 10 {
			t.Fatalf("%d keepalive pings in 305ms at a 30ms interval, want 10", n)
		}
		if srv.State() != websocket.StateOpen {
			t.Fatalf("a peer that answers pings was closed: %s", srv.State())
		}

		// A dead peer: raw pipe that never answers.
		a2, b2 := net.Pipe()
		defer a2.Close()
		dead := websocket.NewConn(b2, websocket.RoleServer, opts)
		defer dead.CloseNow()
		go io.Copy(io.Discard, a2)
		start := time.Now()
		_, _, err := dead.Read(ctx)
		if !errors.Is(err, websocket.ErrPongTimeout) || websocket.CloseStatus(err) != 1011 {
			t.Fatalf("read on a connection to a dead peer: %v, want ErrPongTimeout", err)
		}
		if d := time.Since(start); d != 130*time.Millisecond {
			t.Fatalf("dead peer noticed after %v, want 130ms (interval and pong timeout)", d)
		}
	})
}
