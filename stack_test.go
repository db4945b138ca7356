package websocket_test

import (
	"net"
	"net/http"
	"runtime"
	"sync"
	"testing"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/internal/testutil"
)

// idleCost is what a connection held idle in the README's pattern (Accept
// in a net/http handler, then Read and Write on its goroutine) costs the
// test process, after the handshake and a first echo, averaged over n
// connections: goroutine stack and live heap, in bytes. The heap includes
// the test's own client side of each connection (its net.Conn), about
// half a KiB.
func idleCost(t *testing.T, opts *websocket.AcceptOptions, n int) (stack, heap int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// Handlers are counted so that the test ends only when all have
	// returned: their stacks are not freed inside another's measurement.
	var handlers sync.WaitGroup
	echo := readmeEcho(opts)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handlers.Add(1)
		defer handlers.Done()
		echo(w, r)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	t.Cleanup(handlers.Wait) // after the connections' cleanups close them

	open := func() net.Conn { return testutil.OpenEchoed(t, ln.Addr().String()) }
	// net/http's first request runs one-time initialisation deep in the
	// stack and in its pools; it is not what a connection costs.
	open().Close()

	measure := func() (stack, heap uint64) {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.StackInuse, m.HeapAlloc
	}
	stack0, heap0 := measure()
	for range n {
		open()
	}
	stack1, heap1 := measure()
	return (int64(stack1) - int64(stack0)) / int64(n), (int64(heap1) - int64(heap0)) / int64(n)
}

// TestAcceptIdleAllocs holds an idle connection in the README's pattern to
// a 4 KiB goroutine stack and about 7 KiB of heap. The stack never shrinks
// below what the deepest call needed while the handler waits in Read, so
// a frame that pushes the handshake or the first message past 4 KiB
// doubles it for the connection's whole life. Of the heap, net/http's
// request and connection are most. net/http also keeps its 4 KiB reader
// and writer for as long as the handler runs; Accept takes their buffers
// away, and the Conn, waiting for input, holds no read buffer of its own
// (with net/http's two, a connection cost 14.6 KiB; with its reader, 10.5).
// A read buffer of another size than the default is the Conn's own, kept.
// Frames and allocations differ under the race detector, so it runs
// without.
func TestAcceptIdleAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("frame sizes and allocations differ under the race detector")
	}
	const n = 200
	for _, tc := range []struct {
		name string
		opts *websocket.AcceptOptions
		heap int64 // the most heap per connection, bytes
	}{
		{"default", nil, 8 << 10},
		// An 8 KiB buffer of the Conn's own, kept while idle.
		{"read buffer 8 KiB", &websocket.AcceptOptions{ConnOptions: websocket.ConnOptions{ReadBufferSize: 8 << 10}}, 15 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stack, heap := idleCost(t, tc.opts, n)
			t.Logf("per idle connection: goroutine stack %d bytes, heap %d bytes", stack, heap)
			// The goroutines of the first case leave their stacks to the
			// runtime's cache, where the second case's come from.
			if tc.opts == nil && stack > 6<<10 {
				t.Errorf("goroutine stack per idle connection: %d bytes, want 4 KiB (a stack of 8 KiB means a frame on the handshake's or the first echo's path grew it)", stack)
			}
			if heap > tc.heap {
				t.Errorf("heap per idle connection: %d bytes, want at most %d (is a 4 KiB buffer of net/http's still held?)", heap, tc.heap)
			}
		})
	}
}
