// Package redisbroker is a server.Broker on Redis: live messages travel on
// Redis pub/sub, history is a Redis stream per channel.
//
// What it guarantees:
//   - Order: a Lua script gives each message its offset (INCR), appends it
//     to the channel's stream (XADD, capped at Options.History entries)
//     and publishes it, in one atomic step, so every node sees a channel's
//     messages in offset order.
//   - Live delivery is at most once: pub/sub drops what a node misses
//     while its connection is down. The server notices the hole in the
//     offsets at the next message and fills it from the stream.
//   - History: the last Options.History messages of each channel. The
//     epoch is a random value stored next to the counter; when Redis loses
//     its data (a restart without persistence, a flush) the next publish
//     starts a new epoch at offset 1, and resuming clients get a gap.
//     With AOF persistence (appendonly yes) the epoch and history survive
//     a restart.
//   - While Redis is unreachable Publish and History fail with an error
//     naming the broker; pub/sub reconnects and resubscribes by itself.
package redisbroker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/wskit/websocket/server"
)

// Options configures a Broker; the zero value (or nil) gives the
// defaults.
type Options struct {
	// History is how many messages per channel the stream keeps;
	// 0 means server.DefaultHistory.
	History int
	// Prefix starts every key and pub/sub channel name; "" means "wskit:".
	Prefix string
}

// Broker is a server.Broker on one Redis server. It is safe for
// concurrent use.
type Broker struct {
	rdb     *redis.Client
	ps      *redis.PubSub
	history int
	prefix  string
	done    chan struct{}

	mu      sync.Mutex
	subs    map[string]*sub // by pub/sub channel name
	confirm map[string][]chan struct{}
	closed  bool
}

type sub struct {
	mu      sync.Mutex // held while delivering
	deliver func(server.Message)
	channel string
}

// New connects to the Redis server at url (redis://HOST:PORT[/DB], or
// rediss:// for TLS) and checks that it answers.
func New(ctx context.Context, url string, opts *Options) (*Broker, error) {
	o, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redisbroker: %w", err)
	}
	b := &Broker{history: server.DefaultHistory, prefix: "wskit:", done: make(chan struct{}),
		subs: make(map[string]*sub), confirm: make(map[string][]chan struct{})}
	if opts != nil && opts.History > 0 {
		b.history = opts.History
	}
	if opts != nil && opts.Prefix != "" {
		b.prefix = opts.Prefix
	}
	b.rdb = redis.NewClient(o)
	if err := b.rdb.Ping(ctx).Err(); err != nil {
		b.rdb.Close()
		return nil, fmt.Errorf("redisbroker: %s: %w", o.Addr, err)
	}
	b.ps = b.rdb.Subscribe(context.Background())
	go b.receive()
	return b, nil
}

// keys returns the stream, counter and epoch keys of channel, and its
// pub/sub name. The braces keep them in one Redis Cluster slot.
func (b *Broker) keys(channel string) []string {
	k := b.prefix + "{" + channel + "}"
	return []string{k + ":stream", k + ":offset", k + ":epoch", k}
}

// publish assigns the next offset (starting a new epoch when Redis has
// none), appends the message to the stream, trimmed to the history, and
// publishes "EPOCH OFFSET DATA", atomically.
var publish = redis.NewScript(`
local epoch = redis.call('GET', KEYS[3])
if not epoch then
	epoch = ARGV[2]
	redis.call('SET', KEYS[3], epoch)
end
local n = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[3], n .. '-1', 'd', ARGV[1])
redis.call('PUBLISH', KEYS[4], epoch .. ' ' .. n .. ' ' .. ARGV[1])
return {epoch, n}
`)

// Publish implements server.Broker.
func (b *Broker) Publish(ctx context.Context, channel string, data []byte) (server.Position, error) {
	var r [8]byte
	rand.Read(r[:])
	res, err := publish.Run(ctx, b.rdb, b.keys(channel), data, hex.EncodeToString(r[:]), b.history).Slice()
	if err != nil {
		return server.Position{}, fmt.Errorf("redisbroker: publish on %q: %w", channel, err)
	}
	epoch, _ := res[0].(string)
	n, _ := res[1].(int64)
	return server.Position{Epoch: epoch, Offset: uint64(n)}, nil
}

