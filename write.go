package websocket

import (
	"context"
	"errors"
	"io"
	"sync"
	"unicode/utf8"

	"github.com/wskit/websocket/wire"
)

// Errors for misuse of the write side. They are local: nothing is sent.
var (
	// ErrInvalidUTF8 is returned for a text message that is not valid
	// UTF-8; RFC 6455 §8.1 forbids sending one.
	ErrInvalidUTF8 = errors.New("websocket: text message is not valid UTF-8")

	// ErrMessageType is returned for a MessageType other than MessageText
	// or MessageBinary.
	ErrMessageType = errors.New("websocket: unknown message type")

	// ErrWriterClosed is returned by a message writer used after Close.
	ErrWriterClosed = errors.New("websocket: message writer already closed")
)

// Write sends p as one message of type typ, in a single frame. A text
// message must be valid UTF-8. Write waits for any message being written
// by another goroutine to finish first, and for ctx; see [Conn] for what
// cancellation does.
func (c *Conn) Write(ctx context.Context, typ MessageType, p []byte) error {
	if typ != MessageText && typ != MessageBinary {
		return ErrMessageType
	}
	if typ == MessageText && !utf8.Valid(p) {
		return ErrInvalidUTF8
	}
	if err := c.acquire(ctx, &c.msem); err != nil {
		return err
	}
	// msem is released without defer, which would take stack room on the
	// write path (see sendDataFrame).
	var err error
	if c.compressing() && len(p) >= c.z.threshold {
		err = c.writeCompressed(ctx, wire.Opcode(typ), p)
	} else {
		err = c.writeData(ctx, true, 0, wire.Opcode(typ), p)
	}
	c.release(&c.msem)
	return err
}

// writeCompressed sends p compressed, as one frame. The caller holds msem.
func (c *Conn) writeCompressed(ctx context.Context, op wire.Opcode, p []byte) error {
	z := c.z.comp.Finish(c.z.comp.Compress(c.z.zbuf[:0], p))
	err := c.writeData(ctx, true, wire.RSV1, op, z)
	c.compressedMessageDone(z)
	return err
}

// compressing reports whether the next message is to be compressed.
func (c *Conn) compressing() bool { return c.z != nil && !c.z.off.Load() }

// compressedMessageDone keeps a reasonably sized output buffer for the next
// message and arranges for an idle compressor to give its working memory
// back. The caller holds msem.
func (c *Conn) compressedMessageDone(z []byte) {
	if cap(z) <= 64<<10 {
		c.z.zbuf = z[:0]
	} else {
		c.z.zbuf = nil
	}
	c.z.zidle.Reset(compressionIdle)
}

// releaseCompressor gives an idle compressor's working memory back to the
// pool, unless a message is being written.
func (c *Conn) releaseCompressor() {
	if c.msem.try() {
		c.z.comp.Release()
		c.release(&c.msem)
	}
}

// Writer starts an outgoing message of type typ and returns a writer for its
// payload. What is written is buffered and sent in frames as the buffer
// fills; Flush ends the current fragment at once, so the caller decides
// where fragments end (RFC 6455 §5.4), and Close sends the final fragment.
// Until Close, other writers wait (control frames do not). A text message is
// checked as UTF-8 as it is written; Close fails if it ends inside a
// sequence.
//
// Every write uses ctx; see [Conn] for what cancellation does.
func (c *Conn) Writer(ctx context.Context, typ MessageType) (*MessageWriter, error) {
	if typ != MessageText && typ != MessageBinary {
		return nil, ErrMessageType
	}
	if err := c.acquire(ctx, &c.msem); err != nil {
		return nil, err
	}
	w := &c.mw
	w.ctx = ctx
	w.op = wire.Opcode(typ)
	w.n = 0
	w.closed = false
	w.text = typ == MessageText
	w.compressed = c.compressing()
	w.fed = false
	w.utf8.Reset()
	c.ensureWriteBuffer()
	return w, nil
}

// MessageWriter streams one outgoing message. It is an io.WriteCloser; one
// lives in each Conn and is reused, so it is valid until its Close.
type MessageWriter struct {
	c      *Conn
	ctx    context.Context
	n      int         // payload bytes buffered after the header room
	op     wire.Opcode // of the next frame: the message type, then continuation
	closed bool
	text   bool
	utf8   wire.UTF8Validator

	compressed bool // the message goes through the compressor
	fed        bool // the compressor has seen some of it

}

var _ io.WriteCloser = (*MessageWriter)(nil)

