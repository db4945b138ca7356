package websocket

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/wskit/websocket/endpoint"
	"github.com/wskit/websocket/wire"
)

// Reader waits for the next data message and returns its type and a reader
// for its payload. The payload streams: fragments are joined, frames of any
// size are read in the pieces the caller asks for, and nothing is buffered
// whole. A text message is checked as UTF-8 as it arrives, and the
// connection fails with 1007 at the first byte that cannot be valid
// (RFC 6455 §8.1), even in the middle of the message.
//
// The returned reader is valid until the next call to Reader or Read; a
// message not read to its end is skipped by that call. Its reads use ctx;
// when ctx ends, a read returns ctx.Err() and the rest of the message is
// skipped by the next Reader or Read ([Conn] says what happens to the
// connection).
//
// Control frames that arrive before or between the message's fragments are
// handled on the way: pings are answered, pongs matched, and a close frame
// ends the connection, which Reader and the message reader report as a
// *CloseError.
func (c *Conn) Reader(ctx context.Context) (MessageType, io.Reader, error) {
	stop, err := c.beginRead(ctx)
	if err != nil {
		return 0, nil, err
	}
	// rsem is released without defer, which would take stack room: a
	// server/ handler's goroutine waits at the bottom of this chain, and
	// one that fits its first 2 KiB of stack saves a copy per connection.
	err = c.nextMessage(c.cfg.maxStream)
	if err = c.readResult(ctx, err, stop.ended()); err != nil {
		c.release(&c.rsem)
		return 0, nil, err
	}
	c.mr.ctx = ctx
	c.mr.eof = false
	typ := MessageType(c.msgOp)
	c.release(&c.rsem)
	return typ, &c.mr, nil
}

// Read waits for the next data message and returns it whole, in a new slice
// that the caller owns. It checks the same rules as Reader. When ctx ends
// during a message, the part already read is lost.
func (c *Conn) Read(ctx context.Context) (MessageType, []byte, error) {
	return c.AppendRead(ctx, nil)
}

// AppendRead is Read that appends the message to dst and returns the
// extended slice, so that a caller who reuses its buffer reads without
// allocating. On an error, dst is returned as it was.
func (c *Conn) AppendRead(ctx context.Context, dst []byte) (MessageType, []byte, error) {
	stop, err := c.beginRead(ctx)
	if err != nil {
		return 0, dst, err
	}
	// The wait for the next message is not inside readWhole, whose frame
	// would then be on the stack of an idle connection's goroutine; rsem
	// is released without defer, as in Reader.
	var typ MessageType
	p := dst
	err = c.nextMessage(c.cfg.maxMessage)
	if err == nil {
		typ, p, err = c.readWhole(dst)
	}
	err = c.readResult(ctx, err, stop.ended())
	c.release(&c.rsem)
	if err != nil {
		return 0, dst, err
	}
	return typ, p, nil
}

// maxReadHint bounds the buffer a whole-message read makes before the bytes
// are in hand: it grows with what arrives, never with what a header
// declares.
const maxReadHint = 64 << 10

// readWhole appends the current message, which nextMessage began, to dst.
// The buffer grows only with bytes in hand (growWhole); the growth is
// reserved from the budget, if any, and given back when the message is
// returned, or the read fails.
func (c *Conn) readWhole(dst []byte) (MessageType, []byte, error) {
	p := dst
	var held int64 // reserved from the budget
	for {
		if len(p) == cap(p) {
			var extra int64
			var err error
			p, extra, err = c.growWhole(p, int64(len(p)-len(dst)))
			if err != nil {
				c.releaseHeld(held)
				return 0, nil, err
			}
			if c.cfg.budget != nil {
				held += extra
			}
			if extra == 0 {
				return c.readAtLimit(p, held)
			}
		}
		n, err := c.readPayload(p[len(p):cap(p)])
		p = p[:len(p)+n]
		if err != nil {
			c.releaseHeld(held)
			if err == io.EOF {
				return MessageType(c.msgOp), p, nil
			}
			return 0, nil, err
		}
	}
}

