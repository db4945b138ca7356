package server_test

import (
	"bufio"
	"context"
	"fmt"
	"github.com/wskit/websocket/wire"
	"io"
	"net"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/server"
)

// BenchmarkBroadcast broadcasts one 64-byte text message per iteration to
// 1,000 connections over loopback and reports deliveries per second
// ("msgs/s": messages received by clients), counting until the last client
// has the last message. The clients run in this process and share its two
// cores with the server.
func BenchmarkBroadcast(b *testing.B) {
	for _, n := range []int{1000} {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) { benchBroadcast(b, n) })
	}
}

func benchBroadcast(b *testing.B, conns int) {
	srv := server.New(&server.Options{SendQueue: 1024})
	started := newStarts()
	srv.Handle("/", started.wrap(readUntilEnd))
	base := serve(b, srv, nil)
	prog := newProgress(conns)
	ctx := testCtx(b)
	var wg sync.WaitGroup
	for k := range conns {
		c := dial(b, base+"/", &websocket.DialOptions{ConnOptions: websocket.ConnOptions{ReadBufferSize: 512}})
		wg.Go(func() {
			for {
				if _, _, err := c.Read(context.Background()); err != nil {
					return
				}
				prog.add(k)
			}
		})
	}
	started.wait(conns)
	pm := []byte(`{"type":"tick","symbol":"WSKT","price":101.25,"size":300}  `)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		res, err := srv.Broadcast(websocket.MessageText, pm)
		if err != nil || res.Queued != conns {
			b.Fatalf("broadcast %d: %+v %v", i, res, err)
		}
		// Keep the slowest reader within 512 messages, half the queue.
		if i%64 == 63 {
			prog.await(b, ctx, int64(i-512))
		}
	}
	prog.await(b, ctx, int64(b.N))
	want := int64(b.N) * int64(conns)
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(want)/elapsed.Seconds(), "msgs/s")
	for _, c := range srv.Conns() {
		c.(*websocket.Conn).CloseNow()
	}
	wg.Wait()
}

// BenchmarkIdleServerConn reports the memory the server holds for each
// idle connection ("B/conn": heap and goroutine stacks, after a GC), with
// keepalive on and the handler blocked in Read, as a chat server's are:
// "fresh" just after the handshake, "after-echo" after one message each
// way. The clients are bare TCP sockets that did the handshake by hand, so
// little of the figure is theirs.
func BenchmarkIdleServerConn(b *testing.B) {
	for _, echoed := range []bool{false, true} {
		name := "fresh"
		if echoed {
			name = "after-echo"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				idleServerConns(b, 2000, echoed)
			}
		})
	}
}

func idleServerConns(b *testing.B, conns int, echoed bool) {
	srv := server.New(nil)
	started, ended := newStarts(), endsOf(srv)
	srv.Handle("/", started.wrap(func(ctx context.Context, c *websocket.Conn) error {
		if echoed {
			typ, p, err := c.Read(ctx)
			if err != nil {
				return err
			}
			if err := c.Write(ctx, typ, p); err != nil {
				return err
			}
		}
		return readUntilEnd(ctx, c)
	}))
	hs := &http.Server{Handler: srv}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go hs.Serve(ln)
	hello := wire.AppendFrame(nil, wire.Header{Fin: true, Opcode: wire.OpText, Length: 5, Masked: true, Mask: [4]byte{1, 2, 3, 4}},
		[]byte("hello"))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	clients := make([]net.Conn, conns)
	for i := range clients {
		clients[i] = rawHandshake(b, ln.Addr().String())
		if echoed {
			clients[i].Write(hello)
			var reply [7]byte
			if _, err := io.ReadFull(clients[i], reply[:]); err != nil || string(reply[2:]) != "hello" {
				b.Fatalf("echo: %q %v", reply, err)
			}
		}
	}
	started.wait(conns)
	runtime.GC()
	runtime.ReadMemStats(&after)
	used := (after.HeapAlloc + after.StackInuse) - (before.HeapAlloc + before.StackInuse)
	b.ReportMetric(float64(used)/float64(conns), "B/conn")
	b.ReportMetric(float64(after.StackInuse-before.StackInuse)/float64(conns), "stackB/conn")
	for _, c := range clients {
		c.Close()
	}
	ended.wait(conns)
	srv.Shutdown(testCtx(b))
	hs.Close()
}

// rawHandshake opens a WebSocket connection by hand and returns the bare
// socket.
func rawHandshake(b *testing.B, addr string) net.Conn {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", addr)
	resp, err := http.ReadResponse(bufio.NewReaderSize(c, 256), nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		b.Fatalf("handshake: %v %v", resp, err)
	}
	return c
}
