package websocket

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"testing/synctest"
)

func semConn(t *testing.T) *Conn {
	a, b := net.Pipe()
	t.Cleanup(func() { b.Close() })
	c := NewConn(a, RoleClient, nil)
	t.Cleanup(func() { c.CloseNow() })
	return c
}

// TestSemExclusive has goroutines take and give back one semaphore many
// times, counting under it without atomics: the race detector and the
// count find two holders at once.
func TestSemExclusive(t *testing.T) {
	c := semConn(t)
	ctx := context.Background()
	const workers, rounds = 8, 2000
	count := 0
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range rounds {
				if err := c.acquire(ctx, &c.fsem); err != nil {
					t.Error(err)
					return
				}
				count++
				c.release(&c.fsem)
			}
		})
	}
	wg.Wait()
	if count != workers*rounds {
		t.Fatalf("count %d, want %d", count, workers*rounds)
	}
	if !c.fsem.try() {
		t.Fatal("semaphore not free after the last release")
	}
}

// TestSemWaiters checks the waiting side, in a bubble: waiters are served
// in order, one that gives up with its context leaves the semaphore to
// the next, and closing the connection ends every wait.
func TestSemWaiters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := semConn(t)
		bg := context.Background()
		if !c.rsem.try() {
			t.Fatal("a new semaphore is not free")
		}
		got := make(chan string, 3)
		waiter := func(name string, ctx context.Context) {
			go func() {
				if err := c.acquire(ctx, &c.rsem); err != nil {
					got <- name + ": " + err.Error()
					return
				}
				got <- name
			}()
			synctest.Wait() // queued
		}
		cancelled, cancel := context.WithCancel(bg)
		waiter("first", bg)
		waiter("gives up", cancelled)
		waiter("third", bg)
		cancel()
		if g := <-got; g != "gives up: context canceled" {
			t.Fatalf("cancelled waiter: %q", g)
		}
		c.release(&c.rsem)
		if g := <-got; g != "first" {
			t.Fatalf("handed to %q, want first", g)
		}
		c.release(&c.rsem)
		if g := <-got; g != "third" {
			t.Fatalf("handed to %q, want third", g)
		}
		c.release(&c.rsem)
		if !c.rsem.try() {
			t.Fatal("semaphore not free once every waiter was served")
		}

		// Held, with one waiting: closing the connection ends the wait.
		errc := make(chan error, 1)
		go func() { errc <- c.acquire(bg, &c.rsem) }()
		synctest.Wait()
		c.CloseNow()
		var ce *CloseError
		if err := <-errc; !errors.As(err, &ce) || ce.Code != StatusAbnormalClosure {
			t.Fatalf("wait on a closed connection: %v", err)
		}
	})
}
