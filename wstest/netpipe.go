package wstest

import (
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// DefaultPipeBuffer is how many bytes each direction of a NetPipe holds
// before a Write waits for the reader, like a socket's send buffer.
const DefaultPipeBuffer = 1 << 20

// NetPipe returns the two ends of an in-memory, full-duplex connection.
// Unlike net.Pipe, each direction is buffered (DefaultPipeBuffer bytes), so
// both ends can write at once without either reading, as over TCP; a Write
// of more than the buffer holds waits for the reader. Both ends have read
// and write deadlines, and CloseWrite, which the other end reads as
// io.EOF. Reads after the other end closed return io.EOF once the buffer
// is drained; writes to a closed end fail with io.ErrClosedPipe.
func NetPipe() (net.Conn, net.Conn) { return netPipe("a", "b") }

func netPipe(aName, bName string) (*pipeEnd, *pipeEnd) {
	ab, ba := newDirection(), newDirection()
	a := &pipeEnd{in: ba, out: ab, local: pipeAddr(aName), remote: pipeAddr(bName), closed: make(chan struct{})}
	b := &pipeEnd{in: ab, out: ba, local: pipeAddr(bName), remote: pipeAddr(aName), closed: make(chan struct{})}
	a.rd.init()
	a.wd.init()
	b.rd.init()
	b.wd.init()
	return a, b
}

// direction is one way of the pipe: bytes written and not yet read.
type direction struct {
	mu       sync.Mutex
	buf      []byte
	eof      bool // the writing end closed its side
	gone     bool // the reading end closed
	readable chan struct{}
	writable chan struct{}
}

func newDirection() *direction {
	return &direction{readable: make(chan struct{}, 1), writable: make(chan struct{}, 1)}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

type pipeEnd struct {
	in, out       *direction
	local, remote pipeAddr
	rd, wd        pipeDeadline
	closeOnce     sync.Once
	closed        chan struct{}
}

func (e *pipeEnd) Read(p []byte) (int, error) {
	for {
		select {
		case <-e.closed:
			return 0, e.opErr("read", net.ErrClosed)
		case <-e.rd.wait():
			return 0, e.opErr("read", os.ErrDeadlineExceeded)
		default:
		}
		d := e.in
		d.mu.Lock()
		if len(d.buf) > 0 {
			n := copy(p, d.buf)
			d.buf = d.buf[n:]
			if len(d.buf) == 0 {
				d.buf = d.buf[:0:0] // let a large buffer go
			} else {
				signal(d.readable) // for another reader
			}
			d.mu.Unlock()
			signal(d.writable)
			return n, nil
		}
		if d.eof {
			d.mu.Unlock()
			return 0, io.EOF
		}
		d.mu.Unlock()
		if len(p) == 0 {
			return 0, nil
		}
		select {
		case <-d.readable:
		case <-e.rd.wait():
		case <-e.closed:
		}
	}
}

func (e *pipeEnd) Write(p []byte) (int, error) {
	written := 0
	for {
		select {
		case <-e.closed:
			return written, e.opErr("write", net.ErrClosed)
		case <-e.wd.wait():
			return written, e.opErr("write", os.ErrDeadlineExceeded)
		default:
		}
		d := e.out
		d.mu.Lock()
		if d.eof {
			d.mu.Unlock()
			return written, e.opErr("write", net.ErrClosed)
		}
		if d.gone {
			d.mu.Unlock()
			return written, e.opErr("write", io.ErrClosedPipe)
		}
		if room := DefaultPipeBuffer - len(d.buf); room > 0 {
			k := min(room, len(p))
			d.buf = append(d.buf, p[:k]...)
			p = p[k:]
			written += k
			if len(d.buf) < DefaultPipeBuffer {
				signal(d.writable) // for another writer
			}
			d.mu.Unlock()
			signal(d.readable)
			if len(p) == 0 {
				return written, nil
			}
			continue
		}
		d.mu.Unlock()
		select {
		case <-d.writable:
		case <-e.wd.wait():
		case <-e.closed:
		}
	}
}

// CloseWrite ends this end's sending side: the other end reads io.EOF
// once it has read what was sent.
func (e *pipeEnd) CloseWrite() error {
	d := e.out
	d.mu.Lock()
	d.eof = true
	d.mu.Unlock()
	signal(d.readable)
	return nil
}

func (e *pipeEnd) Close() error {
	first := false
	e.closeOnce.Do(func() {
		first = true
		close(e.closed)
		e.CloseWrite()
		d := e.in
		d.mu.Lock()
		d.gone = true
		d.buf = nil
		d.mu.Unlock()
		signal(d.writable)
		e.rd.stop()
		e.wd.stop()
	})
	if !first {
		return e.opErr("close", net.ErrClosed)
	}
	return nil
}

func (e *pipeEnd) LocalAddr() net.Addr  { return e.local }
func (e *pipeEnd) RemoteAddr() net.Addr { return e.remote }

func (e *pipeEnd) SetDeadline(t time.Time) error {
	e.rd.set(t)
	e.wd.set(t)
	return nil
}

func (e *pipeEnd) SetReadDeadline(t time.Time) error  { e.rd.set(t); return nil }
func (e *pipeEnd) SetWriteDeadline(t time.Time) error { e.wd.set(t); return nil }

func (e *pipeEnd) opErr(op string, err error) error {
	return &net.OpError{Op: op, Net: "pipe", Source: e.local, Addr: e.remote, Err: err}
}

type pipeAddr string

func (pipeAddr) Network() string  { return "pipe" }
func (a pipeAddr) String() string { return string(a) }

// pipeDeadline is a deadline as a channel that is closed when it passes.
type pipeDeadline struct {
	mu    sync.Mutex
	timer *time.Timer
	ch    chan struct{} // closed when the deadline passes
}

func (d *pipeDeadline) init() { d.ch = make(chan struct{}) }

func (d *pipeDeadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil && !d.timer.Stop() {
		<-d.ch // the timer fired or is firing; wait for it to close ch
	}
	d.timer = nil
	select {
	case <-d.ch:
		d.ch = make(chan struct{}) // passed before: a new deadline starts afresh
	default:
	}
	if t.IsZero() {
		return
	}
	wait := time.Until(t)
	if wait <= 0 {
		close(d.ch)
		return
	}
	ch := d.ch
	d.timer = time.AfterFunc(wait, func() { close(ch) })
}

func (d *pipeDeadline) wait() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ch
}

func (d *pipeDeadline) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil && d.timer.Stop() {
		d.timer = nil
	}
}
