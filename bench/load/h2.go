package load

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wskit/websocket"
)

// H2Config describes one run of H2Echo: Conns WebSockets from wskit's own
// client to a wskit server over TLS, either each on its own TCP
// connection (HTTP/1.1 upgrades) or all as streams of one HTTP/2
// connection (RFC 8441), each echoing Size-byte binary messages one at a
// time.
type H2Config struct {
	Addr  string         // host:port of the TLS server
	Roots *x509.CertPool // trusted for the server's certificate
	HTTP2 bool           // one HTTP/2 connection instead of Conns TCP connections
	Conns int
	Size  int

	// Warmup and Duration are the load before and during measurement.
	// With Duration 0 every WebSocket sends MaxMessages and the whole run
	// is measured, with no clock involved.
	Warmup, Duration time.Duration
	MaxMessages      int64 // per WebSocket; 0 means 10^8

	Server H2Probe // the server's CPU time and memory
}

// H2Probe reads a server's state.
type H2Probe interface {
	CPU() (time.Duration, error) // user + system time so far
	Memory() (MemoryStat, error) // after a garbage collection
}

// MemoryStat is what a process holds and, for a server, what it has seen.
type MemoryStat struct {
	RSS, Heap, Stacks int64 // bytes: resident, heap in use, goroutine stacks
	Goroutines        int64
	TCP, H1, H2       int64 // TCP connections accepted, WebSockets by HTTP version
}

// H2Result is what one run of H2Echo measured. Memory is taken with the
// WebSockets open after the load, minus what was held before the first
// was opened, divided by Conns.
type H2Result struct {
	Messages    int64   `json:"messages"`
	Seconds     float64 `json:"seconds"`
	MsgsPerSec  float64 `json:"msgs_per_sec"`
	CPUusPerMsg float64 `json:"cpu_us_per_msg"`        // server
	ClientCPUus float64 `json:"client_cpu_us_per_msg"` // this process

	ServerRSSPerWS    float64 `json:"server_rss_per_ws"` // bytes
	ServerHeapPerWS   float64 `json:"server_heap_per_ws"`
	ServerStacksPerWS float64 `json:"server_stacks_per_ws"`
	ClientHeapPerWS   float64 `json:"client_heap_per_ws"` // this process
	ClientStacksPerWS float64 `json:"client_stacks_per_ws"`

	ServerGoroutinesPerWS float64 `json:"server_goroutines_per_ws"`
	ClientGoroutinesPerWS float64 `json:"client_goroutines_per_ws"`

	// As the server counted them: TCP connections, WebSockets by HTTP version.
	TCP int64 `json:"tcp"`
	H1  int64 `json:"h1"`
	H2  int64 `json:"h2"`
}

