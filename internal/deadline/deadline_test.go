package deadline

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/wskit/websocket/internal/testutil"
)

// waitClosed fails the test when ch is not closed before the test's
// deadline.
func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-testutil.Ctx(t).Done():
		t.Fatalf("%s: not before the test's deadline", what)
	}
}

// TestAfterFuncOnExpiredEpoch registers a callback on a Context whose
// deadline has already passed, the way context.AfterFunc does when the
// deadline passes between its look at Done and its registration: holding
// the child context's lock, which the callback takes. A callback run
// inside AfterFunc deadlocked there (nettest's ConcurrentMethods hung on
// it under load); it has to run in a goroutine of its own.
func TestAfterFuncOnExpiredEpoch(t *testing.T) {
	d := New(context.Background())
	d.Set(time.Now().Add(-time.Second))
	if err := d.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Err after a past deadline: %v", err)
	}
	var childMu sync.Mutex
	registered := make(chan struct{})
	called := make(chan struct{})
	go func() {
		childMu.Lock()
		d.AfterFunc(func() {
			childMu.Lock()
			close(called)
			childMu.Unlock()
		})
		childMu.Unlock()
		close(registered)
	}()
	waitClosed(t, registered, "AfterFunc returning")
	waitClosed(t, called, "the callback running")

	// Begin in a new epoch waits for such a late callback.
	d.Set(time.Time{})
	if err := d.Begin(); err != nil {
		t.Fatalf("Begin with the deadline cleared: %v", err)
	}
	stopped := d.AfterFunc(func() { t.Error("a callback of the new epoch ran") })
	if !stopped() {
		t.Fatal("stop did not find the new epoch's callback")
	}
}

// TestEpochs checks that a moved deadline starts a new epoch at Begin,
// that a callback of the old epoch has run by then, and that a callback of
// the new epoch waits for the new deadline.
func TestEpochs(t *testing.T) {
	d := New(context.Background())
	old := make(chan struct{})
	context.AfterFunc(d, func() { close(old) })
	d.Set(time.Now().Add(-time.Second))
	waitClosed(t, old, "the first epoch's callback")
	if err := d.Begin(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Begin past the deadline: %v", err)
	}

	d.Set(time.Time{})
	if err := d.Begin(); err != nil {
		t.Fatalf("Begin with the deadline cleared: %v", err)
	}
	if d.Err() != nil {
		t.Fatalf("Err in the new epoch: %v", d.Err())
	}
	next := make(chan struct{})
	stop := context.AfterFunc(d, func() { close(next) })
	select {
	case <-next:
		t.Fatal("the new epoch's callback ran with no deadline set")
	default:
	}
	if !stop() {
		t.Fatal("stop did not find the new epoch's callback")
	}
	d.Set(time.Now().Add(-time.Second))
	select {
	case <-next:
		t.Fatal("a stopped callback ran")
	default:
	}
	if err := d.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Err after the second deadline: %v", err)
	}
}

// TestParentEnds checks that the parent's end ends every epoch for good.
func TestParentEnds(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	d := New(parent)
	cancel()
	waitClosed(t, d.Done(), "Done after the parent's end")
	if err := d.Begin(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Begin after the parent's end: %v", err)
	}
	d.Set(time.Time{})
	if err := d.Begin(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Begin after the parent's end, deadline cleared: %v", err)
	}
}
