package websocket

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/wskit/websocket/endpoint"
)

// errCannotPing is Ping's error on a transport that cannot send pings: the
// browser's WebSocket, under js/wasm.
var errCannotPing = fmt.Errorf("websocket: the browser's WebSocket cannot send pings: %w", errors.ErrUnsupported)

// ErrPongTimeout is the cause recorded when a keepalive ping got no pong
// within the pong timeout and the connection was closed as dead.
var ErrPongTimeout = errors.New("websocket: no pong to a keepalive ping in time")

// pingWaiter is a ping sent and not yet answered.
type pingWaiter struct {
	payload []byte
	done    chan struct{}
}

// Ping sends a ping and waits for its pong, returning the round-trip time
// (RFC 6455 §5.5.2). The pong is seen by whichever goroutine is reading;
// when none is, Ping reads itself until the pong arrives, but it stops at a
// data message, which is the application's: the pong is then found by the
// application's next read. If ctx ends first, Ping returns ctx.Err() and
// the connection stays open.
func (c *Conn) Ping(ctx context.Context) (time.Duration, error) {
	if _, ok := c.rwc.(interface{ cannotPing() }); ok {
		return 0, errCannotPing
	}
	seq := pingSeq.Add(1)
	// The top bit keeps these payloads apart from the keepalive's.
	var p [8]byte
	binary.BigEndian.PutUint64(p[:], seq|1<<63)
	w := pingWaiter{payload: bytes.Clone(p[:]), done: make(chan struct{})}
	c.mu.Lock()
	c.pings = append(c.pings, w)
	c.mu.Unlock()
	start := time.Now()
	err := c.ep.Ping(p[:])
	if err != nil {
		err = c.endErr()
	} else {
		err = c.flushOutgoing(ctx)
	}
	if err == nil {
		err = c.await(ctx, w.done, false, func(err error) error { return err })
	}
	if err != nil {
		c.dropWaiter(w.done)
		return 0, err
	}
	return time.Since(start), nil
}

func (c *Conn) dropWaiter(done chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, w := range c.pings {
		if w.done == done {
			c.pings = append(c.pings[:i], c.pings[i+1:]...)
			return
		}
	}
}

// gotPong answers the ping whose payload the pong carries, and every ping
// sent before it: a peer may answer only the latest of several pings
// (RFC 6455 §5.5.3). A pong that answers nothing is ignored.
func (c *Conn) gotPong(payload []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, w := range c.pings {
		if bytes.Equal(w.payload, payload) {
			for _, e := range c.pings[:i+1] {
				close(e.done)
			}
			c.pings = append(c.pings[:0], c.pings[i+1:]...)
			return
		}
	}
}

// SetKeepAlive changes keepalive on a live connection: a ping every
// interval (0 or less turns keepalive off), and the connection closed as
// dead when a pong takes longer than pongTimeout (0 means interval).
func (c *Conn) SetKeepAlive(interval, pongTimeout time.Duration) {
	if pongTimeout <= 0 {
		pongTimeout = interval
	}
	c.ep.SetKeepAlive(c.now(), int64(max(interval, 0)), int64(pongTimeout))
	c.scheduleTimer()
}

// pingSeq numbers the payloads of Ping, across connections.
var pingSeq atomic.Uint64

// clockStart is the origin of the clock the endpoints are told: the time on
// it is time.Since(clockStart), which is monotonic (and, in a synctest
// bubble, follows the bubble's clock).
var clockStart = time.Now()

// now is the time on the endpoints' clock.
func (c *Conn) now() int64 { return int64(time.Since(clockStart)) }

// scheduleTimer arms the keepalive timer for when the endpoint next wants
// to be told the time, or stops it when it wants none.
func (c *Conn) scheduleTimer() {
	at, ok := c.ep.NextTimer()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.State() == StateClosed {
		return
	}
	if !ok {
		if c.keepalive != nil {
			c.keepalive.Stop()
		}
		return
	}
	d := time.Duration(at - c.now())
	if c.keepalive == nil {
		c.keepalive = time.AfterFunc(d, c.keepAliveTick)
		return
	}
	c.keepalive.Reset(d)
}

