package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"sync"

	"github.com/wskit/websocket"
)

// ChannelOptions configures channels: named groups of connections that
// Publish reaches on every node of a cluster. They are fields of Options.
type ChannelOptions struct {
	// Broker carries channel messages between nodes and keeps their
	// history. nil means an in-process broker (NewMemoryBroker) keeping
	// DefaultHistory messages per channel: a single node needs nothing
	// outside. The Server does not close it.
	Broker Broker

	// EncodeMessage turns a channel message (or a gap signal) into what
	// subscribers are sent. It is called once per message and node, not
	// per connection. nil means EncodeJSON.
	EncodeMessage func(Message) (*websocket.PreparedMessage, error)
}

// EncodeJSON is the default wire form of channel messages: a text message
// holding one JSON object,
//
//	{"channel":"room","epoch":"9f2c…","offset":42,"data":"hello"}
//
// with data as a JSON string (invalid UTF-8 becomes U+FFFD), or, for a
// gap, {"channel":"room","epoch":"…","offset":40,"gap":true}: the messages
// up to offset 40 of that epoch that followed the connection's position
// are lost, and those after it follow.
func EncodeJSON(m Message) (*websocket.PreparedMessage, error) {
	type envelope struct {
		Channel string  `json:"channel"`
		Epoch   string  `json:"epoch"`
		Offset  uint64  `json:"offset"`
		Data    *string `json:"data,omitempty"`
		Gap     bool    `json:"gap,omitempty"`
	}
	e := envelope{Channel: m.Channel, Epoch: m.Epoch, Offset: m.Offset, Gap: m.Gap}
	if !m.Gap {
		d := string(m.Data)
		e.Data = &d
	}
	b, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	return websocket.NewPreparedMessage(websocket.MessageText, b)
}

// PositionFromQuery reads the position a reconnecting client sends in
// its handshake's query, "?epoch=E&offset=N": the epoch and offset of the
// last channel message it received. It returns nil when the query has
// neither, for a client that wants live messages only.
func PositionFromQuery(q url.Values) (*Position, error) {
	epoch, offset := q.Get("epoch"), q.Get("offset")
	if epoch == "" && offset == "" {
		return nil, nil
	}
	n, err := strconv.ParseUint(offset, 10, 64)
	if err != nil || epoch == "" {
		return nil, fmt.Errorf("server: resume position epoch=%q offset=%q: want an epoch and a decimal offset", epoch, offset)
	}
	return &Position{Epoch: epoch, Offset: n}, nil
}

// ErrNotConnected reports a connection that is not a live connection of
// the Server.
var ErrNotConnected = errors.New("server: not a live connection of this server")

// channels holds this node's subscriptions.
type channels struct {
	mu     sync.Mutex // guards byName, byConn and each chanState's stop
	byName map[string]*chanState
	byConn map[*client]map[string]*chanState
}

// chanState is one channel on this node: one broker subscription shared by
// its local subscribers.
type chanState struct {
	s    *Server
	name string
	stop func()

	mu   sync.Mutex
	last Position // the newest message delivered here
	subs map[*client]*subscription
}

// subscription is one connection's place in a channel.
type subscription struct {
	last     Position
	catching bool      // history is being sent; live messages wait in pending
	pending  []Message // live messages that arrived while catching up
}

func (s *Server) broker() Broker {
	s.brokerOnce.Do(func() {
		s.brokerImpl = s.opts.Broker
		if s.brokerImpl == nil {
			s.brokerImpl = NewMemoryBroker(0)
		}
		s.encode = s.opts.EncodeMessage
		if s.encode == nil {
			s.encode = EncodeJSON
		}
		s.chans.mu.Lock()
		s.chans.byName = make(map[string]*chanState)
		s.chans.byConn = make(map[*client]map[string]*chanState)
		s.chans.mu.Unlock()
	})
	return s.brokerImpl
}

// Publish sends data to every subscriber of channel on every node and
// returns the message's position in the channel's history. data is not
// used after Publish returns. The error is the broker's, such as one
// unreachable.
func (s *Server) Publish(ctx context.Context, channel string, data []byte) (Position, error) {
	return s.broker().Publish(ctx, channel, data)
}

