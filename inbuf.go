package websocket

import (
	"io"
	"sync"
)

// inbuf is the Conn's read buffer: bytes read from the transport that the
// endpoint has not taken yet, in buf[r:w]. It is owned by the holder of
// rsem.
//
// On a TCP connection (inbuf_unix.go) a buffer of the default size is held
// only while it has bytes in it: an idle connection waits for the socket
// to become readable holding none, and takes a buffer from a pool for the
// read that follows. The buffer would otherwise be the largest part of
// what an idle connection costs (4 KiB, against some 4 KiB of goroutine
// stack and 2 KiB of Conn). On other transports a read blocks inside the
// buffer, so the Conn keeps one of its own.
type inbuf struct {
	src   io.Reader
	buf   []byte
	r, w  int
	size  int32 // the size of the buffer a read goes into
	owned bool  // buf is the Conn's own buffer, made at its first read, without poll
	err   error // held back behind the bytes that came with it

	mem  *[]byte // the pooled buffer held, if any
	poll rawPoll // waits for input holding no buffer, when available
}

// readBufPool holds read buffers of DefaultReadBufferSize bytes.
var readBufPool = sync.Pool{New: func() any {
	b := make([]byte, DefaultReadBufferSize)
	return &b
}}

// init makes b read src through buffers of size bytes, after leftover,
// bytes already read from src, which b does not write to.
func (b *inbuf) init(src io.Reader, size int, leftover []byte) {
	b.src, b.size = src, int32(size)
	if len(leftover) > 0 {
		b.buf, b.w = leftover, len(leftover)
	}
	if size == DefaultReadBufferSize {
		b.poll.init(b)
	}
}

// Buffered returns how many bytes are held.
func (b *inbuf) Buffered() int { return b.w - b.r }

// Bytes returns the bytes held, valid until the next read.
func (b *inbuf) Bytes() []byte { return b.buf[b.r:b.w] }

// Discard drops the first n bytes held.
func (b *inbuf) Discard(n int) { b.r += n }

// Read reads into q: from the bytes held, else straight from the
// transport when q is at least a buffer's size, else through the buffer.
func (b *inbuf) Read(q []byte) (int, error) {
	if b.Buffered() == 0 {
		if err := b.takeErr(); err != nil {
			return 0, err
		}
		if len(q) >= int(b.size) {
			b.release()
			return b.src.Read(q)
		}
		if _, err := b.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(q, b.buf[b.r:b.w])
	b.r += n
	return n, nil
}

// fill makes sure at least one byte is held, reading from the transport
// when none is, and returns how many are.
func (b *inbuf) fill() (int, error) {
	if n := b.Buffered(); n > 0 {
		return n, nil
	}
	if err := b.takeErr(); err != nil {
		return 0, err
	}
	// Nothing held: what was read before is no longer referred to (it was
	// valid until this read). A pooled buffer is kept for the first try,
	// which finds the next bytes at once when the peer sent them behind
	// the last; it goes back to the pool only if the connection has to
	// wait (tryRead).
	if b.poll.ok() {
		return b.filled(b.pollRead())
	}
	b.release()
	return b.readInto()
}

// readInto reads from the transport into the Conn's own buffer. It is a
// function of its own, as are pollRead's error paths, to keep fill's frame
// small: a server/ handler's goroutine waits for input at the bottom of
// this chain of calls, and a chain that fits in its first 2 KiB of stack
// saves a stack copy for each connection.
//
//go:noinline
func (b *inbuf) readInto() (int, error) {
	b.grab()
	for range maxEmptyReads {
		n, err := b.src.Read(b.buf)
		if n > 0 || err != nil {
			return b.filled(n, err)
		}
	}
	return 0, io.ErrNoProgress
}

// maxEmptyReads is how many reads that return neither bytes nor an error
// fill tries before it gives up with io.ErrNoProgress, as bufio does.
const maxEmptyReads = 100

// filled records a read of n bytes into the buffer that ended with err,
// which is held back when bytes came with it.
func (b *inbuf) filled(n int, err error) (int, error) {
	b.r, b.w = 0, n
	if n == 0 {
		b.release()
		return 0, err
	}
	b.err = err
	return n, nil
}

func (b *inbuf) takeErr() error {
	err := b.err
	b.err = nil
	return err
}

// grab makes buf a whole buffer to read into, with nothing held.
func (b *inbuf) grab() {
	switch {
	case b.poll.ok():
		if b.mem == nil {
			b.mem = readBufPool.Get().(*[]byte)
		}
		b.buf = *b.mem
	case !b.owned:
		b.buf, b.owned = make([]byte, b.size), true
	}
}

// release lets go of the buffer, nothing being held: a pooled one goes
// back to the pool, leftover bytes are dropped, the Conn's own is kept.
func (b *inbuf) release() {
	b.r, b.w = 0, 0
	if !b.owned {
		b.buf = nil
	}
	if b.mem != nil {
		readBufPool.Put(b.mem)
		b.mem = nil
	}
}
