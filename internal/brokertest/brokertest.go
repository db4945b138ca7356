// Package brokertest is the test suite every server.Broker passes: nodes
// (each a server.Server on loopback with a broker of its own) and
// WebSocket clients that check what they receive, message by message.
// The broker modules run it against real brokers started by their tests.
package brokertest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/server"
)

// Env is what the suite needs from a broker under test.
type Env struct {
	// New returns a broker client for one node. The suite closes it.
	New func(t testing.TB) server.Broker
	// Stop stops the broker process and waits until it has exited; Start
	// starts it again on the same address, with its data kept only when
	// the broker persists it. Nil skips nothing: RunBrokerRestart needs
	// both.
	Stop, Start func(t testing.TB)
	// Persistent is true when history survives Stop and Start.
	Persistent bool
	// EventLoop runs the nodes in event-loop mode (server.Options.EventLoop),
	// their route served by Events.
	EventLoop bool
	// Own has the event-loop nodes read handshakes themselves
	// (server.Server.Serve) instead of through net/http.
	Own bool
}

// node starts a node of env's mode with a broker client of its own.
func (env Env) node(t testing.TB) *Node {
	n := NewNodeMode(t, env.New(t), env.EventLoop, env.Own)
	return n
}

// Node is one server of a cluster, on a loopback port.
type Node struct {
	Srv    *server.Server
	URL    string // ws://HOST:PORT/ws
	broker server.Broker
	hs     *httptest.Server
	once   sync.Once
}

// NewNode starts a node whose /ws route subscribes each connection to the
// channels named by its "channel" query parameters, resuming from the
// position in its "epoch" and "offset" parameters (server.PositionFromQuery),
// then sends it the text "ready".
func NewNode(t testing.TB, b server.Broker) *Node { return NewNodeMode(t, b, false, false) }

// NewNodeMode is NewNode, in event-loop mode when loop is set: the route is
// then served by Events that do what the handler does, and with own set
// the loops read the handshakes themselves (Server.Serve).
func NewNodeMode(t testing.TB, b server.Broker, loop, own bool) *Node {
	t.Helper()
	n := &Node{broker: b}
	o := &server.Options{
		SendQueue:      1 << 15, // the suite checks delivery, not slow-consumer policy
		ChannelOptions: server.ChannelOptions{Broker: b},
	}
	route := server.Route{Path: "/ws",
		OnUpgrade: func(u *websocket.Upgrade) error {
			u.SetValue(queryKey{}, u.Request.URL.Query())
			return nil
		}}
	if loop {
		o.EventLoop = &server.EventLoopOptions{MaxQueue: 64 << 20}
	}
	n.Srv = server.New(o)
	if loop {
		route.Handler, route.Events = nil, events(n.Srv)
	} else {
		route.Handler = server.HandlerFunc(handle(n.Srv))
	}
	n.Srv.HandleRoute(route)
	if loop && own {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go n.Srv.Serve(ln) // ends with the Shutdown of Kill
		n.URL = "ws://" + ln.Addr().String() + "/ws"
	} else {
		n.hs = httptest.NewServer(n.Srv)
		n.URL = "ws" + strings.TrimPrefix(n.hs.URL, "http") + "/ws"
	}
	t.Cleanup(n.Kill)
	return n
}

type queryKey struct{}

func handle(srv *server.Server) func(ctx context.Context, c *websocket.Conn) error {
	return func(ctx context.Context, c *websocket.Conn) error {
		vals, _ := c.Value(queryKey{}).(url.Values)
		since, err := server.PositionFromQuery(vals)
		if err != nil {
			return c.Close(websocket.StatusPolicyViolation, err.Error())
		}
		for _, ch := range vals["channel"] {
			if err := srv.Subscribe(ctx, c, ch, since); err != nil {
				return c.Close(websocket.StatusTryAgainLater, "subscribe: "+err.Error())
			}
		}
		if err := c.Write(ctx, websocket.MessageText, []byte("ready")); err != nil {
			return nil
		}
		for {
			if _, _, err := c.Read(ctx); err != nil {
				return nil
			}
		}
	}
}

