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
	nc := &netConn{c: c, typ: typ}
	nc.rd.init(ctx)
	nc.wd.init(ctx)
	return nc
}

type netConn struct {
	c      *Conn
	typ    MessageType
	closed atomic.Bool

	rmu sync.Mutex // held by Read
	r   io.Reader  // the message being read; nil between messages
	rd  deadline

	wmu      sync.Mutex // held by Write
	wd       deadline
	wpending chan error // the result of a message a timed-out Write left going out
	wended   bool       // a write deadline ended the connection
}

func (nc *netConn) Read(p []byte) (int, error) {
	nc.rmu.Lock()
	defer nc.rmu.Unlock()
	if nc.closed.Load() {
		return 0, nc.opErr("read", net.ErrClosed)
	}
	if err := nc.rd.begin(); err != nil {
		return 0, nc.opErr("read", err)
	}
	for {
		if nc.r == nil {
			typ, r, err := nc.c.Reader(&nc.rd)
			if err != nil {
				return 0, nc.readErr(err)
			}
			if typ != nc.typ {
				err := fmt.Errorf("websocket: NetConn got a %v message, want %v", typ, nc.typ)
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
	return nc.opErr("read", nc.rd.mapErr(err))
}

func (nc *netConn) Write(p []byte) (int, error) {
	nc.wmu.Lock()
	defer nc.wmu.Unlock()
	if nc.closed.Load() {
		return 0, nc.opErr("write", net.ErrClosed)
	}
	if err := nc.wd.begin(); err != nil {
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
	if !nc.wd.timed() {
		// A deadline set while this runs still interrupts it, and ends
		// the connection if part of a frame went out.
		if err := nc.c.Write(&nc.wd, nc.typ, p); err != nil {
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
	go func() { done <- nc.c.Write(nc.wd.parent, nc.typ, msg) }()
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
	return nc.opErr("write", nc.wd.mapErr(err))
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
	defer nc.rd.release()
	defer nc.wd.release()
	err := nc.c.Close(StatusNormalClosure, "")
	if errors.Is(err, ErrClosed) {
		return nil // the connection had ended already
	}
	return err
}

func (nc *netConn) LocalAddr() net.Addr  { return orAddr(nc.c.LocalAddr()) }
func (nc *netConn) RemoteAddr() net.Addr { return orAddr(nc.c.RemoteAddr()) }

func (nc *netConn) SetDeadline(t time.Time) error {
	nc.rd.set(t)
	nc.wd.set(t)
	return nil
}

func (nc *netConn) SetReadDeadline(t time.Time) error  { nc.rd.set(t); return nil }
func (nc *netConn) SetWriteDeadline(t time.Time) error { nc.wd.set(t); return nil }

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

// A deadline is the context a netConn's reads (or writes) run under: it
// ends when the net.Conn deadline passes or the parent context ends. It
// stays one context for the life of the net.Conn, so a message reader
// obtained under it keeps working across deadlines; each expiry ends an
// epoch, and the next call after the deadline was moved on starts a new
// one with a new Done channel.
//
// Epochs change only in begin, which runs under the direction's lock, so
// a call never sees its context come back to life while it is failing.
// The deadline implements AfterFunc itself, so that context.AfterFunc
// calls back for the epoch it registered in: the callbacks run at expiry,
// and begin waits for them before a new epoch starts.
type deadline struct {
	parent context.Context
	stop   func() bool // the parent's AfterFunc

	cbmu sync.Mutex // held while an expiry runs its callbacks; before mu

	mu    sync.Mutex
	done  chan struct{}
	err   error     // set when done is closed
	at    time.Time // zero for none
	timer *time.Timer
	fs    []*func() // AfterFunc callbacks of this epoch
}

func (d *deadline) init(parent context.Context) {
	d.parent = parent
	d.done = make(chan struct{})
	d.stop = context.AfterFunc(parent, func() { d.expire(parent.Err()) })
}

func (d *deadline) Deadline() (time.Time, bool) { return d.parent.Deadline() }
func (d *deadline) Value(key any) any           { return d.parent.Value(key) }

func (d *deadline) Done() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.done
}

func (d *deadline) Err() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err
}

// AfterFunc calls f once the current epoch expires (see context.AfterFunc).
func (d *deadline) AfterFunc(f func()) func() bool {
	d.cbmu.Lock()
	d.mu.Lock()
	if d.err != nil {
		d.mu.Unlock()
		f()
		d.cbmu.Unlock()
		return func() bool { return false }
	}
	fp := &f
	d.fs = append(d.fs, fp)
	d.mu.Unlock()
	d.cbmu.Unlock()
	return func() bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		for i, g := range d.fs {
			if g == fp {
				d.fs = append(d.fs[:i], d.fs[i+1:]...)
				return true
			}
		}
		return false
	}
}

// expire ends the current epoch with err and runs its callbacks.
func (d *deadline) expire(err error) {
	d.cbmu.Lock()
	defer d.cbmu.Unlock()
	d.mu.Lock()
	if d.err != nil {
		d.mu.Unlock()
		return
	}
	d.err = err
	close(d.done)
	fs := d.fs
	d.fs = nil
	d.mu.Unlock()
	for _, f := range fs {
		(*f)()
	}
}

// set moves the deadline. A later or cleared deadline takes effect for
// pending calls when the current epoch has not expired yet, and for the
// next call otherwise.
func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	d.at = t
	if d.timer != nil {
		d.timer.Stop()
	}
	due := d.err == nil && d.armLocked()
	d.mu.Unlock()
	if due {
		d.expire(context.DeadlineExceeded)
	}
}

// armLocked starts the timer for d.at, or reports that d.at has passed.
func (d *deadline) armLocked() (due bool) {
	if d.at.IsZero() {
		return false
	}
	wait := time.Until(d.at)
	if wait <= 0 {
		return true
	}
	if d.timer == nil {
		d.timer = time.AfterFunc(wait, d.fire)
	} else {
		d.timer.Reset(wait)
	}
	return false
}

func (d *deadline) fire() {
	d.mu.Lock()
	// A timer that fires as set moves the deadline on is late, not due.
	due := !d.at.IsZero() && !time.Now().Before(d.at)
	d.mu.Unlock()
	if due {
		d.expire(context.DeadlineExceeded)
	}
}

// begin starts a call: it fails when the parent has ended or the deadline
// has passed, and starts a new epoch when the last one expired and the
// deadline has moved on since.
func (d *deadline) begin() error {
	if err := d.parent.Err(); err != nil {
		return err
	}
	d.mu.Lock()
	if !d.at.IsZero() && !time.Now().Before(d.at) {
		d.mu.Unlock()
		d.expire(context.DeadlineExceeded)
		return os.ErrDeadlineExceeded
	}
	expired := d.err != nil
	d.mu.Unlock()
	if !expired {
		return nil
	}
	d.cbmu.Lock() // the expiry's callbacks have run
	defer d.cbmu.Unlock()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.parent.Err() != nil {
		return d.parent.Err()
	}
	d.done = make(chan struct{})
	d.err = nil
	if d.armLocked() {
		d.err = context.DeadlineExceeded
		close(d.done)
		return os.ErrDeadlineExceeded
	}
	return nil
}

// timed reports whether a deadline is set.
func (d *deadline) timed() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return !d.at.IsZero()
}

// mapErr turns the context error of a call this deadline ended into
// os.ErrDeadlineExceeded, which net.Conn users test with Timeout.
func (d *deadline) mapErr(err error) error {
	if d.parent.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		return os.ErrDeadlineExceeded
	}
	return err
}

// release stops the deadline's timers, when the net.Conn is closed.
func (d *deadline) release() {
	d.stop()
	d.mu.Lock()
	if d.timer != nil {
		d.timer.Stop()
	}
	d.mu.Unlock()
}
