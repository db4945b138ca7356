package websocket

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/wskit/websocket/wire"
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
	c.mu.Lock()
	c.pingSeq++
	seq := c.pingSeq
	c.mu.Unlock()
	var p [8]byte
	binary.BigEndian.PutUint64(p[:], seq)
	return c.ping(ctx, p[:])
}

func (c *Conn) ping(ctx context.Context, payload []byte) (time.Duration, error) {
	w := pingWaiter{payload: bytes.Clone(payload), done: make(chan struct{})}
	c.mu.Lock()
	c.pings = append(c.pings, w)
	c.mu.Unlock()
	start := time.Now()
	err := c.writeControl(ctx, wire.OpPing, payload)
	if err == nil {
		err = c.awaitPong(ctx, w.done)
	}
	if err != nil {
		c.dropWaiter(w.done)
		return 0, err
	}
	return time.Since(start), nil
}

// awaitPong waits for done, reading for it while no one else reads and no
// data message is in the way.
func (c *Conn) awaitPong(ctx context.Context, done chan struct{}) error {
	blocked := false // a data message waits for the application
	for {
		var rsem chan struct{}
		if !blocked {
			rsem = c.rsem
		}
		select {
		case <-done:
			return nil
		case <-c.done:
			return c.endErr()
		case <-ctx.Done():
			return ctx.Err()
		case rsem <- struct{}{}:
		}
		blocked = c.msgActive || c.pending
		if blocked {
			release(c.rsem)
			continue
		}
		stop := c.watchRead(ctx)
		var err error
		for !c.pending && !closed(done) {
			var h wire.Header
			var data bool
			if h, data, err = c.readFrame(); err != nil {
				break
			}
			if data {
				c.frame, c.pending = h, true
			}
		}
		blocked = c.pending
		err = c.readResult(ctx, err, stop())
		release(c.rsem)
		if err != nil {
			return err
		}
	}
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

// sendPong answers a ping with the same payload (RFC 6455 §5.5.3), unless a
// close frame has gone out.
func (c *Conn) sendPong(payload []byte) error {
	c.mu.Lock()
	sent := c.closeSent
	c.mu.Unlock()
	if sent {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.closeTimeout)
	defer cancel()
	err := c.writeControl(ctx, wire.OpPong, payload)
	var ce *CloseError
	if err != nil && !errors.As(err, &ce) {
		return c.abort(err)
	}
	return err
}

// SetKeepAlive changes keepalive on a live connection: a ping every
// interval (0 or less turns keepalive off), and the connection closed as
// dead when a pong takes longer than pongTimeout (0 means interval).
func (c *Conn) SetKeepAlive(interval, pongTimeout time.Duration) {
	if pongTimeout <= 0 {
		pongTimeout = interval
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cfg.pingInterval = interval
	c.cfg.pongTimeout = pongTimeout
	if interval <= 0 {
		if c.keepalive != nil {
			c.keepalive.Stop()
		}
		return
	}
	c.scheduleKeepAliveLocked()
}

func (c *Conn) scheduleKeepAliveLocked() {
	if c.State() == StateClosed {
		return
	}
	if c.keepalive == nil {
		c.keepalive = time.AfterFunc(c.cfg.pingInterval, c.keepAliveTick)
		return
	}
	c.keepalive.Reset(c.cfg.pingInterval)
}

// keepAliveTick sends one keepalive ping and waits for its pong; no pong in
// time fails the connection with 1011.
func (c *Conn) keepAliveTick() {
	c.mu.Lock()
	interval, timeout := c.cfg.pingInterval, c.cfg.pongTimeout
	payload := c.cfg.pingPayload
	if len(payload) == 0 {
		c.pingSeq++
		payload = binary.BigEndian.AppendUint64(nil, c.pingSeq)
	}
	c.mu.Unlock()
	if interval <= 0 || c.State() != StateOpen {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	_, err := c.ping(ctx, payload)
	cancel()
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && c.State() == StateOpen {
			c.failNow(ErrPongTimeout)
		}
		return
	}
	c.mu.Lock()
	if c.cfg.pingInterval > 0 {
		c.scheduleKeepAliveLocked()
	}
	c.mu.Unlock()
}

func closed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
