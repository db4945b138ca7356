package websocket_test

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/wire"
)

// memConn is an in-memory connection: reads replay src forever, writes are
// counted and dropped. It isolates the Conn's own cost from the network's.
type memConn struct {
	src []byte
	off int
}

func (m *memConn) Read(p []byte) (int, error) {
	if len(m.src) == 0 {
		return 0, io.EOF
	}
	n := copy(p, m.src[m.off:])
	m.off = (m.off + n) % len(m.src)
	return n, nil
}
func (m *memConn) Write(p []byte) (int, error) { return len(p), nil }
func (m *memConn) Close() error                { return nil }

var benchSizes = []int{16, 1024, 64 << 10}

func BenchmarkWrite(b *testing.B) {
	for _, role := range []websocket.Role{websocket.RoleServer, websocket.RoleClient} {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("%s/%d", role, n), func(b *testing.B) {
				c := websocket.NewConn(&memConn{}, role, &websocket.ConnOptions{PingInterval: -1})
				p := payload(websocket.MessageText, n, 1)
				ctx := context.Background()
				b.SetBytes(int64(n))
				b.ReportAllocs()
				for b.Loop() {
					if err := c.Write(ctx, websocket.MessageText, p); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkRead(b *testing.B) {
	for _, role := range []websocket.Role{websocket.RoleServer, websocket.RoleClient} {
		for _, n := range benchSizes {
			from := websocket.RoleClient
			if role == websocket.RoleClient {
				from = websocket.RoleServer
			}
			frame := rawFrame(from, frame(true, wire.OpText), payload(websocket.MessageText, n, 1))
			// Repeat the frame so that the replay buffer holds whole frames.
			src := frame
			for len(src) < 64<<10 {
				src = append(src, frame...)
			}
			b.Run(fmt.Sprintf("%s/whole/%d", role, n), func(b *testing.B) {
				c := websocket.NewConn(&memConn{src: src}, role, &websocket.ConnOptions{PingInterval: -1})
				ctx := context.Background()
				b.SetBytes(int64(n))
				b.ReportAllocs()
				for b.Loop() {
					if _, _, err := c.Read(ctx); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(fmt.Sprintf("%s/stream/%d", role, n), func(b *testing.B) {
				c := websocket.NewConn(&memConn{src: src}, role, &websocket.ConnOptions{PingInterval: -1})
				ctx := context.Background()
				buf := make([]byte, 32<<10)
				b.SetBytes(int64(n))
				b.ReportAllocs()
				for b.Loop() {
					_, r, err := c.Reader(ctx)
					if err != nil {
						b.Fatal(err)
					}
					for {
						_, err := r.Read(buf)
						if err == io.EOF {
							break
						}
						if err != nil {
							b.Fatal(err)
						}
					}
				}
			})
		}
	}
}
