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
	req := []byte("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
		"Upgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	// A masked 16-byte binary message and a masked close frame (1000).
	msg := append([]byte{0x82, 0x80 | 16, 1, 2, 3, 4}, make([]byte, 16)...)
	for i := range 16 {
		msg[6+i] ^= byte(i%4 + 1)
	}
	closeFrame := []byte{0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xe8 ^ 2}
	for _, lib := range servers.Libs {
		if lib == "tcp" {
			continue
		}
		b.Run(lib, func(b *testing.B) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			s, err := servers.Start(lib, ln, servers.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			addr := ln.Addr().String()
			buf := make([]byte, 4096)
			b.ReportAllocs()
			for b.Loop() {
				nc, err := net.Dial("tcp", addr)
				if err != nil {
					b.Fatal(err)
				}
				nc.Write(req)
				got := readUntil(b, nc, buf, func(p []byte) bool { return bytes.Contains(p, []byte("\r\n\r\n")) })
				if !bytes.HasPrefix(got, []byte("HTTP/1.1 101 ")) {
					b.Fatalf("response %q", got)
				}
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
