package servers_test

import (
	"bytes"
	"net"
	"testing"

	"github.com/wskit/websocket/bench/servers"
)

// BenchmarkChurn is one connection's whole life against each server, in
// process, over loopback TCP: the opening handshake, one 16-byte echo, the
// close handshake the client starts, TCP closed. The client writes frames
// built once and reads with one buffer, so what differs between the
// libraries is the server's cost; compare them within one run, e.g.
// go test -run '^$' -bench 'Churn/(wskit-accept|gorilla)$' -count 6 ./servers.
func BenchmarkChurn(b *testing.B) {
	msg := maskedBinary(16)
	closeFrame := []byte{0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xe8 ^ 2} // masked, 1000
	for _, lib := range servers.Libs {
		if lib == "tcp" {
			continue
		}
		b.Run(lib, func(b *testing.B) {
			addr := startServer(b, lib)
			buf := make([]byte, 4096)
			b.ReportAllocs()
			for b.Loop() {
				nc, err := net.Dial("tcp", addr)
				if err != nil {
					b.Fatal(err)
				}
				got := upgrade(b, nc, buf)
				// What followed the response is the start of the echo.
				rest := len(got) - bytes.Index(got, []byte("\r\n\r\n")) - 4
				nc.Write(msg)
				if rest < 18 {
					readUntil(b, nc, buf[rest:], func(p []byte) bool { return rest+len(p) >= 18 })
				}
				nc.Write(closeFrame)
				n := 0
				for {
					m, err := nc.Read(buf[n:])
					n += m
					if err != nil {
						break
					}
				}
				if n < 2 || buf[0] != 0x88 {
					b.Fatalf("close: %x", buf[:n])
				}
				nc.Close()
			}
		})
	}
}

// readUntil reads into buf until done holds for what was read, and
// returns it.
func readUntil(b *testing.B, nc net.Conn, buf []byte, done func([]byte) bool) []byte {
	n := 0
	for !done(buf[:n]) {
		m, err := nc.Read(buf[n:])
		if err != nil {
			b.Fatalf("read: %v (%q)", err, buf[:n])
		}
		n += m
	}
	return buf[:n]
}

// startServer starts lib's server on a loopback listener, closed when b
// ends, and returns its address.
func startServer(b *testing.B, lib string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	s, err := servers.Start(lib, ln, servers.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return ln.Addr().String()
}

// upgradeRequest is the opening handshake the benchmarks send.
var upgradeRequest = []byte("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
	"Upgrade: websocket\r\nConnection: Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")

// upgrade does the opening handshake on nc, reading into buf, and returns
// what was read: the 101 response and whatever followed it.
func upgrade(b *testing.B, nc net.Conn, buf []byte) []byte {
	nc.Write(upgradeRequest)
	got := readUntil(b, nc, buf, func(p []byte) bool { return bytes.Contains(p, []byte("\r\n\r\n")) })
	if !bytes.HasPrefix(got, []byte("HTTP/1.1 101 ")) {
		b.Fatalf("response %q", got)
	}
	return got
}
