// Package deadline gives connections net.Conn-style deadlines, that can be
// moved while a call waits, as a context.Context that the blocking calls
// of a websocket.Conn take.
package deadline

import (
	"context"
	"errors"
	"os"
	"sync"
	"time"
)

// A Context is what the reads (or the writes) of a connection with
// net.Conn-style deadlines run under: it ends when the deadline passes or
// the parent context ends. It stays one context for the life of the
// connection, so a message reader obtained under it keeps working across
// deadlines; each expiry ends an epoch, and the next call after the
// deadline was moved on starts a new one with a new Done channel.
//
// Epochs change only in Begin, which the caller runs under the
// direction's lock, so a call never sees its context come back to life
// while it is failing.
// The deadline implements AfterFunc itself, so that context.AfterFunc
// calls back for the epoch it registered in: the callbacks run at expiry,
// and begin waits for them before a new epoch starts.
type Context struct {
	parent context.Context
	stop   func() bool // the parent's AfterFunc

	cbmu sync.Mutex     // held while an expiry runs its callbacks; before mu
	late sync.WaitGroup // callbacks registered after their epoch expired

	mu    sync.Mutex
	done  chan struct{}
	err   error     // set when done is closed
	at    time.Time // zero for none
	timer *time.Timer
	fs    []*func() // AfterFunc callbacks of this epoch
}

// New returns a Context under parent with no deadline set.
func New(parent context.Context) *Context {
	d := &Context{parent: parent, done: make(chan struct{})}
	d.stop = context.AfterFunc(parent, func() { d.expire(parent.Err()) })
	return d
}

// Parent returns the context the Context was made under.
func (d *Context) Parent() context.Context { return d.parent }

func (d *Context) Deadline() (time.Time, bool) { return d.parent.Deadline() }
func (d *Context) Value(key any) any           { return d.parent.Value(key) }

func (d *Context) Done() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.done
}

func (d *Context) Err() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err
}

// AfterFunc calls f once the current epoch expires (see context.AfterFunc).
// When the epoch has already expired, f runs at once in a goroutine of its
// own, as context.AfterFunc does: context.AfterFunc registers a child
// context's callback while holding that child's lock, and the callback
// takes the lock, so calling it here would deadlock.
func (d *Context) AfterFunc(f func()) func() bool {
	d.cbmu.Lock()
	d.mu.Lock()
	if d.err != nil {
		d.mu.Unlock()
		d.late.Go(f)
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
func (d *Context) expire(err error) {
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

// Set moves the deadline. A later or cleared deadline takes effect for
// pending calls when the current epoch has not expired yet, and for the
// next call otherwise.
func (d *Context) Set(t time.Time) {
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
func (d *Context) armLocked() (due bool) {
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

func (d *Context) fire() {
	d.mu.Lock()
	// A timer that fires as set moves the deadline on is late, not due.
	due := !d.at.IsZero() && !time.Now().Before(d.at)
	d.mu.Unlock()
	if due {
		d.expire(context.DeadlineExceeded)
	}
}

// Begin starts a call: it fails when the parent has ended or the deadline
// has passed, and starts a new epoch when the last one expired and the
// deadline has moved on since.
func (d *Context) Begin() error {
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
	d.late.Wait() // and so have those registered after it
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

// Timed reports whether a deadline is set.
func (d *Context) Timed() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return !d.at.IsZero()
}

// MapErr turns the context error of a call this deadline ended into
// os.ErrDeadlineExceeded, which net.Conn users test with Timeout.
func (d *Context) MapErr(err error) error {
	if d.parent.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		return os.ErrDeadlineExceeded
	}
	return err
}

// Release stops the deadline's timers, when the net.Conn is closed.
func (d *Context) Release() {
	d.stop()
	d.mu.Lock()
	if d.timer != nil {
		d.timer.Stop()
	}
	d.mu.Unlock()
}
