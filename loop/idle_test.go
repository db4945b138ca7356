//go:build linux

package loop

import (
	"bytes"
	"net"
	"net/http"
	"testing"
	"unsafe"

	websocket "github.com/wskit/websocket"
	"github.com/wskit/websocket/internal/testutil"
)

// TestConnSize keeps an idle connection in Go's 416-byte size class, 19
// to a page of 8 KiB (the page also keeps the objects' pointer bits, so
// in the 512-byte class only 15 fit): 431 bytes of memory each (issue
// 18's goal is 0.6 KiB of server memory per idle connection).
func TestConnSize(t *testing.T) {
	if n := unsafe.Sizeof(Conn{}); n > 416 {
		t.Errorf("Conn is %d bytes, want at most 416", n)
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

// TestConnParts: what moved out of Conn to keep it small still answers:
// the peer's address (IPv4 inline, IPv6 in extra), the subprotocol and the
// application's value.
func TestConnParts(t *testing.T) {
	for _, network := range []string{"tcp4", "tcp6"} {
		t.Run(network, func(t *testing.T) {
			type seen struct {
				addr, prot string
				val        any
			}
			got := make(chan seen, 1)
			ev := &Events{OnOpen: func(c *Conn, _ *http.Request) {
				before := c.Value()
				c.SetValue(42)
				if before != nil {
					t.Errorf("Value before SetValue: %v", before)
				}
				got <- seen{c.RemoteAddr().String(), c.Subprotocol(), c.Value()}
			}}
			s, err := New(ev, &Options{Protocols: []string{"one", "two"}})
			if err != nil {
				t.Fatal(err)
			}
			host := "127.0.0.1:0"
			if network == "tcp6" {
				host = "[::1]:0"
			}
			ln, err := net.Listen(network, host)
			if err != nil {
				t.Fatal(err)
			}
			go s.Serve(ln)
			ctx := testutil.Ctx(t)
			defer s.Shutdown(ctx)
			c, _, err := websocket.Dial(ctx, "ws://"+ln.Addr().String()+"/", &websocket.DialOptions{Subprotocols: []string{"two"}})
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			g := <-got
			if want := c.LocalAddr().String(); g.addr != want || g.prot != "two" || g.val != 42 {
				t.Errorf("RemoteAddr %s, Subprotocol %q, Value %v; want %s, \"two\", 42", g.addr, g.prot, g.val, want)
			}
		})
	}
}
