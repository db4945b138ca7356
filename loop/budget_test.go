//go:build linux

package loop_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	websocket "github.com/wskit/websocket"
	"github.com/wskit/websocket/internal/testutil"
	"github.com/wskit/websocket/loop"
	"github.com/wskit/websocket/wire"
)

// testBudget is a loop.Budget that records its peak and refusals.
type testBudget struct {
	limit   int64
	used    atomic.Int64
	peak    atomic.Int64
	refused atomic.Int64
}

func (b *testBudget) Reserve(n int64) bool {
	if n <= 0 {
		panic("Reserve of a count that is not positive")
	}
	if b.used.Add(n) > b.limit {
		b.used.Add(-n)
		b.refused.Add(1)
		return false
	}
	for u := b.used.Load(); ; u = b.used.Load() {
		if p := b.peak.Load(); u <= p || b.peak.CompareAndSwap(p, u) {
			return true
		}
	}
}

func (b *testBudget) Release(n int64) {
	if n <= 0 {
		panic("Release of a count that is not positive")
	}
	if b.used.Add(-n) < 0 {
		panic("more released than reserved")
	}
}

// TestBudgetReads: a message the budget has no room for fails its
// connection with 1013, after the messages before it were delivered;
// what the connection held is given back by the time OnClose runs.
func TestBudgetReads(t *testing.T) {
	for _, inline := range []bool{false, true} {
		t.Run(map[bool]string{false: "workers", true: "inline"}[inline], func(t *testing.T) {
			bg := &testBudget{limit: 100 << 10}
			ev := echoEvents()
			var heldAtClose int64
			rec := recordClose(ev)
			onClose := ev.OnClose
			ev.OnClose = func(c *loop.Conn, code wire.StatusCode, reason string) {
				heldAtClose = bg.used.Load()
				onClose(c, code, reason)
			}
			_, addr := start(t, ev, &loop.Options{Budget: bg, Inline: inline})
			p := testutil.DialRaw(t, addr, "/", false)
			small := []byte(strings.Repeat("s", 40<<10))
			p.Frame(wire.OpBinary, true, false, small)
			if _, b, err := p.NextData(); err != nil || len(b) != len(small) {
				t.Fatalf("echo of %d bytes: %d, %v", len(small), len(b), err)
			}
			// 200 KiB in four fragments: the third passes the budget.
			part := make([]byte, 50<<10)
			for i := range 4 {
				if err := p.Frame(map[bool]wire.Opcode{true: wire.OpBinary, false: wire.OpContinuation}[i == 0], i == 3, false, part); err != nil {
					break // the server may have closed already
				}
			}
			code, err := p.CloseCode(time.Minute)
			if err != nil || code != int(wire.StatusTryAgainLater) {
				t.Fatalf("close code %d (%v), want 1013", code, err)
			}
			p.Frame(wire.OpClose, true, false, []byte{0x03, 0xf5})
			p.Close()
			<-rec.done
			if rec.code != wire.StatusTryAgainLater || rec.err == nil {
				t.Fatalf("OnClose(%d), OnError(%v); want 1013 and the budget's error", rec.code, rec.err)
			}
			if heldAtClose != 0 {
				t.Fatalf("%d bytes still held from the budget in OnClose", heldAtClose)
			}
			if pk := bg.peak.Load(); pk > bg.limit || pk < 40<<10 {
				t.Fatalf("peak %d, want the first message's 40 KiB and no more than the limit %d", pk, bg.limit)
			}
			if bg.refused.Load() == 0 {
				t.Fatal("the budget refused nothing")
			}
		})
	}
}

// TestBudgetWrites: a write that would lengthen a waiting queue past the
// budget is not sent (ErrOverBudget) and the connection stays open; the
// queue holds at most the budget and the rest of one frame, and gives it
// all back when the peer has read it.
func TestBudgetWrites(t *testing.T) {
	bg := &testBudget{limit: 256 << 10}
	msg := make([]byte, 64<<10)
	var mu sync.Mutex
	var over, full int
	flooded := make(chan struct{})
	ev := &loop.Events{OnText: func(c *loop.Conn, s string) {
		if s != "go" {
			c.WriteText("echo " + s)
			return
		}
		defer close(flooded)
		for range 4096 {
			switch err := c.WriteBinary(msg); {
			case errors.Is(err, loop.ErrOverBudget):
				mu.Lock()
				over++
				mu.Unlock()
				return
			case errors.Is(err, loop.ErrQueueFull):
				full++
			}
		}
	}}
	_, addr := start(t, ev, &loop.Options{Budget: bg, MaxQueue: 64 << 20})
	p := testutil.DialRaw(t, addr, "/", false)
	p.Frame(wire.OpText, true, false, []byte("go"))
	<-flooded // the peer reads nothing until the writes stopped
	mu.Lock()
	if over != 1 || full != 0 {
		t.Fatalf("%d writes over budget, %d with the queue full; want one over budget", over, full)
	}
	mu.Unlock()
	if pk, most := bg.peak.Load(), bg.limit+int64(len(msg))+wire.MaxHeaderSize; pk > most || pk == 0 {
		t.Fatalf("peak %d, want some and at most the limit and one frame (%d)", pk, most)
	}
	// The connection is open: the peer reads the flood, then is answered.
	p.Frame(wire.OpText, true, false, []byte("after"))
	for {
		_, b, err := p.NextData()
		if err != nil {
			t.Fatalf("reading the flood: %v", err)
		}
		if string(b) == "echo after" {
			break
		}
	}
	if n := bg.used.Load(); n != 0 {
		t.Fatalf("%d bytes held with the queue written", n)
	}
}

// TestSlowCloseCode: a slow consumer is closed with Options.SlowCloseCode.
func TestSlowCloseCode(t *testing.T) {
	msg := make([]byte, 64<<10)
	flooded := make(chan struct{})
	ev := &loop.Events{OnText: func(c *loop.Conn, s string) {
		defer close(flooded)
		for range 4096 {
			if c.WriteBinary(msg) != nil {
				return
			}
		}
	}}
	rec := recordClose(ev)
	_, addr := start(t, ev, &loop.Options{MaxQueue: 256 << 10, SlowCloseCode: wire.StatusTryAgainLater})
	p := testutil.DialRaw(t, addr, "/", false)
	p.Frame(wire.OpText, true, false, []byte("go"))
	<-flooded
	code, err := p.CloseCode(time.Minute)
	if err != nil || code != int(wire.StatusTryAgainLater) {
		t.Fatalf("close code %d (%v), want 1013", code, err)
	}
	p.Frame(wire.OpClose, true, false, []byte{0x03, 0xf5})
	p.Close()
	<-rec.done
	if rec.code != wire.StatusTryAgainLater {
		t.Fatalf("OnClose(%d), want 1013", rec.code)
	}
}

// TestAcceptedTimeout: Accepted.Timeout gives one connection an idle
// timeout that the server's Events do not have.
func TestAcceptedTimeout(t *testing.T) {
	ev := echoEvents()
	ev.OnTimeout = func(c *loop.Conn) { c.Close(4000, "idle") }
	s, _ := start(t, ev, nil)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, err := websocket.Decide(w, r, nil)
		if err != nil {
			return
		}
		a := &loop.Accepted{Key: d.Key, Timeout: 100 * time.Millisecond}
		if err := s.UpgradeAccepted(w, r, a); err != nil {
			t.Errorf("UpgradeAccepted: %v", err)
		}
	}))
	defer hs.Close()
	p := testutil.DialRaw(t, strings.TrimPrefix(hs.URL, "http://"), "/", false)
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
