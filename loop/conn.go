//go:build linux

package loop

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"unicode/utf8"
	"unsafe"

	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/endpoint"
	"github.com/wskit/websocket/handshake"
	"github.com/wskit/websocket/wire"
)

const stateClosed = endpoint.StateClosed

type phase uint8

const (
	phaseHandshake phase = iota
	phaseOpen
	phaseRefused // the handshake failed: the answer is being written
	phaseDrain   // shut down for writing, input dropped until EOF
)

// Conn is one connection of a Server. Its methods may be called from any
// goroutine; none blocks on the network.
//
// An idle connection holds this struct and nothing else: its fields are
// ordered and sized so that it fits Go's 416-byte size class, 19 to a page
// of 8 KiB (the endpoint is 352 bytes of it); what a connection needs only
// while it is doing something lives in busy, and what few use in extra.
type Conn struct {
	mu sync.Mutex
	l  *evloop
	b  *busy  // nil while the connection is idle
	x  *extra // nil until needed
	e  endpoint.Endpoint

	pdue int64 // the phase's timer: the handshake's deadline, the idle timeout (open), the end of the drain
	fd   int32
	slot int32 // in the loop's table, and in the epoll event
	hidx int32 // in the loop's timer heap, -1 for none

	ip4     [4]byte // the peer's address when it is IPv4; others are in extra
	port    uint16
	phase   phase
	msgType wire.Opcode
	prot    uint8 // the subprotocol agreed: 1 + its index in Options.Protocols, 0 for none
	flags   connFlags
}

// connFlags are a Conn's yes-or-no states, one bit each (nine bools would
// take the Conn past its size class), under Conn.mu.
type connFlags uint16

const (
	fPeerClose connFlags = 1 << iota // the peer's close frame arrived
	fOpened                          // OnOpen was queued
	fEnding                          // to be closed once the queue is written
	fLost                            // a write failed: the loop is to drop the connection
	fClosed                          // the descriptor is closed
	fArmedOut                        // EPOLLOUT is on
	fPaused                          // EPOLLIN is off: too many bytes wait for handlers
	fScheduled                       // in the worker pool's run queue
	fDeflate                         // permessage-deflate was agreed
	fCloseHere                       // this side started the closing handshake
)

func (c *Conn) is(f connFlags) bool { return c.flags&f != 0 }

func (c *Conn) set(f connFlags, on bool) {
	if on {
		c.flags |= f
	} else {
		c.flags &^= f
	}
}

// busy is what a connection holds while it is doing something: reading
// its handshake or a message, writing what the socket did not take, or
// waiting for its handlers. It is taken from a pool when needed and put
// back once all of it is empty (tidyLocked).
type busy struct {
	out        []byte // bytes not yet written; nil when all are
	hs         []byte // the opening handshake read so far
	msg        []byte // the message being received
	tasks      []task // handler calls not yet run
	queued     int    // bytes of messages in tasks
	mheld      int64  // reserved from Options.Budget for msg
	oheld      int64  // reserved from Options.Budget for out
	peerReason string
	peerCode   wire.StatusCode
}

// extra is what few connections need: a value of the application's, and
// a peer address that is not IPv4.
type extra struct {
	val   any
	addr  netip.AddrPort
	proto string // the subprotocol, when it is not one of Options.Protocols (prot is protOther)

	timeout int64 // Accepted.Timeout: replaces Events.Timeout when not 0, <0 for none
}

// protOther in Conn.prot says the subprotocol is in extra.
const protOther = 255

func (c *Conn) extraLocked() *extra {
	if c.x == nil {
		c.x = new(extra)
	}
	return c.x
}

var busyPool = sync.Pool{New: func() any { return new(busy) }}

// busyLocked returns c.b, taking one from the pool when c has none.
func (c *Conn) busyLocked() *busy {
	if c.b == nil {
		c.b = busyPool.Get().(*busy)
	}
	return c.b
}

