package websocket

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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
// UTF-8 boundary. Close reads for the peer's close frame itself only while
// no read is in progress. Data messages that arrive while it waits go to
// the application if it has begun to read from the connection by the time
// they arrive (its reads then see the peer's close frame too, so it must
// keep reading until they return it), and are discarded if it has not. Close returns an error
// that matches ErrClosed when the connection was already closing.
func (c *Conn) Close(code StatusCode, reason string) error {
	if code != StatusNoStatusRcvd && !code.ValidOnWire() {
		return fmt.Errorf("%w: %d", ErrCloseCode, int(code))
	}
	if reason == "" && code != StatusNoStatusRcvd {
		if code < 3000 { // every code below 3000 that may be sent has a name
			reason = code.String()
		}
	}
	if c.closeErr.Load() != nil {
		return c.endErr()
	}
	c.mu.Lock()
	err := c.ep.Close(code, reason)
	if err == nil {
		c.localClose = true
	}
	c.mu.Unlock()
	if err != nil {
		return c.endErr()
	}
	c.state.Store(int32(StateClosing))

	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.closeTimeout)
	defer cancel()
	if err := c.flushOutgoing(ctx); err != nil {
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
		if c.transportClosed() {
			return ErrClosed
		}
	}
	c.abort(errClosedNow)
	return nil
}

var errClosedNow = errors.New("websocket: connection closed by CloseNow")

// errDataWaiting stops Ping's or Close's reading at a data message that is
// the application's to read.
var errDataWaiting = errors.New("websocket: a data message waits for the reader")

// awaitPeerClose waits for the peer's close frame, reading for it while no
// one else reads, until ctx ends.
func (c *Conn) awaitPeerClose(ctx context.Context) error {
	c.mu.Lock()
	if c.closeRecv == nil {
		c.closeRecv = make(chan struct{})
		if c.peerClosed {
			close(c.closeRecv)
		}
	}
	recv := c.closeRecv
	c.mu.Unlock()
	return c.await(ctx, recv, true, func(err error) error {
		return fmt.Errorf("websocket: close handshake timed out: %w", err)
	})
}

// await waits for done to close, reading while no one else reads and no
// data message is in the way (unless discard is set: the data is then
// dropped). timedOut makes the error for ctx's end.
func (c *Conn) await(ctx context.Context, done chan struct{}, discard bool, timedOut func(error) error) error {
	for {
		// What ends the wait is looked at first, then the read side is
		// taken, waiting for it (and still for the rest) when it is held.
		why := semGot
		switch {
		case closed(done):
			return nil
		case c.transportClosed():
			why = semClosed
		case ctx.Err() != nil:
			why = semCtx
		case !c.rsem.try():
			why = c.wait(ctx, &c.rsem, done)
		}
		switch why {
		case semAlso:
			return nil
		case semClosed:
			if closed(done) {
				return nil
			}
			return c.endErr()
		case semCtx:
			return timedOut(ctx.Err())
		}
		progress := c.progressChan()
		err := c.pump(ctx, done, discard)
		c.release(&c.rsem)
		if err == errDataWaiting {
			select {
			case <-done:
			case <-c.doneChan():
			case <-ctx.Done():
			case <-progress: // the application took or finished a message
			}
			continue
		}
		if err != nil {
			if closed(done) {
				return nil
			}
			if ctx.Err() != nil && !errors.Is(err, ErrClosed) {
				return timedOut(ctx.Err())
			}
			return err
		}
	}
}

// pump reads until done closes, the connection ends, or a data message is
// the application's to read (errDataWaiting; with discard set such
// messages are read and dropped instead, unless the application has begun
// to read). The caller holds rsem.
func (c *Conn) pump(ctx context.Context, done chan struct{}, discard bool) error {
	stop := c.watchRead(ctx)
	var err error
	for err == nil {
		if closed(done) {
			break
		}
		if ce := c.closeErr.Load(); ce != nil {
			if !ce.Remote {
				err = ce
			}
			break
		}
		if c.msgWaiting || c.msgActive {
			// Whether the application reads is asked when the message
			// is found, not when Close began: a reader goroutine that
			// starts just after Close (a program that closes at the end
			// of its input) still gets the messages sent before the
			// peer's close frame.
			if !discard || c.appReads.Load() {
				err = errDataWaiting
				break
			}
			c.msgWaiting, c.msgActive = false, true
			err = c.skipMessage()
			continue
		}
		err = c.receive(nil, recvAny)
	}
	fired := stop.ended()
	if err == errDataWaiting {
		return err
	}
	return c.readResult(ctx, err, fired)
}

