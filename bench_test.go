package websocket_test

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"testing"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/handshake"
	"github.com/wskit/websocket/wire"
)

// memConn is an in-memory connection: reads replay src forever, writes are
// counted and dropped. It isolates the Conn's own cost from the network's.
type memConn struct {
	src []byte
	off int
}

func (m *memConn) Read(p []byte) (int, error) {
	if len(m.src) == 0 {
		return 0, io.EOF
	}
	n := copy(p, m.src[m.off:])
	m.off = (m.off + n) % len(m.src)
	return n, nil
}
func (m *memConn) Write(p []byte) (int, error) { return len(p), nil }
func (m *memConn) Close() error                { return nil }

var benchSizes = []int{16, 1024, 64 << 10}

func BenchmarkWrite(b *testing.B) {
	for _, role := range []websocket.Role{websocket.RoleServer, websocket.RoleClient} {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("%s/%d", role, n), func(b *testing.B) {
				c := websocket.NewConn(&memConn{}, role, &websocket.ConnOptions{PingInterval: -1})
				benchWrite(b, c, payload(websocket.MessageText, n, 1))
			})
		}
	}
}

// benchWrite writes p as a text message once per iteration.
func benchWrite(b *testing.B, c *websocket.Conn, p []byte) {
	ctx := context.Background()
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Write(ctx, websocket.MessageText, p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRead(b *testing.B) {
	for _, role := range []websocket.Role{websocket.RoleServer, websocket.RoleClient} {
		for _, n := range benchSizes {
			from := websocket.RoleClient
			if role == websocket.RoleClient {
				from = websocket.RoleServer
			}
			frame := rawFrame(from, frame(true, wire.OpText), payload(websocket.MessageText, n, 1))
			// Repeat the frame so that the replay buffer holds whole frames.
			src := frame
			for len(src) < 64<<10 {
				src = append(src, frame...)
			}
			b.Run(fmt.Sprintf("%s/whole/%d", role, n), func(b *testing.B) {
				c := websocket.NewConn(&memConn{src: src}, role, &websocket.ConnOptions{PingInterval: -1})
				ctx := context.Background()
				b.SetBytes(int64(n))
				b.ReportAllocs()
				for b.Loop() {
					if _, _, err := c.Read(ctx); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(fmt.Sprintf("%s/append/%d", role, n), func(b *testing.B) {
				c := websocket.NewConn(&memConn{src: src}, role, &websocket.ConnOptions{PingInterval: -1})
				ctx := context.Background()
				buf := make([]byte, 0, n)
				b.SetBytes(int64(n))
				b.ReportAllocs()
				for b.Loop() {
					var err error
					if _, buf, err = c.AppendRead(ctx, buf[:0]); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(fmt.Sprintf("%s/stream/%d", role, n), func(b *testing.B) {
				c := websocket.NewConn(&memConn{src: src}, role, &websocket.ConnOptions{PingInterval: -1})
				buf := make([]byte, 32<<10)
				b.SetBytes(int64(n))
				b.ReportAllocs()
				for b.Loop() {
					readStreamed(b, c, buf)
				}
			})
		}
	}
}

// jsonLike returns about n bytes of JSON records with varying values, the
// kind of message compression is for.
func jsonLike(n int) []byte {
	var b []byte
	for i := 0; len(b) < n; i++ {
		b = fmt.Appendf(b, `{"id":%d,"user":"user-%d","room":"lobby-%d","text":"message number %d","ts":%d},`, i, i*7%1000, i%13, i, 1700000000+i*37)
	}
	return b[:n]
}

var deflateExt = []handshake.Extension{{Name: "permessage-deflate"}}

func BenchmarkWriteCompressed(b *testing.B) {
	for _, n := range []int{1024, 64 << 10} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			c := websocket.NewConn(&memConn{}, websocket.RoleServer, &websocket.ConnOptions{PingInterval: -1, Extensions: deflateExt})
			benchWrite(b, c, jsonLike(n))
		})
	}
}

func BenchmarkReadCompressed(b *testing.B) {
	for _, n := range []int{1024, 64 << 10} {
		// Messages compressed without context takeover stand alone, so the
		// same frame can be replayed to a reader that keeps its context.
		comp := deflate.NewCompressor(deflate.Flow{NoContextTakeover: true}, 0)
		z := comp.Finish(comp.Compress(nil, jsonLike(n)))
		frame := rawFrame(websocket.RoleClient, wire.Header{Fin: true, Opcode: wire.OpText, RSV: wire.RSV1}, z)
		src := frame
		for len(src) < 256<<10 {
			src = append(src, frame...)
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			c := websocket.NewConn(&memConn{src: src}, websocket.RoleServer, &websocket.ConnOptions{PingInterval: -1, Extensions: deflateExt})
			buf := make([]byte, 32<<10)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				readStreamed(b, c, buf)
			}
		})
	}
}

// BenchmarkIdleCompressedConn reports the heap held per idle connection
// with permessage-deflate and context takeover both ways, after one message
// each way: right after the message ("busy-B/conn"), and once the idle
// compressor has given its working memory back ("idle-B/conn", what the
// connection's timer does compressionIdle after its last message).
func BenchmarkIdleCompressedConn(b *testing.B) {
	const conns = 200
	ctx := context.Background()
	comp := deflate.NewCompressor(deflate.Flow{NoContextTakeover: true}, 0)
	msg := jsonLike(1024)
	frame := rawFrame(websocket.RoleClient, wire.Header{Fin: true, Opcode: wire.OpText, RSV: wire.RSV1}, comp.Finish(comp.Compress(nil, msg)))
	for b.Loop() {
		var before, busy, idle runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		cs := make([]*websocket.Conn, conns)
		for i := range cs {
			cs[i] = websocket.NewConn(&memConn{src: frame}, websocket.RoleServer, &websocket.ConnOptions{PingInterval: -1, Extensions: deflateExt})
			if _, _, err := cs[i].Read(ctx); err != nil {
				b.Fatal(err)
			}
			if err := cs[i].Write(ctx, websocket.MessageText, msg); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&busy)
		for _, c := range cs {
			websocket.ReleaseIdleCompressor(c) // what compressionIdle's timer does
		}
		runtime.GC() // pooled memory survives one collection in the
		runtime.GC() // pool's victim cache
		runtime.ReadMemStats(&idle)
		b.ReportMetric(float64(busy.HeapAlloc-before.HeapAlloc)/conns, "busy-B/conn")
		b.ReportMetric(float64(idle.HeapAlloc-before.HeapAlloc)/conns, "idle-B/conn")
		runtime.KeepAlive(cs)
	}
}

// readStreamed reads one message through Reader in pieces of len(buf).
func readStreamed(b testing.TB, c *websocket.Conn, buf []byte) {
	_, r, err := c.Reader(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	for {
		_, err := r.Read(buf)
		if err == io.EOF {
			return
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIdleConn reports the heap a Conn holds between messages, after
// one message each way, without compression ("B/conn"). The network
// connection's own memory is not counted: memConn stands in for it.
func BenchmarkIdleConn(b *testing.B) {
	const conns = 1000
	ctx := context.Background()
	msg := []byte("hello")
	frame := rawFrame(websocket.RoleClient, frame(true, wire.OpText), msg)
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		cs := make([]*websocket.Conn, conns)
		for i := range cs {
			cs[i] = websocket.NewConn(&memConn{src: frame}, websocket.RoleServer, &websocket.ConnOptions{PingInterval: -1})
			if _, _, err := cs[i].Read(ctx); err != nil {
				b.Fatal(err)
			}
			if err := cs[i].Write(ctx, websocket.MessageText, msg); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/conns, "B/conn")
		runtime.KeepAlive(cs)
	}
}
