//go:build linux

package loop

import (
	"errors"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Commands to a loop from other goroutines.
const (
	cmdGoingAway = 1 << iota // close open connections with 1001, drop handshakes
	cmdDrop                  // drop every connection
	cmdQuit                  // end the loop once it holds no connection
)

const (
	readBufSize = 128 << 10  // a 64 KiB message and its header in one read, handed out from here
	directRead  = 16 << 10   // the least payload still to come read into the message itself
	drainTime   = int64(2e9) // how long a closed connection's input is read and dropped
)

// evloop is one event loop: an epoll descriptor, its connections, its
// buffers and its timers, used by its goroutine only, except for the
// fields under wmu.
type evloop struct {
	s *Server
	// stats are the counters of the loop's connections (Server.Stats):
	// one set per loop, so that the loops' messages do not contend.
	stats  struct{ in, bytesIn, out, bytesOut atomic.Uint64 }
	epfd   int
	ep     waiter // waits for epfd in the Go scheduler's poller
	wakeR  int
	wakeW  int
	conns  []*Conn // by slot (Conn.slot, the epoll event's Pad): 8 bytes a connection, where a map costs 30 or more
	free   []int32 // slots of conns that are free
	nconns int
	live   atomic.Int32 // connections given to this loop and not yet closed (Server.pick)
	timers timerHeap
	rbuf   []byte // the loop's read buffer
	zbuf   []byte // the loop's inflate buffer
	quit   bool

	wmu    sync.Mutex
	woken  bool
	notes  []*Conn // connections another goroutine changed
	adds   []added
	cmds   int
	events []syscall.EpollEvent
}

type added struct {
	fd       int
	addr     netip.AddrPort
	req      *http.Request // read by net/http (Server.Upgrade), or nil
	acc      *Accepted     // req's answer, judged by the caller (Server.UpgradeAccepted), or nil
	buffered []byte
}

func newLoop(s *Server) (*evloop, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_NONBLOCK|syscall.O_CLOEXEC); err != nil {
		syscall.Close(epfd)
		return nil, err
	}
	l := &evloop{s: s, epfd: epfd, wakeR: p[0], wakeW: p[1],
		rbuf: make([]byte, readBufSize), zbuf: make([]byte, 32<<10),
		events: make([]syscall.EpollEvent, 256)}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(l.wakeR)}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, l.wakeR, &ev); err != nil {
		l.closeFDs()
		return nil, err
	}
	if err := l.ep.init(l); err != nil {
		l.closeFDs()
		return nil, err
	}
	return l, nil
}

func (l *evloop) closeFDs() {
	if l.ep.f != nil {
		l.ep.f.Close() // and epfd with it
	} else {
		syscall.Close(l.epfd)
	}
	syscall.Close(l.wakeR)
	syscall.Close(l.wakeW)
}

// A waiter waits for the loop's events without holding an OS thread: a
// goroutine blocked in epoll_wait keeps its thread and, until the
// runtime's monitor takes it back (20 µs to 10 ms later), its P, so a
// loop on a machine with few Ps stalled every other goroutine at each
// wait. The epoll descriptor is itself pollable: it reads as ready when
// it holds events. So the loop's goroutine parks in the Go poller, like
// any goroutine reading a socket, until epfd is ready or the next timer
// is due, and then takes the events with a wait of zero.
type waiter struct {
	f        *os.File
	rc       syscall.RawConn
	try      func(fd uintptr) bool // take, made once
	events   []syscall.EpollEvent
	n        int
	err      error
	deadline int64 // the read deadline set on f, as Server.now; 0 for none
}

func (w *waiter) init(l *evloop) error {
	if err := syscall.SetNonblock(l.epfd, true); err != nil {
		return err
	}
	w.f = os.NewFile(uintptr(l.epfd), "epoll")
	rc, err := w.f.SyscallConn()
	if err != nil {
		return err
	}
	w.rc, w.events = rc, l.events
	w.try = w.take
	return nil
}

// take collects the events ready, without waiting; it reports whether
// there were any (or an error), so that RawConn.Read parks otherwise.
func (w *waiter) take(fd uintptr) bool {
	for {
		n, err := syscall.EpollWait(int(fd), w.events, 0)
		if err == syscall.EINTR {
			continue
		}
		w.n, w.err = n, err
		return n > 0 || err != nil
	}
}

