//go:build linux

package loop_test

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wskit/websocket/internal/testutil"
	"github.com/wskit/websocket/loop"
	"github.com/wskit/websocket/wire"
)

// TestManyAndShutdown opens 1,000 connections (2 loops, so each loop holds
// hundreds), echoes a message on each, then shuts the server down: every
// client gets 1001, answers it, and Shutdown returns once all are closed,
// with OnClose called for each.
func TestManyAndShutdown(t *testing.T) {
	const n = 1000
	ev := echoEvents()
	var opened, closed atomic.Int64
	ev.OnOpen = func(*loop.Conn, *http.Request) { opened.Add(1) }
	ev.OnClose = func(c *loop.Conn, code wire.StatusCode, _ string) {
		if code == wire.StatusGoingAway {
			closed.Add(1)
		}
	}
	s, addr := start(t, ev, &loop.Options{Loops: 2})
	peers := make([]*testutil.RawPeer, n)
	for i := range peers {
		peers[i] = testutil.DialRaw(t, addr, "/", false)
		msg := fmt.Sprintf("message %d", i)
		peers[i].Frame(wire.OpText, true, false, []byte(msg))
		if _, b, err := peers[i].NextData(); err != nil || string(b) != msg {
			t.Fatalf("peer %d: echo %q, %v", i, b, err)
		}
	}
	if got := s.Count(); got != n {
		t.Fatalf("Count %d, want %d", got, n)
	}
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i, p := range peers {
		wg.Go(func() {
			codes[i], _ = p.CloseCode(time.Hour)
			p.Frame(wire.OpClose, true, false, []byte{0x03, 0xe9})
			p.Br.ReadByte() // the server closes first
			p.Close()
		})
	}
	if err := s.Shutdown(testutil.Ctx(t)); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	wg.Wait()
	for i, c := range codes {
		if c != 1001 {
			t.Fatalf("peer %d got close code %d, want 1001", i, c)
		}
	}
	if o, c := opened.Load(), closed.Load(); o != n || c != n {
		t.Fatalf("OnOpen %d times, OnClose(1001) %d times; want %d", o, c, n)
	}
	if got := s.Count(); got != 0 {
		t.Fatalf("Count %d after Shutdown", got)
	}
}
