// Package natsbroker is a server.Broker on NATS: each channel is a
// JetStream stream that keeps its history, and the stream republishes every
// stored message on a core NATS subject that the nodes subscribe to, with
// its sequence number in a header.
//
// What it guarantees:
//   - Order: a channel's offset is its stream's sequence, assigned when
//     JetStream stores the message; the republished copies go out in that
//     order, so every node sees a channel's messages in offset order.
//   - Live delivery is at most once: core NATS drops what a node misses
//     while it is disconnected or too slow. The server notices the hole
//     in the offsets at the next message and fills it from the stream.
//   - History: the last Options.History messages of each channel, in file
//     storage (or memory with Options.Memory). The epoch is a random value
//     in the stream's description, written when the stream is created:
//     when the stream is lost (a memory stream at a restart, a deleted
//     store) the next publish creates it again with a new epoch, and
//     resuming clients get a gap. A file stream keeps its epoch and
//     history across a restart.
//   - While NATS is unreachable Publish and History fail at once with an
//     error naming the broker; the client reconnects and resubscribes by
//     itself, every 100 ms, without limit.
//
// It needs a NATS server with JetStream (nats-server -js), 2.9 or newer.
package natsbroker

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

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/wskit/websocket/server"
)

// Options configures a Broker; the zero value (or nil) gives the
// defaults.
type Options struct {
	// History is how many messages per channel the stream keeps;
	// 0 means server.DefaultHistory.
	History int
	// Memory keeps streams in memory instead of files: faster, and lost
	// when the NATS server restarts.
	Memory bool
	// Prefix starts every stream name and subject; "" means "wskit".
	Prefix string
}

// Broker is a server.Broker on a NATS server with JetStream. It is safe
// for concurrent use.
type Broker struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	opts   Options
	mu     sync.Mutex
	epochs map[string]epochCache // by channel
}

type epochCache struct {
	epoch      string
	reconnects uint64 // the connection's reconnect count when it was read
}

// New connects to the NATS server at url (nats://HOST:PORT) and checks
// that JetStream answers.
func New(ctx context.Context, url string, opts *Options) (*Broker, error) {
	b := &Broker{epochs: make(map[string]epochCache)}
	if opts != nil {
		b.opts = *opts
	}
	if b.opts.History <= 0 {
		b.opts.History = server.DefaultHistory
	}
	if b.opts.Prefix == "" {
		b.opts.Prefix = "wskit"
	}
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond),
		nats.ReconnectBufSize(-1), // publishing while disconnected fails at once
		nats.Name("wskit broker"))
	if err != nil {
		return nil, fmt.Errorf("natsbroker: %s: %w", url, err)
	}
	b.nc = nc
	if b.js, err = jetstream.New(nc); err == nil {
		_, err = b.js.AccountInfo(ctx)
	}
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("natsbroker: %s: JetStream: %w", url, err)
	}
	return b, nil
}

// names returns channel's stream name, the subject it is published on and
// the subject the stream republishes it on. The channel name is hex
// encoded, since stream names and subject tokens exclude some characters.
func (b *Broker) names(channel string) (stream, in, out string) {
	h := hex.EncodeToString([]byte(channel))
	p := b.opts.Prefix
	return strings.ToUpper(p) + "_" + h, p + ".in." + h, p + ".out." + h
}

// stream returns channel's stream, creating it with a new epoch when it
// does not exist, and the epoch.
func (b *Broker) stream(ctx context.Context, channel string) (jetstream.Stream, string, error) {
	name, in, out := b.names(channel)
	st, err := b.js.Stream(ctx, name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		var r [8]byte
		rand.Read(r[:])
		storage := jetstream.FileStorage
		if b.opts.Memory {
			storage = jetstream.MemoryStorage
		}
		st, err = b.js.CreateStream(ctx, jetstream.StreamConfig{
			Name: name, Description: "wskit epoch " + hex.EncodeToString(r[:]),
			Subjects: []string{in}, RePublish: &jetstream.RePublish{Source: in, Destination: out},
			MaxMsgs: int64(b.opts.History), Discard: jetstream.DiscardOld, Storage: storage,
		})
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			st, err = b.js.Stream(ctx, name) // another node created it first
		}
	}
	if err != nil {
		return nil, "", err
	}
	epoch, ok := strings.CutPrefix(st.CachedInfo().Config.Description, "wskit epoch ")
	if !ok {
		return nil, "", fmt.Errorf("stream %s is not a wskit channel (description %q)", name, st.CachedInfo().Config.Description)
	}
	b.mu.Lock()
	b.epochs[channel] = epochCache{epoch, b.nc.Stats().Reconnects}
	b.mu.Unlock()
	return st, epoch, nil
}

// epoch returns channel's epoch, read again after a reconnect: a NATS
// server that restarted may have lost the stream.
func (b *Broker) epoch(ctx context.Context, channel string) (string, error) {
	b.mu.Lock()
	c, ok := b.epochs[channel]
	b.mu.Unlock()
	if ok && c.reconnects == b.nc.Stats().Reconnects {
		return c.epoch, nil
	}
	_, e, err := b.stream(ctx, channel)
	return e, err
}

