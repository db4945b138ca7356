package websocket_test

import (
	"bytes"
	"fmt"
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

// readmeServer starts the README's server pattern in this process: Accept,
// then Read and Write until the connection ends. It returns the address.
func readmeServer(t *testing.T) string {
	ln := listenLoopback(t)
	srv := httptest.NewUnstartedServer(readmeEcho(nil))
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return ln.Addr().String()
}

// floodUntilBlocked writes batch to p over and over, never reading, until
// a write has made no progress for a second (the server stopped reading:
// backpressure) or max bytes went out. It returns the bytes written.
func floodUntilBlocked(p *testutil.RawPeer, batch []byte, max int) int {
	sent := 0
	for sent < max {
		p.SetWriteDeadline(time.Now().Add(time.Second))
		n, err := p.Write(batch)
		sent += n
		if err != nil {
			break
		}
	}
	p.SetWriteDeadline(time.Time{})
	return sent
}

// TestPingFloodPongsUnread: a peer sends pings and never reads the pongs.
// The server answers until its socket's send buffer is full, then stops
// reading, so the kernel's buffers hold the flood, not the heap: 8
// connections flooding grow it by no more than 4 MiB.
func TestPingFloodPongsUnread(t *testing.T) {
	addr := readmeServer(t)
	var batch []byte
	for range 1000 {
		batch = wire.AppendFrame(batch, wire.Header{Fin: true, Opcode: wire.OpPing, Masked: true, Length: 125}, bytes.Repeat([]byte{'p'}, 125))
	}
	checkFlood(t, addr, batch)
}

// TestSlowReader: a peer sends 64 KiB messages to the echo loop and never
// reads the echoes. The server's Write blocks once the socket's buffers
// are full, its Read is not called again, and the heap holds one message
// per connection: 8 connections grow it by no more than 4 MiB.
func TestSlowReader(t *testing.T) {
	addr := readmeServer(t)
	msg := make([]byte, 64<<10)
	batch := wire.AppendFrame(nil, wire.Header{Fin: true, Opcode: wire.OpBinary, Masked: true, Length: int64(len(msg))}, msg)
	checkFlood(t, addr, batch)
}

// checkFlood sends batch, over and over, on 8 connections to addr until
// the server stops reading, and checks the heap's growth.
func checkFlood(t *testing.T, addr string, batch []byte) {
	const conns = 8
	before := heapInUse()
	sent := 0
	for range conns {
		p := testutil.DialRaw(t, addr, "/", false)
		sent += floodUntilBlocked(p, batch, 256<<20)
	}
	grown := heapInUse() - before
	t.Logf("%d connections flooded the server with %.1f MiB it has not answered: heap grew %.2f MiB", conns, float64(sent)/(1<<20), float64(grown)/(1<<20))
	if grown > 4<<20 {
		t.Errorf("heap grew %.1f MiB, want at most 4 MiB", float64(grown)/(1<<20))
	}
}

// TestFragmentFloodMemory sends the README's server, in a process of its
// own, messages cut into tiny fragments: 8 connections at once each send
// a 1 MiB message in 1-byte fragments (echoed), then a message of 1
// million empty fragments (echoed), then 1-byte fragments past the limit
// (1009). The server holds the bytes of the message, never a record per
// fragment: peak RSS grows by at most 32 MiB.
func TestFragmentFloodMemory(t *testing.T) {
	p := testutil.StartProgram(t, "github.com/wskit/websocket/internal/echoprobe", `127\.0\.0\.1:\d+`)
	const conns = 8
	one := make([]byte, 0, 7<<20)
	for i := range 1 << 20 {
		op := wire.OpContinuation
		if i == 0 {
			op = wire.OpBinary
		}
		one = wire.AppendFrame(one, wire.Header{Fin: i == 1<<20-1, Opcode: op, Masked: true, Length: 1}, []byte{'f'})
	}
	empty := make([]byte, 0, 6<<20)
	for i := range 1 << 20 {
		op := wire.OpContinuation
		if i == 0 {
			op = wire.OpBinary
		}
		empty = wire.AppendFrame(empty, wire.Header{Fin: i == 1<<20-1, Opcode: op, Masked: true}, nil)
	}
	over := bytes.Clone(one[:len(one)-7])                                                       // all but the last fragment
	over = wire.AppendFrame(over, wire.Header{Opcode: 0, Masked: true, Length: 1}, []byte{'f'}) // one more, still not final
	over = wire.AppendFrame(over, wire.Header{Fin: true, Opcode: 0, Masked: true, Length: 1}, []byte{'f'})

	base := p.ResetPeak(t)
	errs := make(chan error, conns)
	for range conns {
		peer := testutil.DialRaw(t, p.Match, "/", false)
		go func() { errs <- fragmentRounds(peer, one, empty, over) }()
	}
	for range conns {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	_, peak := p.Memory(t)
	grown := peak - base
	t.Logf("%d connections, 1 MiB in 1-byte fragments, 1M empty fragments, then past the limit: peak RSS grew %.1f MiB", conns, float64(grown)/(1<<20))
	if grown > 32<<20 {
		t.Errorf("peak RSS grew %.1f MiB, want at most 32 MiB", float64(grown)/(1<<20))
	}
}

// fragmentRounds sends one (echoed whole), empty (echoed empty) and over
// (refused with 1009) on peer.
func fragmentRounds(peer *testutil.RawPeer, one, empty, over []byte) error {
	peer.SetReadDeadline(time.Now().Add(5 * time.Minute))
	for _, round := range []struct {
		frames []byte
		want   int
	}{{one, 1 << 20}, {empty, 0}} {
		go peer.Write(round.frames)
		h, b, err := peer.NextData()
		if err != nil || h.Opcode != wire.OpBinary || len(b) != round.want {
			return fmt.Errorf("echo of a fragmented message: %v %q, %v; want %d bytes", h.Opcode, b[:min(len(b), 32)], err, round.want)
		}
	}
	go peer.Write(over)
	code, err := peer.CloseCode(5 * time.Minute)
	if err != nil || code != 1009 {
		return fmt.Errorf("message past the limit in fragments: close code %d, %v; want 1009", code, err)
	}
	return nil
}