// readAtLimit ends readWhole for a message p that has reached the limit:
// one more byte means the message is too large, which the endpoint
// reports. It is a function of its own to keep readWhole's frame small: a
// server/ handler's goroutine waits for input at the bottom of this chain.
//
//go:noinline
func (c *Conn) readAtLimit(p []byte, held int64) (MessageType, []byte, error) {
	var one [1]byte
	n, err := c.readPayload(one[:])
	if n > 0 && err == nil {
		err = c.failed(c.ep.Fail(wire.ErrMessageTooLarge))
	}
	c.releaseHeld(held)
	if err != io.EOF {
		return 0, nil, err
	}
	return MessageType(c.msgOp), p, nil
}

// growWhole makes room in p, which is full and holds got bytes of the
// current message, and returns the room made: as much again as p holds, at
// least 512 bytes, and for the message's first bytes what its frame
// declares up to maxReadHint; never more than the limit leaves, nor, in an
// uncompressed message's final frame, more than that frame still declares
// (a limit on earlier fragments would grow a message of 1-byte fragments
// byte by byte). 0 means the message has reached the limit. The room is
// reserved from the budget, if any, which failing fails the connection
// with 1013 (wire.ErrOverBudget).
func (c *Conn) growWhole(p []byte, got int64) ([]byte, int64, error) {
	extra := max(int64(len(p)), 512)
	if got == 0 {
		extra = max(min(c.ep.PayloadWant(), maxReadHint), 512)
	}
	if lim := c.msgLimit; lim >= 0 {
		extra = min(extra, lim-got)
	}
	if left := c.ep.MessageLeft(); left > 0 {
		extra = min(extra, left)
	}
	if extra <= 0 {
		return p, 0, nil
	}
	if b := c.cfg.budget; b != nil && !b.Reserve(extra) {
		return nil, 0, c.failed(c.ep.Fail(wire.ErrOverBudget))
	}
	// Exactly extra more, not append's rounding up: what is reserved is
	// what is held, and a final frame's length is not passed.
	return append(make([]byte, 0, int64(len(p))+extra), p...), extra, nil
}

// releaseHeld gives back to the budget what a whole-message read reserved.
func (c *Conn) releaseHeld(n int64) {
	if n > 0 {
		c.cfg.budget.Release(n)
	}
}

// messageReader is the io.Reader Reader returns. One lives in each Conn and
// is reused for every message.
type messageReader struct {
	c   *Conn
	ctx context.Context
	eof bool
}

func (r *messageReader) Read(p []byte) (int, error) {
	if r.eof {
		return 0, io.EOF
	}
	c := r.c
	if err := c.readErr(); err != nil {
		return 0, err
	}
	if err := c.acquire(r.ctx, &c.rsem); err != nil {
		return 0, err
	}
	defer c.release(&c.rsem)
	if !c.msgActive {
		r.eof = true
		return 0, io.EOF
	}
	stop := c.watchRead(r.ctx)
	n, err := c.readPayload(p)
	fired := stop.ended()
	if err == io.EOF {
		r.eof = true
		return n, io.EOF
	}
	return n, c.readResult(r.ctx, err, fired)
}

// beginRead takes the read lock and ties the reads that follow to ctx. The
// caller releases rsem and ends stop when done.
func (c *Conn) beginRead(ctx context.Context) (stop watching, err error) {
	if !c.appReads.Load() {
		c.appReads.Store(true)
	}
	if err := c.readErr(); err != nil {
		return watching{}, err
	}
	if err := c.acquire(ctx, &c.rsem); err != nil {
		return watching{}, err
	}
	return c.watchRead(ctx), nil
}

// readErr returns the error that ended the connection, if it has ended.
func (c *Conn) readErr() error {
	if ce := c.closeErr.Load(); ce != nil {
		return ce
	}
	return nil
}

// readResult turns the error of a read into what the caller sees: the
// context's error when ctx interrupted the read, the *CloseError of a
// connection that ended, or, for any other I/O error, the *CloseError of a
// lost connection (1006).
func (c *Conn) readResult(ctx context.Context, err error, fired bool) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*CloseError); ok { // most often: no allocation for errors.As
		return err
	}
	if ce := (*CloseError)(nil); errors.As(err, &ce) {
		return err
	}
	if fired || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		if ctx.Err() != nil {
			if _, ok := c.rwc.(readDeadliner); !ok {
				return c.abort(ctx.Err())
			}
			return ctx.Err()
		}
	}
	if ce := c.closeErr.Load(); ce != nil {
		return ce
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return c.abort(err)
}

