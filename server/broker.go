package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
)

// Position is where a message sits in its channel's history: the epoch
// names one unbroken history (a broker that lost its history starts a new
// one) and Offset counts the channel's messages in it from 1. The zero
// Position is before any message.
type Position struct {
	Epoch  string
	Offset uint64
}

// Message is one message of a channel, or, with Gap set, the signal that
// the messages between the connection's last position and Position are
// lost (history trimmed or a new epoch). A gap carries no Data.
type Message struct {
	Channel string
	Position
	Data []byte
	Gap  bool
}

// A Broker carries messages between the nodes of a cluster: every
// message Published on a channel reaches the deliver function of every
// node subscribed to it, in publish order, and stays in the channel's
// history for a while. Options.Broker picks one; the default is an
// in-process broker (NewMemoryBroker) for a single node. Brokers that
// need outside clients (NATS, Redis) live in modules of their own.
//
// A Broker is safe for concurrent use.
type Broker interface {
	// Publish appends data to channel's history and delivers it; it
	// returns the message's position. data is not used after Publish
	// returns.
	Publish(ctx context.Context, channel string, data []byte) (Position, error)

	// Subscribe calls deliver with every message published on channel
	// from now on, one at a time and in order, until stop is called.
	// Delivery is at most once: messages may be missed while the broker
	// is unreachable, which the Server notices from the offsets and
	// repairs from History. deliver may keep m.Data and must not block
	// for long. stop waits for a running deliver to return.
	Subscribe(channel string, deliver func(m Message)) (stop func(), err error)

	// History returns the messages of channel after since, oldest first,
	// and the position of the newest message. When since is in another
	// epoch, or the messages right after it have left the history, the
	// error matches ErrHistoryGap and msgs holds what the history still
	// has after the hole, if anything: the messages before msgs[0] (or
	// up to head, when msgs is empty) are lost.
	History(ctx context.Context, channel string, since Position) (msgs []Message, head Position, err error)

	// Close releases the broker's connections. Subscriptions end.
	Close() error
}

// ErrHistoryGap reports that a channel's history does not reach back to
// the position asked for: its messages were trimmed, or the epoch changed.
var ErrHistoryGap = errors.New("server: history does not reach back to that position")

// DefaultHistory is how many messages per channel the in-process broker
// keeps for resumption.
const DefaultHistory = 1000

// NewMemoryBroker returns an in-process broker that keeps the last
// history messages of each channel (DefaultHistory when history <= 0).
// Its epoch is random and lives as long as the broker: a restarted process
// starts a new one, and resuming clients get a gap.
func NewMemoryBroker(history int) Broker {
	if history <= 0 {
		history = DefaultHistory
	}
	var b [8]byte
	rand.Read(b[:])
	return &memoryBroker{epoch: hex.EncodeToString(b[:]), window: history, chans: make(map[string]*memChannel)}
}

type memoryBroker struct {
	epoch  string
	window int
	mu     sync.Mutex
	chans  map[string]*memChannel
}

type memChannel struct {
	order  sync.Mutex // held while delivering: keeps publish order
	mu     sync.Mutex // guards the fields below
	last   uint64
	ring   []Message // the newest messages, oldest first
	subs   map[int]func(Message)
	nextID int
}

func (b *memoryBroker) channel(name string) *memChannel {
	b.mu.Lock()
	defer b.mu.Unlock()
	ch := b.chans[name]
	if ch == nil {
		ch = &memChannel{subs: make(map[int]func(Message))}
		b.chans[name] = ch
	}
	return ch
}

func (b *memoryBroker) Publish(ctx context.Context, channel string, data []byte) (Position, error) {
	if err := ctx.Err(); err != nil {
		return Position{}, err
	}
	ch := b.channel(channel)
	ch.order.Lock()
	defer ch.order.Unlock()
	ch.mu.Lock()
	ch.last++
	m := Message{Channel: channel, Position: Position{b.epoch, ch.last}, Data: append([]byte(nil), data...)}
	if len(ch.ring) == b.window {
		copy(ch.ring, ch.ring[1:])
		ch.ring[len(ch.ring)-1] = m
	} else {
		ch.ring = append(ch.ring, m)
	}
	subs := make([]func(Message), 0, len(ch.subs))
	for _, f := range ch.subs {
		subs = append(subs, f)
	}
	ch.mu.Unlock()
	for _, f := range subs {
		f(m)
	}
	return m.Position, nil
}

func (b *memoryBroker) Subscribe(channel string, deliver func(Message)) (func(), error) {
	ch := b.channel(channel)
	ch.mu.Lock()
	id := ch.nextID
	ch.nextID++
	ch.subs[id] = deliver
	ch.mu.Unlock()
	return func() {
		ch.mu.Lock()
		delete(ch.subs, id)
		ch.mu.Unlock()
		ch.order.Lock() // a delivery in progress ends first
		ch.order.Unlock()
	}, nil
}

func (b *memoryBroker) History(ctx context.Context, channel string, since Position) ([]Message, Position, error) {
	ch := b.channel(channel)
	ch.mu.Lock()
	defer ch.mu.Unlock()
	head := Position{b.epoch, ch.last}
	first := ch.last + 1 - uint64(len(ch.ring)) // offset of ring[0]
	if since.Epoch != b.epoch || since.Offset > ch.last || since.Offset+1 < first {
		return append([]Message(nil), ch.ring...), head, ErrHistoryGap
	}
	return append([]Message(nil), ch.ring[since.Offset+1-first:]...), head, nil
}

func (b *memoryBroker) Close() error { return nil }
