package main

import (
	"bytes"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/internal/testutil"
)

func TestEcho(t *testing.T) {
	srv := httptest.NewServer(httpHandler())
	defer srv.Close()
	ctx := testutil.Ctx(t)
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	big := bytes.Repeat([]byte{0, 1, 2, 3}, 1<<18) // 1 MiB
	for _, m := range []struct {
		typ websocket.MessageType
		p   []byte
	}{{websocket.MessageText, []byte("hello")}, {websocket.MessageBinary, big}, {websocket.MessageText, nil}} {
		if err := c.Write(ctx, m.typ, m.p); err != nil {
			t.Fatal(err)
		}
		typ, p, err := c.Read(ctx)
		if err != nil || typ != m.typ || !bytes.Equal(p, m.p) {
			t.Fatalf("echo of %d bytes of %v: %v, %d bytes, %v", len(m.p), m.typ, typ, len(p), err)
		}
	}
	if err := c.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Fatal(err)
	}
}