// nextMessage makes the next data message the current one, with limit as
// its size limit (<0 for none), skipping what is left of the previous one.
// A message whose first header has already arrived is checked against the
// limit before any of its payload is read. The caller holds rsem.
func (c *Conn) nextMessage(limit int64) error {
	if c.msgActive {
		if err := c.skipMessage(); err != nil {
			return err
		}
	}
	c.msgLimit = limit
	if err := c.ep.SetMessageLimit(limit); err != nil {
		return c.failed(err)
	}
	if !c.msgWaiting {
		if err := c.receive(nil, recvMessage); err != nil {
			return err
		}
	}
	c.msgWaiting = false
	c.msgActive = true
	c.signalProgress()
	return nil
}

// skipMessage reads the rest of the current message without handing it to
// anyone: text is still checked, and a compressed message still inflated,
// for the history the next one may need.
func (c *Conn) skipMessage() error {
	var scratch [512]byte
	for {
		_, err := c.readPayload(scratch[:])
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// readPayload reads the current message into p: its frames' payloads, or
// for a compressed message what they inflate to, as the endpoint checked
// them. It returns io.EOF, possibly with n > 0, when the message ends.
func (c *Conn) readPayload(p []byte) (int, error) {
	for {
		if len(c.rpend) > 0 {
			n := copy(p, c.rpend)
			c.rpend = c.rpend[n:]
			if len(c.rpend) == 0 && c.rpendEnd {
				return n, c.endMessage()
			}
			return n, nil
		}
		if !c.msgActive {
			return 0, io.EOF
		}
		if c.msgCompressed {
			n, end, err := c.ep.Inflate(p)
			if err != nil {
				return 0, c.failed(err)
			}
			if end {
				return n, c.endMessage()
			}
			if n > 0 || len(p) == 0 {
				return n, nil
			}
		}
		if err := c.receive(p, recvPayload); err != nil {
			return 0, err
		}
		if c.ev.Kind != endpoint.Data {
			continue // compressed input taken in: inflate it
		}
		d := c.ev.Data
		n := len(d)
		if !c.direct {
			n = copy(p, d)
			if n < len(d) {
				// The rest stays in the read buffer, which is not
				// refilled before it is handed out.
				c.rpend, c.rpendEnd = d[n:], c.ev.End
				return n, nil
			}
		}
		if c.ev.End {
			return n, c.endMessage()
		}
		return n, nil
	}
}

// endMessage finishes the current message.
func (c *Conn) endMessage() error {
	c.msgActive = false
	c.rpend, c.rpendEnd = nil, false
	c.signalProgress()
	return io.EOF
}

// signalProgress wakes a Ping or Close waiting for the application to take
// or finish a message.
func (c *Conn) signalProgress() {
	if p := c.progress.Load(); p != nil {
		select {
		case *p <- struct{}{}:
		default:
		}
	}
}

// progressChan returns the channel signalProgress signals, making it on
// first use: a connection that no Ping or Close ever waits on has none.
func (c *Conn) progressChan() chan struct{} {
	if p := c.progress.Load(); p != nil {
		return *p
	}
	ch := make(chan struct{}, 1)
	if c.progress.CompareAndSwap(nil, &ch) {
		return ch
	}
	return *c.progress.Load()
}

// What receive waits for.
const (
	recvMessage = iota // the start of a message
	recvPayload        // a piece of the current message
	recvAny            // anything: a control frame, or a message's start
)

// receive feeds the endpoint from the transport until it reports what mode
// asks for, acting on control frames on the way. A payload piece may be
// read straight into p (c.direct is then set). The caller holds rsem.
func (c *Conn) receive(p []byte, mode int) error {
	for {
		var n int
		var err error
		c.direct = false
		if want := c.ep.PayloadWant(); want > 0 && len(p) > 0 && c.in.Buffered() == 0 {
			q := p[:min(int64(len(p)), want)]
			if n, err = c.readTransport(q); n == 0 {
				return err
			}
			_, err = c.ep.Receive(q[:n], &c.ev)
			c.direct = true
		} else {
			n, err = c.ep.Receive(c.in.Bytes(), &c.ev)
			c.in.Discard(n)
		}
		if err != nil {
			return c.failed(err)
		}
		switch c.ev.Kind {
		case endpoint.None:
			// The bytes in hand are used up: wait for more, with no
			// frame between this one and the read buffer's, as this is
			// where every idle connection waits.
			if _, err := c.in.fill(); err != nil {
				return err
			}
			continue
		case endpoint.MessageStart:
			c.count.msgsIn.Add(1)
			c.msgOp = c.ev.Type
			c.msgCompressed = c.ev.Compressed
			c.msgWaiting = true
			if mode == recvPayload {
				return c.failed(errUnexpectedStart)
			}
			return nil
		case endpoint.Data, endpoint.Inflate:
			c.count.bytesIn.Add(uint64(len(c.ev.Data)))
			if mode != recvPayload {
				return c.failed(errUnexpectedData)
			}
			return nil
		}
		if err := c.control(); err != nil || mode == recvAny {
			return err
		}
	}
}

// readTransport reads a payload straight into q, through the read buffer
// (inbuf), which is the one reader of the transport; a wait for the next
// bytes of any kind is c.in.fill.
func (c *Conn) readTransport(q []byte) (int, error) {
	n, err := c.in.Read(q)
	if n == 0 && err == nil {
		err = io.ErrNoProgress
	}
	return n, err
}

// errUnexpectedStart and errUnexpectedData would mean that the Conn lost
// track of the endpoint's message state; they fail the connection with 1011
// rather than deliver a message wrongly.
var (
	errUnexpectedStart = errors.New("websocket: internal error: message start inside a message")
	errUnexpectedData  = errors.New("websocket: internal error: payload outside a message")
)

// control acts on a control frame the endpoint reported: the pong it
// queued for a ping goes out, a pong wakes Ping, and the peer's close frame
// ends the connection (RFC 6455 §5.5).
func (c *Conn) control() error {
	// Each kind in a function of its own, so that this frame is small: the
	// answer to the peer's close frame is written below it, deep in a
	// reading goroutine's stack.
	switch c.ev.Kind {
	case endpoint.Ping:
		return c.gotPing()
	case endpoint.Pong:
		c.gotPongEvent()
	case endpoint.Close:
		return c.gotClose(c.ev.Code, c.ev.Reason)
	}
	return nil
}

// gotPing acts on the peer's ping, which the endpoint has answered.
//
//go:noinline
func (c *Conn) gotPing() error {
	if f := c.cfg.onPing; f != nil {
		f(c.ev.Data)
	}
	if ev := c.runEvents.Load(); ev != nil && ev.OnPing != nil {
		ev.OnPing(c, append([]byte(nil), c.ev.Data...))
	}
	return c.sendOutgoing()
}

// gotPongEvent acts on the peer's pong.
//
//go:noinline
func (c *Conn) gotPongEvent() {
	if c.ev.Keepalive {
		c.gotKeepalivePong()
	}
	c.gotPong(c.ev.Data)
	if f := c.cfg.onPong; f != nil {
		f(c.ev.Data)
	}
	if ev := c.runEvents.Load(); ev != nil && ev.OnPong != nil {
		ev.OnPong(c, append([]byte(nil), c.ev.Data...))
	}
}

// sendOutgoing writes the control frames the endpoint queued, within the
// close timeout; a write that fails loses the connection.
func (c *Conn) sendOutgoing() error {
	return c.sendOutgoingBy(time.Now().Add(c.cfg.closeTimeout))
}

// sendOutgoingBy is sendOutgoing with the deadline given.
func (c *Conn) sendOutgoingBy(deadline time.Time) error {
	if !c.ep.HasOutgoing() {
		return nil
	}
	err := c.flushOutgoingBy(deadline, false)
	var ce *CloseError
	if err != nil && !errors.As(err, &ce) {
		return c.abort(err)
	}
	return err
}
