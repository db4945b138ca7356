//go:build linux

package loop_test

import (
	"testing"
	"time"

	"github.com/wskit/websocket/internal/testutil"
	"github.com/wskit/websocket/loop"
	"github.com/wskit/websocket/wire"
)

// TestKeepalive: the loop's timers send keepalive pings; answered, the
// connection stays; unanswered, it fails with 1011 after the pong timeout.
func TestKeepalive(t *testing.T) {
	ev := echoEvents()
	rec := recordClose(ev)
	_, addr := start(t, ev, &loop.Options{PingInterval: 30 * time.Millisecond, PongTimeout: 100 * time.Millisecond})
	p := testutil.DialRaw(t, addr, "/", false)
	begin := time.Now()
	for i := range 3 {
		h, b, err := p.NextFrame()
		if err != nil || h.Opcode != wire.OpPing {
			t.Fatalf("frame %d: %v %v, want a keepalive ping", i, h, err)
		}
		p.Frame(wire.OpPong, true, false, b)
	}
	if d := time.Since(begin); d < 60*time.Millisecond {
		t.Fatalf("3 pings in %v, faster than the 30 ms interval allows", d)
	}
	h, _, err := p.NextFrame() // not answered
	if err != nil || h.Opcode != wire.OpPing {
		t.Fatalf("%v %v, want a ping", h, err)
	}
	code, err := p.CloseCode(time.Hour)
	if err != nil || code != 1011 {
		t.Fatalf("close code %d (%v), want 1011", code, err)
	}
	p.Close()
	<-rec.done
	if rec.code != 1011 || rec.err == nil {
		t.Fatalf("OnClose(%d), OnError(%v); want 1011 and the pong timeout", rec.code, rec.err)
	}
}

// TestIdleTimeout: OnTimeout is called when no message came for
// Events.Timeout, and may close the connection; a message resets it.
func TestIdleTimeout(t *testing.T) {
	ev := echoEvents()
	ev.Timeout = 100 * time.Millisecond
	ev.OnTimeout = func(c *loop.Conn) { c.Close(4000, "idle") }
	_, addr := start(t, ev, nil)
	p := testutil.DialRaw(t, addr, "/", false)
	begin := time.Now()
	p.Frame(wire.OpText, true, false, []byte("x"))
	if _, b, err := p.NextData(); err != nil || string(b) != "x" {
		t.Fatalf("echo %q %v", b, err)
	}
	code, err := p.CloseCode(time.Hour)
	if err != nil || code != 4000 {
		t.Fatalf("close code %d (%v), want 4000", code, err)
	}
	if d := time.Since(begin); d < 100*time.Millisecond {
		t.Fatalf("closed for idleness after %v, before the timeout", d)
	}
	p.Frame(wire.OpClose, true, false, []byte{0x0f, 0xa0})
}
