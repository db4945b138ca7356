package websocket

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/wskit/websocket/wire"
)

// ErrClosed is matched (with errors.Is) by every error returned once the
// connection is closed or closing, including every *CloseError.
var ErrClosed = errors.New("websocket: connection closed")

// CloseError says how a connection ended. Every read after the end returns
// the same *CloseError.
type CloseError struct {
	// Code is the status code: the one in the peer's close frame when
	// Remote is set (1005 when that frame had none), the one this side sent
	// when it failed the connection, or 1006 when the connection was lost
	// without a close frame.
	Code StatusCode

	// Reason is the peer's reason when Remote is set, otherwise a short
	// description of the code.
	Reason string

	// Remote is set when the peer's close frame ended the connection.
	Remote bool

	// Err is the cause when this side ended the connection: a
	// *wire.ProtocolError for a peer that broke RFC 6455 (so errors.Is
	// finds wire.ErrInvalidUTF8 and the like), or the I/O error that lost
	// the connection.
	Err error
}

func (e *CloseError) Error() string {
	switch {
	case e.Remote && e.Reason != "":
		return fmt.Sprintf("websocket: peer closed the connection: %d %s: %q", int(e.Code), e.Code, e.Reason)
	case e.Remote:
		return fmt.Sprintf("websocket: peer closed the connection: %d %s", int(e.Code), e.Code)
	case e.Code == StatusAbnormalClosure && e.Err != nil:
		return fmt.Sprintf("websocket: connection lost (1006): %v", e.Err)
	case e.Err != nil:
		return fmt.Sprintf("%v (closed with %d %s)", e.Err, int(e.Code), e.Code)
	}
	return fmt.Sprintf("websocket: connection closed: %d %s", int(e.Code), e.Code)
}

// Unwrap returns the cause, if any.
func (e *CloseError) Unwrap() error { return e.Err }

// Is reports whether target is ErrClosed.
func (e *CloseError) Is(target error) bool { return target == ErrClosed }

// CloseStatus returns the close code in err's *CloseError (found with
// errors.As), or 0 when err has none.
func CloseStatus(err error) StatusCode {
	var ce *CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return 0
}

// ErrCloseCode is returned by Close for a code that may not be sent
// (RFC 6455 §7.4).
var ErrCloseCode = errors.New("websocket: close code may not be sent")

// Close starts the close handshake (RFC 6455 §7.1.2): it sends a close frame
// with code and reason, waits for the peer's close frame, then closes the
// connection; a server closes TCP at once, a client waits for the server to
// do it first (RFC 6455 §7.1.1). The whole wait is bounded by the close
// timeout (DefaultCloseTimeout unless set), after which the connection is
// dropped and Close returns an error.
//
// code must be one that may be sent (1000–1003, 1007–1014, 3000–4999), or
// StatusNoStatusRcvd for a close frame without a code. An empty reason gets
// the code's name for known codes; a longer one is cut to 123 bytes on a
// UTF-8 boundary. Data messages that arrive while Close waits go to the
// application if it is reading (it gets a quarter of a second to come back
// for them), and are discarded if it is not. Close
// returns an error that matches ErrClosed when the connection was already
// closing.
func (c *Conn) Close(code StatusCode, reason string) error {
	if code != StatusNoStatusRcvd && !code.ValidOnWire() {
		return fmt.Errorf("%w: %d", ErrCloseCode, int(code))
	}
	if reason == "" && code != StatusNoStatusRcvd {
		if code < 3000 { // every code below 3000 that may be sent has a name
			reason = code.String()
		}
	}
	c.mu.Lock()
	if c.closeSent || c.closeErr.Load() != nil {
		c.mu.Unlock()
		return c.endErr()
	}
	c.closeSent = true
	c.state.Store(int32(StateClosing))
	c.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.closeTimeout)
	defer cancel()
	var p [wire.MaxControlPayload]byte
	if err := c.writeControl(ctx, wire.OpClose, wire.AppendClosePayload(p[:0], code, reason)); err != nil {
		c.abort(err)
		return err
	}
	if err := c.awaitPeerClose(ctx); err != nil {
		c.abort(err)
		return err
	}
	c.finishClose(ctx)
	return nil
}

