package websocket_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"testing"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/wire"
)

// BenchmarkChurn is one connection's whole life over loopback TCP, the
// README's Accept pattern on a net/http server: the opening handshake, one
// 16-byte echo, the close handshake started by the client, TCP closed. The
// client speaks raw frames built once, so nearly all that is measured
// (time and allocations) is the server's.
func BenchmarkChurn(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	opts := &websocket.AcceptOptions{InsecureSkipOriginCheck: true}
	opts.PingInterval = -1
	srv := &http.Server{Handler: readmeEcho(opts)}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })

	req := upgradeRequest(ln.Addr().String())
	mask := [4]byte{1, 2, 3, 4}
	msg := wire.AppendFrame(nil, wire.Header{Fin: true, Opcode: wire.OpBinary, Length: 16, Masked: true, Mask: mask}, make([]byte, 16))
	closeFrame := wire.AppendFrame(nil, wire.Header{Fin: true, Opcode: wire.OpClose, Length: 2, Masked: true, Mask: mask}, []byte{0x03, 0xe8})
	buf := make([]byte, 4096)
	b.ReportAllocs()
	for b.Loop() {
		nc, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		// The 101 response, then the echo (18 bytes), then the server's
		// close frame (4 bytes) and EOF.
		if _, err := nc.Write(req); err != nil {
			b.Fatal(err)
		}
		readUntil(b, nc, buf, func(got []byte) bool { return bytes.HasSuffix(got, []byte("\r\n\r\n")) })
		if _, err := nc.Write(msg); err != nil {
			b.Fatal(err)
		}
		readUntil(b, nc, buf, func(got []byte) bool { return len(got) == 18 })
		if _, err := nc.Write(closeFrame); err != nil {
			b.Fatal(err)
		}
		got := 0
		for {
			n, err := nc.Read(buf[got:])
			got += n
			if err != nil {
				break
			}
		}
		if got != 4 || buf[0] != 0x88 {
			b.Fatalf("close frame: got %x", buf[:got])
		}
		nc.Close()
	}
}

// readUntil reads from nc into buf until done holds for what was read.
func readUntil(b *testing.B, nc net.Conn, buf []byte, done func([]byte) bool) {
	got := 0
	for !done(buf[:got]) {
		n, err := nc.Read(buf[got:])
		if err != nil {
			b.Fatalf("read: %v (%q)", err, buf[:got])
		}
		got += n
	}
}

// BenchmarkReadWithPing reads 16-byte messages over loopback TCP, each
// behind a ping that the read answers with a pong: the cost of a control
// frame answered on the read path.
func BenchmarkReadWithPing(b *testing.B) {
	a, s := tcpPair(b)
	c := websocket.NewConn(s, websocket.RoleServer, &websocket.ConnOptions{PingInterval: -1})
	defer c.CloseNow()
	mask := [4]byte{1, 2, 3, 4}
	unit := wire.AppendFrame(nil, wire.Header{Fin: true, Opcode: wire.OpPing, Masked: true, Mask: mask}, []byte("p"))
	unit = wire.AppendFrame(unit, wire.Header{Fin: true, Opcode: wire.OpBinary, Masked: true, Mask: mask}, make([]byte, 16))
	batch := bytes.Repeat(unit, 64)
	go func() { // drain the pongs
		buf := make([]byte, 32<<10)
		for {
			if _, err := a.Read(buf); err != nil {
				return
			}
		}
	}()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := a.Write(batch); err != nil {
				return
			}
		}
	}()
	ctx := context.Background()
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := c.AppendRead(ctx, buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}
