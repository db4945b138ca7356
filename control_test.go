package websocket_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/wire"
)

// TestPing checks that Ping returns a round-trip time both when nobody else
// reads and while another goroutine is blocked in Read, and that the pong
// callback sees the payload.
func TestPing(t *testing.T) {
	ctx := testCtx(t)
	var mu sync.Mutex
	var pongs [][]byte
	a, b := tcpPair(t)
	cli := websocket.NewConn(a, websocket.RoleClient, &websocket.ConnOptions{
		OnPong: func(p []byte) { mu.Lock(); pongs = append(pongs, bytes.Clone(p)); mu.Unlock() },
	})
	defer cli.CloseNow()
	srv := websocket.NewConn(b, websocket.RoleServer, nil)
	defer srv.CloseNow()
	go echo(context.Background(), srv)

	rtt, err := cli.Ping(ctx)
	if err != nil || rtt <= 0 {
		t.Fatalf("Ping with no reader: %v, %v", rtt, err)
	}

	read := make(chan error, 1)
	go func() {
		_, p, err := cli.Read(ctx)
		if err == nil && string(p) != "after" {
			err = fmt.Errorf("read %q", p)
		}
		read <- err
	}()
	time.Sleep(10 * time.Millisecond)
	for i := 0; i < 3; i++ {
		if rtt, err := cli.Ping(ctx); err != nil || rtt <= 0 {
			t.Fatalf("Ping with a reader: %v, %v", rtt, err)
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
}

// TestPingStopsAtData checks that a Ping reading on its own leaves a data
// message that arrives before the pong for the application.
func TestPingStopsAtData(t *testing.T) {
	ctx := testCtx(t)
	a, b := tcpPair(t)
	cli := websocket.NewConn(a, websocket.RoleClient, nil)
	defer cli.CloseNow()
	// The raw server sends a message first, then answers the ping.
	go func() {
		b.Write(rawFrame(websocket.RoleServer, frame(true, wire.OpText), []byte("first")))
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
		b.Write(rawFrame(websocket.RoleServer, frame(true, wire.OpPong), p))
	}()
	pinged := make(chan error, 1)
	go func() {
		_, err := cli.Ping(ctx)
		pinged <- err
	}()
	time.Sleep(50 * time.Millisecond)
	_, p, err := cli.Read(ctx)
	if err != nil || string(p) != "first" {
		t.Fatalf("message before the pong: %q %v", p, err)
	}
	go cli.Read(ctx) // sees the pong, then the end
	if err := <-pinged; err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// TestKeepAliveClosesDeadPeer checks that a peer that stops answering pings
// is closed as dead, and one that answers is not.
func TestKeepAliveClosesDeadPeer(t *testing.T) {
	ctx := testCtx(t)
	opts := &websocket.ConnOptions{PingInterval: 30 * time.Millisecond, PongTimeout: 100 * time.Millisecond}

	// A live peer: a wskit client that reads, so it answers pings.
	a, b := tcpPair(t)
	srv := websocket.NewConn(b, websocket.RoleServer, opts)
	defer srv.CloseNow()
	cli := websocket.NewConn(a, websocket.RoleClient, nil)
	defer cli.CloseNow()
	var pings sync.WaitGroup
	pings.Add(3)
	var count int
	var mu sync.Mutex
	go cli.Run(ctx, &websocket.Events{OnPing: func(*websocket.Conn, []byte) {
		mu.Lock()
		count++
		if count <= 3 {
			pings.Done()
		}
		mu.Unlock()
	}})
	go srv.Read(ctx)
	pings.Wait()
	if srv.State() != websocket.StateOpen {
		t.Fatalf("a peer that answers pings was closed: %s", srv.State())
	}

	// A dead peer: raw TCP that never answers.
	a2, b2 := tcpPair(t)
	dead := websocket.NewConn(b2, websocket.RoleServer, opts)
	defer dead.CloseNow()
	go func() {
		buf := make([]byte, 1024)
		for {
			if _, err := a2.Read(buf); err != nil {
				return
			}
		}
	}()
	start := time.Now()
	_, _, err := dead.Read(ctx)
	if !errors.Is(err, websocket.ErrPongTimeout) {
		t.Fatalf("read on a connection to a dead peer: %v, want ErrPongTimeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("dead peer noticed after %v", d)
	}
}