// CloseNow drops the connection without a close handshake. Blocked calls
// return; later ones fail with a *CloseError of code 1006. On a connection
// this side has already failed, which is draining what the peer still
// sends so that its close frame is not destroyed by a reset (at most
// lingerTime), CloseNow leaves that to finish.
func (c *Conn) CloseNow() error {
	if c.lingering.Load() {
		return nil
	}
	if c.closeErr.Load() != nil {
		select {
		case <-c.done:
			return ErrClosed
		default:
		}
	}
	c.abort(errClosedNow)
	return nil
}

var errClosedNow = errors.New("websocket: connection closed by CloseNow")

// closeReaderGrace is how long Close leaves a data message that arrives
// while it waits for the peer's close frame to an application that reads,
// before it discards the message itself.
const closeReaderGrace = 250 * time.Millisecond

// errDataWaiting stops Close's own reading at a data message that is the
// application's to read.
var errDataWaiting = errors.New("websocket: a data message waits for the reader")

// awaitPeerClose waits for the peer's close frame, reading for it when no
// one else is, until ctx ends. Data messages on the way go to the
// application when it reads (it gets closeReaderGrace to come back for
// them); once it lets that time pass without reading, the rest are
// discarded.
func (c *Conn) awaitPeerClose(ctx context.Context) error {
	discard := false
	for {
		select {
		case <-c.closeRecv:
			return nil
		case <-c.done:
			return c.endErr()
		case <-ctx.Done():
			return fmt.Errorf("websocket: close handshake timed out: %w", ctx.Err())
		case c.rsem <- struct{}{}:
		}
		err := c.readUntilClose(ctx, discard)
		release(c.rsem)
		if err == errDataWaiting {
			before := c.readCalls.Load()
			t := time.NewTimer(closeReaderGrace)
			select {
			case <-c.closeRecv:
			case <-c.done:
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
			discard = c.readCalls.Load() == before
			continue
		}
		if err != nil {
			if closed(c.closeRecv) {
				return nil
			}
			return err
		}
	}
}

// readUntilClose reads frames until the peer's close frame has been seen.
// It stops at a data message with errDataWaiting unless discard is set.
// The caller holds rsem.
func (c *Conn) readUntilClose(ctx context.Context, discard bool) error {
	stop := c.watchRead(ctx)
	defer stop()
	for {
		if closed(c.closeRecv) {
			return nil
		}
		if ce := c.closeErr.Load(); ce != nil {
			if ce.Remote {
				return nil
			}
			return ce
		}
		if c.msgActive || c.pending {
			if !discard {
				return errDataWaiting
			}
			if c.pending {
				c.pending = false
				c.beginMessage(c.frame, c.cfg.maxStream)
				if err := c.startFrame(c.frame); err != nil {
					return err
				}
			}
			if err := c.skipPayload(false); err != nil {
				return err
			}
			continue
		}
		h, data, err := c.readFrame()
		if err != nil {
			return err
		}
		if data {
			c.frame, c.pending = h, true
		}
	}
}

// finishClose ends a completed close handshake: a server closes TCP at once,
// a client waits (within ctx) for the server to close it first.
func (c *Conn) finishClose(ctx context.Context) {
	if c.role == RoleClient && c.acquire(ctx, c.rsem) == nil {
		stop := c.watchRead(ctx)
		io.Copy(io.Discard, c.br)
		stop()
		release(c.rsem)
	}
	c.closeTransport()
}

// gotClose handles the peer's close frame (RFC 6455 §5.5.1, §7.1.5). An
// invalid one fails the connection; a valid one is echoed unless this side
// has sent its own already, and ends the connection with a *CloseError.
func (c *Conn) gotClose(payload []byte) error {
	code, reason, err := wire.ParseClosePayload(payload)
	if err != nil {
		return c.fail(err)
	}
	ce := &CloseError{Code: code, Reason: reason, Remote: true}
	c.mu.Lock()
	sent := c.closeSent
	c.closeSent = true
	c.closeErr.CompareAndSwap(nil, ce)
	c.state.Store(int32(StateClosing))
	close(c.closeRecv)
	c.mu.Unlock()
	if sent {
		// Close is waiting for this frame and ends the connection.
		return c.endErr()
	}
	echo := code
	if echo == StatusNoStatusRcvd {
		echo = StatusNormalClosure
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.closeTimeout)
	var p [2]byte
	err = c.writeControlClosing(ctx, wire.OpClose, wire.AppendClosePayload(p[:0], echo, ""))
	cancel()
	if err != nil || c.role == RoleServer {
		c.closeTransport()
	} else {
		c.lingerClose()
	}
	return c.endErr()
}

// writeControlClosing sends a close frame once the connection's end is
// already recorded.
func (c *Conn) writeControlClosing(ctx context.Context, op wire.Opcode, payload []byte) error {
	if err := c.acquire(ctx, c.fsem); err != nil {
		return err
	}
	defer release(c.fsem)
	_, _, err := c.sendControl(ctx, op, payload)
	return err
}

// fail fails the connection (RFC 6455 §7.1.7) because of cause, a protocol
// violation by the peer: it sends a close frame with the code for cause and
// a generic reason (never cause's text), then closes the connection, reading
// on until the peer closes its end. The caller holds rsem. It returns the
// connection's *CloseError.
func (c *Conn) fail(cause error) error { return c.failWith(cause, true) }

// failNow is fail for callers that are not reading: the connection is
// closed right after the close frame, which also ends a blocked read.
func (c *Conn) failNow(cause error) error { return c.failWith(cause, false) }

func (c *Conn) failWith(cause error, linger bool) error {
	code := wire.CloseCodeFor(cause)
	ce := &CloseError{Code: code, Reason: code.String(), Err: cause}
	c.mu.Lock()
	if !c.closeErr.CompareAndSwap(nil, ce) {
		c.mu.Unlock()
		return c.endErr()
	}
	sent := c.closeSent
	c.closeSent = true
	c.state.Store(int32(StateClosing))
	c.mu.Unlock()
	if !sent {
		ctx, cancel := context.WithTimeout(context.Background(), c.cfg.closeTimeout)
		var p [wire.MaxControlPayload]byte
		c.writeControlClosing(ctx, wire.OpClose, wire.AppendClosePayload(p[:0], code, ce.Reason))
		cancel()
	}
	if linger {
		c.lingerClose()
	} else {
		c.closeTransport()
	}
	return ce
}

// abort records cause as the reason the connection was lost (1006), unless
// an end is recorded already, and closes the connection at once.
func (c *Conn) abort(cause error) error {
	c.closeErr.CompareAndSwap(nil, lostErr(cause))
	c.closeTransport()
	return c.endErr()
}

// lostErr is the end of a connection lost without a close frame (1006).
func lostErr(cause error) *CloseError {
	return &CloseError{Code: StatusAbnormalClosure, Reason: StatusAbnormalClosure.String(), Err: cause}
}

// closeTransport closes the underlying connection, once.
func (c *Conn) closeTransport() {
	c.closeOnce.Do(func() {
		c.closeErr.CompareAndSwap(nil, lostErr(errClosedNow))
		c.mu.Lock()
		if c.keepalive != nil {
			c.keepalive.Stop()
		}
		if c.zidle != nil {
			c.zidle.Stop()
		}
		c.mu.Unlock()
		c.state.Store(int32(StateClosed))
		c.rwc.Close()
		c.rwatch.release()
		c.wwatch.release()
		close(c.done)
	})
}

// lingerTime bounds how long a connection that this side ended waits for
// the peer to close its end.
const lingerTime = 2 * time.Second

// lingerClose closes the connection without losing the close frame just
// sent. It drains what the peer still sends until the peer closes its end
// or lingerTime passes: closing a TCP socket with unread data makes the
// kernel reset the connection, which can destroy the close frame before the
// peer reads it. A server also shuts down its sending side at once, since
// it is the one that closes TCP first (RFC 6455 §7.1.1); a client leaves
// that to the server.
func (c *Conn) lingerClose() {
	if _, ok := c.rwc.(readDeadliner); !ok {
		c.closeTransport()
		return
	}
	if cw, ok := c.rwc.(interface{ CloseWrite() error }); ok && c.role == RoleServer {
		cw.CloseWrite()
	}
	c.lingering.Store(true)
	t := time.AfterFunc(min(lingerTime, c.cfg.closeTimeout), c.closeTransport)
	go func() {
		io.Copy(io.Discard, c.rwc)
		t.Stop()
		c.closeTransport()
	}()
}