// events are handle's work as Events, for the event loop: OnOpen
// subscribes and sends "ready"; the connection then only waits.
func events(srv *server.Server) *server.Events {
	return &server.Events{OnOpen: func(c server.Conn, _ *http.Request) {
		vals, _ := server.Value(c, queryKey{}).(url.Values)
		since, err := server.PositionFromQuery(vals)
		if err != nil {
			c.Close(websocket.StatusPolicyViolation, err.Error())
			return
		}
		for _, ch := range vals["channel"] {
			if err := srv.Subscribe(context.Background(), c, ch, since); err != nil {
				c.Close(websocket.StatusTryAgainLater, "subscribe: "+err.Error())
				return
			}
		}
		c.WriteText("ready")
	}}
}

// Kill stops the node at once: connections are dropped without a close
// handshake and its broker client is closed.
func (n *Node) Kill() {
	n.once.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if n.hs != nil {
			n.hs.CloseClientConnections()
		}
		n.Srv.Shutdown(ctx)
		if n.hs != nil {
			n.hs.Close()
		}
		n.broker.Close()
	})
}

// Client is a WebSocket client of a node that checks the channel messages
// it receives: per channel, offsets follow each other within an epoch,
// and a change of epoch or a hole comes after a gap signal.
type Client struct {
	t    testing.TB
	conn *websocket.Conn
	done chan struct{}

	mu      sync.Mutex
	cond    *sync.Cond
	last    map[string]server.Position
	got     map[string][]server.Position // every message, in arrival order
	gaps    map[string][]server.Position
	errs    []string
	ended   bool
	ready   bool
	readErr error
}

// Dial connects a client to node url for channels, resuming from since
// when it is not nil, and waits until the node has subscribed it.
func Dial(ctx context.Context, t testing.TB, url string, channels []string, since *server.Position) *Client {
	t.Helper()
	cl, err := TryDial(ctx, t, url, channels, since)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// TryDial is Dial returning its error.
func TryDial(ctx context.Context, t testing.TB, url string, channels []string, since *server.Position) (*Client, error) {
	c := &Client{t: t, done: make(chan struct{}), last: map[string]server.Position{},
		got: map[string][]server.Position{}, gaps: map[string][]server.Position{}}
	c.cond = sync.NewCond(&c.mu)
	q := make([]string, 0, len(channels)+2)
	for _, ch := range channels {
		q = append(q, "channel="+ch)
	}
	if since != nil {
		q = append(q, "epoch="+since.Epoch, "offset="+strconv.FormatUint(since.Offset, 10))
		for _, ch := range channels {
			c.last[ch] = *since
		}
	}
	conn, _, err := websocket.Dial(ctx, url+"?"+strings.Join(q, "&"), &websocket.DialOptions{})
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	c.conn = conn
	t.Cleanup(func() { conn.CloseNow(); <-c.done })
	go c.read(ctx)
	c.mu.Lock()
	for !c.ready && !c.ended {
		c.cond.Wait()
	}
	err = c.readErr
	c.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("client of %s ended before it was subscribed: %w", url, err)
	}
	return c, nil
}

type envelope struct {
	Channel string  `json:"channel"`
	Epoch   string  `json:"epoch"`
	Offset  uint64  `json:"offset"`
	Data    *string `json:"data"`
	Gap     bool    `json:"gap"`
}

func (c *Client) read(ctx context.Context) {
	defer close(c.done)
	for {
		_, p, err := c.conn.Read(ctx)
		c.mu.Lock()
		if err != nil {
			c.ended, c.readErr = true, err
			c.cond.Broadcast()
			c.mu.Unlock()
			return
		}
		c.take(p)
		c.cond.Broadcast()
		c.mu.Unlock()
	}
}

