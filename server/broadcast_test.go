package server_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/internal/testutil"
	"github.com/wskit/websocket/server"
	"github.com/wskit/websocket/wire"
)

// smallSendBuffers makes the kernel's send buffer of every accepted
// connection small, so that a client that stops reading stalls the server's
// writes after a few kilobytes instead of megabytes.
func smallSendBuffers(l net.Listener) net.Listener { return smallBufListener{l} }

type smallBufListener struct{ net.Listener }

func (l smallBufListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4096)
	}
	return c, err
}

// stalledClient opens a WebSocket connection by hand over a TCP socket
// with a small receive buffer, and then reads nothing until told to.
type stalledClient struct {
	conn net.Conn
	br   *bufio.Reader
}

func dialStalled(t *testing.T, base, path string) *stalledClient {
	t.Helper()
	u, _ := url.Parse(base)
	d := net.Dialer{Control: nil}
	c, err := d.DialContext(testCtx(t), "tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.(*net.TCPConn).SetReadBuffer(4096)
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", path, u.Host)
	br := bufio.NewReaderSize(c, 512)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("stalled client handshake: %v %v", resp, err)
	}
	return &stalledClient{c, br}
}

// drain reads frames until a close frame or the end of the stream, and
// returns the data messages read and the close code (0 without one).
func (s *stalledClient) drain(t *testing.T) (msgs int, code wire.StatusCode) {
	s.conn.SetReadDeadline(testutil.Deadline(t))
	var dec wire.Decoder
	var ev wire.Event
	var closePayload []byte
	buf := make([]byte, 32<<10)
	for {
		n, err := s.br.Read(buf)
		b := buf[:n]
		for len(b) > 0 {
			k, derr := dec.Decode(b, &ev)
			if derr != nil {
				t.Fatalf("stalled client decode: %v", derr)
			}
			b = b[k:]
			if ev.Kind == wire.EventNone {
				continue
			}
			switch ev.Header.Opcode {
			case wire.OpClose:
				closePayload = append(closePayload, ev.Payload...)
				if ev.FrameEnd() {
					code, _, _ = wire.ParseClosePayload(closePayload)
					return msgs, code
				}
			case wire.OpText, wire.OpBinary:
				if ev.FrameEnd() {
					msgs++
				}
			}
		}
		if err != nil {
			return msgs, 0
		}
	}
}

// TestBroadcastStalledReader broadcasts to 1,000 connections over loopback
// while one of them reads nothing: every other connection receives every
// message in order, the stalled one is closed with 1008 by the CloseSlow
// policy once its queue is full, and no queue grows past its bound.
func TestBroadcastStalledReader(t *testing.T) {
	const (
		conns    = 1000
		messages = 200
		size     = 512
		queue    = 32
		window   = 16 // how far the broadcaster may run ahead of the slowest healthy reader
	)
	// The close of the stalled connection waits for that client to read,
	// which on a loaded machine under -race can take longer than the
	// default close timeout; the test's own deadline bounds it instead.
	srv := server.New(&server.Options{SendQueue: queue, AcceptOptions: websocket.AcceptOptions{
		ConnOptions: websocket.ConnOptions{CloseTimeout: time.Until(testutil.Deadline(t))},
	}})
	started := newStarts()
	srv.Handle("/feed", started.wrap(readUntilEnd))
	base := serve(t, srv, smallSendBuffers)
	ctx := testCtx(t)

	stalled := dialStalled(t, base, "/feed")
	clients := make([]*websocket.Conn, conns-1)
	var wg sync.WaitGroup
	var dialErr atomic.Value
	next := atomic.Int64{}
	for range 8 {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(clients); i = int(next.Add(1)) - 1 {
				c, _, err := websocket.Dial(ctx, base+"/feed", nil)
				if err != nil {
					dialErr.Store(err)
					return
				}
				clients[i] = c
			}
		})
	}
	wg.Wait()
	if err := dialErr.Load(); err != nil {
		t.Fatal(err)
	}
	for _, c := range clients {
		t.Cleanup(func() { c.CloseNow() })
	}
	started.wait(conns)
	var stalledConn *websocket.Conn
	for _, c := range srv.Conns() {
		if _, port := splitPort(c.RemoteAddr()); port == portOf(stalled.conn.LocalAddr()) {
			stalledConn = c.(*websocket.Conn)
		}
	}
	if stalledConn == nil {
		t.Fatal("the stalled client is not in the registry")
	}

	// Every normal client checks that it gets every message, in order.
	errs := make(chan error, len(clients))
	prog := newProgress(len(clients))
	for k, c := range clients {
		go func() {
			defer prog.set(k, messages) // a failed reader holds nobody back
			for i := range messages {
				prog.set(k, int64(i))
				_, p, err := c.Read(ctx)
				if err != nil {
					errs <- fmt.Errorf("message %d: %w", i, err)
					return
				}
				if got := binary.BigEndian.Uint32(p); got != uint32(i) || len(p) != size {
					errs <- fmt.Errorf("message %d: got number %d, %d bytes", i, got, len(p))
					return
				}
			}
			errs <- nil
		}()
	}

	maxQueue, closed := 0, 0
	stalledDone := make(chan stalledResult, 1)
	start := time.Now()
	for i := range messages {
		p := make([]byte, size)
		binary.BigEndian.PutUint32(p, uint32(i))
		res, err := srv.Broadcast(websocket.MessageBinary, p)
		if err != nil {
			t.Fatal(err)
		}
		closed += res.Closed
		if res.Closed > 0 {
			// Read at once, so that the close frame gets through before
			// the close timeout.
			go func() {
				n, code := stalled.drain(t)
				stalledDone <- stalledResult{n, code}
			}()
		}
		if res.Queued < conns-1 || res.Dropped != 0 {
			t.Fatalf("broadcast %d: %+v, want all %d healthy connections queued", i, res, conns-1)
		}
		if n := server.QueueLen(srv, stalledConn); n > maxQueue {
			maxQueue = n
		}
		// Pace the broadcasts by the slowest healthy reader, so that on
		// this shared machine only the stalled client fills its queue.
		prog.await(t, ctx, int64(i+1-window))
	}
	for range clients {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d messages to %d connections in %v", messages, conns, time.Since(start))
	if closed != 1 {
		t.Fatalf("%d connections closed as slow, want exactly the stalled one", closed)
	}
	if maxQueue > queue {
		t.Fatalf("the stalled connection's queue reached %d, past its bound %d", maxQueue, queue)
	}
	st := srv.Stats()
	if st.SlowClosed != 1 || st.BroadcastDropped != 0 {
		t.Fatalf("Stats: SlowClosed %d, BroadcastDropped %d", st.SlowClosed, st.BroadcastDropped)
	}
	// The stalled client, reading at last, gets what had reached it and
	// then the close frame with 1008.
	r := <-stalledDone
	got, code := r.msgs, r.code
	if code != websocket.StatusPolicyViolation {
		t.Fatalf("stalled client: close code %d after %d messages, want 1008", code, got)
	}
	if got >= messages || got == 0 {
		t.Fatalf("stalled client got %d of %d messages before its close", got, messages)
	}
	t.Logf("stalled client got %d messages, then 1008; max queue %d", got, maxQueue)
}