// Subscribe implements server.Broker. It returns once Redis has confirmed
// the subscription.
func (b *Broker) Subscribe(channel string, deliver func(server.Message)) (func(), error) {
	name := b.keys(channel)[3]
	s := &sub{deliver: deliver, channel: channel}
	ok := make(chan struct{})
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, errors.New("redisbroker: closed")
	}
	b.subs[name] = s
	b.confirm[name] = append(b.confirm[name], ok)
	b.mu.Unlock()
	stop := func() {
		b.mu.Lock()
		if b.subs[name] == s {
			delete(b.subs, name)
			b.ps.Unsubscribe(context.Background(), name)
		}
		b.mu.Unlock()
		s.mu.Lock() // a delivery in progress ends first
		s.mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := b.ps.Subscribe(ctx, name)
	if err == nil {
		select {
		case <-ok:
		case <-b.done:
			err = errors.New("closed")
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	if err != nil {
		stop()
		return nil, fmt.Errorf("redisbroker: subscribe to %q: %w", channel, err)
	}
	return stop, nil
}

// receive hands each pub/sub message to its channel's subscriber until the
// broker is closed.
func (b *Broker) receive() {
	defer close(b.done)
	backoff := time.Duration(0)
	for {
		msg, err := b.ps.Receive(context.Background())
		if err != nil {
			b.mu.Lock()
			closed := b.closed
			b.mu.Unlock()
			if closed || errors.Is(err, redis.ErrClosed) {
				return
			}
			// Redis is unreachable; the next Receive reconnects and
			// resubscribes.
			backoff = min(max(2*backoff, 10*time.Millisecond), time.Second)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				b.mu.Lock()
				for _, ok := range b.confirm[m.Channel] {
					close(ok)
				}
				delete(b.confirm, m.Channel)
				b.mu.Unlock()
			}
		case *redis.Message:
			b.mu.Lock()
			s := b.subs[m.Channel]
			b.mu.Unlock()
			if s == nil {
				continue
			}
			epoch, rest, _ := strings.Cut(m.Payload, " ")
			off, data, _ := strings.Cut(rest, " ")
			n, err := strconv.ParseUint(off, 10, 64)
			if err != nil {
				continue // not ours
			}
			s.mu.Lock()
			s.deliver(server.Message{Channel: s.channel, Position: server.Position{Epoch: epoch, Offset: n}, Data: []byte(data)})
			s.mu.Unlock()
		}
	}
}

// History implements server.Broker: the epoch, the counter and the stream
// after since are read in one transaction.
func (b *Broker) History(ctx context.Context, channel string, since server.Position) ([]server.Message, server.Position, error) {
	k := b.keys(channel)
	var epoch, count *redis.StringCmd
	var xr *redis.XMessageSliceCmd
	_, err := b.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		epoch = p.Get(ctx, k[2])
		count = p.Get(ctx, k[1])
		xr = p.XRange(ctx, k[0], strconv.FormatUint(since.Offset+1, 10)+"-1", "+")
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, server.Position{}, fmt.Errorf("redisbroker: history of %q: %w", channel, err)
	}
	n, _ := strconv.ParseUint(count.Val(), 10, 64)
	head := server.Position{Epoch: epoch.Val(), Offset: n}
	if head.Epoch == "" {
		// Nothing published since Redis lost its data: the next publish
		// starts a new epoch.
		return nil, head, server.ErrHistoryGap
	}
	if since.Epoch != head.Epoch || since.Offset > n {
		return nil, head, server.ErrHistoryGap
	}
	entries := xr.Val()
	msgs := make([]server.Message, 0, len(entries))
	for _, e := range entries {
		ms, _, _ := strings.Cut(e.ID, "-")
		off, _ := strconv.ParseUint(ms, 10, 64)
		if len(msgs) > 0 && off != msgs[len(msgs)-1].Offset+1 {
			return nil, head, server.ErrHistoryGap // not ours
		}
		d, _ := e.Values["d"].(string)
		msgs = append(msgs, server.Message{Channel: channel, Position: server.Position{Epoch: head.Epoch, Offset: off}, Data: []byte(d)})
	}
	if len(msgs) == 0 {
		if since.Offset != n {
			return nil, head, server.ErrHistoryGap
		}
		return nil, head, nil
	}
	if msgs[len(msgs)-1].Offset != n {
		return nil, head, server.ErrHistoryGap
	}
	if msgs[0].Offset != since.Offset+1 {
		return msgs, head, server.ErrHistoryGap // trimmed: what is left after the hole
	}
	return msgs, head, nil
}

// Close ends the subscriptions and the connections to Redis.
func (b *Broker) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.mu.Unlock()
	err := b.ps.Close()
	<-b.done
	if e := b.rdb.Close(); err == nil {
		err = e
	}
	return err
}

var _ server.Broker = (*Broker)(nil)