// take checks one message; c.mu is held.
func (c *Client) take(p []byte) {
	if string(p) == "ready" {
		c.ready = true
		return
	}
	var e envelope
	if err := json.Unmarshal(p, &e); err != nil {
		c.errs = append(c.errs, fmt.Sprintf("not an envelope: %q", p))
		return
	}
	pos := server.Position{Epoch: e.Epoch, Offset: e.Offset}
	last, seen := c.last[e.Channel]
	if e.Gap {
		if e.Data != nil {
			c.errs = append(c.errs, fmt.Sprintf("%s: gap with data", e.Channel))
		}
		c.gaps[e.Channel] = append(c.gaps[e.Channel], pos)
		c.last[e.Channel] = pos
		return
	}
	if e.Data == nil || !strings.HasPrefix(*e.Data, e.Channel+" ") {
		c.errs = append(c.errs, fmt.Sprintf("%s %d: data %v", e.Channel, e.Offset, e.Data))
	}
	switch {
	case !seen:
		// The first message of a live subscription may have any offset.
	case pos.Epoch != last.Epoch:
		c.errs = append(c.errs, fmt.Sprintf("%s: epoch %s after %s without a gap", e.Channel, pos.Epoch, last.Epoch))
	case pos.Offset != last.Offset+1:
		c.errs = append(c.errs, fmt.Sprintf("%s: offset %d after %d", e.Channel, pos.Offset, last.Offset))
	}
	c.last[e.Channel] = pos
	c.got[e.Channel] = append(c.got[e.Channel], pos)
}

// WaitFor waits until the client has received a message at or past pos
// on channel; it fails the test if the connection ends first.
func (c *Client) WaitFor(channel string, pos server.Position) {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		l, ok := c.last[channel]
		if ok && l.Epoch == pos.Epoch && l.Offset >= pos.Offset {
			return
		}
		if c.ended {
			c.t.Fatalf("client ended at %v on %s, waiting for %v: %v", l, channel, pos, c.readErr)
		}
		c.cond.Wait()
	}
}

// WaitCount waits until the client has n messages of channel, or ends.
func (c *Client) WaitCount(channel string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.got[channel]) < n && !c.ended {
		c.cond.Wait()
	}
}

// Last returns the last position seen on channel.
func (c *Client) Last(channel string) server.Position {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last[channel]
}

// Got returns the positions of the messages received on channel, and the
// gap signals.
func (c *Client) Got(channel string) (msgs, gaps []server.Position) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]server.Position(nil), c.got[channel]...), append([]server.Position(nil), c.gaps[channel]...)
}

// Cut drops the connection without a close handshake and waits until the
// reader has stopped.
func (c *Client) Cut() {
	c.conn.CloseNow()
	<-c.done
}

// Check fails the test with every ordering error the client saw.
func (c *Client) Check() {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, e := range c.errs {
		if i == 10 {
			c.t.Errorf("... and %d more", len(c.errs)-10)
			break
		}
		c.t.Error(e)
	}
}

// Payload is the text the suite publishes as message i of channel.
func Payload(channel string, i int) []byte { return []byte(channel + " " + strconv.Itoa(i) + " x") }

// PublishRetry publishes until the broker takes the message, for the
// moments after a broker restart when its clients are reconnecting; it
// gives up after attempts tries.
func PublishRetry(ctx context.Context, t testing.TB, n *Node, channel string, data []byte, attempts int) server.Position {
	t.Helper()
	var err error
	for i := range attempts {
		var pos server.Position
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		pos, err = n.Srv.Publish(pctx, channel, data)
		cancel()
		if err == nil {
			return pos
		}
		select {
		case <-ctx.Done():
			t.Fatalf("publish: %v", err)
		case <-time.After(time.Duration(i+1) * 20 * time.Millisecond): // back off while the client reconnects
		}
	}
	t.Fatalf("publish to %s failed %d times: %v", channel, attempts, err)
	return server.Position{}
}

// Rand is the suite's source of random choices, seeded per test so a
// failure can be run again.
func Rand(t testing.TB) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	t.Logf("random seed %d", seed)
	return rand.New(rand.NewPCG(seed, seed))
}

var _ http.Handler = (*server.Server)(nil)
