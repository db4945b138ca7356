//go:build linux

package loop

import (
	"net/http"
	"slices"
	"sync"

	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/endpoint"
	"github.com/wskit/websocket/wire"
)

// receive feeds bytes read from c to its endpoint and queues what they
// completed for the handlers; p is the loop's buffer.
func (l *evloop) receive(c *Conn, p []byte, now int64) {
	ev0 := &l.s.ev
	var ev endpoint.Event
	var tasks [8]task
	ts := tasks[:0]
	inline := l.s.pool == nil
	// borrow: the message being received is whole in p, the loop's
	// buffer, and is handed to the handler from there, without a copy.
	// Only inline handlers with ReuseMessages may have it, since their
	// slice is valid only until they return, and the loop's buffer is not
	// read into before that.
	borrow := false
	var msgs, nbytes uint64 // for the loop's Stats, added once at the end
	// emit hands t to the handlers. Inline, the handler runs at once,
	// before the rest of p is taken in, as with a goroutine per
	// connection: its reply goes out before a close frame that a later
	// violation in p queues.
	var b *busy
	emit := func(t task) {
		if !inline {
			ts = append(ts, t)
			return
		}
		if t.kind == taskNone {
			return
		}
		c.sendOutgoingLocked()
		c.mu.Unlock()
		c.run(t)
		c.mu.Lock()
		b = c.busyLocked()
	}
	c.mu.Lock()
	c.e.Tick(now)
	b = c.busyLocked() // for the message; tidyLocked takes it back when idle
	budget := l.s.o.Budget != nil
recv:
	for {
		k, err := c.e.Receive(p, &ev)
		p = p[k:]
		if err != nil {
			break // the endpoint queued the close frame with its code
		}
		switch ev.Kind {
		case endpoint.None:
		case endpoint.MessageStart:
			c.msgType = ev.Type
			b.msg = nil
			n := c.e.MessageLeft()
			if borrow = inline && l.s.o.ReuseMessages && n >= 0 && n <= int64(len(p)); borrow {
				continue
			}
			if l.s.o.ReuseMessages {
				b.msg = getMsg()
			}
			if n := min(n, int64(len(p))); n > 0 {
				// One frame of known size: room for what of it has
				// arrived at once; never more than was received.
				b.msg = slices.Grow(b.msg, int(n))
			}
			if budget && !c.holdMsgLocked(b) {
				c.e.Fail(wire.ErrOverBudget)
				break recv
			}
			continue
		case endpoint.Data:
			nbytes += uint64(len(ev.Data))
			if borrow && ev.End {
				borrow = false
				msgs++
				t := c.message(ev.Data, now)
				t.borrowed = true
				emit(t)
				continue
			}
			if borrow { // not whole after all: copied, as any message
				borrow = false
				b.msg = getMsg()
			}
			if n := len(b.msg); len(ev.Data) > 0 && cap(b.msg)-n >= len(ev.Data) && &b.msg[:n+1][n] == &ev.Data[0] {
				b.msg = b.msg[:n+len(ev.Data)] // read into the message itself (see readable)
			} else {
				b.msg = append(b.msg, ev.Data...)
			}
			if budget && !c.holdMsgLocked(b) {
				c.e.Fail(wire.ErrOverBudget)
				break recv
			}
			if ev.End {
				msgs++
				emit(c.message(b.msg, now))
				b.msg = nil
			}
			continue
		case endpoint.Inflate:
			nbytes += uint64(len(ev.Data))
			end, err := l.inflate(c)
			if err != nil {
				break
			}
			if end {
				msgs++
				emit(c.message(b.msg, now))
				b.msg = nil
			} else if ev.End {
				c.e.Fail(deflate.ErrCorrupt) // the input is whole but the output is not
				break
			}
			continue
		case endpoint.Ping:
			// Each ping's pong, in turn (the endpoint keeps only the
			// latest one queued).
			c.sendOutgoingLocked()
			if ev0.OnPing != nil {
				emit(task{kind: taskPing, data: append([]byte(nil), ev.Data...)})
			}
			continue
		case endpoint.Pong:
			if ev0.OnPong != nil {
				emit(task{kind: taskPong, data: append([]byte(nil), ev.Data...)})
			}
			continue
		case endpoint.Close:
			c.set(fPeerClose, true)
			b.peerCode, b.peerReason = ev.Code, ev.Reason
			continue
		}
		break
	}
	c.sendOutgoingLocked()
	c.mu.Unlock()
	if msgs > 0 || nbytes > 0 {
		l.stats.in.Add(msgs)
		l.stats.bytesIn.Add(nbytes)
	}
	for i := range ts {
		if ts[i].kind != taskNone {
			c.push(ts[i])
		}
	}
}

