//go:build linux

package loop

import (
	"net"
	"testing"

	websocket "github.com/wskit/websocket"
	"github.com/wskit/websocket/internal/testutil"
)

// TestPickFewest: a new connection goes to the loop with the fewest. Four
// connections share two loops; both of the second connection's loop end,
// and the fifth connection must go to that loop. Round robin would give it
// to the first connection's, where three would then share one core.
func TestPickFewest(t *testing.T) {
	loops := make(chan *evloop, 1)
	ev := &Events{OnBinary: func(c *Conn, p []byte) { loops <- c.l; c.WriteBinary(p) }}
	s, err := New(ev, &Options{Loops: 2, Inline: true})
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
	var conns []*websocket.Conn
	defer func() { // before Shutdown, which would wait for their closes
		for _, c := range conns {
			c.CloseNow()
		}
	}()
	// dial opens a connection and returns it with the loop it is on.
	dial := func() (*websocket.Conn, *evloop) {
		c, _, err := websocket.Dial(ctx, "ws://"+ln.Addr().String()+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		if err := c.Write(ctx, websocket.MessageBinary, []byte("which loop")); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.Read(ctx); err != nil {
			t.Fatal(err)
		}
		return c, <-loops
	}
	var on [4]*evloop
	count := map[*evloop]int{}
	for i := range on {
		_, on[i] = dial()
		count[on[i]]++
	}
	if len(count) != 2 || count[on[1]] != 2 {
		t.Fatalf("four connections on %d loops (%v), want two on each", len(count), count)
	}
	// A client's Close returns once the server has closed TCP, and the
	// loop counts the connection out before that.
	for i, l := range on {
		if l == on[1] {
			if err := conns[i].Close(websocket.StatusNormalClosure, ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, l := dial(); l != on[1] {
		t.Errorf("a new connection joined the loop with %d connections, not the one with %d", l.live.Load()-1, on[1].live.Load())
	}
}
