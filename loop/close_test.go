//go:build linux

package loop_test

import (
	"errors"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	websocket "github.com/wskit/websocket"
	"github.com/wskit/websocket/internal/testutil"
	"github.com/wskit/websocket/loop"
	"github.com/wskit/websocket/wire"
)

// closeRecord collects what OnError and OnClose report for one connection.
type closeRecord struct {
	code   wire.StatusCode
	reason string
	err    error
	done   chan struct{}
}

func recordClose(ev *loop.Events) *closeRecord {
	r := &closeRecord{done: make(chan struct{})}
	ev.OnError = func(c *loop.Conn, err error) { r.err = err }
	ev.OnClose = func(c *loop.Conn, code wire.StatusCode, reason string) {
		r.code, r.reason = code, reason
		close(r.done)
	}
	return r
}

// TestCloseByClient: the client's close is echoed, and OnClose gets its
// code and reason without an error.
func TestCloseByClient(t *testing.T) {
	ev := echoEvents()
	rec := recordClose(ev)
	_, addr := start(t, ev, nil)
	ctx := testutil.Ctx(t)
	c := dial(t, ctx, addr, false)
	if err := c.Close(4001, "bye"); err != nil {
		t.Fatalf("close: %v", err)
	}
	<-rec.done
	if rec.code != 4001 || rec.reason != "bye" || rec.err != nil {
		t.Fatalf("OnClose(%d, %q), OnError(%v); want 4001 bye and no error", rec.code, rec.reason, rec.err)
	}
}

// TestCloseByServer: a handler's Close sends the code, the client's echo
// ends the connection, and the server closes TCP first (RFC 6455 §7.1.1).
func TestCloseByServer(t *testing.T) {
	ev := &loop.Events{OnText: func(c *loop.Conn, s string) { c.Close(4002, s) }}
	rec := recordClose(ev)
	_, addr := start(t, ev, nil)
	ctx := testutil.Ctx(t)
	c := dial(t, ctx, addr, false)
	c.Write(ctx, websocket.MessageText, []byte("done"))
	_, _, err := c.Read(ctx)
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != 4002 || ce.Reason != "done" {
		t.Fatalf("read: %v, want the close 4002 done", err)
	}
	<-rec.done
	if rec.code != 4002 || rec.err != nil {
		t.Fatalf("OnClose(%d), OnError(%v); want the echo of 4002", rec.code, rec.err)
	}
	if err := c.Write(ctx, websocket.MessageText, []byte("late")); err == nil {
		t.Fatal("write after the closing handshake succeeded")
	}
}

// TestPingPong: pings are answered and reported, and so are pongs.
func TestPingPong(t *testing.T) {
	pings, pongs := make(chan string, 1), make(chan string, 1)
	ev := &loop.Events{
		OnPing: func(c *loop.Conn, p []byte) { pings <- string(p); c.Ping([]byte("back")) },
		OnPong: func(c *loop.Conn, p []byte) { pongs <- string(p) },
	}
	_, addr := start(t, ev, nil)
	p := testutil.DialRaw(t, addr, "/", false)
	p.Frame(wire.OpPing, true, false, []byte("hi"))
	h, b, err := p.NextFrame()
	if err != nil || h.Opcode != wire.OpPong || string(b) != "hi" {
		t.Fatalf("got %v %q %v, want pong hi", h, b, err)
	}
	if got := <-pings; got != "hi" {
		t.Fatalf("OnPing(%q)", got)
	}
	h, b, err = p.NextFrame()
	if err != nil || h.Opcode != wire.OpPing || string(b) != "back" {
		t.Fatalf("got %v %q %v, want the handler's ping", h, b, err)
	}
	p.Frame(wire.OpPong, true, false, b)
	if got := <-pongs; got != "back" {
		t.Fatalf("OnPong(%q)", got)
	}
}

// TestViolations: each protocol violation closes with its code (RFC 6455
// §7.4.1) and is reported to OnError.
func TestViolations(t *testing.T) {
	cases := []struct {
		name  string
		send  func(p *testutil.RawPeer)
		code  int
		limit int64
	}{
		{"reserved opcode", func(p *testutil.RawPeer) { p.Frame(3, true, false, nil) }, 1002, 0},
		{"unmasked", func(p *testutil.RawPeer) {
			p.Write(wire.AppendFrame(nil, wire.Header{Fin: true, Opcode: wire.OpText, Length: 2}, []byte("hi")))
		}, 1002, 0},
		{"fragmented ping", func(p *testutil.RawPeer) { p.Frame(wire.OpPing, false, false, nil) }, 1002, 0},
		{"continuation first", func(p *testutil.RawPeer) { p.Frame(wire.OpContinuation, true, false, []byte("x")) }, 1002, 0},
		{"invalid UTF-8", func(p *testutil.RawPeer) { p.Frame(wire.OpText, true, false, []byte{0xce, 0xba, 0xff}) }, 1007, 0},
		{"RSV1 without deflate", func(p *testutil.RawPeer) { p.Frame(wire.OpText, true, true, []byte("x")) }, 1002, 0},
		{"too large", func(p *testutil.RawPeer) { p.Header(wire.OpBinary, true, false, 1<<40) }, 1009, 1 << 20},
		{"bad close code", func(p *testutil.RawPeer) { p.Frame(wire.OpClose, true, false, []byte{0x03, 0xe7}) }, 1002, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := echoEvents()
			rec := recordClose(ev)
			_, addr := start(t, ev, &loop.Options{MaxMessageSize: tc.limit})
			p := testutil.DialRaw(t, addr, "/", false)
			tc.send(p)
			code, err := p.CloseCode(time.Minute)
			if err != nil || code != tc.code {
				t.Fatalf("close code %d (%v), want %d", code, err, tc.code)
			}
			p.Close()
			<-rec.done
			var pe *wire.ProtocolError
			if int(rec.code) != tc.code || !errors.As(rec.err, &pe) {
				t.Fatalf("OnClose(%d), OnError(%v); want %d and a protocol error", rec.code, rec.err, tc.code)
			}
		})
	}
}

