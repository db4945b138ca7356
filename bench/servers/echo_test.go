package servers_test

import (
	"fmt"
	"net"
	"testing"

	"github.com/wskit/websocket/bench/servers"
)

// BenchmarkEcho is one request/response echo against each server, in
// process, over one loopback TCP connection opened before the timer
// starts: the client writes a masked binary message built once and reads
// its echo with one buffer. Run with -cpu 1, client and server share one
// core, which takes the cross-core wake-ups that make the one-connection
// scenarios of cmd/run swing out of the figure; what differs between the
// libraries is then the server's cost per message. Compare them within
// one run, e.g.
// go test -run '^$' -bench 'Echo/(wskit|gorilla)/' -cpu 1 -count 6 ./servers.
func BenchmarkEcho(b *testing.B) {
	for _, lib := range servers.Libs {
		if lib == "tcp" {
			continue
		}
		for _, size := range []int{16, 1 << 10} {
			b.Run(fmt.Sprintf("%s/%d", lib, size), func(b *testing.B) {
				nc, err := net.Dial("tcp", startServer(b, lib))
				if err != nil {
					b.Fatal(err)
				}
				defer nc.Close()
				buf := make([]byte, 4096)
				upgrade(b, nc, buf)
				msg := maskedBinary(size)
				echo := 2 + size
				if size > 125 {
					echo += 2
				}
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := nc.Write(msg); err != nil {
						b.Fatal(err)
					}
					if p := readUntil(b, nc, buf, func(p []byte) bool { return len(p) >= echo }); len(p) != echo || p[0] != 0x82 {
						b.Fatalf("echo of %d bytes: %d bytes, first %#x", size, len(p), p[0])
					}
				}
			})
		}
	}
}

// maskedBinary returns a client's masked binary frame of size zero bytes.
func maskedBinary(size int) []byte {
	key := [4]byte{1, 2, 3, 4}
	var msg []byte
	if size <= 125 {
		msg = []byte{0x82, 0x80 | byte(size)}
	} else {
		msg = []byte{0x82, 0x80 | 126, byte(size >> 8), byte(size)}
	}
	msg = append(msg, key[:]...)
	for i := range size {
		msg = append(msg, key[i%4])
	}
	return msg
}