// Subscribe adds c to channel: from now on it is sent every message
// published on the channel on any node, through its send queue
// (Options.SendQueue and OnQueueFull apply), encoded once per node.
//
// With since nil, delivery starts with the next message. With since set
// (the last position the client saw, such as one it sent at reconnect),
// the messages after it are sent first, in order, and the live ones
// follow without a duplicate; when some have left the history or the
// epoch changed, c is sent a gap (Message.Gap) up to the oldest message the
// history still has, then those. Subscribe returns when the missed
// messages are written. Live messages that arrive meanwhile wait, up to
// Options.SendQueue of them; past that the connection is closed as too
// slow. Subscribing twice to one channel does nothing.
func (s *Server) Subscribe(ctx context.Context, c Conn, channel string, since *Position) error {
	b := s.broker()
	s.mu.Lock()
	cl := s.clients[c]
	s.mu.Unlock()
	if cl == nil {
		return ErrNotConnected
	}
	sub := &subscription{catching: since != nil}
	st, err := s.join(b, cl, channel, sub)
	if err != nil || st == nil || since == nil {
		return err
	}
	msgs, head, err := b.History(ctx, channel, *since)
	sub.last = *since
	if err != nil {
		if !errors.Is(err, ErrHistoryGap) {
			s.Unsubscribe(c, channel)
			return err
		}
		msgs = withGap(channel, msgs, head)
	}
	for _, m := range msgs {
		pm, err := s.encode(m)
		if err != nil {
			return err
		}
		if err := s.writeNow(ctx, cl, pm); err != nil {
			s.Unsubscribe(c, channel)
			return err
		}
		sub.last = m.Position
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	pending := sub.pending
	sub.pending, sub.catching = nil, false
	for _, m := range pending {
		st.sendLocked(cl, sub, m)
	}
	return nil
}

// join adds sub for cl to channel, subscribing this node to the broker for
// the first local subscriber. It returns nil when cl is subscribed already.
func (s *Server) join(b Broker, cl *client, channel string, sub *subscription) (*chanState, error) {
	s.chans.mu.Lock()
	defer s.chans.mu.Unlock()
	st := s.chans.byName[channel]
	if st == nil {
		st = &chanState{s: s, name: channel, subs: make(map[*client]*subscription)}
		stop, err := b.Subscribe(channel, st.deliver)
		if err != nil {
			return nil, err
		}
		st.stop = stop
		s.chans.byName[channel] = st
	}
	mine := s.chans.byConn[cl]
	if mine == nil {
		mine = make(map[string]*chanState)
		s.chans.byConn[cl] = mine
	}
	if mine[channel] != nil {
		return nil, nil
	}
	mine[channel] = st
	st.mu.Lock()
	if !sub.catching {
		sub.last = st.last
	}
	st.subs[cl] = sub
	st.mu.Unlock()
	return st, nil
}

// Unsubscribe takes c out of channel.
func (s *Server) Unsubscribe(c Conn, channel string) {
	s.broker()
	s.mu.Lock()
	cl := s.clients[c]
	s.mu.Unlock()
	if cl != nil {
		s.leave1(cl, channel)
	}
}

func (s *Server) leave1(cl *client, channel string) {
	s.chans.mu.Lock()
	defer s.chans.mu.Unlock()
	mine := s.chans.byConn[cl]
	st := mine[channel]
	if st == nil {
		return
	}
	delete(mine, channel)
	if len(mine) == 0 {
		delete(s.chans.byConn, cl)
	}
	st.mu.Lock()
	delete(st.subs, cl)
	empty := len(st.subs) == 0
	st.mu.Unlock()
	if empty {
		delete(s.chans.byName, channel)
		st.stop()
	}
}

// leaveChannels takes an ended connection out of all its channels.
func (s *Server) leaveChannels(cl *client) {
	s.chans.mu.Lock()
	var names []string
	for name := range s.chans.byConn[cl] {
		names = append(names, name)
	}
	s.chans.mu.Unlock()
	for _, name := range names {
		s.leave1(cl, name)
	}
}

// deliver takes a live message from the broker. The broker calls it one
// message at a time per channel, so it may fetch what this node missed
// before passing m on.
func (st *chanState) deliver(m Message) {
	st.mu.Lock()
	last := st.last
	st.mu.Unlock()
	if last.Epoch == m.Epoch && m.Offset <= last.Offset {
		return // seen already
	}
	if last.Epoch != "" && last.Epoch != m.Epoch {
		// The broker lost its history and started a new epoch: what
		// followed last is gone; the new epoch is fetched from its start.
		st.s.log.LogAttrs(context.Background(), slog.LevelWarn, "websocket channel epoch changed",
			slog.String("channel", st.name), slog.String("from", last.Epoch), slog.String("to", m.Epoch))
		last = Position{Epoch: m.Epoch}
		st.fanOut(Message{Channel: st.name, Position: last, Gap: true})
	}
	if last.Epoch == m.Epoch && m.Offset > last.Offset+1 {
		// Messages were missed here (the broker was unreachable): take
		// them from the history, or tell the subscribers they are lost.
		missed, _, err := st.s.brokerImpl.History(st.s.ctx, st.name, last)
		if err != nil {
			st.s.log.LogAttrs(context.Background(), slog.LevelWarn, "websocket channel gap",
				slog.String("channel", st.name), slog.Uint64("after", last.Offset), slog.Uint64("to", m.Offset-1),
				slog.String("error", err.Error()))
			if !errors.Is(err, ErrHistoryGap) {
				missed = nil
			}
			missed = withGap(st.name, missed, Position{m.Epoch, m.Offset - 1})
		}
		for _, h := range missed {
			if h.Epoch == m.Epoch && h.Offset < m.Offset {
				st.fanOut(h)
			}
		}
	}
	st.fanOut(m)
}

// withGap returns the gap signal before msgs, what a broker's history
// still holds past a hole (ErrHistoryGap): the messages up to the first of
// msgs are lost, or up to head when msgs is empty.
func withGap(channel string, msgs []Message, head Position) []Message {
	gap := head
	if len(msgs) > 0 {
		gap = Position{msgs[0].Epoch, msgs[0].Offset - 1}
	}
	return append([]Message{{Channel: channel, Position: gap, Gap: true}}, msgs...)
}

// fanOut encodes m once and queues it for every local subscriber that is
// past catching up; the others keep it for later.
func (st *chanState) fanOut(m Message) {
	pm, err := st.s.encode(m)
	st.mu.Lock()
	defer st.mu.Unlock()
	if m.Gap || m.Epoch != st.last.Epoch || m.Offset > st.last.Offset {
		st.last = m.Position
	}
	if err != nil {
		st.s.log.LogAttrs(context.Background(), slog.LevelWarn, "websocket channel message not encoded",
			slog.String("channel", st.name), slog.String("error", err.Error()))
		return
	}
	list := make([]*client, 0, len(st.subs))
	for cl, sub := range st.subs {
		if sub.catching {
			if len(sub.pending) >= st.s.opts.SendQueue {
				sub.pending = nil
				st.s.enqueueSlow(cl)
				continue
			}
			sub.pending = append(sub.pending, m)
			continue
		}
		if !sub.take(m) {
			continue
		}
		list = append(list, cl)
	}
	st.s.send(pm, list)
}

// take reports whether m is news to sub, and moves sub past it.
func (sub *subscription) take(m Message) bool {
	if m.Epoch == sub.last.Epoch && m.Offset <= sub.last.Offset {
		return false // seen, or a gap in what it has seen
	}
	sub.last = m.Position
	return true
}

// sendLocked queues m for one subscriber leaving catch-up, encoding it for
// that subscriber alone.
func (st *chanState) sendLocked(cl *client, sub *subscription, m Message) {
	if !sub.take(m) {
		return
	}
	pm, err := st.s.encode(m)
	if err == nil {
		st.s.send(pm, []*client{cl})
	}
}

// enqueueSlow applies OnQueueFull to a subscriber whose catch-up fell too
// far behind the live messages.
func (s *Server) enqueueSlow(cl *client) {
	if cl.direct != nil {
		s.counters.broadcast(BroadcastResult{Closed: 1})
		cl.direct.Close(s.closeCode, "too slow: send queue full") // never waits
		return
	}
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.dead {
		return
	}
	cl.dead = true
	cl.clearLocked()
	s.counters.broadcast(BroadcastResult{Closed: 1})
	cl.senders.Go(func() { cl.conn.Close(s.closeCode, "too slow: send queue full") })
}

// writeNow writes pm to cl, waiting for a goroutine's connection (within
// ctx); the event loop's never waits.
func (s *Server) writeNow(ctx context.Context, cl *client, pm *websocket.PreparedMessage) error {
	if cl.direct != nil {
		if s.ev.sendNow(cl.direct, pm) != queued {
			return ErrNotConnected
		}
		return nil
	}
	return cl.conn.WritePrepared(ctx, pm)
}
