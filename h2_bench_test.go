//go:build unix

package websocket_test

import (
	"net/http"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/wskit/websocket"
)

// BenchmarkH2Streams compares 100 WebSockets as streams of one HTTP/2
// connection (RFC 8441) with 100 on their own TCP connections, TLS for
// both, client and server in this process: memory per WebSocket (heap and
// stacks, both ends, once open) and the process's CPU time per echoed
// 64-byte message, the messages going round the 100 in turn. x/net/http2's
// client gives each stream a write buffer of the server's maximum frame size
// up to 512 KiB; net/http's server advertises 1 MiB, so h2-16KiB-frames
// shows a server that advertises 16 KiB.
func BenchmarkH2Streams(b *testing.B) {
	for _, tc := range []struct {
		name  string
		h2    bool
		frame int // the server's SETTINGS_MAX_FRAME_SIZE, 0 for net/http's 1 MiB
	}{{"tcp", false, 0}, {"h2", true, 0}, {"h2-16KiB-frames", true, 16 << 10}} {
		h2 := tc.h2
		b.Run(tc.name, func(b *testing.B) {
			s := newH2Server(b, nil, nil, func(srv *http.Server) {
				if tc.frame != 0 {
					srv.HTTP2 = &http.HTTP2Config{MaxReadFrameSize: tc.frame}
				}
			})
			ctx := testCtx(b)
			do := s.dialOpts()
			do.HTTP2 = h2
			const n = 100
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			conns := make([]*websocket.Conn, n)
			for i := range conns {
				c, resp, err := websocket.Dial(ctx, s.url(), do)
				if err != nil {
					b.Fatal(err)
				}
				if (resp.StatusCode == http.StatusOK) != h2 {
					b.Fatalf("answered %d", resp.StatusCode)
				}
				conns[i] = c
				defer c.CloseNow()
			}
			msg := make([]byte, 64)
			for _, c := range conns { // every connection past its first use
				c.Write(ctx, websocket.MessageBinary, msg)
				c.Read(ctx)
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			heap := float64(after.HeapAlloc) - float64(before.HeapAlloc)
			stack := float64(after.StackInuse) - float64(before.StackInuse)
			var r0, r1 syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				c := conns[i%n]
				if err := c.Write(ctx, websocket.MessageBinary, msg); err != nil {
					b.Fatal(err)
				}
				if _, _, err := c.Read(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
			cpu := time.Duration(r1.Utime.Nano() + r1.Stime.Nano() - r0.Utime.Nano() - r0.Stime.Nano())
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/msg")
			b.ReportMetric(heap/n, "heap-B/ws")
			b.ReportMetric(stack/n, "stack-B/ws")
			if h2 && s.conns.Load() != 1 {
				b.Fatalf("%d TCP connections, want 1", s.conns.Load())
			}
		})
	}
}
