package server

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/wskit/websocket"
)

// Conn is a connection as a route's Events see it, whichever driver
// serves it: a *websocket.Conn (a goroutine per connection) or, in
// event-loop mode (Options.EventLoop), a *loop.Conn. A callback that needs
// the rest of either one's methods may assert its type.
//
// A *websocket.Conn's writes wait for the socket; a *loop.Conn's never do:
// what the socket does not take at once is queued, within the loop's
// MaxQueue.
type Conn interface {
	WriteText(text string) error
	WriteBinary(data []byte) error
	Close(code websocket.StatusCode, reason string) error
	Subprotocol() string
	RemoteAddr() net.Addr
}

// Events are a route's callbacks, for a route served by either driver
// (Route.Events). For one connection they are called one at a time, in
// the order things happened; any of them may be nil, and the byte slices
// passed in are the callee's to keep. They are those of websocket.Events,
// with a Conn, and with OnOpen given the opening handshake's request.
//
// With Options.EventLoop set, a plain HTTP/1.1 connection of such a route
// is served by the event loop, and its callbacks run in the loop's worker
// pool, so they should not block for long; a TLS or HTTP/2 one is served
// by a goroutine of its own, with the same callbacks.
type Events struct {
	OnOpen    func(c Conn, r *http.Request)
	OnText    func(c Conn, text string)
	OnBinary  func(c Conn, data []byte)
	OnPing    func(c Conn, payload []byte)
	OnPong    func(c Conn, payload []byte)
	OnTimeout func(c Conn)
	Timeout   time.Duration
	OnError   func(c Conn, err error)
	OnClose   func(c Conn, code websocket.StatusCode, reason string)
}

// eventsHandler serves a route's Events on the goroutine driver.
type eventsHandler struct{ ev *Events }

// requestKey keeps the opening handshake's request in the handler's
// context, for OnOpen.
type requestKey struct{}

func (h eventsHandler) ServeWebSocket(ctx context.Context, c *websocket.Conn) error {
	ev := h.ev
	r, _ := c.Value(requestKey{}).(*http.Request)
	c.SetValue(requestKey{}, nil) // OnOpen's alone: the connection need not keep it
	we := &websocket.Events{Timeout: ev.Timeout}
	if ev.OnOpen != nil {
		we.OnOpen = func(c *websocket.Conn) { ev.OnOpen(c, r) }
	}
	if ev.OnText != nil {
		we.OnText = func(c *websocket.Conn, s string) { ev.OnText(c, s) }
	}
	if ev.OnBinary != nil {
		we.OnBinary = func(c *websocket.Conn, p []byte) { ev.OnBinary(c, p) }
	}
	if ev.OnPing != nil {
		we.OnPing = func(c *websocket.Conn, p []byte) { ev.OnPing(c, p) }
	}
	if ev.OnPong != nil {
		we.OnPong = func(c *websocket.Conn, p []byte) { ev.OnPong(c, p) }
	}
	if ev.OnTimeout != nil {
		we.OnTimeout = func(c *websocket.Conn) { ev.OnTimeout(c) }
	}
	if ev.OnError != nil {
		we.OnError = func(c *websocket.Conn, err error) { ev.OnError(c, err) }
	}
	if ev.OnClose != nil {
		we.OnClose = func(c *websocket.Conn, code websocket.StatusCode, reason string) { ev.OnClose(c, code, reason) }
	}
	return c.Run(ctx, we)
}
