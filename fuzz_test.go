package websocket_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/wire"
)

// onceConn reads its bytes once, then reports the end of the stream.
type onceConn struct{ src []byte }

func (o *onceConn) Read(p []byte) (int, error) {
	if len(o.src) == 0 {
		return 0, errEOF
	}
	n := copy(p, o.src)
	o.src = o.src[n:]
	return n, nil
}
func (o *onceConn) Write(p []byte) (int, error) { return len(p), nil }
func (o *onceConn) Close() error                { return nil }

var errEOF = errors.New("end of fuzz input")

// FuzzConnRead feeds arbitrary bytes to a Conn in each role, read whole and
// streamed. It must never panic, and every read must end in a *CloseError.
func FuzzConnRead(f *testing.F) {
	f.Add(rawFrame(websocket.RoleClient, frame(true, wire.OpText), []byte("hello")), true)
	f.Add(cat(rawFrame(websocket.RoleClient, frame(false, wire.OpText), []byte("he")),
		rawFrame(websocket.RoleClient, frame(true, wire.OpPing), []byte("p")),
		rawFrame(websocket.RoleClient, frame(true, wire.OpContinuation), []byte("llo"))), false)
	f.Add(rawFrame(websocket.RoleServer, frame(true, wire.OpClose), []byte{3, 232, 'o', 'k'}), true)
	f.Add([]byte{0x81, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, false)
	f.Fuzz(func(t *testing.T, data []byte, server bool) {
		role := websocket.RoleClient
		if server {
			role = websocket.RoleServer
		}
		ctx := context.Background()
		opts := &websocket.ConnOptions{MaxMessageSize: 1 << 16, PingInterval: -1}
		for _, stream := range []bool{false, true} {
			c := websocket.NewConn(&onceConn{src: append([]byte(nil), data...)}, role, opts)
			var err error
			for i := 0; err == nil && i < 1000; i++ {
				if stream {
					_, r, e := c.Reader(ctx)
					if err = e; err == nil {
						buf := make([]byte, 7)
						for err == nil {
							_, err = r.Read(buf)
						}
						if errors.Is(err, io.EOF) {
							err = nil
						}
					}
				} else {
					_, _, err = c.Read(ctx)
				}
			}
			var ce *websocket.CloseError
			if !errors.As(err, &ce) {
				t.Fatalf("read ended with %v, not a *CloseError", err)
			}
			c.CloseNow()
		}
	})
}
