//go:build linux

package loop_test

import (
	"bytes"
	"runtime"
	"testing"

	websocket "github.com/wskit/websocket"
	"github.com/wskit/websocket/internal/testutil"
)

// An idle loop waits in the Go poller ("IO wait"), not in a blocking
// epoll_wait ("syscall"): a goroutine in a system call keeps its P until
// the runtime's monitor takes it back, 20 µs to 10 ms later, so loops as
// many as the Ps stalled every other goroutine of the process at each
// wait. An echo goes first, so the loops have run and gone back to wait.
func TestIdleLoopHoldsNoP(t *testing.T) {
	_, addr := start(t, echoEvents(), nil)
	ctx := testutil.Ctx(t)
	c := dial(t, ctx, addr, false)
	if err := c.Write(ctx, websocket.MessageText, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if _, p, err := c.Read(ctx); err != nil || string(p) != "hi" {
		t.Fatalf("echo: %q, %v", p, err)
	}
	buf := make([]byte, 1<<20)
	var states []string
	// A loop is "running" or "runnable" for a moment after the echo; the
	// states are read until every loop waits, or a loop is seen in a
	// system call while nothing else of it runs.
	for range 100000 {
		states = loopStates(buf[:runtime.Stack(buf, true)])
		waiting := len(states) > 0
		for _, s := range states {
			if s == "syscall" {
				t.Fatalf("a loop waits in a system call, holding its P: states %q", states)
			}
			waiting = waiting && s == "IO wait"
		}
		if waiting {
			return
		}
		runtime.Gosched()
	}
	t.Fatalf("the loops never all waited in the poller: last states %q", states)
}

// loopStates returns the state of each goroutine in dump whose stack has
// the event loop's run.
func loopStates(dump []byte) []string {
	var states []string
	for _, g := range bytes.Split(dump, []byte("\n\n")) {
		if !bytes.Contains(g, []byte("loop.(*evloop).run(")) {
			continue
		}
		i, j := bytes.IndexByte(g, '['), bytes.IndexByte(g, ']')
		if i < 0 || j < i {
			continue
		}
		state, _, _ := bytes.Cut(g[i+1:j], []byte(",")) // "IO wait, 2 minutes"
		states = append(states, string(state))
	}
	return states
}
