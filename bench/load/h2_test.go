package load_test

import (
	"context"
	"net"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/wskit/websocket/bench/load"
	"github.com/wskit/websocket/bench/servers"
)

// inProcess probes a server running in this process.
type inProcess struct{ s *servers.H2Server }

func (p inProcess) CPU() (time.Duration, error) {
	st, err := load.ReadProc(os.Getpid())
	return st.CPU, err
}

func (p inProcess) Memory() (load.MemoryStat, error) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	st, err := load.ReadProc(os.Getpid())
	return load.MemoryStat{RSS: st.RSS, Heap: int64(m.HeapInuse), Stacks: int64(m.StackInuse),
		Goroutines: int64(runtime.NumGoroutine()), TCP: p.s.TCP.Load(), H1: p.s.H1.Load(), H2: p.s.H2.Load()}, err
}

// TestH2Echo runs both ways of H2Echo, bounded by message count: every
// message comes back, and the server saw one TCP connection carry every
// WebSocket over HTTP/2, or one TCP connection per WebSocket over
// HTTP/1.1 (H2Echo checks the counts).
func TestH2Echo(t *testing.T) {
	for _, frame := range []int{0, 16 << 10} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s := servers.StartWskitH2(ln, frame)
		for _, h2 := range []bool{true, false} {
			for _, size := range []int{16, 1024, 40 << 10} {
				cfg := load.H2Config{Addr: ln.Addr().String(), Roots: s.Roots(), HTTP2: h2,
					Conns: 8, Size: size, MaxMessages: 20, Server: inProcess{s}}
				res, err := load.H2Echo(context.Background(), cfg)
				if err != nil {
					t.Fatalf("frame %d, HTTP2 %v, size %d: %v", frame, h2, size, err)
				}
				if res.Messages <= 0 || res.Messages > 8*20 {
					t.Fatalf("frame %d, HTTP2 %v, size %d: %d messages measured, want 1 to 160", frame, h2, size, res.Messages)
				}
			}
		}
		s.Close()
	}
}
