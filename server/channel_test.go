package server_test

import (
	"context"
	"testing"

	"github.com/wskit/websocket/internal/brokertest"
	"github.com/wskit/websocket/server"
)

// shared is one in-process broker standing for a cluster's broker: every
// node of a test gets it, and closing a node leaves it running.
type shared struct{ server.Broker }

func (shared) Close() error { return nil }

func memoryEnv(history int) brokertest.Env {
	b := shared{server.NewMemoryBroker(history)}
	return brokertest.Env{New: func(testing.TB) server.Broker { return b }}
}

// memoryEnvMode is memoryEnv on m's driver.
func memoryEnvMode(history int, m mode) brokertest.Env {
	env := memoryEnv(history)
	env.EventLoop, env.Own = m.loop != nil, m.own
	return env
}

func TestChannelsFanOut(t *testing.T) {
	forModes(t, func(t *testing.T, m mode) { brokertest.RunFanOut(t, memoryEnvMode(0, m), 3, 100, 10000) })
}

func TestChannelsResume(t *testing.T) {
	forModes(t, func(t *testing.T, m mode) { brokertest.RunResume(t, memoryEnvMode(0, m)) })
}

func TestChannelsNodeRestart(t *testing.T) {
	forModes(t, func(t *testing.T, m mode) { brokertest.RunNodeRestart(t, memoryEnvMode(0, m)) })
}

// A client resuming from a position older than the history gets a gap,
// then the live messages.
func TestChannelsGapWhenTrimmed(t *testing.T) {
	ctx := testCtx(t)
	env := memoryEnv(10)
	n := brokertest.NewNode(t, env.New(t))
	var head server.Position
	for i := range 30 {
		var err error
		if head, err = n.Srv.Publish(ctx, "c", brokertest.Payload("c", i)); err != nil {
			t.Fatal(err)
		}
	}
	old := server.Position{Epoch: head.Epoch, Offset: 5}
	c := brokertest.Dial(ctx, t, n.URL, []string{"c"}, &old)
	recent := brokertest.Dial(ctx, t, n.URL, []string{"c"}, &server.Position{Epoch: head.Epoch, Offset: 25})
	other := brokertest.Dial(ctx, t, n.URL, []string{"c"}, &server.Position{Epoch: "another", Offset: 25})
	pos, err := n.Srv.Publish(ctx, "c", brokertest.Payload("c", 30))
	if err != nil {
		t.Fatal(err)
	}
	for _, cl := range []*brokertest.Client{c, recent, other} {
		cl.WaitFor("c", pos)
		cl.Check()
	}
	// The history holds 21..30: a gap up to 20, then those and 31.
	lost := server.Position{Epoch: head.Epoch, Offset: 20}
	got, gaps := c.Got("c")
	if len(gaps) != 1 || gaps[0] != lost || len(got) != 11 || got[0].Offset != 21 {
		t.Errorf("trimmed: messages %v, gaps %v; want a gap at %v, then 11 messages from 21", got, gaps, lost)
	}
	got, gaps = recent.Got("c")
	if len(gaps) != 0 || len(got) != 6 {
		t.Errorf("within the history: messages %v, gaps %v; want 6 messages", got, gaps)
	}
	if got, gaps = other.Got("c"); len(gaps) != 1 || gaps[0] != lost || len(got) != 11 {
		t.Errorf("another epoch: messages %v, gaps %v; want a gap at %v, then 11 messages", got, gaps, lost)
	}
}

// Subscribe refuses a connection that is not the server's.
func TestSubscribeNotConnected(t *testing.T) {
	srv := server.New(nil)
	if err := srv.Subscribe(context.Background(), nil, "c", nil); err != server.ErrNotConnected {
		t.Fatalf("Subscribe: %v, want ErrNotConnected", err)
	}
}

// lossy drops some live deliveries of the broker it wraps, as a broker
// does while a node is disconnected from it.
type lossy struct {
	server.Broker
	drop func(offset uint64) bool
}

func (l lossy) Subscribe(channel string, deliver func(server.Message)) (func(), error) {
	return l.Broker.Subscribe(channel, func(m server.Message) {
		if !l.drop(m.Offset) {
			deliver(m)
		}
	})
}

// A node that misses live messages fills the hole from the history, and
// sends a gap when the history no longer has them.
func TestChannelsRepair(t *testing.T) {
	ctx := testCtx(t)
	mem := server.NewMemoryBroker(5)
	n := brokertest.NewNode(t, lossy{shared{mem}, func(off uint64) bool { return off%7 == 0 || off > 20 && off < 30 }})
	c := brokertest.Dial(ctx, t, n.URL, []string{"c"}, nil)
	var head server.Position
	for i := range 40 {
		var err error
		if head, err = n.Srv.Publish(ctx, "c", brokertest.Payload("c", i)); err != nil {
			t.Fatal(err)
		}
	}
	c.WaitFor("c", head)
	c.Check()
	got, gaps := c.Got("c")
	// 1..20 all arrive (7 and 14 from the history); 21..29 were dropped
	// and 30 finds only 26..30 in the history: a gap at 25, then 26..40,
	// 35 from the history too.
	if len(gaps) != 1 || gaps[0].Offset != 25 || len(got) != 20+15 {
		t.Errorf("got %d messages, gaps %v; want 35 and a gap at 25", len(got), gaps)
	}
}

func TestChannelsTrimmed(t *testing.T) {
	forModes(t, func(t *testing.T, m mode) { brokertest.RunTrimmed(t, memoryEnvMode(0, m)) })
}