// inflate inflates the current compressed message through the loop's
// buffer into c.b.msg, reporting its end.
func (l *evloop) inflate(c *Conn) (bool, error) {
	for {
		n, end, err := c.e.Inflate(l.zbuf)
		if err != nil {
			return false, err
		}
		c.b.msg = append(c.b.msg, l.zbuf[:n]...)
		if l.s.o.Budget != nil && !c.holdMsgLocked(c.b) {
			c.e.Fail(wire.ErrOverBudget)
			return false, wire.ErrOverBudget
		}
		if end || n == 0 {
			return end, nil
		}
	}
}

// message hands out data, the message received whole.
func (c *Conn) message(data []byte, now int64) task {
	t := task{kind: taskText, data: data}
	if c.msgType == wire.OpBinary {
		t.kind = taskBinary
	}
	if t.data == nil {
		t.data = []byte{}
	}
	if b := c.b; b != nil {
		t.held, b.mheld = b.mheld, 0 // the handler's until it returns
	}
	if c.pdue != 0 {
		c.pdue = now + c.idleTimeout()
	}
	ev := &c.l.s.ev
	if t.kind == taskText && ev.OnText == nil || t.kind == taskBinary && ev.OnBinary == nil {
		t.kind = taskNone
		if t.held != 0 {
			c.l.s.o.Budget.Release(t.held)
			t.held = 0
		}
	}
	return t
}

type taskKind uint8

const (
	taskNone taskKind = iota
	taskOpen
	taskText
	taskBinary
	taskPing
	taskPong
	taskTimeout
	taskClose
)

// task is one call of a handler, queued in order for its connection.
type task struct {
	data   []byte
	req    *http.Request
	err    error
	reason string
	code   wire.StatusCode
	kind   taskKind

	borrowed bool  // data is the loop's buffer, not to be pooled
	held     int64 // reserved from Options.Budget for data
}

// maxQueued is how many message bytes may wait for a connection's
// handlers before the loop stops reading from it.
const maxQueued = 4 << 20

// push queues t for c's handlers, on the loop when Options.Inline is set.
func (c *Conn) push(t task) {
	s := c.l.s
	if s.pool == nil {
		c.run(t)
		return
	}
	c.mu.Lock()
	b := c.busyLocked()
	b.tasks = append(b.tasks, t)
	b.queued += len(t.data)
	if b.queued > maxQueued && !c.is(fPaused) && !c.is(fClosed) {
		c.set(fPaused, true)
		c.epollModLocked()
	}
	sched := !c.is(fScheduled)
	c.set(fScheduled, true)
	c.mu.Unlock()
	if sched {
		s.pool.submit(c)
	}
}

// runTasks runs some of c's queued tasks on a worker, and schedules c again
// when some are left.
func (c *Conn) runTasks() {
	for range 16 {
		c.mu.Lock()
		b := c.b
		if b == nil || len(b.tasks) == 0 {
			if b != nil {
				b.tasks = nil
			}
			c.set(fScheduled, false)
			c.tidyLocked()
			c.mu.Unlock()
			return
		}
		t := b.tasks[0]
		b.tasks[0] = task{}
		b.tasks = b.tasks[1:]
		b.queued -= len(t.data)
		if c.is(fPaused) && b.queued <= maxQueued/2 && !c.is(fClosed) {
			c.set(fPaused, false)
			c.epollModLocked()
		}
		c.mu.Unlock()
		c.run(t)
	}
	c.l.s.pool.submit(c)
}

// run calls the handler for t.
func (c *Conn) run(t task) {
	ev := &c.l.s.ev
	if t.held != 0 {
		defer c.l.s.o.Budget.Release(t.held)
	}
	switch t.kind {
	case taskOpen:
		if ev.OnOpen != nil {
			ev.OnOpen(c, t.req)
		}
	case taskText:
		ev.OnText(c, string(t.data))
		if !t.borrowed {
			c.l.s.putMsg(t.data)
		}
	case taskBinary:
		ev.OnBinary(c, t.data)
		if !t.borrowed {
			c.l.s.putMsg(t.data)
		}
	case taskPing:
		ev.OnPing(c, t.data)
	case taskPong:
		ev.OnPong(c, t.data)
	case taskTimeout:
		ev.OnTimeout(c)
	case taskClose:
		if t.err != nil && ev.OnError != nil {
			ev.OnError(c, t.err)
		}
		if ev.OnClose != nil {
			ev.OnClose(c, t.code, t.reason)
		}
	}
}

// msgPool holds message buffers for Options.ReuseMessages.
var msgPool sync.Pool

func getMsg() []byte {
	if b, ok := msgPool.Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return nil
}

// putMsg gives a handled message's buffer back, with ReuseMessages.
func (s *Server) putMsg(b []byte) {
	if s.o.ReuseMessages && cap(b) > 0 && cap(b) <= 1<<20 {
		b = b[:0]
		msgPool.Put(&b)
	}
}
