package server_test

import (
	"bytes"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/server"
)

// Keepalive is set per server (Options) and per connection (the hook's
// Upgrade.PingInterval); the client counts the pings it gets.
func TestKeepAlivePerServerAndPerConn(t *testing.T) { forModes(t, testKeepAlive) }

func testKeepAlive(t *testing.T, m mode) {
	opts := m.options(nil)
	opts.PingInterval = 40 * time.Millisecond
	opts.OnUpgrade = func(u *websocket.Upgrade) error {
		if u.Request.URL.Query().Get("quiet") != "" {
			u.PingInterval = -1
		}
		return nil
	}
	srv := server.New(opts)
	srv.HandleRoute(m.route("/", nil, readUntilEnd, eventsIdle()))
	base := m.serve(t, srv)
	ctx := testCtx(t)
	var quietPings, loudPings atomic.Int64
	third := make(chan struct{})
	quiet := dial(t, base+"/?quiet=1", &websocket.DialOptions{ConnOptions: websocket.ConnOptions{
		OnPing: func([]byte) { quietPings.Add(1) },
	}})
	go readUntilEnd(ctx, quiet)
	loud := dial(t, base+"/", &websocket.DialOptions{ConnOptions: websocket.ConnOptions{
		OnPing: func([]byte) {
			if loudPings.Add(1) == 3 {
				close(third)
			}
		},
	}})
	go readUntilEnd(ctx, loud)
	// Three pings 40ms apart on one connection: the other, open all that
	// time without keepalive, got none.
	select {
	case <-third:
	case <-ctx.Done():
		t.Fatalf("server keepalive every 40ms: %d pings before the test's deadline", loudPings.Load())
	}
	if n := quietPings.Load(); n != 0 {
		t.Errorf("keepalive off for this connection: %d pings", n)
	}
	loud.Close(websocket.StatusNormalClosure, "")
	quiet.Close(websocket.StatusNormalClosure, "")
}

// One broadcast reaches clients with different compression settings, each
// getting the same bytes: with context takeover, without, and uncompressed.
func TestBroadcastMixedCompression(t *testing.T) { forModes(t, testBroadcastMixedCompression) }

func testBroadcastMixedCompression(t *testing.T, m mode) {
	opts := m.options(nil)
	opts.Compression = &websocket.CompressionOptions{}
	srv := server.New(opts)
	started := newStarts()
	srv.HandleRoute(m.route("/", started, readUntilEnd, eventsIdle()))
	base := m.serve(t, srv)
	ctx := testCtx(t)
	clients := []*websocket.Conn{
		dial(t, base+"/", &websocket.DialOptions{ConnOptions: websocket.ConnOptions{Compression: &websocket.CompressionOptions{}}}),
		dial(t, base+"/", &websocket.DialOptions{ConnOptions: websocket.ConnOptions{Compression: &websocket.CompressionOptions{
			Options: deflate.Options{NoContextTakeover: true, PeerNoContextTakeover: true}}}}),
		dial(t, base+"/", nil),
	}
	started.wait(len(clients))
	var msgs [][]byte
	for i := range 5 {
		msgs = append(msgs, bytes.Repeat([]byte(fmt.Sprintf(`{"seq":%d,"price":101.5,"side":"buy"},`, i)), 40))
		if _, err := srv.Broadcast(websocket.MessageText, msgs[i]); err != nil {
			t.Fatal(err)
		}
	}
	for k, c := range clients {
		for i, want := range msgs {
			_, got, err := c.Read(ctx)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("client %d message %d: %d bytes, %v", k, i, len(got), err)
			}
		}
	}
	if !clients[0].Compressed() || !clients[1].Compressed() || clients[2].Compressed() {
		t.Fatal("the clients did not agree the compression asked for")
	}
	// Compression shows in the byte counters: less went out than the
	// messages hold.
	var total uint64
	for _, m := range msgs {
		total += uint64(len(m))
	}
	if out := srv.Stats().BytesOut; out >= 3*total {
		t.Errorf("BytesOut %d, want less than the %d uncompressed", out, 3*total)
	}
}