// tidyLocked gives c.b back to the pool once nothing in it is in use.
func (c *Conn) tidyLocked() {
	b := c.b
	if b == nil || b.out != nil || b.hs != nil || b.msg != nil || len(b.tasks) > 0 || c.is(fScheduled) || c.is(fPeerClose) && !c.is(fClosed) {
		return
	}
	c.releaseLocked(b)
	*b = busy{}
	c.b = nil
	busyPool.Put(b)
}

// releaseLocked gives back to Options.Budget what b holds for a message
// being received and for the queue.
func (c *Conn) releaseLocked(b *busy) {
	if n := b.mheld + b.oheld; n != 0 {
		c.l.s.o.Budget.Release(n)
		b.mheld, b.oheld = 0, 0
	}
}

// holdMsgLocked reserves from Options.Budget what b.msg has grown by since
// the last call, reporting false when the budget has no room for it.
func (c *Conn) holdMsgLocked(b *busy) bool {
	if n := int64(cap(b.msg)) - b.mheld; n > 0 {
		if !c.l.s.o.Budget.Reserve(n) {
			return false
		}
		b.mheld += n
	}
	return true
}

// holdOutLocked brings what Options.Budget holds for c's queue to its
// length. A queue that grew past the budget (the rest of a frame begun)
// holds what it could reserve before, and gives back no more than that.
func (c *Conn) holdOutLocked() {
	bg, b := c.l.s.o.Budget, c.b
	if bg == nil || b == nil {
		return
	}
	switch want := int64(len(b.out)); {
	case want < b.oheld:
		bg.Release(b.oheld - want)
		b.oheld = want
	case want > b.oheld && bg.Reserve(want-b.oheld):
		b.oheld = want
	}
}

// idleTimeout is how long c may go without a message before OnTimeout,
// 0 for no limit.
func (c *Conn) idleTimeout() int64 {
	if c.x != nil && c.x.timeout != 0 {
		return max(c.x.timeout, 0)
	}
	return int64(c.l.s.ev.Timeout)
}

// outLocked returns the bytes not yet written.
func (c *Conn) outLocked() []byte {
	if c.b == nil {
		return nil
	}
	return c.b.out
}

// RemoteAddr returns the peer's address.
func (c *Conn) RemoteAddr() net.Addr {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.x != nil && c.x.addr.IsValid() {
		return net.TCPAddrFromAddrPort(c.x.addr)
	}
	return net.TCPAddrFromAddrPort(netip.AddrPortFrom(netip.AddrFrom4(c.ip4), c.port))
}

// setAddrLocked keeps a, the peer's address.
func (c *Conn) setAddrLocked(a netip.AddrPort) {
	if ip := a.Addr(); ip.Is4() || ip.Is4In6() {
		c.ip4, c.port = ip.Unmap().As4(), a.Port()
	} else if a.IsValid() {
		c.extraLocked().addr = a
	}
}

// Subprotocol returns the subprotocol agreed in the handshake, or "".
func (c *Conn) Subprotocol() string {
	switch c.prot {
	case 0:
		return ""
	case protOther:
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.x.proto
	}
	return c.l.s.o.Protocols[c.prot-1]
}

// SetValue and Value keep one value of the application's with the
// connection.
func (c *Conn) SetValue(v any) {
	c.mu.Lock()
	c.extraLocked().val = v
	c.mu.Unlock()
}

// Value returns what SetValue stored.
func (c *Conn) Value() any {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.x == nil {
		return nil
	}
	return c.x.val
}

// WriteText sends a text message; it must be UTF-8 (RFC 6455 §8.1).
func (c *Conn) WriteText(s string) error { return c.write(wire.OpText, []byte(s)) }

// WriteBinary sends a binary message. p is not kept.
func (c *Conn) WriteBinary(p []byte) error { return c.write(wire.OpBinary, p) }

