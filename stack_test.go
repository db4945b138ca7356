package websocket_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"runtime"
	"testing"

	"github.com/wskit/websocket/wire"
)

// TestAcceptStackAllocs holds the README's pattern (Accept in a net/http
// handler, then Read and Write on its goroutine) to a 4 KiB goroutine
// stack per idle connection, after the handshake and a first echo. The
// stack never shrinks below what the deepest call needed while the
// handler waits in Read, so a frame that pushes the handshake or the first
// message past 4 KiB doubles it for the connection's whole life. Frames
// differ under the race detector, so it runs without.
func TestAcceptStackAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("frame sizes differ under the race detector")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: readmeEcho(nil)}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	req := upgradeRequest(ln.Addr().String())
	msg := wire.AppendFrame(nil, wire.Header{Fin: true, Opcode: wire.OpBinary, Length: 16, Masked: true, Mask: [4]byte{1, 2, 3, 4}}, make([]byte, 16))
	open := func() net.Conn {
		nc, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nc.Close() })
		br := bufio.NewReader(nc)
		if _, err := nc.Write(req); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("handshake: %v %v", resp, err)
		}
		if _, err := nc.Write(msg); err != nil {
			t.Fatal(err)
		}
		echo := make([]byte, 18)
		if _, err := io.ReadFull(br, echo); err != nil || echo[0] != 0x82 || echo[1] != 16 {
			t.Fatalf("echo: %x %v", echo, err)
		}
		return nc
	}
	// net/http's first request runs one-time initialisation deep in the
	// stack; it is not what a connection costs.
	open().Close()

	stacks := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.StackInuse
	}
	const n = 200
	before := stacks()
	for range n {
		open()
	}
	per := (int64(stacks()) - int64(before)) / n
	t.Logf("goroutine stack per idle connection: %d bytes", per)
	if per > 6<<10 {
		t.Errorf("goroutine stack per idle connection: %d bytes, want 4 KiB (a stack of 8 KiB means a frame on the handshake's or the first echo's path grew it)", per)
	}
}
