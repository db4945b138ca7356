package websocket

import (
	"context"
	"errors"
	"io"

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
	defer release(c.rsem)
	err = c.nextMessage(c.cfg.maxStream)
	if err = c.readResult(ctx, err, stop()); err != nil {
		return 0, nil, err
	}
	c.mr.ctx = ctx
	c.mr.eof = false
	return c.msgType, &c.mr, nil
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
	defer release(c.rsem)
	typ, p, err := c.readWhole(dst)
	if err = c.readResult(ctx, err, stop()); err != nil {
		return 0, dst, err
	}
	return typ, p, nil
}

// readWhole appends the next message to dst. The buffer grows only with
// bytes in hand: it starts at no more than wholeReadStart whatever the
// frame header declares, then at most doubles, never past what the
// message may still hold (a compressed message's limit is checked before
// the buffer grows, not after).
func (c *Conn) readWhole(dst []byte) (MessageType, []byte, error) {
	if err := c.nextMessage(c.cfg.maxMessage); err != nil {
		return 0, nil, err
	}
	if b := c.cfg.budget; b != nil {
		defer func() { b.Release(c.held); c.held = 0 }()
	}
	p := dst
	for {
		if len(p) == cap(p) {
			var extra int64
			var err error
			if p, extra, err = c.growWhole(p); err != nil {
				return 0, nil, err
			}
			if extra == 0 {
				// At the limit: one more byte means the message is too large.
				var one [1]byte
				n, err := c.readPayload(one[:])
				if err == io.EOF && n == 0 {
					return c.msgType, p, nil
				}
				if err == nil || err == io.EOF {
					err = c.fail(wire.ErrMessageTooLarge)
				}
				return 0, nil, err
			}
		}
		n, err := c.readPayload(p[len(p):cap(p)])
		p = p[:len(p)+n]
		if err == io.EOF {
			return c.msgType, p, nil
		}
		if err != nil {
			return 0, nil, err
		}
	}
}

// wholeReadStart bounds the first allocation of a whole-message read, so
// that a frame header declaring a large payload reserves nothing the peer
// has not sent.
const wholeReadStart = 64 << 10

// growWhole makes room in p, which is full, for more of the current
// message and returns the room made: as much again as p holds (at least
// 512 bytes, at most wholeReadStart for the first allocation), but no
// more than the final frame of a plain message still declares, or the
// limit still allows for a compressed one. 0 means the compressed message
// has reached the limit. Growth is reserved from the budget, if any.
func (c *Conn) growWhole(p []byte) ([]byte, int64, error) {
	extra := max(int64(len(p)), 512)
	if len(p) == 0 {
		extra = wholeReadStart
	}
	if c.msgCompressed {
		if max := c.msgLimit; max >= 0 {
			extra = min(extra, max-c.msgOut)
		}
	} else if c.frame.Fin && c.frameLeft > 0 {
		extra = min(extra, c.frameLeft)
	}
	if extra <= 0 {
		return p, 0, nil
	}
	if b := c.cfg.budget; b != nil {
		if !b.Reserve(extra) {
			return nil, 0, c.fail(wire.ErrOverBudget)
		}
		c.held += extra
	}
	// Exactly extra more, not append's rounding up.
	return append(make([]byte, 0, int64(len(p))+extra), p...), extra, nil
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
	c.readCalls.Add(1)
	if err := c.readErr(); err != nil {
		return 0, err
	}
	if err := c.acquire(r.ctx, c.rsem); err != nil {
		return 0, err
	}
	defer release(c.rsem)
	if !c.msgActive {
		// Close or Ping skipped the rest of this message.
		r.eof = true
		return 0, io.EOF
	}
	stop := c.watchRead(r.ctx)
	n, err := c.readPayload(p)
	fired := stop()
	if err == io.EOF {
		r.eof = true
		return n, io.EOF
	}
	return n, c.readResult(r.ctx, err, fired)
}

