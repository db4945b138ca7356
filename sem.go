package websocket

import (
	"context"
	"sync"
	"sync/atomic"
)

// A sem is a semaphore with one holder: the Conn's rsem, msem and fsem.
// Taking a free one and giving it back are an atomic operation each and
// allocate nothing. Only a caller that has to wait makes something: a
// channel of its own, in the Conn's queue of waiters, on which the holder
// hands the semaphore over as it lets go. Three channels would cost every
// connection three allocations of 96 bytes, at its handshake and for as
// long as it is open.
type sem struct {
	state atomic.Int32 // semFree, semHeld, or semWaited: held, and waiters may be queued
}

const (
	semFree = iota
	semHeld
	semWaited
)

// try takes s if it is free.
func (s *sem) try() bool { return s.state.CompareAndSwap(semFree, semHeld) }

// semQueue holds the callers waiting for a Conn's semaphores, in the order
// they came. It is made by the first one.
type semQueue struct {
	mu sync.Mutex
	w  []semWaiter
}

type semWaiter struct {
	s  *sem
	ch chan struct{} // closed when s is handed over
}

func (c *Conn) semQueue() *semQueue {
	if q := c.semq.Load(); q != nil {
		return q
	}
	c.semq.CompareAndSwap(nil, new(semQueue))
	return c.semq.Load()
}

// acquire takes the semaphore s, giving up when ctx ends or the connection
// closes first.
func (c *Conn) acquire(ctx context.Context, s *sem) error {
	if s.try() {
		return nil
	}
	switch c.wait(ctx, s, nil) {
	case semGot:
		return nil
	case semCtx:
		return ctx.Err()
	}
	return c.endErr()
}

// What wait ended with.
const (
	semGot    = iota // s is the caller's
	semCtx           // ctx ended
	semClosed        // the connection closed
	semAlso          // also closed
)

// wait queues the caller for s until s is handed over or, first, ctx ends,
// the connection closes or also (which may be nil) is closed.
func (c *Conn) wait(ctx context.Context, s *sem, also <-chan struct{}) int {
	q := c.semQueue()
	q.mu.Lock()
	for {
		st := s.state.Load()
		if st == semFree && s.state.CompareAndSwap(semFree, semHeld) {
			q.mu.Unlock()
			return semGot
		}
		if st == semWaited || st == semHeld && s.state.CompareAndSwap(semHeld, semWaited) {
			break
		}
	}
	ch := make(chan struct{})
	q.w = append(q.w, semWaiter{s, ch})
	q.mu.Unlock()
	why := semGot
	select {
	case <-ch:
		return semGot
	case <-ctx.Done():
		why = semCtx
	case <-c.doneChan():
		why = semClosed
	case <-also:
		why = semAlso
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, w := range q.w {
		if w.ch == ch {
			q.w = append(q.w[:i], q.w[i+1:]...)
			return why
		}
	}
	// Handed over meanwhile: the semaphore is the caller's.
	return semGot
}

// release gives s back, or hands it to the first caller waiting for it.
func (c *Conn) release(s *sem) {
	if s.state.CompareAndSwap(semHeld, semFree) {
		return
	}
	q := c.semq.Load() // made by whoever set semWaited
	q.mu.Lock()
	next := -1
	more := false
	for i, w := range q.w {
		if w.s != s {
			continue
		}
		if next < 0 {
			next = i
		} else {
			more = true
			break
		}
	}
	if next < 0 {
		s.state.Store(semFree) // every waiter gave up
		q.mu.Unlock()
		return
	}
	ch := q.w[next].ch
	q.w = append(q.w[:next], q.w[next+1:]...)
	if !more {
		s.state.Store(semHeld)
	}
	q.mu.Unlock()
	close(ch)
}