// WriteMessage sends a message of opcode op, wire.OpText (p must then be
// UTF-8) or wire.OpBinary, for a caller that holds text as bytes. p is not
// kept.
func (c *Conn) WriteMessage(op wire.Opcode, p []byte) error {
	if op != wire.OpText && op != wire.OpBinary {
		return errors.New("loop: not a data opcode: " + op.String())
	}
	return c.write(op, p)
}

// framePool holds the buffers messages are framed in before a first write.
var framePool = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// write frames and sends a message: what the socket does not take at once
// waits in the connection's queue, within Options.MaxQueue.
func (c *Conn) write(op wire.Opcode, p []byte) error {
	n, err := c.writeMessage(op, p)
	if err == nil {
		c.l.stats.out.Add(1)
		c.l.stats.bytesOut.Add(uint64(n))
	}
	return err
}

// writeMessage is write's work; it returns the frame's payload length, on
// the wire (after compression).
func (c *Conn) writeMessage(op wire.Opcode, p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.holdOutLocked() // what was reserved for a message not queued after all
	if c.is(fClosed) || c.phase != phaseOpen || c.e.CloseSent() {
		return 0, ErrClosed
	}
	o := &c.l.s.o
	if out := c.outLocked(); len(out) > 0 && len(out)+len(p) > o.MaxQueue {
		if o.SlowConsumer == DropMessage {
			return 0, ErrQueueFull
		}
		c.e.Tick(c.l.s.now()) // the close timeout counts from now
		c.closeLocked(o.SlowCloseCode, "too slow: send queue full")
		c.sendOutgoingLocked()
		c.l.note(c)
		return 0, ErrQueueFull
	}
	if bg := o.Budget; bg != nil && len(c.outLocked()) > 0 {
		// All of the message is to wait in the queue: its bytes are
		// reserved now, and holdOutLocked settles the difference the
		// framing makes.
		if !bg.Reserve(int64(len(p))) {
			return 0, ErrOverBudget
		}
		c.b.oheld += int64(len(p))
	}
	bp := framePool.Get().(*[]byte)
	if !c.is(fDeflate) && len(p) >= vectorMin && len(c.outLocked()) == 0 {
		return len(p), c.writeVector(bp, op, p)
	}
	b, err := c.e.AppendMessage((*bp)[:0], op, p)
	c.e.DropSendBuffer() // an idle connection keeps no compression buffer
	payload := len(b) - wire.HeaderSize(b)
	kept := false
	if err == nil {
		b = c.e.AppendOutgoing(b)
		kept = c.sendLocked(b)
	}
	if !kept && cap(b) <= 256<<10 {
		*bp = b[:0]
		framePool.Put(bp)
	}
	if err == endpoint.ErrClosing {
		return 0, ErrClosed
	}
	return payload, err
}

// vectorMin is the least payload that write sends from where it is, with
// its header in one writev, instead of copying it after the header.
const vectorMin = 4 << 10

// writeVector sends p as one uncompressed server frame: the header (after
// any control frame the endpoint queued) in *bp, a pooled buffer, and p
// itself in one writev (RFC 6455 §5.2: a server's frames are not
// masked). What the socket does not take is copied into the queue. The
// queue is empty.
func (c *Conn) writeVector(bp *[]byte, op wire.Opcode, p []byte) error {
	if op == wire.OpText && !utf8.Valid(p) {
		framePool.Put(bp)
		return endpoint.ErrInvalidUTF8
	}
	hdr := c.e.AppendOutgoing((*bp)[:0])
	hdr = wire.AppendHeader(hdr, wire.Header{Fin: true, Opcode: op, Length: int64(len(p))})
	n := c.writevLocked(hdr, p)
	if c.is(fLost) {
		*bp = hdr[:0]
		framePool.Put(bp)
		return nil
	}
	var rest []byte
	if n < len(hdr) {
		rest = append(hdr[:0], hdr[n:]...)
		rest = append(rest, p...)
	} else if p = p[n-len(hdr):]; len(p) > 0 {
		if m := c.writeLocked(p); !c.is(fLost) && m < len(p) {
			rest = append(hdr[:0], p[m:]...)
		}
	}
	if rest == nil {
		*bp = hdr[:0]
		framePool.Put(bp)
		return nil
	}
	c.busyLocked().out = rest // the pooled buffer is the queue's now
	c.flushLocked()
	return nil
}

