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
func TestKeepAlivePerServerAndPerConn(t *testing.T) {
	opts := &server.Options{}
	opts.PingInterval = 40 * time.Millisecond
	opts.OnUpgrade = func(u *websocket.Upgrade) error {
		if u.Request.URL.Query().Get("quiet") != "" {
			u.PingInterval = -1
		}
		return nil
	}
	srv := server.New(opts)
	srv.Handle("/", server.HandlerFunc(readUntilEnd))
	base := serve(t, srv, nil)
	count := func(url string) int64 {
		var pings atomic.Int64
		c := dial(t, url, &websocket.DialOptions{ConnOptions: websocket.ConnOptions{
			OnPing: func([]byte) { pings.Add(1) },
		}})
		ctx := testCtx(t)
		go readUntilEnd(ctx, c)
		time.Sleep(400 * time.Millisecond)
		c.Close(websocket.StatusNormalClosure, "")
		return pings.Load()
	}
	if n := count(base + "/"); n < 3 {
		t.Errorf("server keepalive every 40ms: %d pings in 400ms", n)
	}
	if n := count(base + "/?quiet=1"); n != 0 {
		t.Errorf("keepalive off for this connection: %d pings", n)
	}
}

// One broadcast reaches clients with different compression settings, each
// getting the same bytes: with context takeover, without, and uncompressed.
func TestBroadcastMixedCompression(t *testing.T) {
	opts := &server.Options{}
	opts.Compression = &websocket.CompressionOptions{}
	srv := server.New(opts)
	srv.Handle("/", server.HandlerFunc(readUntilEnd))
	base := serve(t, srv, nil)
	ctx := testCtx(t)
	clients := []*websocket.Conn{
		dial(t, base+"/", &websocket.DialOptions{ConnOptions: websocket.ConnOptions{Compression: &websocket.CompressionOptions{}}}),
		dial(t, base+"/", &websocket.DialOptions{ConnOptions: websocket.ConnOptions{Compression: &websocket.CompressionOptions{
			Options: deflate.Options{NoContextTakeover: true, PeerNoContextTakeover: true}}}}),
		dial(t, base+"/", nil),
	}
	for srv.Count() < len(clients) {
		waitABit()
	}
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
