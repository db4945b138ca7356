//go:build linux

package loop

import "sync"

// pool is a fixed number of goroutines running connections' handlers; a
// connection is in the run queue at most once, so the queue is bounded by
// the number of connections and submitting never blocks a loop.
type pool struct {
	mu   sync.Mutex
	cond sync.Cond
	runq []*Conn
	quit bool
	wg   sync.WaitGroup
}

func newPool(n int) *pool {
	p := &pool{}
	p.cond.L = &p.mu
	for range n {
		p.wg.Go(p.work)
	}
	return p
}

func (p *pool) submit(c *Conn) {
	p.mu.Lock()
	p.runq = append(p.runq, c)
	p.mu.Unlock()
	p.cond.Signal()
}

func (p *pool) work() {
	for {
		p.mu.Lock()
		for len(p.runq) == 0 && !p.quit {
			p.cond.Wait()
		}
		if len(p.runq) == 0 {
			p.mu.Unlock()
			return
		}
		c := p.runq[0]
		p.runq[0] = nil
		p.runq = p.runq[1:]
		if len(p.runq) == 0 {
			p.runq = nil
		}
		p.mu.Unlock()
		c.runTasks()
	}
}

// stop ends the workers once the queue is empty.
func (p *pool) stop() {
	p.mu.Lock()
	p.quit = true
	p.mu.Unlock()
	p.cond.Broadcast()
	p.wg.Wait()
}