// writevLocked writes what of hdr and p, both not empty, the socket takes
// in one writev.
func (c *Conn) writevLocked(hdr, p []byte) int {
	iov := [2]syscall.Iovec{{Base: &hdr[0]}, {Base: &p[0]}}
	iov[0].SetLen(len(hdr))
	iov[1].SetLen(len(p))
	for {
		n, _, errno := syscall.Syscall(syscall.SYS_WRITEV, uintptr(c.fd), uintptr(unsafe.Pointer(&iov[0])), 2)
		switch errno {
		case 0:
			return int(n)
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return 0
		}
		c.set(fLost, true)
		c.l.note(c)
		return 0
	}
}

// Ping sends a ping with payload (at most 125 bytes).
func (c *Conn) Ping(payload []byte) error {
	return c.control(func() error { return c.e.Ping(payload) })
}

// Close starts the closing handshake with code and reason (RFC 6455
// §7.1.2); the connection ends when the peer's close frame arrives, or
// after Options.CloseTimeout.
func (c *Conn) Close(code wire.StatusCode, reason string) error {
	return c.control(func() error { return c.closeLocked(code, reason) })
}

// closeLocked has the endpoint close with code and reason, noting whether
// this side started the closing handshake (ClosedHere) or answered the
// peer's.
func (c *Conn) closeLocked(code wire.StatusCode, reason string) error {
	first := !c.is(fPeerClose) && !c.e.CloseSent()
	err := c.e.Close(code, reason)
	if err == nil && first {
		c.set(fCloseHere, true)
	}
	return err
}

// Compressed reports whether permessage-deflate was agreed.
func (c *Conn) Compressed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.is(fDeflate)
}

// ClosedHere reports whether this side started the closing handshake,
// with Close or by closing a slow consumer, rather than answered the
// peer's; for OnClose to tell who ended the connection.
func (c *Conn) ClosedHere() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.is(fCloseHere)
}

func (c *Conn) control(f func() error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.is(fClosed) || c.phase != phaseOpen {
		return ErrClosed
	}
	c.e.Tick(c.l.s.now()) // timers that start now count from here
	if err := f(); err != nil {
		if err == endpoint.ErrClosing {
			return ErrClosed
		}
		return err
	}
	c.sendOutgoingLocked()
	c.l.note(c) // the close timer, or the end
	return nil
}

// sendLocked writes b, queueing what the socket does not take. It reports
// whether it kept b as the queue (when the queue was empty and the socket
// took only part of b, which is then not copied); otherwise b is the
// caller's again.
func (c *Conn) sendLocked(b []byte) bool {
	if c.is(fLost) {
		return false // the loop drops the connection
	}
	if len(c.outLocked()) == 0 {
		n := c.writeLocked(b)
		if n == len(b) || c.is(fLost) {
			return false
		}
		c.busyLocked().out = b[n:]
		c.flushLocked()
		return true
	}
	c.b.out = append(c.b.out, b...)
	c.flushLocked()
	return false
}

// sendOutgoingLocked sends the control frames the endpoint queued (pongs,
// pings, close frames) after what is queued already.
func (c *Conn) sendOutgoingLocked() {
	if len(c.outLocked()) > 0 {
		c.b.out = c.e.AppendOutgoing(c.b.out)
		c.flushLocked()
	} else if p := c.e.AppendOutgoing(nil); len(p) > 0 {
		c.sendLocked(p)
	}
}

// writeLocked writes as much of b as the socket takes now.
func (c *Conn) writeLocked(b []byte) int {
	done := 0
	for done < len(b) {
		n, err := syscall.Write(int(c.fd), b[done:])
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return done
		case err != nil:
			c.set(fLost, true)
			if c.b != nil {
				c.b.out = nil
			}
			c.l.note(c)
			return len(b)
		}
		done += n
	}
	return done
}

