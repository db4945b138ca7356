//go:build unix

package websocket

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
)

// rawPoll waits for a TCP connection to become readable through its
// syscall.RawConn, which parks the goroutine in the runtime's poller with
// no buffer, as net.Conn.Read does with one; the read that follows goes
// into a pooled buffer. Deadlines and Close interrupt it as they do a Read.
type rawPoll struct {
	b    *inbuf
	nc   *net.TCPConn
	rc   syscall.RawConn
	try  func(fd uintptr) bool // p.tryRead, made once
	n    int
	fail error // the read's error, a syscall errno
}

func (p *rawPoll) init(b *inbuf, src io.Reader) {
	nc, ok := src.(*net.TCPConn)
	if !ok {
		return
	}
	rc, err := nc.SyscallConn()
	if err != nil {
		return
	}
	p.b, p.nc, p.rc = b, nc, rc
	p.try = p.tryRead
}

func (p *rawPoll) ok() bool { return p.rc != nil }

// read waits until the connection has bytes to read, or ends, and reads
// them into the buffer, which it takes. It returns what net.Conn.Read
// would have: the count, io.EOF, or a *net.OpError.
func (p *rawPoll) read() (int, error) {
	p.n, p.fail = 0, nil
	if err := p.rc.Read(p.try); err != nil {
		// A deadline passed or the connection was closed, while waiting.
		var oe *net.OpError
		if errors.As(err, &oe) {
			oe.Op = "read"
		}
		return 0, err
	}
	switch {
	case p.fail != nil:
		return 0, &net.OpError{Op: "read", Net: "tcp", Source: p.nc.LocalAddr(), Addr: p.nc.RemoteAddr(), Err: os.NewSyscallError("read", p.fail)}
	case p.n == 0:
		return 0, io.EOF
	}
	return p.n, nil
}

// tryRead reads from fd, a non-blocking socket, into a buffer taken for
// it. It reports false, giving the buffer back, when there is nothing to
// read yet, so that the poller waits.
func (p *rawPoll) tryRead(fd uintptr) bool {
	b := p.b
	b.grab()
	for {
		n, err := syscall.Read(int(fd), b.buf)
		switch err {
		case nil:
			p.n = n
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			b.release()
			return false
		}
		p.fail = err
		return true
	}
}
