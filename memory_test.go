package websocket_test

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/internal/testutil"
	"github.com/wskit/websocket/wire"
)

// marker is the payload the hostile peers send after a frame header that
// promises much more; a server connection that has read it and asks the
// socket for more is waiting inside Read, its buffer already made.
var marker = []byte("0123456789abcdef")

// markerListener wraps a listener so that the test learns when each
// accepted connection, having read marker, reads again.
type markerListener struct {
	net.Listener
	waiting chan struct{}
}

func (l *markerListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &markerConn{Conn: c, waiting: l.waiting}, nil
}

type markerConn struct {
	net.Conn
	waiting chan struct{}
	tail    []byte
	once    sync.Once
}

func (c *markerConn) Read(p []byte) (int, error) {
	if bytes.HasSuffix(c.tail, marker) {
		c.once.Do(func() { c.waiting <- struct{}{} })
	}
	n, err := c.Conn.Read(p)
	c.tail = append(c.tail, p[:n]...)
	if len(c.tail) > 64 {
		c.tail = c.tail[len(c.tail)-64:]
	}
	return n, err
}

// TestDeclaredLengthReservesNothing is the declared-length amplification
// probe: 64 connections each declare a 30 MiB frame, within the limit,
// and send 16 bytes of it. The server's heap may grow by what they sent
// plus the bounded first buffer of each read (64 KiB), never by what they
// declared: at most 16 MiB in all, where sizing from the header reserved
// 1.9 GiB.
func TestDeclaredLengthReservesNothing(t *testing.T) {
	const conns, declared = 64, 30 << 20
	opts := &websocket.AcceptOptions{ConnOptions: websocket.ConnOptions{MaxMessageSize: 64 << 20, PingInterval: -1}}
	ln := &markerListener{Listener: listenLoopback(t), waiting: make(chan struct{}, conns)}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, opts)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.Read(r.Context())
	}))
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	addr := ln.Addr().String()

	before := heapInUse()
	for range conns {
		p := testutil.DialRaw(t, addr, "/", false)
		if err := p.Header(wire.OpBinary, true, false, declared); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Write(marker); err != nil {
			t.Fatal(err)
		}
	}
	ctx := testCtx(t)
	for range conns {
		select {
		case <-ln.waiting:
		case <-ctx.Done():
			t.Fatal("the server connections did not all read the first bytes")
		}
	}
	grown := heapInUse() - before
	t.Logf("%d connections declaring %d MiB each: heap grew %.1f MiB", conns, declared>>20, float64(grown)/(1<<20))
	if grown > 16<<20 {
		t.Errorf("heap grew %.1f MiB, want at most 16 MiB", float64(grown)/(1<<20))
	}
}

// TestDeclaredLengthOverDefaultLimit: with the default limit, a frame
// declaring 30 MiB is refused with 1009 before any of it is read.
func TestDeclaredLengthOverDefaultLimit(t *testing.T) {
	ln := listenLoopback(t)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.Read(r.Context())
	}))
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	p := testutil.DialRaw(t, ln.Addr().String(), "/", false)
	if err := p.Header(wire.OpBinary, true, false, 30<<20); err != nil {
		t.Fatal(err)
	}
	code, err := p.CloseCode(time.Minute)
	if err != nil || code != 1009 {
		t.Fatalf("close code %d, %v; want 1009", code, err)
	}
}

func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// heapInUse returns the bytes of heap in use after a full collection.
func heapInUse() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapInuse)
}

// TestBombMemory sends decompression bombs (1 GiB of zeros, about 1 MB on
// the wire) to the README's server pattern with compression on, one and
// then eight at once, in a process of its own. Each is answered with
// 1009, and the server's peak RSS grows by at most 64 MiB: inflating a
// message holds at most the limit (1 MiB by default) and the inflater's
// fixed working memory.
func TestBombMemory(t *testing.T) {
	p := testutil.StartProgram(t, "github.com/wskit/websocket/internal/echoprobe", `127\.0\.0\.1:\d+`, "-compress")
	testutil.CheckBombs(t, p, testutil.DeflateBomb(1<<30), 64<<20)
}
