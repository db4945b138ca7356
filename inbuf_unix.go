//go:build unix

package websocket

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
)

// rawPoll waits for a TCP connection to become readable through its
// syscall.RawConn, which parks the goroutine in the runtime's poller with
// no buffer, as net.Conn.Read does with one; the read that follows goes
// into a pooled buffer. Deadlines and Close interrupt it as they do a Read.
type rawPoll struct {
	rc   syscall.RawConn
	try  func(fd uintptr) bool // the inbuf's tryRead, made once
	n    int
	fail syscall.Errno // the read's error
}

func (p *rawPoll) init(b *inbuf) {
	nc, ok := b.src.(*net.TCPConn)
	if !ok {
		return
	}
	rc, err := nc.SyscallConn()
	if err != nil {
		return
	}
	p.rc, p.try = rc, b.tryRead
}

func (p *rawPoll) ok() bool { return p.rc != nil }

// pollRead waits until the connection has bytes to read, or ends, and
// reads them into the buffer, which it takes. It returns what
// net.Conn.Read would have: the count, io.EOF, or a *net.OpError.
func (b *inbuf) pollRead() (int, error) {
	p := &b.poll
	p.n, p.fail = 0, 0
	if err := p.rc.Read(p.try); err != nil {
		return 0, waitError(err)
	}
	if p.fail != 0 || p.n == 0 {
		return 0, b.readError()
	}
	return p.n, nil
}

// waitError is the error of a wait that a deadline or Close ended, made
// to read as net.Conn.Read's.
//
//go:noinline
func waitError(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) {
		oe.Op = "read"
	}
	return err
}

// readError is the error of a read that found the connection ended: EOF,
// or the *net.OpError of the errno.
//
//go:noinline
func (b *inbuf) readError() error {
	if b.poll.fail == 0 {
		return io.EOF
	}
	nc := b.src.(*net.TCPConn)
	return &net.OpError{Op: "read", Net: "tcp", Source: nc.LocalAddr(), Addr: nc.RemoteAddr(), Err: os.NewSyscallError("read", b.poll.fail)}
}

// tryRead reads from fd, a non-blocking socket, into a buffer taken for
// it. It reports false, giving the buffer back, when there is nothing to
// read yet, so that the poller waits.
func (b *inbuf) tryRead(fd uintptr) bool {
	b.grab()
	for {
		n, err := syscall.Read(int(fd), b.buf)
		switch err {
		case nil:
			b.poll.n = n
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			b.release()
			return false
		}
		errno, ok := err.(syscall.Errno) // always, from syscall.Read
		if !ok {
			errno = syscall.EIO
		}
		b.poll.fail = errno
		return true
	}
}

// writeNow writes p to the connection without waiting for room in the
// socket's send buffer, and returns how many bytes went; the caller writes
// the rest, or meets the error again, through the net.Conn. It writes
// nothing on a connection without a RawConn. The caller holds the Conn's
// fsem.
func (b *inbuf) writeNow(p []byte) int {
	if b.poll.rc == nil {
		return 0
	}
	w := rawWriters.Get().(*rawWriter)
	w.p, w.n = p, 0
	b.poll.rc.Write(w.try)
	n := w.n
	w.p = nil
	rawWriters.Put(w)
	return n
}

// rawWriter is writeNow's callback and its state, pooled so that a write
// allocates no closure.
type rawWriter struct {
	p   []byte
	n   int
	try func(fd uintptr) bool // w.write, made once
}

var rawWriters = sync.Pool{New: func() any {
	w := new(rawWriter)
	w.try = w.write
	return w
}}

func (w *rawWriter) write(fd uintptr) bool {
	for w.n < len(w.p) {
		m, err := syscall.Write(int(fd), w.p[w.n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil || m <= 0 {
			break
		}
		w.n += m
	}
	return true // never wait
}