// Write adds p to the message. It sends full frames as its buffer fills.
func (w *MessageWriter) Write(p []byte) (int, error) {
	if w.closed {
		return 0, ErrWriterClosed
	}
	if w.text {
		if _, err := w.utf8.Validate(p); err != nil {
			return 0, ErrInvalidUTF8
		}
	}
	c := w.c
	written := 0
	for len(p) > 0 {
		room := len(c.wbuf) - wire.MaxHeaderSize - w.n
		if w.n == 0 && len(p) > room {
			// Nothing buffered and more than a buffer to send: send it as
			// one frame straight from p.
			if err := w.send(p, flushFull); err != nil {
				return written, err
			}
			return written + len(p), nil
		}
		k := copy(c.wbuf[wire.MaxHeaderSize+w.n:], p)
		w.n += k
		p = p[k:]
		written += k
		if w.n == len(c.wbuf)-wire.MaxHeaderSize {
			if err := w.flush(flushFull); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

// Flush sends what is buffered as a fragment of its own, without ending
// the message. With nothing buffered it sends nothing.
func (w *MessageWriter) Flush() error {
	if w.closed {
		return ErrWriterClosed
	}
	if w.n == 0 && !w.fed {
		return nil
	}
	return w.flush(flushFragment)
}

// Close sends the final fragment, ending the message, and lets the next
// writer go. A text message that ends inside a UTF-8 sequence cannot be
// finished; the connection is then failed with 1011, since its earlier
// fragments are already out.
func (w *MessageWriter) Close() error {
	if w.closed {
		return ErrWriterClosed
	}
	w.closed = true
	defer w.c.release(&w.c.msem)
	if w.text {
		if err := w.utf8.Finish(); err != nil {
			if w.op == wire.OpText {
				return ErrInvalidUTF8 // nothing was sent yet
			}
			w.c.failNow(ErrInvalidUTF8)
			return ErrInvalidUTF8
		}
	}
	if w.compressed && !w.fed && w.n < w.c.z.threshold {
		w.compressed = false // too small to be worth it
	}
	return w.flush(flushFinal)
}

func (w *MessageWriter) advance() { w.op = wire.OpContinuation }

// Why a message writer sends a frame.
const (
	flushFull     = iota // the buffer is full
	flushFragment        // Flush: the caller ends the fragment
	flushFinal           // Close: the message ends
)

// flush sends the buffered payload.
func (w *MessageWriter) flush(why int) error {
	c := w.c
	n := w.n
	w.n = 0
	if !w.compressed {
		err := c.writeBuffered(w.ctx, why == flushFinal, w.op, n)
		w.advance()
		return err
	}
	return w.send(c.wbuf[wire.MaxHeaderSize:wire.MaxHeaderSize+n], why)
}

// send sends p as the next part of the message: as one frame, or through
// the compressor, whose output goes out as one frame when there is any
// (RFC 7692 §7.2.1: RSV1 on the first frame only).
func (w *MessageWriter) send(p []byte, why int) error {
	c := w.c
	fin := why == flushFinal
	if !w.compressed {
		err := c.writeData(w.ctx, fin, 0, w.op, p)
		w.advance()
		return err
	}
	w.fed = true
	z := c.z.comp.Compress(c.z.zbuf[:0], p)
	switch why {
	case flushFragment:
		z = c.z.comp.Flush(z)
	case flushFinal:
		z = c.z.comp.Finish(z)
	}
	var err error
	if len(z) > 0 || fin {
		var rsv byte
		if w.op != wire.OpContinuation {
			rsv = wire.RSV1
		}
		err = c.writeData(w.ctx, fin, rsv, w.op, z)
		w.advance()
	}
	if fin {
		c.compressedMessageDone(z)
	} else if cap(z) <= 64<<10 {
		c.z.zbuf = z[:0]
	}
	return err
}

func (c *Conn) ensureWriteBuffer() {
	if c.wbuf == nil {
		c.wbuf = make([]byte, wire.MaxHeaderSize+c.cfg.writeBuf)
	}
}

// writeData sends p as one data frame. The caller holds msem.
func (c *Conn) writeData(ctx context.Context, fin bool, rsv byte, op wire.Opcode, p []byte) error {
	h := wire.Header{Fin: fin, RSV: rsv, Opcode: op, Length: int64(len(p))}
	return c.sendDataFrame(ctx, h, sendPayload, p)
}

// writeBuffered sends the n payload bytes waiting in wbuf after the header
// room as one data frame. The caller holds msem.
func (c *Conn) writeBuffered(ctx context.Context, fin bool, op wire.Opcode, n int) error {
	h := wire.Header{Fin: fin, Opcode: op, Length: int64(n)}
	return c.sendDataFrame(ctx, h, sendBuffered, nil)
}

// sendBuffered writes the frame h whose payload waits in wbuf after the
// header room. The caller holds fsem and msem.
func (c *Conn) sendBuffered(h wire.Header) (int, error) {
	end := wire.MaxHeaderSize + int(h.Length)
	if c.role == RoleClient {
		h.Masked = true
		h.Mask = c.newMask()
		wire.MaskBytes(h.Mask, 0, c.wbuf[wire.MaxHeaderSize:end])
	}
	start := wire.MaxHeaderSize - h.Size()
	wire.AppendHeader(c.wbuf[start:start], h)
	return c.rwc.Write(c.wbuf[start:end])
}

// How sendDataFrame puts a frame on the wire.
const (
	sendPayload  = iota // h's header, then p: masked by a client
	sendBuffered        // the payload waits in wbuf after the header room
	sendPrepared        // p is the whole frame, built once
)

// sendDataFrame writes one data frame described by h, as how says, holding
// fsem, with the connection still open for data and ctx watching the
// write. The caller holds msem. The frame is chosen by a value rather than
// written by a function passed in, and the rare parts are functions of
// their own: a server/ handler's goroutine writes at the bottom of this
// chain, and a chain that fits its first 2 KiB of stack saves a stack copy
// per connection (and 2 KiB of each idle one).
func (c *Conn) sendDataFrame(ctx context.Context, h wire.Header, how int, p []byte) error {
	if err := c.acquire(ctx, &c.fsem); err != nil {
		return err
	}
	if err := c.dataAllowed(); err != nil {
		c.release(&c.fsem)
		return err
	}
	stop := c.watchWrite(ctx)
	var n int
	var err error
	switch {
	case how == sendPrepared:
		n, err = c.rwc.Write(p)
	case how == sendBuffered:
		n, err = c.sendBuffered(h)
	case c.role == RoleClient:
		n, err = c.sendMaskedFrame(h, p)
	default:
		n, err = c.sendPlainFrame(h, p)
	}
	err = c.writeResult(ctx, n, err, stop.ended())
	c.release(&c.fsem)
	if err != nil {
		return err
	}
	c.count.bytesOut.Add(uint64(h.Length))
	if h.Fin {
		c.count.msgsOut.Add(1)
	}
	if c.flog != nil {
		c.logSent(h)
	}
	return nil
}

// logSent logs a data frame sent.
//
//go:noinline
func (c *Conn) logSent(h wire.Header) {
	h.Masked = c.role == RoleClient
	c.logFrame("out", h)
}

// dataAllowed reports why no data frame may be sent: after a close frame
// went out, only the close handshake remains (RFC 6455 §5.5.1).
func (c *Conn) dataAllowed() error {
	if ce := c.closeErr.Load(); ce != nil {
		return ce
	}
	if c.ep.CloseSent() {
		return ErrClosed
	}
	return nil
}

// sendPlainFrame writes one frame of a server, h with payload p unmasked.
// The caller holds fsem (and msem for a data frame). It returns how many
// bytes reached the connection. The client's masking is a function of its
// own (sendMaskedFrame), so that the server's write path carries no frame
// for it (see Accept on stacks).
func (c *Conn) sendPlainFrame(h wire.Header, p []byte) (int, error) {
	if !c.vectored {
		return c.sendCopied(h, p)
	}
	if h.Length > smallFrame {
		return c.sendLarge(h, p)
	}
	// A TCP server connection writes without a buffer of its own (it
	// holds none while idle). A small frame is copied whole into the
	// control frames' buffer, which the close frame needs anyway, and goes
	// out in one write: for a few bytes that costs less than writev, which
	// also makes an iovec array for the connection.
	buf := c.obuf[:0]
	if cap(buf) < wire.MaxHeaderSize+len(p) {
		// One allocation, rather than one for the header and another
		// for the payload.
		buf = make([]byte, 0, wire.MaxHeaderSize+len(p))
	}
	buf = append(wire.AppendHeader(buf, h), p...)
	c.obuf = buf[:0]
	return c.rwc.Write(buf)
}

// sendLarge writes a server's frame of more than smallFrame bytes on a
// TCP connection: header and payload in one writev, the payload not
// copied. It is a function of its own, to keep sendPlainFrame's frame
// small (see sendDataFrame). The caller holds fsem and msem.
//
//go:noinline
func (c *Conn) sendLarge(h wire.Header, p []byte) (int, error) {
	return c.writev(wire.AppendHeader(c.hdr[:0], h), p)
}

// sendCopied writes a server's frame on a connection without writev (TLS,
// a pipe): header and payload are copied into the write buffer, in one
// write when they fit. The caller holds fsem and msem.
//
//go:noinline
func (c *Conn) sendCopied(h wire.Header, p []byte) (int, error) {
	c.ensureWriteBuffer()
	buf := wire.AppendHeader(c.wbuf[:0], h)
	if len(buf)+len(p) <= cap(buf) {
		return c.rwc.Write(append(buf, p...))
	}
	return c.writev(buf, p)
}

// writev writes hdr and p in one system call (writev on a TCP connection),
// without copying the payload. The caller holds fsem.
//
//go:noinline
func (c *Conn) writev(hdr, p []byte) (int, error) {
	c.iov = [2][]byte{hdr, p}
	c.wv = c.iov[:]
	n, err := c.wv.WriteTo(c.rwc)
	c.iov = [2][]byte{}
	return int(n), err
}

// smallFrame is the largest payload a TCP server connection without a
// write buffer copies rather than sends with writev.
const smallFrame = 256

// sendMaskedFrame writes one frame of a client, h with payload p masked in
// a copy (RFC 6455 §5.3), as sendPlainFrame does a server's.
func (c *Conn) sendMaskedFrame(h wire.Header, p []byte) (int, error) {
	h.Masked = true
	h.Mask = c.newMask()
	c.ensureWriteBuffer()
	if len(p) > cap(c.wbuf) {
		// A large payload is masked in a pooled buffer big enough for
		// few system calls, not in the write buffer's pieces.
		return c.sendPooled(h, p)
	}
	return c.sendThrough(c.wbuf[:0], h, p)
}

// sendPooled writes frame h with payload p through a pooled frame buffer,
// masked if h is. The caller holds fsem and msem.
//
//go:noinline
func (c *Conn) sendPooled(h wire.Header, p []byte) (int, error) {
	bp := frameBufPool.Get().(*[]byte)
	n, err := c.sendThrough((*bp)[:0], h, p)
	frameBufPool.Put(bp)
	return n, err
}

// sendThrough writes frame h with payload p copied into buf, masked if h
// is, in as many writes as buf's capacity takes. Every write but the
// last fills buf; a pooled buffer's capacity is a multiple of 64 bytes,
// so each piece of the payload lies at the offset within a 64-byte line
// that it has in the stream: on AMD EPYC the kernel's copy into the
// socket is several times slower otherwise (bench/README.md, "Large
// frames and the kernel's copy").
func (c *Conn) sendThrough(buf []byte, h wire.Header, p []byte) (int, error) {
	buf = wire.AppendHeader(buf, h)
	pos, total := 0, 0
	for {
		k := min(cap(buf)-len(buf), len(p))
		start := len(buf)
		buf = append(buf, p[:k]...)
		if h.Masked {
			pos = wire.MaskBytes(h.Mask, pos, buf[start:])
		}
		p = p[k:]
		n, err := c.rwc.Write(buf)
		total += n
		if err != nil || len(p) == 0 {
			return total, err
		}
		buf = buf[:0]
	}
}

// frameBufPool holds the buffers a client's large frames are masked in. A
// buffer this large is allocated on a page of its own, so it begins on a
// 64-byte line.
var frameBufPool = sync.Pool{New: func() any {
	b := make([]byte, 0, 128<<10)
	return &b
}}

// writeResult turns the error of a write into what the caller sees. A frame
// interrupted before any byte went out leaves the connection as it was; a
// frame cut in the middle leaves a stream the peer cannot parse, so the
// connection is dropped.
func (c *Conn) writeResult(ctx context.Context, n int, err error, fired bool) error {
	if err == nil {
		return nil
	}
	if fired && ctx.Err() != nil {
		if n == 0 {
			if _, ok := c.rwc.(writeDeadliner); ok {
				return ctx.Err()
			}
		}
		return c.abort(ctx.Err())
	}
	if ce := c.closeErr.Load(); ce != nil {
		return ce
	}
	return c.abort(err)
}

// WriteText sends s as one text message, as Write does with
// context.Background(): it waits for the socket as long as it takes (use
// Write with a context to bound that). With WriteBinary it lets a Conn
// stand where package server's Conn interface is asked for, beside the
// event loop's connections, whose writes never wait.
func (c *Conn) WriteText(s string) error {
	return c.Write(context.Background(), MessageText, []byte(s))
}

// WriteBinary sends p as one binary message, as Write does with
// context.Background(); see WriteText.
func (c *Conn) WriteBinary(p []byte) error {
	return c.Write(context.Background(), MessageBinary, p)
}
