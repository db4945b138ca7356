package endpoint

import (
	"bytes"
	"encoding/binary"

	"github.com/wskit/websocket/wire"
)

// Tick tells the endpoint that the time is now, in nanoseconds of the
// driver's monotonic clock, and runs what is due: a keepalive ping is
// queued, a keepalive ping without its pong fails the connection with 1011
// (ErrPongTimeout, close frame queued), and a closing handshake past the
// close timeout returns ErrCloseTimeout, after which the driver drops the
// connection. Timers that Receive or Close start count from the latest
// Tick, so a driver ticks before it acts when precision matters. The first
// Tick starts keepalive.
func (e *Endpoint) Tick(now int64) error {
	e.lock().Lock()
	defer e.lock().Unlock()
	e.now = now
	if !e.ticked {
		e.ticked = true
		if e.o.PingInterval > 0 && e.state == StateOpen {
			e.nextPing = now + e.o.PingInterval
		}
	}
	if e.closeDue != 0 && now >= e.closeDue {
		e.closeDue = 0
		e.state = StateClosed
		if e.failure == nil {
			e.failure = ErrCloseTimeout
		}
		return ErrCloseTimeout
	}
	if e.pongDue != 0 && now >= e.pongDue {
		return e.failLocked(ErrPongTimeout)
	}
	if e.nextPing != 0 && now >= e.nextPing && !e.closeSent {
		payload := e.o.pingPayload()
		var seq [8]byte
		if len(payload) == 0 {
			e.pingSeq++
			binary.BigEndian.PutUint64(seq[:], e.pingSeq)
			payload = seq[:]
		}
		e.queueLocked(wire.OpPing, payload)
		e.pingAt, e.pongDue, e.nextPing = now, now+e.o.PongTimeout, 0
	}
	return nil
}

// NextTimer returns when Tick is next due, and false when no timer runs.
// Before the first Tick of an endpoint with keepalive it is due at once
// (0).
func (e *Endpoint) NextTimer() (int64, bool) {
	e.lock().Lock()
	defer e.lock().Unlock()
	if !e.ticked && e.o.PingInterval > 0 {
		return 0, true
	}
	at, ok := int64(0), false
	for _, t := range [...]int64{e.nextPing, e.pongDue, e.closeDue} {
		if t != 0 && (!ok || t < at) {
			at, ok = t, true
		}
	}
	return at, ok
}

// SetKeepAlive changes keepalive from now on: a ping every interval
// nanoseconds (0 or less turns it off, and forgets an outstanding keepalive
// ping), failing the connection when its pong takes longer than pongTimeout
// (0 means interval).
func (e *Endpoint) SetKeepAlive(now, interval, pongTimeout int64) {
	if pongTimeout <= 0 {
		pongTimeout = interval
	}
	e.lock().Lock()
	defer e.lock().Unlock()
	e.now = now
	e.o.PingInterval, e.o.PongTimeout = interval, pongTimeout
	e.pongDue, e.nextPing = 0, 0
	if interval > 0 && e.state == StateOpen && !e.closeSent {
		e.nextPing = e.now + interval
		e.ticked = true
	}
}

// KeepalivePending reports whether a keepalive ping waits for its pong, and
// when it times out.
func (e *Endpoint) KeepalivePending() (int64, bool) {
	e.lock().Lock()
	defer e.lock().Unlock()
	return e.pongDue, e.pongDue != 0
}

// isKeepalive reports whether a pong's payload answers the latest
// keepalive ping.
func (e *Endpoint) isKeepalive(payload []byte) bool {
	if p := e.o.pingPayload(); len(p) > 0 {
		return bytes.Equal(payload, p)
	}
	return len(payload) == 8 && binary.BigEndian.Uint64(payload) == e.pingSeq
}