// flushLocked writes the queue, turning EPOLLOUT on while some is left.
func (c *Conn) flushLocked() {
	if c.is(fClosed) || c.is(fLost) {
		c.holdOutLocked()
		return
	}
	if b := c.b; b != nil && len(b.out) > 0 {
		n := c.writeLocked(b.out)
		if c.is(fLost) {
			return
		}
		b.out = b.out[n:]
		if len(b.out) == 0 {
			b.out = nil // an idle connection keeps no buffer
			if c.is(fEnding) {
				c.l.note(c)
			}
		}
	}
	if want := len(c.outLocked()) > 0; want != c.is(fArmedOut) {
		c.set(fArmedOut, want)
		c.epollModLocked()
	}
	c.holdOutLocked()
}

func (c *Conn) epollModLocked() {
	var ev uint32
	if !c.is(fPaused) {
		ev = syscall.EPOLLIN | syscall.EPOLLRDHUP
	}
	if c.is(fArmedOut) {
		ev |= syscall.EPOLLOUT
	}
	e := syscall.EpollEvent{Events: ev, Fd: c.fd, Pad: c.slot}
	syscall.EpollCtl(c.l.epfd, syscall.EPOLL_CTL_MOD, int(c.fd), &e)
}

// nextDueLocked is when the loop next has to look at c, 0 for never.
func (c *Conn) nextDueLocked() int64 {
	var due int64
	at := func(t int64) {
		if t != 0 && (due == 0 || t < due) {
			due = t
		}
	}
	switch c.phase {
	case phaseHandshake, phaseRefused:
		at(c.pdue)
	case phaseOpen:
		if t, ok := c.e.NextTimer(); ok {
			at(max(t, 1))
		}
		at(c.pdue)
	case phaseDrain:
		at(c.pdue)
	}
	return due
}

// timeout runs c's due timers.
func (l *evloop) timeout(c *Conn, now int64) {
	c.mu.Lock()
	switch c.phase {
	case phaseHandshake, phaseRefused:
		if now >= c.pdue {
			c.mu.Unlock()
			l.finish(c, ErrLost)
			return
		}
	case phaseDrain:
		if now >= c.pdue {
			c.mu.Unlock()
			l.finish(c, nil)
			return
		}
	case phaseOpen:
		if err := c.e.Tick(now); err == endpoint.ErrCloseTimeout {
			c.mu.Unlock()
			l.finish(c, err)
			return
		}
		c.sendOutgoingLocked()
		if c.pdue != 0 && now >= c.pdue {
			c.pdue = now + c.idleTimeout()
			if l.s.ev.OnTimeout != nil {
				c.mu.Unlock()
				c.push(task{kind: taskTimeout})
				return
			}
		}
	}
	c.mu.Unlock()
}

// goingAway closes c with 1001 for Shutdown, or drops it in the handshake.
func (l *evloop) goingAway(c *Conn, now int64) {
	c.mu.Lock()
	if c.phase != phaseOpen {
		c.mu.Unlock()
		l.finish(c, ErrLost)
		return
	}
	c.e.Tick(now)
	if c.e.Close(wire.StatusGoingAway, "server shutting down") == nil {
		c.sendOutgoingLocked()
	}
	c.mu.Unlock()
	l.settle(c, now)
}

// endLocked says how c ended: the code and reason for OnClose and the
// error for OnError (nil after the peer's close frame).
func (c *Conn) endLocked(err error) (wire.StatusCode, string, error) {
	if c.is(fPeerClose) {
		reason := c.b.peerReason // kept while peerClose (tidyLocked)
		return c.b.peerCode, reason, nil
	}
	if c.phase != phaseHandshake {
		if f := c.e.Err(); f != nil {
			if f == endpoint.ErrCloseTimeout {
				return wire.StatusAbnormalClosure, "", f
			}
			return wire.CloseCodeFor(f), "", f
		}
	}
	if err == nil {
		err = ErrLost
	}
	return wire.StatusAbnormalClosure, "", err
}

