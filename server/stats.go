package server

import (
	"maps"
	"sync"
	"sync/atomic"

	"github.com/wskit/websocket"
)

// Stats are the server's counters, for export to any metrics system.
// Message and byte counts cover data messages, with bytes as payload bytes
// on the wire (after compression).
type Stats struct {
	Open     int    // connections open now
	Accepted uint64 // connections accepted since the start

	// Refused counts refused handshakes by reason: the Refused* constants.
	Refused map[string]uint64

	MessagesIn, MessagesOut uint64
	BytesIn, BytesOut       uint64

	// CloseCodes counts ended connections by the code they ended with:
	// the peer's close code, the code this side failed them with, or 1006
	// for a lost connection.
	CloseCodes map[websocket.StatusCode]uint64

	// Broadcast queue outcomes, per connection and message.
	BroadcastQueued  uint64
	BroadcastDropped uint64 // DropMessage on a full queue
	SlowClosed       uint64 // connections closed by CloseSlow

	// The memory budget (Options.MemoryBudget): the bytes held now for
	// messages being read whole and queued broadcasts, the most held at
	// once since the start, and the reservations refused (connections
	// failed with 1013, broadcasts dropped).
	MemoryHeld, MemoryPeak int64
	BudgetRefused          uint64
}

type counters struct {
	accepts                  atomic.Uint64
	queuedN, droppedN, slowN atomic.Uint64
	mu                       sync.Mutex
	refusals                 map[string]uint64
	codes                    map[websocket.StatusCode]uint64
	ended                    websocket.ConnStats // of connections no longer open
}

func (c *counters) init() {
	c.refusals = make(map[string]uint64)
	c.codes = make(map[websocket.StatusCode]uint64)
}

func (c *counters) accepted() { c.accepts.Add(1) }

func (c *counters) refused(reason string) {
	c.mu.Lock()
	c.refusals[reason]++
	c.mu.Unlock()
}

func (c *counters) broadcast(r BroadcastResult) {
	c.queuedN.Add(uint64(r.Queued))
	c.droppedN.Add(uint64(r.Dropped))
	c.slowN.Add(uint64(r.Closed))
}

// connEnded adds a finished connection's counts and close code.
func (c *counters) connEnded(conn *websocket.Conn) {
	st := conn.Stats()
	code := websocket.CloseStatus(conn.Err())
	c.mu.Lock()
	addStats(&c.ended, st)
	if code != 0 {
		c.codes[code]++
	}
	c.mu.Unlock()
}

func addStats(dst *websocket.ConnStats, s websocket.ConnStats) {
	dst.MessagesIn += s.MessagesIn
	dst.MessagesOut += s.MessagesOut
	dst.BytesIn += s.BytesIn
	dst.BytesOut += s.BytesOut
}

// Stats returns the counters now: those of ended connections plus those of
// the live ones.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	live := websocket.ConnStats{}
	for _, cl := range s.clients {
		if cl.conn != nil {
			addStats(&live, cl.conn.Stats())
		}
	}
	open := len(s.clients)
	s.counters.mu.Lock()
	addStats(&live, s.counters.ended)
	st := Stats{
		Open:       open,
		Refused:    maps.Clone(s.counters.refusals),
		CloseCodes: maps.Clone(s.counters.codes),
	}
	s.counters.mu.Unlock()
	s.mu.Unlock()
	st.Accepted = s.counters.accepts.Load()
	st.MessagesIn, st.MessagesOut = live.MessagesIn, live.MessagesOut
	st.BytesIn, st.BytesOut = live.BytesIn, live.BytesOut
	st.BroadcastQueued = s.counters.queuedN.Load()
	st.BroadcastDropped = s.counters.droppedN.Load()
	st.SlowClosed = s.counters.slowN.Load()
	st.MemoryHeld = s.budget.used.Load()
	st.MemoryPeak = s.budget.peak.Load()
	st.BudgetRefused = s.budget.refused.Load()
	if s.ev != nil {
		s.ev.stats(&st)
	}
	return st
}