// beginRead takes the read lock and ties the reads that follow to ctx. The
// caller releases rsem and calls stop when done.
func (c *Conn) beginRead(ctx context.Context) (stop func() bool, err error) {
	c.readCalls.Add(1)
	if err := c.readErr(); err != nil {
		return nil, err
	}
	if err := c.acquire(ctx, c.rsem); err != nil {
		return nil, err
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
	var ce *CloseError
	if errors.As(err, &ce) {
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
func (c *Conn) nextMessage(limit int64) error {
	for c.msgActive {
		if err := c.skipPayload(true); err != nil {
			return err
		}
	}
	var h wire.Header
	if c.pending {
		h, c.pending = c.frame, false
	} else {
		for {
			var data bool
			var err error
			if h, data, err = c.readFrame(); err != nil {
				return err
			}
			if data {
				break
			}
		}
	}
	c.beginMessage(h, limit)
	return c.startFrame(h)
}

// beginMessage makes h's message the current one. A compressed message
// (RSV1, RFC 7692 §6) is inflated from its frames' payloads as it is read.
func (c *Conn) beginMessage(h wire.Header, limit int64) {
	c.msgActive = true
	c.msgLimit = limit
	c.count.msgsIn.Add(1)
	c.msgType = MessageType(h.Opcode)
	c.msgSize = 0
	c.msgOut = 0
	c.msgBroken = false
	c.utf8.Reset()
	c.msgCompressed = h.RSV&wire.RSV1 != 0 && c.decomp != nil
	if c.msgCompressed {
		c.decomp.Reset(rawPayload{c})
	}
}

// startFrame makes h the current data frame, enforcing the message limit
// before any of its payload is read. For a compressed message the limit
// applies to the inflated bytes as they come out, and here to the
// compressed ones with room for what deflate adds to data it cannot
// shrink (5 bytes per stored block of up to 64 KiB, RFC 1951 §3.2.4), so
// that a message at the limit is accepted compressed or not.
func (c *Conn) startFrame(h wire.Header) error {
	if max := c.msgLimit; max >= 0 {
		if c.msgCompressed {
			max += max>>12 + 64
		}
		if h.Length > max-c.msgSize {
			return c.fail(wire.ErrMessageTooLarge)
		}
	}
	c.msgSize += h.Length
	c.count.bytesIn.Add(uint64(h.Length))
	c.frame = h
	c.frameLeft = h.Length
	c.maskPos = 0
	return nil
}

// readPayload reads the current message into p: its frames' payloads, or
// for a compressed message what they inflate to, checked as UTF-8 for a text
// message. It returns io.EOF, possibly with n > 0, when the message ends.
func (c *Conn) readPayload(p []byte) (int, error) {
	var n int
	var err error
	if c.msgCompressed {
		if max := c.msgLimit; max >= 0 && int64(len(p)) > max-c.msgOut+1 {
			// Never inflate more than one byte past the limit.
			p = p[:max-c.msgOut+1]
		}
		n, err = c.decomp.Read(p)
		c.msgOut += int64(n)
		if max := c.msgLimit; max >= 0 && c.msgOut > max {
			return 0, c.fail(wire.ErrMessageTooLarge)
		}
		if err != nil && err != io.EOF {
			var pe *wire.ProtocolError
			var ce *CloseError
			if errors.As(err, &pe) && !errors.As(err, &ce) {
				return 0, c.fail(err) // the compressed data is corrupt
			}
			// An interrupted read leaves the inflater unable to go on with
			// this message; the next Reader drops the rest of it.
			c.msgBroken = true
			return 0, err
		}
	} else {
		n, err = c.readFrames(p)
	}
	if n > 0 && c.msgType == MessageText {
		if _, verr := c.utf8.Validate(p[:n]); verr != nil {
			return 0, c.fail(verr)
		}
	}
	if err == io.EOF {
		return n, c.endMessage()
	}
	return n, err
}

// rawPayload reads the payload of the current compressed message's frames
// for the decompressor.
type rawPayload struct{ c *Conn }

func (r rawPayload) Read(p []byte) (int, error) { return r.c.readFrames(p) }

// readFrames reads the payload of the current message's frames into p,
// across fragments, handling control frames on the way. It returns io.EOF,
// possibly with n > 0, at the end of the final frame.
func (c *Conn) readFrames(p []byte) (int, error) {
	for {
		if c.frameLeft == 0 {
			if c.frame.Fin {
				return 0, io.EOF
			}
			h, data, err := c.readFrame()
			if err != nil {
				return 0, err
			}
			if data {
				// The validator lets only continuations through here.
				if err := c.startFrame(h); err != nil {
					return 0, err
				}
			}
			continue
		}
		if len(p) == 0 {
			return 0, nil
		}
		q := p
		if int64(len(q)) > c.frameLeft {
			q = q[:c.frameLeft]
		}
		n, err := c.br.Read(q)
		if n > 0 {
			q = q[:n]
			if c.frame.Masked {
				c.maskPos = wire.MaskBytes(c.frame.Mask, c.maskPos, q)
			}
			c.frameLeft -= int64(n)
			if c.frameLeft == 0 && c.frame.Fin {
				return n, io.EOF
			}
			return n, nil
		}
		if err == nil {
			err = io.ErrNoProgress
		}
		return 0, err
	}
}

// skipPayload consumes the rest of the current message without handing it
// to anyone. With validate set it is read as usual, so text is still
// checked and a compressed message keeps the history the next one may
// need; without (the connection is closing), its frames are dropped.
func (c *Conn) skipPayload(validate bool) error {
	if validate && !c.msgBroken && (c.msgType == MessageText || c.msgCompressed) {
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
	for {
		if c.frameLeft > 0 {
			n, err := c.br.Discard(int(min(c.frameLeft, 1<<30)))
			c.frameLeft -= int64(n)
			if err != nil {
				return err
			}
			continue
		}
		if c.frame.Fin {
			c.msgActive = false
			c.utf8.Reset()
			if c.msgCompressed {
				c.decomp.Release()
			}
			return nil
		}
		h, data, err := c.readFrame()
		if err != nil {
			return err
		}
		if data {
			if err := c.startFrame(h); err != nil {
				return err
			}
		}
	}
}

// endMessage finishes the current message: a text message must end on a
// UTF-8 boundary.
func (c *Conn) endMessage() error {
	c.msgActive = false
	if c.msgType == MessageText {
		if err := c.utf8.Finish(); err != nil {
			return c.fail(err)
		}
	}
	return io.EOF
}

// readFrame reads and checks the next frame header. A control frame is
// examined whole before any of it is consumed and handled here, and data
// is false; for a data frame only the header is consumed and data is true.
// An interrupted readFrame consumes nothing, so it can be called again.
func (c *Conn) readFrame() (h wire.Header, data bool, err error) {
	b, err := c.br.Peek(2)
	if err != nil {
		return h, false, err
	}
	n := wire.HeaderSize(b)
	if b, err = c.br.Peek(n); err != nil {
		return h, false, err
	}
	h, _, err = wire.ParseHeader(b)
	if err != nil {
		return h, false, c.fail(err)
	}
	if err := c.val.Check(h); err != nil {
		return h, false, c.fail(err)
	}
	if c.flog != nil {
		c.logFrame("in", h)
	}
	if !h.Opcode.IsControl() {
		c.br.Discard(n)
		return h, true, nil
	}
	total := n + int(h.Length)
	if b, err = c.br.Peek(total); err != nil {
		return h, false, err
	}
	payload := c.rctrl[:copy(c.rctrl[:], b[n:])]
	c.br.Discard(total)
	if h.Masked {
		wire.MaskBytes(h.Mask, 0, payload)
	}
	return h, false, c.handleControl(h.Opcode, payload)
}

// handleControl acts on a control frame received (RFC 6455 §5.5).
func (c *Conn) handleControl(op wire.Opcode, payload []byte) error {
	switch op {
	case wire.OpPing:
		if f := c.cfg.onPing; f != nil {
			f(payload)
		}
		return c.sendPong(payload)
	case wire.OpPong:
		c.gotPong(payload)
		if f := c.cfg.onPong; f != nil {
			f(payload)
		}
		return nil
	case wire.OpClose:
		return c.gotClose(payload)
	}
	return nil
}
