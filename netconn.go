package websocket

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wskit/websocket/internal/deadline"
)

// NetConn returns a net.Conn that carries its bytes in c's messages, for
// code that wants a byte stream (an RPC library, a TLS or SSH session, a
// database driver) over a WebSocket. It is built on Conn's exported
// methods only.
//
//   - Write sends p as one message of type typ (text must be valid UTF-8).
//   - Read returns the payloads of the messages received, one after
//     another, in the pieces asked for; message boundaries are not kept.
//     A message of the other type closes the connection with 1003
//     (RFC 6455 §7.4.1) and fails the read. After the peer closes with
//     1000 or 1001, Read returns io.EOF.
//   - SetDeadline, SetReadDeadline and SetWriteDeadline work as on a TCP
//     connection: a call that passes its deadline returns an error whose
//     Timeout method reports true (it matches os.ErrDeadlineExceeded).
//     A read deadline that passes in the middle of a message leaves the
//     rest for the next Read, except on a compressed connection, where
//     the rest of that message is dropped. A Write that starts with a
//     write deadline set is never cut short (a frame cut short ends the
//     connection): at the deadline it returns the timeout with all of p
//     counted as written, the message goes on in the background, and the
//     next Write waits for it. A Write that starts without a deadline
//     copies nothing; a deadline set while it runs interrupts it, and
//     ends the connection if part of a frame went out.
//   - Close does the close handshake with 1000 and closes c.
//
// When ctx ends, pending and later reads and writes fail with ctx.Err();
// Close still closes. The net.Conn is safe for concurrent use; reads are
// served one at a time, and so are writes.
func NetConn(ctx context.Context, c *Conn, typ MessageType) net.Conn {
	return &netConn{c: c, typ: typ, rd: deadline.New(ctx), wd: deadline.New(ctx)}
}

type netConn struct {
	c      *Conn
	typ    MessageType
	closed atomic.Bool

	rmu sync.Mutex // held by Read
	r   io.Reader  // the message being read; nil between messages
	rd  *deadline.Context

	wmu      sync.Mutex // held by Write
	wd       *deadline.Context
	wpending chan error // the result of a message a timed-out Write left going out
	wended   bool       // a write deadline ended the connection
}

func (nc *netConn) Read(p []byte) (int, error) {
	nc.rmu.Lock()
	defer nc.rmu.Unlock()
	if nc.closed.Load() {
		return 0, nc.opErr("read", net.ErrClosed)
	}
	if err := nc.rd.Begin(); err != nil {
		return 0, nc.opErr("read", err)
	}
	for {
		if nc.r == nil {
			typ, r, err := nc.c.Reader(nc.rd)
			if err != nil {
				return 0, nc.readErr(err)
			}
			if typ != nc.typ {
				err := fmt.Errorf("websocket: NetConn got a %v message, want %v", typ, nc.typ)
				// The message is this reader's, so Close would wait for
				// it to be read: drop it first (it is bounded by the
				// connection's limits like any other).
				io.Copy(io.Discard, r)
				nc.c.Close(StatusUnsupportedData, "want "+nc.typ.String()+" messages")
				return 0, nc.opErr("read", err)
			}
			nc.r = r
		}
		n, err := nc.r.Read(p)
		if err == io.EOF {
			nc.r = nil
			if n == 0 && len(p) > 0 {
				continue // an empty message, or nothing left of this one
			}
			return n, nil
		}
		if err != nil {
			if nc.c.Compressed() {
				// The inflater cannot resume an interrupted message.
				nc.r = nil
			}
			return n, nc.readErr(err)
		}
		return n, nil
	}
}

// readErr maps a read's error: io.EOF for a normal close by the peer, a
// timeout for a passed deadline.
func (nc *netConn) readErr(err error) error {
	if nc.closed.Load() {
		return nc.opErr("read", net.ErrClosed)
	}
	var ce *CloseError
	if errors.As(err, &ce) && ce.Remote && (ce.Code == StatusNormalClosure || ce.Code == StatusGoingAway) {
		return io.EOF
	}
	return nc.opErr("read", nc.rd.MapErr(err))
}