// TestSlowConsumer: a client that does not read fills its queue; the
// server closes it with 1008, or drops messages and keeps it.
func TestSlowConsumer(t *testing.T) {
	for _, policy := range []loop.Policy{loop.CloseSlow, loop.DropMessage} {
		t.Run(map[loop.Policy]string{loop.CloseSlow: "close", loop.DropMessage: "drop"}[policy], func(t *testing.T) {
			var mu sync.Mutex
			var full int
			flooded := make(chan struct{})
			msg := make([]byte, 64<<10)
			ev := &loop.Events{OnText: func(c *loop.Conn, s string) {
				// Flood until the queue is full (the kernel's buffers
				// fill first, then the queue's 256 KiB).
				for range 4096 {
					if err := c.WriteBinary(msg); err != nil {
						if errors.Is(err, loop.ErrQueueFull) {
							mu.Lock()
							full++
							mu.Unlock()
						}
						if policy == loop.CloseSlow {
							close(flooded)
							return
						}
					}
				}
				close(flooded)
				// The queue may still be too full for "end": the peer
				// reads now, so it drains.
				for range 1_000_000 {
					if c.WriteText("end") != loop.ErrQueueFull {
						return
					}
					runtime.Gosched()
				}
			}}
			rec := recordClose(ev)
			_, addr := start(t, ev, &loop.Options{MaxQueue: 256 << 10, SlowConsumer: policy})
			p := testutil.DialRaw(t, addr, "/", false)
			p.Frame(wire.OpText, true, false, []byte("go"))
			<-flooded // the peer reads nothing until the server has written all it could
			if policy == loop.CloseSlow {
				code, err := p.CloseCode(time.Minute)
				if err != nil || code != 1008 {
					t.Fatalf("close code %d (%v), want 1008", code, err)
				}
				p.Frame(wire.OpClose, true, false, []byte{0x03, 0xf0})
				p.Close()
				<-rec.done
				if rec.code != 1008 {
					t.Fatalf("OnClose(%d), want 1008", rec.code)
				}
			} else {
				var last []byte
				n := 0
				for string(last) != "end" {
					_, b, err := p.NextData()
					if err != nil {
						t.Fatalf("after %d messages: %v", n, err)
					}
					last, n = b, n+1
				}
				if n > 4096 {
					t.Fatalf("%d messages, want the dropped ones missing", n)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if full == 0 {
				t.Fatal("no write found the queue full")
			}
		})
	}
}

// TestHandshakeTimeout: a connection that never finishes its request is
// dropped at the deadline; a bad request gets its HTTP status.
func TestHandshakeTimeout(t *testing.T) {
	s, addr := start(t, nil, &loop.Options{HandshakeTimeout: 200 * time.Millisecond})
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n"))
	start := time.Now()
	b := make([]byte, 1)
	if n, err := nc.Read(b); n != 0 || err == nil {
		t.Fatalf("read %d, %v; want the connection closed", n, err)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("closed after %v, before the deadline", d)
	}
	if n := s.Count(); n != 0 {
		t.Fatalf("Count %d after the timeout", n)
	}
}

// TestBadRequest: a request that is not an upgrade is answered with 400.
func TestBadRequest(t *testing.T) {
	_, addr := start(t, nil, nil)
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	b := make([]byte, 512)
	n, _ := nc.Read(b)
	if got := string(b[:n]); len(got) < 12 || got[:12] != "HTTP/1.1 400" {
		t.Fatalf("answer %q, want 400", got)
	}
}

// TestSlowConsumerNeverReads: a slow consumer that reads nothing at all
// never gets its close frame; the close timeout drops it.
func TestSlowConsumerNeverReads(t *testing.T) {
	msg := make([]byte, 64<<10)
	ev := &loop.Events{OnText: func(c *loop.Conn, s string) {
		for range 4096 {
			if c.WriteBinary(msg) != nil {
				return
			}
		}
	}}
	rec := recordClose(ev)
	_, addr := start(t, ev, &loop.Options{MaxQueue: 256 << 10, CloseTimeout: 200 * time.Millisecond})
	p := testutil.DialRaw(t, addr, "/", false)
	begin := time.Now()
	p.Frame(wire.OpText, true, false, []byte("go"))
	<-rec.done
	if d := time.Since(begin); d < 200*time.Millisecond {
		t.Fatalf("dropped after %v, before the close timeout", d)
	}
	if rec.code != wire.StatusAbnormalClosure || rec.err == nil {
		t.Fatalf("OnClose(%d), OnError(%v); want 1006 and the close timeout", rec.code, rec.err)
	}
}
