package websocket_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"testing"
	"testing/iotest"

	"github.com/wskit/websocket"
)

// chunkedConn hands out what the connection received in the pieces its
// reader makes, as a slow or fragmenting network would.
type chunkedConn struct {
	net.Conn
	r io.Reader
}

func (c *chunkedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// TestFraming reads messages of the sizes around every length encoding,
// whole and fragmented, with pings between them, over a transport that
// hands out one byte at a time and over one that hands out half of what is
// asked, in both roles, with and without compression: what the application
// reads must not depend on how the bytes arrive.
func TestFraming(t *testing.T) {
	sizes := []int{0, 1, 2, 124, 125, 126, 127, 128, 4095, 4096, 4097, 65535, 65536, 65537, 200000}
	readers := map[string]func(io.Reader) io.Reader{
		"one byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
	}
	for rname, wrap := range readers {
		for _, role := range []websocket.Role{websocket.RoleServer, websocket.RoleClient} {
			for _, compressed := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/compressed=%v", rname, role, compressed), func(t *testing.T) {
					t.Parallel()
					a, b := tcpPair(t)
					// No keepalive: a peer's ping waits behind a 200 kB message
					// read one byte at a time, which under -race on a loaded
					// machine takes longer than the pong timeout (1011).
					opts := &websocket.ConnOptions{PingInterval: -1}
					if compressed {
						opts.Extensions = deflateExt
					}
					peerRole := websocket.RoleClient
					if role == websocket.RoleClient {
						peerRole = websocket.RoleServer
					}
					under := websocket.NewConn(&chunkedConn{Conn: a, r: wrap(a)}, role, opts)
					defer under.CloseNow()
					peer := websocket.NewConn(b, peerRole, opts)
					defer peer.CloseNow()
					ctx := testCtx(t)
					go echo(ctx, under)

					var msgs [][]byte
					for _, n := range sizes {
						msgs = append(msgs, payload(websocket.MessageText, n, 3), payload(websocket.MessageBinary, n, 4))
					}
					sent := make(chan error, 1)
					go func() {
						for k, m := range msgs {
							typ := websocket.MessageText
							if k%2 == 1 {
								typ = websocket.MessageBinary
							}
							if err := sendMessage(ctx, peer, typ, m, k%3 == 0); err != nil {
								sent <- err
								return
							}
							if k%5 == 0 {
								// The pong is seen by the reading goroutine.
								if _, err := peer.Ping(ctx); err != nil {
									sent <- fmt.Errorf("ping after message %d: %w", k, err)
									return
								}
							}
						}
						sent <- nil
					}()
					for k, want := range msgs {
						_, got, err := peer.Read(ctx)
						if err != nil || !bytes.Equal(got, want) {
							t.Fatalf("message %d (%d bytes): %v, got %d bytes", k, len(want), err, len(got))
						}
					}
					if err := <-sent; err != nil {
						t.Fatal(err)
					}
					if err := peer.Close(websocket.StatusNormalClosure, "done"); err != nil {
						t.Fatalf("Close: %v", err)
					}
				})
			}
		}
	}
}
