package websocket_test

import (
	"bytes"
	"errors"
	"sync"
	"testing"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/handshake"
)

// TestPreparedMessage sends one prepared message from servers with every
// kind of connection — plain, compressed without context takeover (shared
// encoding) and with it (encoded per connection) — and from a client, and
// checks each arrives intact, several times in a row.
func TestPreparedMessage(t *testing.T) {
	text := bytes.Repeat([]byte("one message for everyone; "), 40)
	pm, err := websocket.NewPreparedMessage(websocket.MessageText, text)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := websocket.NewPreparedMessage(websocket.MessageText, []byte{0xff}); !errors.Is(err, websocket.ErrInvalidUTF8) {
		t.Fatalf("invalid text prepared: %v", err)
	}
	ctx := testCtx(t)
	settings := map[string]*websocket.CompressionOptions{
		"plain":        nil,
		"takeover":     {},
		"no takeover":  {Options: deflate.Options{NoContextTakeover: true}},
		"small window": {Options: deflate.Options{NoContextTakeover: true, WindowBits: 9}},
	}
	var wg sync.WaitGroup
	for name, comp := range settings {
		for _, sender := range []websocket.Role{websocket.RoleServer, websocket.RoleClient} {
			a, b := tcpPair(t)
			var srv, cli *websocket.Conn
			if comp == nil {
				srv = websocket.NewConn(b, websocket.RoleServer, nil)
				cli = websocket.NewConn(a, websocket.RoleClient, nil)
			} else {
				ext := deflateAgreement(comp.Options)
				srv = websocket.NewConn(b, websocket.RoleServer, &websocket.ConnOptions{Compression: comp, Extensions: ext})
				cli = websocket.NewConn(a, websocket.RoleClient, &websocket.ConnOptions{Compression: comp, Extensions: ext})
			}
			t.Cleanup(func() { srv.CloseNow(); cli.CloseNow() })
			from, to := srv, cli
			if sender == websocket.RoleClient {
				from, to = cli, srv
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 3; i++ {
					if err := from.WritePrepared(ctx, pm); err != nil {
						t.Errorf("%s from %s: %v", name, sender, err)
						return
					}
				}
			}()
			for i := 0; i < 3; i++ {
				typ, got, err := to.Read(ctx)
				if err != nil || typ != websocket.MessageText || !bytes.Equal(got, text) {
					t.Fatalf("%s from %s, message %d: %v, %d bytes", name, sender, i, err, len(got))
				}
			}
		}
	}
	wg.Wait()
}

// deflateAgreement is the server response that agrees to o's requests, for
// connections set up with NewConn.
func deflateAgreement(o deflate.Options) []handshake.Extension {
	resp, _, ok := deflate.ServerAccept(deflate.ClientOffers(o), o)
	if !ok {
		panic("no agreement")
	}
	return []handshake.Extension{resp}
}
