package server

import (
	"sync/atomic"

	"github.com/wskit/websocket"
)

// DefaultMemoryBudget is the default bound on the bytes a Server holds
// for all its connections at once (256 MiB): messages being read whole
// and broadcasts waiting in queues. With the default message limit of
// 1 MiB, 256 connections can each be in the middle of the largest message
// before the next is refused.
const DefaultMemoryBudget = 256 << 20

// budget is the server's memory budget, shared by its connections as
// their websocket.Budget and by its broadcast queues.
type budget struct {
	limit   int64 // <0 for none
	used    atomic.Int64
	peak    atomic.Int64
	refused atomic.Uint64
	changed func() // tests: called after every reservation, refusal and release
}

var _ websocket.Budget = (*budget)(nil)

// Reserve holds n more bytes unless that would pass the limit.
func (b *budget) Reserve(n int64) bool {
	for {
		used := b.used.Load()
		if b.limit >= 0 && used+n > b.limit {
			b.refused.Add(1)
			if b.changed != nil {
				b.changed()
			}
			return false
		}
		if b.used.CompareAndSwap(used, used+n) {
			for {
				p := b.peak.Load()
				if used+n <= p || b.peak.CompareAndSwap(p, used+n) {
					if b.changed != nil {
						b.changed()
					}
					return true
				}
			}
		}
	}
}

// Release gives back n bytes.
func (b *budget) Release(n int64) {
	b.used.Add(-n)
	if b.changed != nil {
		b.changed()
	}
}

// entry is a broadcast in the queues of one or more connections. Its
// bytes are reserved once, however many queues hold it, and given back
// when the last one lets go.
type entry struct {
	pm   *websocket.PreparedMessage
	size int64
	refs atomic.Int64
	b    *budget
}

// done drops one reference to q.
func (q *entry) done() {
	if q.refs.Add(-1) == 0 {
		q.b.Release(q.size)
	}
}