// H2Echo runs cfg. It fails if a WebSocket did not travel the way cfg
// asks (the server's counts of TCP connections and HTTP versions say).
func H2Echo(ctx context.Context, cfg H2Config) (H2Result, error) {
	var res H2Result
	if cfg.MaxMessages <= 0 {
		cfg.MaxMessages = 1e8
	}
	before, err := cfg.Server.Memory()
	if err != nil {
		return res, err
	}
	settle()
	clientBefore := clientMemory()

	opts := &websocket.DialOptions{
		HTTP2:     cfg.HTTP2,
		TLSConfig: &tls.Config{RootCAs: cfg.Roots}, // one pointer: one HTTP/2 connection
		NoProxy:   true,
	}
	opts.PingInterval = -1
	msg := bytes.Repeat([]byte{'h'}, cfg.Size)
	conns := make([]*websocket.Conn, cfg.Conns)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.CloseNow()
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, cfg.Conns)
	sem := make(chan struct{}, 32)
	for i := range conns {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			c, _, err := websocket.Dial(ctx, "wss://"+cfg.Addr+"/", opts)
			if err != nil {
				errs <- err
				return
			}
			conns[i] = c
			if err := c.Write(ctx, websocket.MessageBinary, msg); err != nil {
				errs <- err
				return
			}
			if _, got, err := c.Read(ctx); err != nil || !bytes.Equal(got, msg) {
				errs <- fmt.Errorf("first echo: %d bytes, %v", len(got), err)
			}
		})
	}
	wg.Wait()
	select {
	case err := <-errs:
		return res, err
	default:
	}

	var count atomic.Int64
	var stop atomic.Bool
	for _, c := range conns {
		wg.Go(func() {
			buf := make([]byte, 0, cfg.Size)
			for n := int64(0); n < cfg.MaxMessages && !stop.Load(); n++ {
				if err := c.Write(ctx, websocket.MessageBinary, msg); err != nil {
					errs <- err
					return
				}
				_, got, err := c.AppendRead(ctx, buf[:0])
				if err != nil {
					errs <- err
					return
				}
				buf = got[:0]
				count.Add(1)
			}
		})
	}
	if cfg.Duration > 0 {
		time.Sleep(cfg.Warmup)
	}
	n0, t0 := count.Load(), time.Now()
	own0, _ := ReadProc(os.Getpid())
	cpu0, err := cfg.Server.CPU()
	if err != nil {
		stop.Store(true)
		wg.Wait()
		return res, err
	}
	if cfg.Duration > 0 {
		time.Sleep(cfg.Duration)
	} else {
		wg.Wait()
	}
	n1, t1 := count.Load(), time.Now()
	own1, _ := ReadProc(os.Getpid())
	cpu1, err := cfg.Server.CPU()
	stop.Store(true)
	wg.Wait()
	if err != nil {
		return res, err
	}
	select {
	case err := <-errs:
		return res, err
	default:
	}
	res.Messages = n1 - n0
	res.Seconds = t1.Sub(t0).Seconds()
	if res.Messages == 0 {
		return res, errors.New("no message echoed while measuring")
	}
	res.MsgsPerSec = float64(res.Messages) / res.Seconds
	res.CPUusPerMsg = float64((cpu1 - cpu0).Microseconds()) / float64(res.Messages)
	res.ClientCPUus = float64((own1.CPU - own0.CPU).Microseconds()) / float64(res.Messages)

	after, err := cfg.Server.Memory()
	if err != nil {
		return res, err
	}
	clientAfter := clientMemory()
	per := func(a, b int64) float64 { return float64(a-b) / float64(cfg.Conns) }
	res.ServerRSSPerWS = per(after.RSS, before.RSS)
	res.ServerHeapPerWS = per(after.Heap, before.Heap)
	res.ServerStacksPerWS = per(after.Stacks, before.Stacks)
	res.ClientHeapPerWS = per(clientAfter.Heap, clientBefore.Heap)
	res.ClientStacksPerWS = per(clientAfter.Stacks, clientBefore.Stacks)
	res.ServerGoroutinesPerWS = per(after.Goroutines, before.Goroutines)
	res.ClientGoroutinesPerWS = per(clientAfter.Goroutines, clientBefore.Goroutines)
	res.TCP, res.H1, res.H2 = after.TCP-before.TCP, after.H1-before.H1, after.H2-before.H2
	want := MemoryStat{TCP: int64(cfg.Conns), H1: int64(cfg.Conns)}
	if cfg.HTTP2 {
		want = MemoryStat{TCP: 1, H2: int64(cfg.Conns)}
	}
	if res.TCP != want.TCP || res.H1 != want.H1 || res.H2 != want.H2 {
		return res, fmt.Errorf("server saw %d TCP connections, %d HTTP/1.1 and %d HTTP/2 WebSockets; want %d, %d and %d",
			res.TCP, res.H1, res.H2, want.TCP, want.H1, want.H2)
	}
	return res, nil
}

// settle waits, up to a second, for the goroutines of an earlier run's
// connections to end, so that they are not counted in this run's "before":
// until their number has not fallen for three checks in a row.
func settle() {
	last, still := runtime.NumGoroutine(), 0
	for range 50 {
		time.Sleep(20 * time.Millisecond)
		n := runtime.NumGoroutine()
		if n < last {
			last, still = n, 0
			continue
		}
		if still++; still == 3 {
			return
		}
	}
}

// clientMemory is this process's heap and stacks after two collections
// (the second empties the sync.Pools, where x/net/http2 keeps its buffers).
func clientMemory() MemoryStat {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return MemoryStat{Heap: int64(m.HeapInuse), Stacks: int64(m.StackInuse), Goroutines: int64(runtime.NumGoroutine())}
}
