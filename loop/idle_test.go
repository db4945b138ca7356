//go:build linux

package loop

import (
	"bytes"
	"net"
	"testing"
	"unsafe"

	websocket "github.com/wskit/websocket"
	"github.com/wskit/websocket/internal/testutil"
)

// TestConnSize keeps an idle connection in Go's 512-byte size class: past
// it an object costs 576 bytes and an 8-byte header more (issue 18's goal
// is 0.6 KiB of server memory per idle connection).
func TestConnSize(t *testing.T) {
	if n := unsafe.Sizeof(Conn{}); n > 512 {
		t.Errorf("Conn is %d bytes, want at most 512", n)
	}
}

// TestIdleConnHoldsNothing: once a connection has echoed a message and
// gone quiet, it holds no busy part (no queue, no message, no handshake
// buffer). The check runs on the loop, in the handler of a second
// connection's message, sent after the first's echo came back, so the
// loop has finished with the first.
func TestIdleConnHoldsNothing(t *testing.T) {
	held := make(chan bool, 1)
	var first *Conn
	ev := &Events{OnBinary: func(c *Conn, p []byte) {
		switch string(p) {
		case "first":
			first = c
		case "second":
			first.mu.Lock()
			held <- first.b != nil
			first.mu.Unlock()
		}
		c.WriteBinary(p)
	}}
	s, err := New(ev, &Options{Loops: 1, Inline: true, ReuseMessages: true})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	ctx := testutil.Ctx(t)
	defer s.Shutdown(ctx)
	var cs [2]*websocket.Conn
	for i := range cs {
		c, _, err := websocket.Dial(ctx, "ws://"+ln.Addr().String()+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		cs[i] = c
	}
	for i, m := range []string{"first", "second"} {
		if err := cs[i].Write(ctx, websocket.MessageBinary, []byte(m)); err != nil {
			t.Fatal(err)
		}
		if _, p, err := cs[i].Read(ctx); err != nil || !bytes.Equal(p, []byte(m)) {
			t.Fatalf("echo %q: %q, %v", m, p, err)
		}
	}
	if <-held {
		t.Error("an idle connection still holds its busy part after an echo")
	}
}