// Publish implements server.Broker.
func (b *Broker) Publish(ctx context.Context, channel string, data []byte) (server.Position, error) {
	epoch, err := b.epoch(ctx, channel)
	if err != nil {
		return server.Position{}, b.fail("publish on", channel, err)
	}
	_, in, _ := b.names(channel)
	ack, err := b.js.Publish(ctx, in, data)
	if errors.Is(err, jetstream.ErrNoStreamResponse) {
		// The stream is gone (a server that restarted without it):
		// create it, with a new epoch, and publish again.
		if _, epoch, err = b.stream(ctx, channel); err == nil {
			ack, err = b.js.Publish(ctx, in, data)
		}
	}
	if err != nil {
		return server.Position{}, b.fail("publish on", channel, err)
	}
	return server.Position{Epoch: epoch, Offset: ack.Sequence}, nil
}

// Subscribe implements server.Broker. It returns once the NATS server has
// the subscription.
func (b *Broker) Subscribe(channel string, deliver func(server.Message)) (func(), error) {
	_, _, out := b.names(channel)
	var mu sync.Mutex // held while delivering
	stopped := false
	sub, err := b.nc.Subscribe(out, func(m *nats.Msg) {
		n, err := strconv.ParseUint(m.Header.Get(jetstream.SequenceHeader), 10, 64)
		if err != nil {
			return // not a republished message
		}
		epoch, err := b.epoch(context.Background(), channel)
		if err != nil {
			return // NATS is unreachable again; the hole is filled later
		}
		mu.Lock()
		defer mu.Unlock()
		if !stopped {
			deliver(server.Message{Channel: channel, Position: server.Position{Epoch: epoch, Offset: n}, Data: m.Data})
		}
	})
	if err == nil {
		sub.SetPendingLimits(-1, 64<<20) // bounded by bytes; beyond it NATS drops and the server repairs
		err = b.nc.Flush()
	}
	if err != nil {
		if sub != nil {
			sub.Unsubscribe()
		}
		return nil, fmt.Errorf("natsbroker: subscribe to %q: %w", channel, err)
	}
	return func() {
		sub.Unsubscribe()
		mu.Lock()
		stopped = true
		mu.Unlock()
	}, nil
}

// History implements server.Broker: the stream's state, then its messages
// after since through a short-lived consumer.
func (b *Broker) History(ctx context.Context, channel string, since server.Position) ([]server.Message, server.Position, error) {
	st, epoch, err := b.stream(ctx, channel)
	if err != nil {
		return nil, server.Position{}, b.fail("history of", channel, err)
	}
	state := st.CachedInfo().State
	head := server.Position{Epoch: epoch, Offset: state.LastSeq}
	if since.Epoch != epoch || since.Offset > state.LastSeq {
		return nil, head, server.ErrHistoryGap
	}
	if state.Msgs > 0 && since.Offset+1 < state.FirstSeq {
		// Trimmed: what is left after the hole.
		msgs, err := b.fetch(ctx, st, channel, epoch, state.FirstSeq, state.LastSeq)
		if err != nil {
			return nil, head, err
		}
		return msgs, head, server.ErrHistoryGap
	}
	msgs, err := b.fetch(ctx, st, channel, epoch, since.Offset+1, state.LastSeq)
	return msgs, head, err
}

// fetch reads the messages from..to of channel's stream through a
// short-lived consumer.
func (b *Broker) fetch(ctx context.Context, st jetstream.Stream, channel, epoch string, from, to uint64) ([]server.Message, error) {
	if from > to {
		return nil, nil
	}
	want := int(to - from + 1)
	cons, err := st.CreateConsumer(ctx, jetstream.ConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: from,
		AckPolicy: jetstream.AckNonePolicy, InactiveThreshold: time.Minute, MemoryStorage: true,
	})
	if err != nil {
		return nil, b.fail("history of", channel, err)
	}
	defer st.DeleteConsumer(context.WithoutCancel(ctx), cons.CachedInfo().Name)
	msgs := make([]server.Message, 0, want)
	next := from
	for len(msgs) < want {
		batch, err := cons.Fetch(min(want-len(msgs), 256), jetstream.FetchContext(ctx))
		if err != nil {
			return nil, b.fail("history of", channel, err)
		}
		for m := range batch.Messages() {
			meta, err := m.Metadata()
			if err != nil {
				return nil, b.fail("history of", channel, err)
			}
			if meta.Sequence.Stream != next {
				return nil, server.ErrHistoryGap // trimmed meanwhile
			}
			msgs = append(msgs, server.Message{Channel: channel, Position: server.Position{Epoch: epoch, Offset: next}, Data: m.Data()})
			next++
			if len(msgs) == want {
				break
			}
		}
		if err := batch.Error(); err != nil && len(msgs) < want {
			return nil, b.fail("history of", channel, err)
		}
	}
	return msgs, nil
}

// fail wraps err, saying so when the connection is down.
func (b *Broker) fail(op, channel string, err error) error {
	if !b.nc.IsConnected() || errors.Is(err, nats.ErrReconnectBufExceeded) {
		return fmt.Errorf("natsbroker: %s %q: NATS server unreachable, reconnecting: %w", op, channel, err)
	}
	return fmt.Errorf("natsbroker: %s %q: %w", op, channel, err)
}

// Close drains nothing: it closes the connection, ending the
// subscriptions.
func (b *Broker) Close() error {
	b.nc.Close()
	return nil
}

var _ server.Broker = (*Broker)(nil)
