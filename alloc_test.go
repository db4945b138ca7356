package websocket_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/wire"
)

// TestSteadyStateAllocs asserts that, once a connection is warm, reading
// and writing a message allocates nothing, in both roles, for text (UTF-8
// checked) and binary, whole and streamed, without compression. A
// regression here fails CI; the benchmarks show the same with
// ReportAllocs.
func TestSteadyStateAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items; scripts/test.sh runs this test without it")
	}
	// A cancellable context, as handlers have: registered once per
	// connection, not once per call.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, role := range []websocket.Role{websocket.RoleServer, websocket.RoleClient} {
		from := websocket.RoleClient
		if role == websocket.RoleClient {
			from = websocket.RoleServer
		}
		for _, typ := range []websocket.MessageType{websocket.MessageText, websocket.MessageBinary} {
			for _, n := range benchSizes {
				name := fmt.Sprintf("%s/%s/%d", role, typ, n)
				p := payload(typ, n, 1)
				src := rawFrame(from, frame(true, wire.Opcode(typ)), p)
				for len(src) < 256<<10 {
					src = append(src, src...)
				}
				opts := &websocket.ConnOptions{PingInterval: -1}
				c := websocket.NewConn(&deadlineMemConn{memConn{src: src}}, role, opts)
				buf := make([]byte, 0, n)
				scratch := make([]byte, 32<<10)
				cases := []struct {
					what string
					f    func()
				}{
					{"Write", func() {
						if err := c.Write(ctx, typ, p); err != nil {
							t.Fatal(err)
						}
					}},
					{"Writer", func() {
						w, err := c.Writer(ctx, typ)
						if err != nil {
							t.Fatal(err)
						}
						w.Write(p[:n/2])
						w.Write(p[n/2:])
						if err := w.Close(); err != nil {
							t.Fatal(err)
						}
					}},
					{"AppendRead", func() {
						var err error
						if _, buf, err = c.AppendRead(ctx, buf[:0]); err != nil || len(buf) != n {
							t.Fatalf("AppendRead: %d bytes, %v", len(buf), err)
						}
					}},
					{"Reader", func() { readStreamed(t, c, scratch) }},
				}
				for _, tc := range cases {
					tc.f() // warm up: buffers are made on first use
					if a := testing.AllocsPerRun(50, tc.f); a != 0 {
						t.Errorf("%s %s: %.1f allocations per message, want 0", name, tc.what, a)
					}
				}
			}
		}
	}
}

// deadlineMemConn is a memConn with deadlines that do nothing, so that a
// context is watched as on a network connection.
type deadlineMemConn struct{ memConn }

func (*deadlineMemConn) SetReadDeadline(time.Time) error  { return nil }
func (*deadlineMemConn) SetWriteDeadline(time.Time) error { return nil }