// With DropMessage, a stalled client misses messages but stays connected,
// and its queue stays at its bound.
func TestBroadcastDropPolicy(t *testing.T) {
	const queue, messages = 4, 200
	srv := server.New(&server.Options{SendQueue: queue, OnQueueFull: server.DropMessage})
	started := newStarts()
	srv.Handle("/feed", started.wrap(readUntilEnd))
	base := serve(t, srv, smallSendBuffers)
	ctx := testCtx(t)
	stalled := dialStalled(t, base, "/feed")
	healthy := dial(t, base+"/feed", nil)
	started.wait(2)
	var stalledConn *websocket.Conn
	for _, c := range srv.Find("", portOf(stalled.conn.LocalAddr())) {
		stalledConn = c.(*websocket.Conn)
	}
	done := make(chan error, 1)
	prog := newProgress(1)
	go func() {
		for range messages {
			if _, _, err := healthy.Read(ctx); err != nil {
				done <- err
				return
			}
			prog.add(0)
		}
		done <- nil
	}()
	dropped := 0
	for i := range messages {
		// Keep the healthy client within half its queue, so that only the
		// stalled one ever finds its queue full.
		prog.await(t, ctx, int64(i-queue/2))
		res, _ := srv.Broadcast(websocket.MessageBinary, make([]byte, 1024))
		dropped += res.Dropped
		if n := server.QueueLen(srv, stalledConn); n > queue {
			t.Fatalf("queue length %d past its bound %d", n, queue)
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("healthy client: %v", err)
	}
	if dropped == 0 || uint64(dropped) != srv.Stats().BroadcastDropped {
		t.Fatalf("dropped %d, Stats says %d", dropped, srv.Stats().BroadcastDropped)
	}
	if stalledConn.Err() != nil || srv.Count() != 2 {
		t.Fatalf("the stalled client was closed under DropMessage: %v", stalledConn.Err())
	}
	got, _ := drainSome(stalled)
	if got+dropped != messages {
		t.Fatalf("stalled client: %d received + %d dropped != %d", got, dropped, messages)
	}
}

// drainSome reads what the stalled client has waiting once the server's
// sender is done, counting whole data messages.
func drainSome(s *stalledClient) (int, error) {
	var dec wire.Decoder
	var ev wire.Event
	msgs := 0
	buf := make([]byte, 32<<10)
	for {
		s.conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		n, err := s.br.Read(buf)
		b := buf[:n]
		for len(b) > 0 {
			k, derr := dec.Decode(b, &ev)
			if derr != nil {
				return msgs, derr
			}
			b = b[k:]
			if ev.Kind != wire.EventNone && !ev.Header.Opcode.IsControl() && ev.FrameEnd() {
				msgs++
			}
		}
		if err != nil {
			return msgs, err
		}
	}
}

type stalledResult struct {
	msgs int
	code wire.StatusCode
}

func splitPort(a net.Addr) (string, string) {
	h, p, _ := net.SplitHostPort(a.String())
	return h, p
}

func portOf(a net.Addr) string { _, p := splitPort(a); return p }

var _ = context.Background