// wait returns the number of events ready, waiting for them until due
// (as Server.now; 0 for no limit). It returns 0 when due passed first.
func (l *evloop) wait(due int64) (int, error) {
	w := &l.ep
	if due != 0 && due <= l.s.now() {
		// A timer is due: only what is ready now, as an expired
		// deadline would fail the read before it looks.
		w.take(uintptr(l.epfd))
		return w.n, w.err
	}
	if due != w.deadline {
		t := time.Time{}
		if due != 0 {
			t = time.Now().Add(time.Duration(due - l.s.now()))
		}
		w.f.SetReadDeadline(t)
		w.deadline = due
	}
	w.n, w.err = 0, nil
	if err := w.rc.Read(w.try); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			w.deadline = -1 // passed: the next wait sets it again
			return 0, nil
		}
		return 0, err
	}
	return w.n, w.err
}

// wakeLocked makes the loop's epoll_wait return; wmu is held.
func (l *evloop) wakeLocked() {
	if !l.woken {
		l.woken = true
		syscall.Write(l.wakeW, []byte{1})
	}
}

func (l *evloop) add(a added) {
	l.wmu.Lock()
	l.adds = append(l.adds, a)
	l.wakeLocked()
	l.wmu.Unlock()
}

func (l *evloop) command(cmd int) {
	l.wmu.Lock()
	l.cmds |= cmd
	l.wakeLocked()
	l.wmu.Unlock()
}

// note asks the loop to look at c again (its timers, whether it is to be
// closed), from another goroutine.
func (l *evloop) note(c *Conn) {
	l.wmu.Lock()
	l.notes = append(l.notes, c)
	l.wakeLocked()
	l.wmu.Unlock()
}

func (l *evloop) run() {
	defer l.closeFDs()
	for {
		var due int64
		if len(l.timers) > 0 {
			due = max(l.timers[0].due, 1)
		}
		n, err := l.wait(due)
		if err != nil {
			panic("loop: epoll_wait: " + err.Error())
		}
		now := l.s.now()
		for i := range max(n, 0) {
			ev := &l.events[i]
			fd := int(ev.Fd)
			if fd == l.wakeR {
				continue
			}
			c := l.conn(ev)
			if c == nil {
				continue
			}
			if ev.Events&syscall.EPOLLOUT != 0 {
				c.mu.Lock()
				c.flushLocked()
				c.mu.Unlock()
			}
			if ev.Events&(syscall.EPOLLIN|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 {
				l.readable(c, now)
			}
			l.settle(c, now)
		}
		l.inbox(now)
		l.fire(now)
		if l.quit && l.nconns == 0 {
			return
		}
	}
}

// inbox takes what other goroutines sent: new connections, notes and
// commands.
func (l *evloop) inbox(now int64) {
	l.wmu.Lock()
	if !l.woken {
		l.wmu.Unlock()
		return
	}
	var b [64]byte
	for {
		if n, _ := syscall.Read(l.wakeR, b[:]); n <= 0 {
			break
		}
	}
	l.woken = false
	adds, notes, cmds := l.adds, l.notes, l.cmds
	l.adds, l.notes, l.cmds = nil, nil, 0
	l.wmu.Unlock()
	for _, a := range adds {
		l.open(a, now)
	}
	for _, c := range notes {
		l.settle(c, now)
	}
	if cmds&cmdGoingAway != 0 {
		for _, c := range l.conns {
			if c != nil {
				l.goingAway(c, now)
			}
		}
	}
	if cmds&cmdDrop != 0 {
		for _, c := range l.conns {
			if c != nil {
				l.finish(c, ErrLost)
			}
		}
	}
	if cmds&cmdQuit != 0 {
		l.quit = true
	}
}

// open registers a new connection, in the opening handshake.
func (l *evloop) open(a added, now int64) {
	c := &Conn{l: l, fd: int32(a.fd), hidx: -1}
	c.setAddrLocked(a.addr) // no one else knows c yet
	c.pdue = now + int64(l.s.o.HandshakeTimeout)
	if n := len(l.free); n > 0 {
		c.slot = l.free[n-1]
		l.free = l.free[:n-1]
	} else {
		c.slot = int32(len(l.conns))
		l.conns = append(l.conns, nil)
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: c.fd, Pad: c.slot}
	if err := syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, a.fd, &ev); err != nil {
		l.free = append(l.free, c.slot)
		syscall.Close(a.fd)
		l.s.ended(l)
		return
	}
	l.conns[c.slot] = c
	l.nconns++
	switch {
	case a.req != nil:
		c.mu.Lock()
		ok := true
		if a.acc != nil {
			l.acceptedLocked(c, a.acc, now)
		} else {
			ok = l.upgradeLocked(c, a.req, now)
		}
		c.mu.Unlock()
		if ok {
			l.opened(c, a.req, a.buffered, now)
		}
	case len(a.buffered) > 0:
		l.handshake(c, a.buffered, now)
	}
	l.settle(c, now)
}

