package brokertest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wskit/websocket/internal/testutil"
	"github.com/wskit/websocket/server"
)

// Run runs every case of the suite against env.
func Run(t *testing.T, env Env) {
	t.Run("FanOut", func(t *testing.T) { RunFanOut(t, env, 3, 100, 10000) })
	t.Run("Resume", func(t *testing.T) { RunResume(t, env) })
	t.Run("NodeRestart", func(t *testing.T) { RunNodeRestart(t, env) })
	t.Run("BrokerRestart", func(t *testing.T) { RunBrokerRestart(t, env) })
	t.Run("Trimmed", func(t *testing.T) { RunTrimmed(t, env) })
}

// RunTrimmed resumes a client from a position older than the history
// (server.DefaultHistory messages): it gets a gap up to the oldest message
// kept, then every message the history holds.
func RunTrimmed(t *testing.T, env Env) {
	ctx := testutil.Ctx(t)
	n := NewNode(t, env.New(t))
	const ch, extra = "trimmed", 100
	var head server.Position
	for i := range server.DefaultHistory + extra {
		var err error
		if head, err = n.Srv.Publish(ctx, ch, Payload(ch, i)); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	c := Dial(ctx, t, n.URL, []string{ch}, &server.Position{Epoch: head.Epoch, Offset: 10})
	c.WaitFor(ch, head)
	c.Check()
	got, gaps := c.Got(ch)
	lost := server.Position{Epoch: head.Epoch, Offset: extra}
	if len(gaps) != 1 || gaps[0] != lost || len(got) != server.DefaultHistory || got[0].Offset != extra+1 {
		t.Errorf("resumed from offset 10 of %d: %d messages from %v, gaps %v; want a gap at %v, then %d messages",
			head.Offset, len(got), got[:min(1, len(got))], gaps, lost, server.DefaultHistory)
	}
}

func channelName(i int) string { return fmt.Sprintf("ch%d", i) }

// RunFanOut starts nodes nodes and clients clients spread over them, each
// on two of ten channels, publishes messages from random nodes on random
// channels, and checks that every client gets every message of its
// channels, in order, nothing twice.
func RunFanOut(t *testing.T, env Env, nodes, clients, messages int) {
	ctx := testutil.Ctx(t)
	rnd := Rand(t)
	ns := make([]*Node, nodes)
	for i := range ns {
		ns[i] = NewNode(t, env.New(t))
	}
	const nch = 10
	cs := make([]*Client, clients)
	subs := make([][]string, clients)
	for i := range cs {
		subs[i] = []string{channelName(i % nch), channelName((i + 3) % nch)}
		cs[i] = Dial(ctx, t, ns[i%nodes].URL, subs[i], nil)
	}
	t.Logf("%d clients subscribed on %d nodes; publishing %d messages", clients, nodes, messages)

	const publishers = 4
	var (
		mu    sync.Mutex
		heads = map[string]server.Position{}
		count = map[string]int{}
		wg    sync.WaitGroup
	)
	picks := make([][2]int, messages)
	for i := range picks {
		picks[i] = [2]int{rnd.IntN(nodes), rnd.IntN(nch)}
	}
	for p := range publishers {
		wg.Go(func() {
			for i := p; i < messages; i += publishers {
				ch := channelName(picks[i][1])
				pos, err := ns[picks[i][0]].Srv.Publish(ctx, ch, Payload(ch, i))
				if err != nil {
					t.Errorf("publish %d: %v", i, err)
					return
				}
				mu.Lock()
				count[ch]++
				if pos.Offset > heads[ch].Offset {
					heads[ch] = pos
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for ch, h := range heads {
		if h.Offset != uint64(count[ch]) {
			t.Errorf("%s: %d messages published, head offset %d", ch, count[ch], h.Offset)
		}
	}
	for i, c := range cs {
		for _, ch := range subs[i] {
			c.WaitCount(ch, count[ch])
			got, gaps := c.Got(ch)
			if len(got) != count[ch] || len(gaps) != 0 {
				t.Errorf("client %d, %s: got %d messages and %d gaps, want %d and none", i, ch, len(got), len(gaps), count[ch])
				continue
			}
			for j, p := range got {
				if p.Offset != uint64(j+1) || p.Epoch != heads[ch].Epoch {
					t.Errorf("client %d, %s: message %d at %v", i, ch, j, p)
					break
				}
			}
		}
		c.Check()
	}
	t.Logf("every client got its %d+ messages in order", messages/nch)
}

// RunResume cuts a client off while messages stream to it, reconnects it
// to another node with its last position, and checks that it gets exactly
// what it missed, then the live messages.
func RunResume(t *testing.T, env Env) {
	ctx := testutil.Ctx(t)
	a, b := NewNode(t, env.New(t)), NewNode(t, env.New(t))
	const ch, total, cutAt, lead = "resume", 600, 50, 100
	first := Dial(ctx, t, a.URL, []string{ch}, nil)
	cut := make(chan struct{})
	done := make(chan server.Position, 1)
	go func() {
		// Publish until well after the cut, so that messages are in
		// flight when it happens and some follow it.
		// Until the cut the publisher stays within lead messages of the
		// first client: on a loaded machine it ran up to a thousand
		// ahead, past the history, and the resume found a gap.
		var pos server.Position
		after := -1
		for i := 0; i < 100000 && (after < 0 || i < after+total/2); i++ {
			if after < 0 {
				first.WaitCount(ch, i-lead)
			}
			var err error
			if pos, err = b.Srv.Publish(ctx, ch, Payload(ch, i)); err != nil {
				t.Errorf("publish %d: %v", i, err)
				break
			}
			select {
			case <-cut:
				if after < 0 {
					after = i
				}
			default:
			}
		}
		done <- pos
	}()
	first.WaitCount(ch, cutAt)
	// The publisher is told before the cut: once the first client has
	// ended, its WaitCount no longer holds the publisher back, which on a
	// loaded machine then ran a thousand messages ahead, past the history,
	// before it saw a cut signalled after.
	close(cut)
	first.Cut()
	mid := <-done
	if t.Failed() {
		return
	}
	seen, _ := first.Got(ch)
	last := first.Last(ch)
	t.Logf("cut after %d messages (at offset %d); %d published by then", len(seen), last.Offset, mid.Offset)

	second := Dial(ctx, t, b.URL, []string{ch}, &last)
	var head server.Position
	for i := range total / 2 {
		var err error
		if head, err = a.Srv.Publish(ctx, ch, Payload(ch, int(mid.Offset)+i)); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	second.WaitFor(ch, head)
	got, gaps := second.Got(ch)
	if len(gaps) != 0 {
		t.Errorf("gaps %v, want none", gaps)
	}
	if len(got) == 0 || got[0].Offset != last.Offset+1 {
		t.Fatalf("resumed with %v, want offset %d first", got[:min(len(got), 1)], last.Offset+1)
	}
	if want := int(head.Offset - last.Offset); len(got) != want {
		t.Errorf("resumed client got %d messages, want the %d after offset %d", len(got), want, last.Offset)
	}
	second.Check()
	first.Check()
}

// RunNodeRestart kills a node with clients on it; they reconnect to its
// replacement with their positions while the other nodes keep publishing,
// and miss nothing.
func RunNodeRestart(t *testing.T, env Env) {
	ctx := testutil.Ctx(t)
	ns := []*Node{NewNode(t, env.New(t)), NewNode(t, env.New(t)), NewNode(t, env.New(t))}
	const ch, per = "restart", 100
	var cs []*Client
	for range 5 {
		cs = append(cs, Dial(ctx, t, ns[1].URL, []string{ch}, nil))
	}
	var head server.Position
	publish := func(from, n int) {
		for i := range n {
			var err error
			if head, err = ns[(from+i)%2*2].Srv.Publish(ctx, ch, Payload(ch, from+i)); err != nil {
				t.Fatalf("publish: %v", err)
			}
		}
	}
	publish(0, per)
	for _, c := range cs {
		c.WaitFor(ch, head)
	}
	ns[1].Kill()
	publish(per, per) // while node 1 is down
	ns[1] = NewNode(t, env.New(t))
	for i, c := range cs {
		last := c.Last(ch)
		cs[i] = Dial(ctx, t, ns[1].URL, []string{ch}, &last)
		c.Check()
	}
	publish(2*per, per)
	for _, c := range cs {
		c.WaitFor(ch, head)
		got, gaps := c.Got(ch)
		if len(got) != 2*per || len(gaps) != 0 || got[0].Offset != per+1 {
			t.Errorf("after the restart a client got %d messages from %v and gaps %v; want %d from offset %d", len(got), got[:min(1, len(got))], gaps, 2*per, per+1)
		}
		c.Check()
	}
}

// RunBrokerRestart stops the broker under live clients: publishing fails
// with an error naming the broker; after the broker is back, publishing
// works again, live clients get a gap wherever history was lost (and no
// gap when the broker keeps it), and a client resuming from before the
// restart gets its messages or a gap.
func RunBrokerRestart(t *testing.T, env Env) {
	if env.Stop == nil || env.Start == nil {
		t.Fatal("the broker environment cannot stop and start its broker")
	}
	ctx := testutil.Ctx(t)
	a, b := NewNode(t, env.New(t)), NewNode(t, env.New(t))
	const ch, per = "outage", 50
	live := []*Client{Dial(ctx, t, a.URL, []string{ch}, nil), Dial(ctx, t, b.URL, []string{ch}, nil)}
	var head server.Position
	for i := range per {
		var err error
		if head, err = a.Srv.Publish(ctx, ch, Payload(ch, i)); err != nil {
			t.Fatalf("publish: %v", err)
		}
	}
	for _, c := range live {
		c.WaitFor(ch, head)
	}
	before := head
	parked := Dial(ctx, t, b.URL, []string{ch}, &server.Position{Epoch: before.Epoch, Offset: before.Offset - 10})
	parked.WaitFor(ch, before)
	parked.Cut()

	env.Stop(t)
	pctx, cancel := context.WithTimeout(ctx, 10e9)
	_, err := b.Srv.Publish(pctx, ch, Payload(ch, -1))
	cancel()
	if err == nil {
		t.Fatal("publish with the broker stopped succeeded")
	}
	t.Logf("publish with the broker stopped: %v", err)
	if !strings.Contains(err.Error(), "broker") {
		t.Errorf("error %q does not say it is the broker's", err)
	}
	env.Start(t)

	// Publish until each live client has a message published after the
	// restart: their nodes' subscriptions are back. Live delivery is at
	// most once, so what is published before a node has resubscribed
	// reaches it only with the next message; the pace gives the clients
	// time to reconnect, the count bounds the loop.
	var after []server.Position
	for i := 0; ; i++ {
		if i == 1000 {
			for _, c := range live {
				got, gaps := c.Got(ch)
				t.Logf("client: %d messages, the last at %v; gaps %v", len(got), got[len(got)-1], gaps)
				c.Check()
			}
			t.Fatalf("1000 messages after the broker restart (up to %v) and the clients still miss them", head)
		}
		head = PublishRetry(ctx, t, a, ch, Payload(ch, per+i), 100)
		after = append(after, head)
		all := true
		for _, c := range live {
			if got, _ := c.Got(ch); got[len(got)-1].Epoch != head.Epoch || got[len(got)-1].Offset < after[0].Offset {
				all = false
			}
		}
		if all {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	for _, c := range live {
		c.WaitFor(ch, head)
		_, gaps := c.Got(ch)
		switch {
		case env.Persistent && head.Epoch == before.Epoch && len(gaps) != 0:
			t.Errorf("history was kept, yet the client got gaps %v", gaps)
		case head.Epoch != before.Epoch && len(gaps) == 0:
			t.Errorf("epoch %s became %s without a gap", before.Epoch, head.Epoch)
		}
		c.Check() // every message after a gap follows in order
	}
	if env.Persistent && head.Epoch != before.Epoch {
		t.Errorf("a persistent broker changed epoch %s -> %s", before.Epoch, head.Epoch)
	}
	back := Dial(ctx, t, b.URL, []string{ch}, &server.Position{Epoch: before.Epoch, Offset: before.Offset})
	back.WaitFor(ch, head)
	got, gaps := back.Got(ch)
	if head.Epoch != before.Epoch {
		if len(gaps) == 0 {
			t.Errorf("resuming from the lost epoch gave no gap")
		}
	} else if len(gaps) != 0 || len(got) != int(head.Offset-before.Offset) {
		t.Errorf("resuming in the kept epoch: %d messages, gaps %v; want %d", len(got), gaps, head.Offset-before.Offset)
	}
	back.Check()
	t.Logf("epoch before the restart %s, after %s; %d messages published after it", before.Epoch, head.Epoch, len(after))
}
