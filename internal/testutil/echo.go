package testutil

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/wskit/websocket/wire"
)

// OpenEchoed opens a WebSocket connection to the echo server at addr
// (host:port, path /) over plain TCP, from the calling goroutine and
// without a client library: the opening handshake, then one masked
// 16-byte binary message, whose echo it reads. The connection is closed
// when the test ends. Tests that measure what a server's idle connection
// costs use it, so that no client goroutine or buffer is counted.
func OpenEchoed(t testing.TB, addr string) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	req := "GET / HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(nc, req); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	h := wire.Header{Fin: true, Opcode: wire.OpBinary, Length: 16, Masked: true, Mask: [4]byte{1, 2, 3, 4}}
	if _, err := nc.Write(wire.AppendFrame(nil, h, make([]byte, 16))); err != nil {
		t.Fatal(err)
	}
	echo := make([]byte, 18)
	if _, err := io.ReadFull(br, echo); err != nil || echo[0] != 0x82 || echo[1] != 16 {
		t.Fatalf("echo: %x %v", echo, err)
	}
	return nc
}