// conn returns the connection of an epoll event, or nil.
func (l *evloop) conn(ev *syscall.EpollEvent) *Conn {
	if i := int(ev.Pad); i >= 0 && i < len(l.conns) {
		if c := l.conns[i]; c != nil && c.fd == ev.Fd {
			return c
		}
	}
	return nil
}

// readable reads once from c and acts on what came.
func (l *evloop) readable(c *Conn, now int64) {
	buf := l.rbuf
	if c.phase == phaseOpen && c.e.InMessage() {
		// A large uncompressed payload is read straight into the
		// message, which the endpoint then unmasks and checks in place
		// (endpoint.PayloadWant): one copy less. The receiving side is
		// the loop's alone.
		if want := c.e.PayloadWant(); want >= directRead {
			n := int(min(want, readBufSize))
			c.mu.Lock()
			b := c.busyLocked()
			b.msg = slices.Grow(b.msg, n)
			buf = b.msg[len(b.msg) : len(b.msg)+n]
			c.mu.Unlock()
		}
	}
	n, err := syscall.Read(int(c.fd), buf)
	if err == syscall.EAGAIN || err == syscall.EINTR {
		return
	}
	if n <= 0 {
		l.finish(c, ErrLost)
		return
	}
	p := buf[:n]
	switch c.phase {
	case phaseHandshake:
		l.handshake(c, p, now)
	case phaseOpen:
		l.receive(c, p, now)
	}
	// phaseDrain: the input is dropped.
}

// settle looks at c after anything happened to it: a closed endpoint whose
// bytes are written is shut down for writing and drained; its next timer
// is put on the heap.
func (l *evloop) settle(c *Conn, now int64) {
	c.mu.Lock()
	if c.is(fClosed) {
		c.mu.Unlock()
		return
	}
	if c.is(fLost) {
		c.mu.Unlock()
		l.finish(c, ErrLost)
		return
	}
	if c.phase == phaseOpen && c.e.State() == stateClosed {
		c.set(fEnding, true)
	}
	if c.is(fEnding) && len(c.outLocked()) == 0 && c.phase != phaseDrain {
		// RFC 6455 §7.1.1: the server closes the TCP connection first;
		// the peer's last bytes are read and dropped for a while so that
		// they do not turn the close into a reset.
		syscall.Shutdown(int(c.fd), syscall.SHUT_WR)
		c.phase = phaseDrain
		c.pdue = now + drainTime
	}
	c.tidyLocked()
	due := c.nextDueLocked()
	c.mu.Unlock()
	l.timers.set(c, due)
}

// fire runs the timers that are due.
func (l *evloop) fire(now int64) {
	for n := len(l.timers); n > 0 && len(l.timers) > 0 && l.timers[0].due <= now; n-- {
		c := l.timers.pop()
		l.timeout(c, now)
		l.settle(c, now)
	}
}

// finish closes c's descriptor and hands its end to the handlers; err is
// why, when the endpoint did not end it.
func (l *evloop) finish(c *Conn, err error) {
	c.mu.Lock()
	if c.is(fClosed) {
		c.mu.Unlock()
		return
	}
	c.set(fClosed, true)
	l.s.ended(l) // before the peer can see the end
	syscall.Close(int(c.fd))
	l.conns[c.slot] = nil
	l.free = append(l.free, c.slot)
	l.nconns--
	opened := c.is(fOpened)
	code, reason, cause := c.endLocked(err)
	if b := c.b; b != nil {
		b.out, b.hs, b.msg, b.peerReason = nil, nil, nil, ""
		c.releaseLocked(b)
		c.tidyLocked()
	}
	c.mu.Unlock()
	l.timers.remove(c)
	if opened {
		c.push(task{kind: taskClose, code: code, reason: reason, err: cause})
	}
}