// handshake takes bytes of the opening handshake; once the request is
// whole it is checked (RFC 6455 §4.2) and answered.
func (l *evloop) handshake(c *Conn, p []byte, now int64) {
	o := &l.s.o
	c.mu.Lock()
	b := c.busyLocked()
	b.hs = append(b.hs, p...)
	end := bytes.Index(b.hs, []byte("\r\n\r\n"))
	if end < 0 && len(b.hs) <= o.MaxHeaderBytes {
		c.mu.Unlock()
		return
	}
	if end < 0 || end+4 > o.MaxHeaderBytes {
		// Too large, whether it came in pieces or whole in one read.
		c.refuseLocked(http.StatusRequestHeaderFieldsTooLarge, nil, "request header too large")
		c.mu.Unlock()
		return
	}
	raw, rest := b.hs[:end+4], b.hs[end+4:]
	b.hs = nil
	// A reader of raw's size: the request is whole, and the default 4 KiB
	// would be garbage of every connection.
	req, err := http.ReadRequest(bufio.NewReaderSize(bytes.NewReader(raw), len(raw)))
	if err != nil {
		c.refuseLocked(http.StatusBadRequest, nil, "malformed request: "+err.Error())
		c.mu.Unlock()
		return
	}
	var ok bool
	if o.Judge != nil {
		ok = l.judgedLocked(c, req, now)
	} else {
		ok = l.upgradeLocked(c, req, now)
	}
	c.mu.Unlock()
	if ok {
		l.opened(c, req, rest, now)
	}
}

// judgedLocked has Options.Judge decide req and answers it as decided. It
// reports whether the connection is open.
func (l *evloop) judgedLocked(c *Conn, req *http.Request, now int64) bool {
	w := &refusal{h: http.Header{}}
	if a := l.s.o.Judge(w, req); a != nil {
		l.acceptedLocked(c, a, now)
		return true
	}
	if w.status == 0 {
		w.status = http.StatusInternalServerError
	}
	c.respondLocked(w.status, w.h, w.body)
	return false
}

// refusal records the answer Options.Judge writes to a handshake it
// refuses.
type refusal struct {
	h      http.Header
	status int
	body   []byte
}

func (w *refusal) Header() http.Header { return w.h }

func (w *refusal) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *refusal) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if len(w.body)+len(p) > 4<<10 {
		p = p[:max(4<<10-len(w.body), 0)] // a refusal's body is short
	}
	w.body = append(w.body, p...)
	return len(p), nil
}

// upgradeLocked checks req, a client's opening handshake (RFC 6455 §4.2),
// and answers it: 101 with the agreed subprotocol and extensions, or the
// error's status. It reports whether the connection is open.
func (l *evloop) upgradeLocked(c *Conn, req *http.Request, now int64) bool {
	o := &l.s.o
	offer, err := handshake.CheckRequest(req)
	if err != nil {
		re := err.(*handshake.RequestError)
		c.refuseLocked(re.Status, re.Header, re.Reason)
		return false
	}
	if check := o.CheckOrigin; check != nil && !check(req) || check == nil && !sameOrigin(req) {
		c.refuseLocked(http.StatusForbidden, nil, "origin not allowed")
		return false
	}
	prot := handshake.SelectProtocol(offer.Protocols, o.Protocols)
	if i := slices.Index(o.Protocols, prot); prot != "" && i >= 0 && i < protOther-1 {
		c.prot = uint8(i + 1)
	}
	var exts []handshake.Extension
	var agreed *deflate.Agreement
	if o.Compression {
		do := deflate.Options{NoContextTakeover: true, PeerNoContextTakeover: true}
		if o.Deflate != nil {
			do = *o.Deflate
		}
		if resp, a, ok := deflate.ServerAccept(offer.Extensions, do); ok {
			exts = []handshake.Extension{resp}
			agreed = &a
		}
	}
	l.openLocked(c, agreed, now)
	c.sendLocked(handshake.AppendResponse(nil, offer.Key, c.Subprotocol(), exts, nil))
	return true
}

