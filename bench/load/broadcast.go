package load

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Broadcast runs the broadcast load: the first connection asks the server
// (with a text message "broadcast SIZE") to send one message of cfg.Size
// bytes to every connection, waits until all of them have it, and asks
// again. A delivery's latency runs from the request to its arrival;
// messages per second counts deliveries.
func Broadcast(ctx context.Context, cfg Config) (Result, error) {
	cfg.defaults()
	dctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	conns, err := DialAll(dctx, cfg.Addr, "ws", cfg.Conns, false)
	cancel()
	if err != nil {
		return Result{}, err
	}
	defer CloseAll(conns)
	limit := time.Now().Add(cfg.Warmup + cfg.Duration + 30*time.Second)
	for _, c := range conns {
		c.nc.SetDeadline(limit)
	}
	// One echo on each connection first: a server registers a connection
	// before it reads from it, so after this every one is registered.
	probe := Payload(16, false)
	probeFrame := ClientFrame(opBinary, false, probe)
	if err := each(conns, func(c *Conn) error { return c.check("ws", probeFrame, probe, false) }); err != nil {
		return Result{}, err
	}

	var (
		roundStart atomic.Int64 // UnixNano of the current request
		roundMeas  atomic.Bool  // whether the current round is measured
		remaining  atomic.Int64
		done       = make(chan struct{}, 1)
		stop       atomic.Bool
		wg         sync.WaitGroup
	)
	workers := make([]*worker, len(conns))
	for i, c := range conns {
		w := &worker{c: c}
		workers[i] = w
		wg.Go(func() {
			for {
				n, _, _, err := c.ReadMessage(nil)
				if err != nil {
					if !stop.Load() {
						w.err = err
						signal(done)
					}
					return
				}
				if n != cfg.Size {
					w.err = fmt.Errorf("broadcast message of %d bytes, want %d", n, cfg.Size)
				}
				if roundMeas.Load() {
					w.hist.Record(time.Duration(time.Now().UnixNano() - roundStart.Load()))
					w.count++
				}
				if remaining.Add(-1) == 0 {
					signal(done)
				}
			}
		})
	}

	var measuring atomic.Bool
	trigger := ClientFrame(opText, false, []byte("broadcast "+strconv.Itoa(cfg.Size)))
	ctlErr := make(chan error, 1)
	go func() {
		for rounds := int64(0); rounds < cfg.MaxMessages && !stop.Load(); rounds++ {
			roundMeas.Store(measuring.Load())
			remaining.Store(int64(len(conns)))
			roundStart.Store(time.Now().UnixNano())
			if _, err := conns[0].nc.Write(trigger); err != nil {
				ctlErr <- err
				return
			}
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				ctlErr <- fmt.Errorf("broadcast round %d: %d connections still waiting after 10s", rounds, remaining.Load())
				return
			}
			if remaining.Load() != 0 {
				ctlErr <- fmt.Errorf("broadcast round %d failed", rounds)
				return
			}
		}
		ctlErr <- nil
	}()
	res, err := measure(ctx, &cfg, &measuring, &stop)
	stop.Store(true)
	cerr := <-ctlErr
	for _, c := range conns {
		c.nc.Close()
	}
	wg.Wait()
	// A reader's error explains a failed round better than the round does.
	for i, w := range workers {
		if w.err != nil {
			err = fmt.Errorf("connection %d: %w", i, w.err)
			break
		}
	}
	if err == nil {
		err = cerr
	}
	var h Hist
	for _, w := range workers {
		h.Merge(&w.hist)
		res.Messages += w.count
	}
	if err != nil {
		return res, err
	}
	res.finish(&h, cfg.Size)
	return res, nil
}

// signal wakes the controller without ever blocking.
func signal(done chan struct{}) {
	select {
	case done <- struct{}{}:
	default:
	}
}
