package server

import (
	"context"

	"github.com/wskit/websocket"
)

// QueuePolicy is what a broadcast does to a connection whose send queue is
// full: a client that reads slower than messages are broadcast.
type QueuePolicy int

const (
	// CloseSlow closes the connection with Options.SlowCloseCode (1008 by
	// default) and drops what was queued for it. The client learns that it
	// missed messages and can reconnect and catch up.
	CloseSlow QueuePolicy = iota

	// DropMessage leaves the connection open and does not queue the
	// message for it: a slow client silently misses messages.
	DropMessage
)

// BroadcastResult counts what one broadcast did.
type BroadcastResult struct {
	Queued  int // connections the message was queued for
	Dropped int // connections with a full queue that miss the message (DropMessage)
	Closed  int // connections closed for a full queue (CloseSlow)
	Skipped int // connections already closing
}

// Broadcast sends a message of type typ to every live connection. The
// message is encoded once (and compressed once per compression setting
// without context takeover) and queued for each connection, so Broadcast
// never waits for a slow client; each connection's queue is bounded by
// Options.SendQueue and Options.OnQueueFull handles one that is full.
// data must not be modified afterwards. The error is that of
// websocket.NewPreparedMessage (an invalid type or invalid UTF-8 text).
func (s *Server) Broadcast(typ websocket.MessageType, data []byte) (BroadcastResult, error) {
	pm, err := websocket.NewPreparedMessage(typ, data)
	if err != nil {
		return BroadcastResult{}, err
	}
	return s.BroadcastPrepared(pm), nil
}

// BroadcastPrepared queues pm for every live connection, like Broadcast.
//
// The event loop's connections get it too, but not through a queue of
// messages: each write frames it for its connection at once and never
// waits, and what a socket does not take is queued within
// EventLoopOptions.MaxQueue bytes, past which OnQueueFull decides.
func (s *Server) BroadcastPrepared(pm *websocket.PreparedMessage) BroadcastResult {
	return s.send(pm, s.snapshot())
}

// SendPrepared queues pm for each of conns that is a live connection of
// this server (such as those Find or Select returned), like Broadcast.
// Connections no longer in the registry are skipped.
func (s *Server) SendPrepared(pm *websocket.PreparedMessage, conns []Conn) BroadcastResult {
	s.mu.Lock()
	list := make([]*client, 0, len(conns))
	skipped := 0
	for _, c := range conns {
		if cl := s.clients[c]; cl != nil {
			list = append(list, cl)
		} else {
			skipped++
		}
	}
	s.mu.Unlock()
	res := s.send(pm, list)
	res.Skipped += skipped
	return res
}

func (s *Server) send(pm *websocket.PreparedMessage, list []*client) BroadcastResult {
	var res BroadcastResult
	// The message's bytes and its encoded frame are held until the last
	// queue lets go of it.
	q := &entry{pm: pm, size: 2 * int64(pm.Len()), b: &s.budget}
	if !s.budget.Reserve(q.size) {
		res.Dropped = len(list)
		s.counters.broadcast(res)
		return res
	}
	q.refs.Store(1)
	defer q.done()
	for _, cl := range list {
		switch s.enqueue(cl, q) {
		case queued:
			res.Queued++
		case dropped:
			res.Dropped++
		case closedSlow:
			res.Closed++
		default:
			res.Skipped++
		}
	}
	s.counters.broadcast(res)
	return res
}

type enqueueResult int

const (
	queued enqueueResult = iota
	dropped
	closedSlow
	skipped
)

// enqueue queues pm for cl without blocking, starting cl's sender when it
// is idle.
func (s *Server) enqueue(cl *client, q *entry) enqueueResult {
	if cl.direct != nil {
		return s.ev.sendNow(cl.direct, q.pm)
	}
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.dead {
		return skipped
	}
	if len(cl.queue)-cl.head >= s.opts.SendQueue {
		if s.opts.OnQueueFull == DropMessage {
			return dropped
		}
		cl.dead = true
		cl.clearLocked()
		cl.senders.Go(func() { cl.conn.Close(s.closeCode, "too slow: send queue full") })
		return closedSlow
	}
	if cl.head > 0 && len(cl.queue) == cap(cl.queue) {
		// Reuse the room the sender has freed instead of growing.
		n := copy(cl.queue, cl.queue[cl.head:])
		clear(cl.queue[n:])
		cl.queue = cl.queue[:n]
		cl.head = 0
	}
	q.refs.Add(1)
	cl.queue = append(cl.queue, q)
	if !cl.sending {
		cl.sending = true
		cl.senders.Go(func() { s.drain(cl) })
	}
	return queued
}

// drain sends cl's queued broadcasts in order until the queue is empty.
// An idle connection has no sender goroutine.
func (s *Server) drain(cl *client) {
	for {
		cl.mu.Lock()
		if cl.dead || cl.head == len(cl.queue) {
			cl.sending = false
			cl.clearLocked()
			cl.mu.Unlock()
			return
		}
		q := cl.queue[cl.head]
		cl.queue[cl.head] = nil
		cl.head++
		cl.mu.Unlock()
		// No context: tying every write to one would cost a registration
		// per message; a stuck write ends when the connection is closed
		// (keepalive, CloseSlow, Shutdown's deadline, the handler's end).
		err := cl.conn.WritePrepared(context.Background(), q.pm)
		q.done()
		if err != nil {
			cl.mu.Lock()
			cl.dead = true
			cl.sending = false
			cl.clearLocked()
			cl.mu.Unlock()
			return
		}
	}
}

// clearLocked empties the queue, keeping its array only when it is small,
// so that an idle connection holds little.
func (cl *client) clearLocked() {
	for _, q := range cl.queue[cl.head:] {
		q.done()
	}
	clear(cl.queue[cl.head:])
	if cap(cl.queue) > 16 || cl.dead {
		cl.queue = nil
	} else {
		cl.queue = cl.queue[:0]
	}
	cl.head = 0
}

// stop ends cl's broadcasts and waits for its goroutines to finish; the
// connection is closed already.
func (cl *client) stop() {
	cl.mu.Lock()
	cl.dead = true
	cl.clearLocked()
	cl.mu.Unlock()
	cl.senders.Wait()
}