func (nc *netConn) Write(p []byte) (int, error) {
	nc.wmu.Lock()
	defer nc.wmu.Unlock()
	if nc.closed.Load() {
		return 0, nc.opErr("write", net.ErrClosed)
	}
	if err := nc.wd.Begin(); err != nil {
		return 0, nc.opErr("write", err)
	}
	if nc.wpending != nil {
		// A message from a Write that timed out is still going out.
		select {
		case err := <-nc.wpending:
			nc.wpending = nil
			if err != nil {
				return 0, nc.writeErr(err)
			}
		case <-nc.wd.Done():
			return 0, nc.writeErr(nc.wd.Err())
		}
	}
	if !nc.wd.Timed() {
		// A deadline set while this runs still interrupts it, and ends
		// the connection if part of a frame went out.
		if err := nc.c.Write(nc.wd, nc.typ, p); err != nil {
			return 0, nc.writeErr(err)
		}
		return len(p), nil
	}
	// A deadline cannot interrupt the message on the wire, since a frame
	// cut short would end the connection. The message goes out from a
	// goroutine instead; at the deadline Write returns, with p counted as
	// written (the Conn holds a copy until it is sent), and the next Write
	// or Close waits for it.
	msg := append([]byte(nil), p...)
	done := make(chan error, 1)
	go func() { done <- nc.c.Write(nc.wd.Parent(), nc.typ, msg) }()
	select {
	case err := <-done:
		if err != nil {
			return 0, nc.writeErr(err)
		}
		return len(p), nil
	case <-nc.wd.Done():
		nc.wpending = done
		return len(p), nc.writeErr(nc.wd.Err())
	}
}

func (nc *netConn) writeErr(err error) error {
	if nc.closed.Load() {
		return nc.opErr("write", net.ErrClosed)
	}
	var ce *CloseError
	if errors.As(err, &ce) {
		// The deadline cut a frame short and ended the connection: the
		// call that did it reports both, later ones the end.
		if errors.Is(ce, context.DeadlineExceeded) && !nc.wended {
			nc.wended = true
			return nc.opErr("write", timeoutEnd{ce})
		}
		return nc.opErr("write", err)
	}
	return nc.opErr("write", nc.wd.MapErr(err))
}

// timeoutEnd is a write deadline that ended the connection: a timeout
// (it matches os.ErrDeadlineExceeded) and the *CloseError.
type timeoutEnd struct{ ce *CloseError }

func (e timeoutEnd) Error() string {
	return "websocket: write deadline passed in mid-frame: " + e.ce.Error()
}
func (e timeoutEnd) Timeout() bool   { return true }
func (e timeoutEnd) Temporary() bool { return false }
func (e timeoutEnd) Unwrap() []error { return []error{os.ErrDeadlineExceeded, e.ce} }

// Close does the close handshake with 1000 and closes the connection. A
// connection that had already ended is not an error; a second Close is.
func (nc *netConn) Close() error {
	if nc.closed.Swap(true) {
		return nc.opErr("close", net.ErrClosed)
	}
	defer nc.rd.Release()
	defer nc.wd.Release()
	err := nc.c.Close(StatusNormalClosure, "")
	if errors.Is(err, ErrClosed) {
		return nil // the connection had ended already
	}
	return err
}

func (nc *netConn) LocalAddr() net.Addr  { return orAddr(nc.c.LocalAddr()) }
func (nc *netConn) RemoteAddr() net.Addr { return orAddr(nc.c.RemoteAddr()) }

func (nc *netConn) SetDeadline(t time.Time) error {
	nc.rd.Set(t)
	nc.wd.Set(t)
	return nil
}

func (nc *netConn) SetReadDeadline(t time.Time) error  { nc.rd.Set(t); return nil }
func (nc *netConn) SetWriteDeadline(t time.Time) error { nc.wd.Set(t); return nil }

func (nc *netConn) opErr(op string, err error) error {
	if err == io.EOF {
		return err
	}
	return &net.OpError{Op: op, Net: "websocket", Source: nc.LocalAddr(), Addr: nc.RemoteAddr(), Err: err}
}

// pipeAddr stands for the address of a Conn that does not run over a
// net.Conn.
type pipeAddr struct{}

func (pipeAddr) Network() string { return "websocket" }
func (pipeAddr) String() string  { return "websocket" }

func orAddr(a net.Addr) net.Addr {
	if a == nil {
		return pipeAddr{}
	}
	return a
}