// keepAliveTick tells the endpoint the time: a keepalive ping that is due
// goes out, and one whose pong is late fails the connection with 1011.
// The pong is seen by the application's reads; keepalive never reads.
func (c *Conn) keepAliveTick() {
	if err := c.ep.Tick(c.now()); err != nil {
		if errors.Is(err, endpoint.ErrPongTimeout) {
			c.failNow(ErrPongTimeout)
		}
		return
	}
	// A keepalive ping may wait behind a data frame going out to a slow
	// reader for as long as its pong may take, not just the close timeout.
	deadline := time.Now().Add(c.cfg.closeTimeout)
	if at, ok := c.ep.KeepalivePending(); ok && clockStart.Add(time.Duration(at)).After(deadline) {
		deadline = clockStart.Add(time.Duration(at))
	}
	if c.sendOutgoingBy(deadline) != nil {
		return
	}
	if at, ok := c.ep.KeepalivePending(); ok {
		// While nothing else reads, read for the pong here, through the
		// same path as every read; the endpoint decides when it is late.
		c.mu.Lock()
		wait := make(chan struct{})
		c.kaWait = wait
		c.mu.Unlock()
		ctx, cancel := context.WithDeadline(context.Background(), clockStart.Add(time.Duration(at)))
		c.await(ctx, wait, false, func(err error) error { return err })
		cancel()
	}
	c.scheduleTimer()
}

// gotKeepalivePong wakes the keepalive tick waiting for its pong.
func (c *Conn) gotKeepalivePong() {
	c.mu.Lock()
	if c.kaWait != nil {
		close(c.kaWait)
		c.kaWait = nil
	}
	c.mu.Unlock()
}

// flushOutgoing writes the control frames the endpoint has queued (pongs,
// close frames, pings), between data frames.
func (c *Conn) flushOutgoing(ctx context.Context) error {
	if !c.ep.HasOutgoing() {
		return nil
	}
	if err := c.acquire(ctx, &c.fsem); err != nil {
		return err
	}
	defer c.release(&c.fsem)
	c.obuf = c.ep.AppendOutgoing(c.obuf[:0])
	if len(c.obuf) == 0 {
		return nil
	}
	stop := c.watchWrite(ctx)
	n, err := c.rwc.Write(c.obuf)
	return c.writeResult(ctx, n, err, stop.ended())
}

// flushOutgoingBy is flushOutgoing bounded by a deadline rather than a
// context. On a connection with write deadlines, when no write is in
// progress, it sets the deadline on the socket itself: no context, timer
// or callback is made for each pong or close frame sent. With last set
// nothing is written after these frames (the close frame answering the
// peer's), so the deadline is left in place rather than cleared: closing
// the socket drops it.
func (c *Conn) flushOutgoingBy(deadline time.Time, last bool) error {
	if !c.ep.HasOutgoing() {
		return nil
	}
	if !c.wwatch.deadlines || !c.fsem.try() {
		return c.flushOutgoingUntil(deadline)
	}
	// fsem is released without defer, and the other way to flush is a
	// function of its own, to keep this frame small: the answer to the
	// peer's close frame is written deep in a reading goroutine's stack.
	c.obuf = c.ep.AppendOutgoing(c.obuf[:0])
	if len(c.obuf) == 0 {
		c.release(&c.fsem)
		return nil
	}
	// A control frame nearly always fits in the socket's buffer: it is
	// written at once, without the write deadline, which would cost a
	// runtime timer set and stopped. Only what the buffer did not take
	// waits, within the deadline; the holder of fsem owns it (see watch).
	n := c.in.writeNow(c.obuf)
	var err error
	if n < len(c.obuf) {
		n, err = c.writeRestBy(deadline, n, last)
	}
	c.release(&c.fsem)
	if err != nil {
		return c.flushFailed(n, err)
	}
	return nil
}

// writeRestBy writes obuf past its first n bytes, which went out already,
// within deadline, and returns how many bytes of obuf were written. The
// deadline stays for a last write, before the connection is closed. The
// caller holds fsem.
//
//go:noinline
func (c *Conn) writeRestBy(deadline time.Time, n int, last bool) (int, error) {
	c.setDeadline(&c.wwatch, deadline)
	m, err := c.rwc.Write(c.obuf[n:])
	if !last {
		c.setDeadline(&c.wwatch, time.Time{})
	}
	return n + m, err
}

// flushFailed is the error of flushOutgoingBy's write of n bytes that
// failed with err.
//
//go:noinline
func (c *Conn) flushFailed(n int, err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// As flushOutgoing reports its context's end.
		if n == 0 {
			return context.DeadlineExceeded
		}
		return c.abort(context.DeadlineExceeded)
	}
	return c.writeResult(context.Background(), n, err, false)
}

// flushOutgoingUntil is flushOutgoing with a context ending at deadline,
// for a connection without write deadlines or a write in progress.
//
//go:noinline
func (c *Conn) flushOutgoingUntil(deadline time.Time) error {
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	return c.flushOutgoing(ctx)
}

func closed(ch chan struct{}) bool {
	if ch == nil {
		return false
	}
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