// finishClose ends a completed close handshake: a server closes TCP at once,
// a client waits (within ctx) for the server to close it first.
func (c *Conn) finishClose(ctx context.Context) {
	if c.role == RoleClient && c.acquire(ctx, &c.rsem) == nil {
		stop := c.watchRead(ctx)
		c.drain()
		stop.ended()
		c.release(&c.rsem)
	}
	c.closeTransport()
}

// drain reads and drops what the peer still sends until it closes its end
// or the read fails. The caller holds rsem.
func (c *Conn) drain() {
	// The application may still be reading the current message, whose
	// piece in hand lies in the read buffer: that buffer goes back to the
	// pool at the next read, so the piece is copied out first.
	if len(c.rpend) > 0 {
		c.rpend = bytes.Clone(c.rpend)
	}
	for {
		c.in.Discard(c.in.Buffered())
		if _, err := c.in.fill(); err != nil {
			return
		}
	}
}

// gotClose acts on the peer's close frame (RFC 6455 §5.5.1, §7.1.5), which
// the endpoint has answered with an echo unless this side sent its own
// close frame first: the connection ends with a *CloseError.
func (c *Conn) gotClose(code StatusCode, reason string) error {
	ce := &CloseError{Code: code, Reason: reason, Remote: true}
	c.closeErr.CompareAndSwap(nil, ce)
	// Nothing the peer sends after its close frame is read (§5.5.1): the
	// read buffer, which a server would otherwise keep until the Conn is
	// collected, goes back to the pool now. The caller holds rsem.
	c.in.release()
	c.state.Store(int32(StateClosing))
	c.mu.Lock()
	local := c.localClose
	c.peerClosed = true
	if c.closeRecv != nil && !closed(c.closeRecv) {
		close(c.closeRecv)
	}
	c.mu.Unlock()
	if local {
		// Close is waiting for this frame and ends the connection.
		return c.endErr()
	}
	err := c.flushOutgoingBy(time.Now().Add(c.cfg.closeTimeout), true)
	if err != nil || c.role == RoleServer {
		c.closeTransport()
	} else {
		c.lingerClose()
	}
	return c.endErr()
}

// failed fails the connection because the endpoint found cause, a protocol
// violation by the peer, in what it sent (RFC 6455 §7.1.7): the close frame
// the endpoint queued, with the code for cause and a generic reason (never
// cause's text), goes out, then the connection is closed, reading on until
// the peer closes its end. It returns the connection's *CloseError.
func (c *Conn) failed(cause error) error {
	return c.failWith(cause, true)
}

// failNow fails the connection for a reason of this side's (a keepalive
// ping without a pong, a streamed text message cut inside a character),
// closing it right after the close frame, which also ends a blocked read.
func (c *Conn) failNow(cause error) error {
	c.ep.Fail(cause)
	return c.failWith(cause, false)
}

func (c *Conn) failWith(cause error, linger bool) error {
	code := wire.CloseCodeFor(cause)
	ce := &CloseError{Code: code, Reason: code.String(), Err: cause}
	if !c.closeErr.CompareAndSwap(nil, ce) {
		return c.endErr()
	}
	c.state.Store(int32(StateClosing))
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.closeTimeout)
	c.flushOutgoing(ctx)
	cancel()
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
		if c.closeErr.Load() == nil { // most often set already: no error made for nothing
			c.closeErr.CompareAndSwap(nil, lostErr(errClosedNow))
		}
		c.mu.Lock()
		if c.keepalive != nil {
			c.keepalive.Stop()
		}
		if c.z != nil {
			c.z.zidle.Stop()
		}
		c.mu.Unlock()
		c.state.Store(int32(StateClosed))
		c.rwc.Close()
		c.releaseWatches()
		c.mu.Lock()
		c.rwcClosed = true
		if c.done != nil {
			close(c.done)
		}
		c.mu.Unlock()
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
// that to the server. The draining takes the read side once the current
// holder lets it go.
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
		// acquire gives up when the connection closes (the timer's doing).
		if c.acquire(context.Background(), &c.rsem) == nil {
			c.drain()
			c.release(&c.rsem)
		}
		t.Stop()
		c.closeTransport()
	}()
}