// acceptedLocked answers a handshake judged by the caller of
// UpgradeAccepted with the 101 response a describes.
func (l *evloop) acceptedLocked(c *Conn, a *Accepted, now int64) {
	if a.Protocol != "" {
		if i := slices.Index(l.s.o.Protocols, a.Protocol); i >= 0 && i < protOther-1 {
			c.prot = uint8(i + 1)
		} else {
			c.prot = protOther
			c.extraLocked().proto = a.Protocol
		}
	}
	if a.Value != nil {
		c.extraLocked().val = a.Value
	}
	l.openLocked(c, a.Deflate, now)
	if a.PingInterval != 0 {
		c.e.SetKeepAlive(now, max(int64(a.PingInterval), 0), int64(l.s.o.PongTimeout))
	}
	if a.Timeout != 0 {
		c.extraLocked().timeout = int64(a.Timeout)
		c.pdue = 0
		if a.Timeout > 0 {
			c.pdue = now + int64(a.Timeout)
		}
	}
	c.sendLocked(handshake.AppendResponse(nil, a.Key, a.Protocol, a.Extensions, a.Header))
}

// openLocked starts c's endpoint, open, compressing with agreed when it is
// set.
func (l *evloop) openLocked(c *Conn, agreed *deflate.Agreement, now int64) {
	o := &l.s.o
	eo := endpoint.Options{
		Role:           wire.RoleServer,
		MaxMessageSize: o.MaxMessageSize,
		Level:          o.Level,
		Threshold:      o.Threshold,
		PingInterval:   int64(o.PingInterval),
		PongTimeout:    int64(o.PongTimeout),
		CloseTimeout:   max(int64(o.CloseTimeout), 0),
	}
	if agreed != nil {
		eo.Deflate = agreed
		c.set(fDeflate, true)
	}
	c.e.Init(eo)
	c.e.Tick(now)
	c.phase = phaseOpen
	c.set(fOpened, true)
	c.pdue = 0 // the handshake's deadline is passed; the idle timeout's takes its place
	if t := c.idleTimeout(); t > 0 {
		c.pdue = now + t
	}
}

// opened queues OnOpen for c and takes the bytes that came after its
// handshake.
func (l *evloop) opened(c *Conn, req *http.Request, rest []byte, now int64) {
	c.push(task{kind: taskOpen, req: req})
	if len(rest) > 0 {
		l.receive(c, rest, now)
	}
}

// refuseLocked answers a request that is not a valid opening handshake
// with status and closes the connection once that is written.
func (c *Conn) refuseLocked(status int, h http.Header, reason string) {
	h = h.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	c.respondLocked(status, h, []byte(reason))
}

// respondLocked answers a request that is not upgraded with status, the
// headers h and body, and closes the connection once that is written.
func (c *Conn) respondLocked(status int, h http.Header, body []byte) {
	var b []byte
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = append(b, http.StatusText(status)...)
	b = append(b, "\r\nConnection: close\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\n"...)
	for k, vs := range h {
		if k == "Content-Length" || k == "Connection" {
			continue // written above
		}
		for _, v := range vs {
			if !strings.ContainsAny(k+v, "\r\n") {
				b = append(b, k+": "+v+"\r\n"...)
			}
		}
	}
	b = append(b, "\r\n"...)
	b = append(b, body...)
	if c.b != nil {
		c.b.hs = nil
	}
	c.set(fEnding, true)
	c.phase = phaseRefused
	c.sendLocked(b)
}

// sameOrigin allows a request without Origin, or whose Origin's host is
// the request's Host (RFC 6455 §10.2).
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	_, host, ok := strings.Cut(origin, "://")
	return ok && strings.EqualFold(host, r.Host)
}
