//go:build linux

package loop

import (
	"net/http"
	"time"

	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/wire"
)

// Policy is what happens to a connection whose queue of unwritten bytes
// is full: a client that reads slower than it is sent to.
type Policy uint8

const (
	// CloseSlow closes the connection with 1008 (policy violation): the
	// close frame is queued past the limit and the message is not sent.
	CloseSlow Policy = iota
	// DropMessage does not send the message; the write returns
	// ErrQueueFull and the connection stays open.
	DropMessage
)

// Budget is memory shared by many connections: Reserve holds n more
// bytes and reports true, or holds nothing and reports false when that
// would pass the budget; Release gives back n bytes reserved before. Both
// are called from many goroutines at once. websocket.Budget has the same
// methods, and server.Options.MemoryBudget makes one.
type Budget interface {
	Reserve(n int64) bool
	Release(n int64)
}

// Defaults of Options.
const (
	DefaultMaxQueue         = 1 << 20
	DefaultHandshakeTimeout = 10 * time.Second
	DefaultCloseTimeout     = 5 * time.Second
	DefaultMaxHeaderBytes   = 8 << 10
)

// Options configure a Server. The zero value is usable.
type Options struct {
	// Loops is the number of event loops; 0 means runtime.GOMAXPROCS(0).
	Loops int

	// Workers is the number of goroutines that run handlers; 0 means
	// 4×GOMAXPROCS. Inline runs handlers on the loops instead: they must
	// then never block (a write never does).
	Workers int
	Inline  bool

	// MaxMessageSize is the largest message accepted, in bytes as the
	// handler receives them; 0 means endpoint.DefaultMaxMessageSize and a
	// negative value no limit. A larger message fails the connection with
	// 1009 before its payload is read (RFC 6455 §10.4).
	MaxMessageSize int64

	// MaxQueue bounds a connection's unwritten bytes; 0 means
	// DefaultMaxQueue. SlowConsumer says what a write past it does.
	MaxQueue     int
	SlowConsumer Policy

	// SlowCloseCode is the close code of CloseSlow; 0 means 1008 (policy
	// violation). 1013 (try again later) is the other usual choice.
	SlowCloseCode wire.StatusCode

	// Budget, when set, is memory shared with other connections, perhaps
	// of other servers, that each connection draws on for what it holds:
	// the message it is receiving (from its first byte until its handler
	// returns) and the bytes waiting in its queue. A message that would
	// pass it fails the connection with 1013 (try again later, RFC 6455
	// §7.4.1); a write that would lengthen a queue already waiting is not
	// sent and returns ErrOverBudget. What the socket did not take of a
	// frame already begun is queued whatever the budget says, so that a
	// connection may pass it by the rest of one message.
	Budget Budget

	// HandshakeTimeout bounds the opening handshake from the accept; 0
	// means DefaultHandshakeTimeout. MaxHeaderBytes bounds the request
	// (431 past it); 0 means DefaultMaxHeaderBytes.
	HandshakeTimeout time.Duration
	MaxHeaderBytes   int

	// PingInterval sends a keepalive ping this often (0: none); a pong
	// later than PongTimeout (0: PingInterval) fails the connection with
	// 1011. CloseTimeout bounds the closing handshake; 0 means
	// DefaultCloseTimeout, a negative value none.
	PingInterval time.Duration
	PongTimeout  time.Duration
	CloseTimeout time.Duration

	// Compression accepts permessage-deflate (RFC 7692) with Deflate's
	// parameters. When Deflate is nil both directions are without context
	// takeover, so that no connection keeps a compression history (up to
	// 2×32 KiB) between messages; set a Deflate of your own to keep it.
	// Level (0: deflate.DefaultLevel) and Threshold (0:
	// endpoint.DefaultThreshold) are the compressor's.
	Compression bool
	Deflate     *deflate.Options
	Level       int
	Threshold   int

	// ReuseMessages hands OnText's and OnBinary's messages out of a pool
	// shared by the connections: OnBinary's slice is then valid only
	// until the callback returns, and the memory follows the messages in
	// flight instead of being allocated for each. With Inline too, an
	// uncompressed message that came whole in one read is handed out from
	// the loop's read buffer, without a copy.
	ReuseMessages bool

	// Protocols are the subprotocols supported, in order of preference.
	Protocols []string

	// CheckOrigin decides whether a request's Origin may connect
	// (RFC 6455 §10.2); nil allows requests without Origin and those whose
	// Origin's host is the request's Host. A refused request gets 403.
	CheckOrigin func(r *http.Request) bool

	// Judge, when set, decides every handshake the loops read
	// themselves (Serve, Adopt) in place of the loop's own checks,
	// Protocols and CheckOrigin: it answers a refusal on w, as an
	// http.Handler would (its status, headers and body are sent and the
	// connection closed), and returns nil, or returns the 101 response to
	// send. Package server sets it to apply its routes and hooks. It runs
	// on a loop, so it must not block.
	Judge func(w http.ResponseWriter, r *http.Request) *Accepted
}

// Events are the callbacks of a Server's connections, as the root package's
// Events are for a Conn: for one connection they are called one at a time,
// in the order things happened. Any of them may be nil. The byte slices
// passed in are the callee's to keep.
type Events struct {
	// OnOpen is called once, before anything else, with the request of
	// the opening handshake (its Body is empty).
	OnOpen func(c *Conn, r *http.Request)

	// OnText and OnBinary are called with each whole data message.
	OnText   func(c *Conn, text string)
	OnBinary func(c *Conn, data []byte)

	// OnPing and OnPong are called with each ping's and pong's payload.
	// Pings are answered whether or not OnPing is set.
	OnPing func(c *Conn, payload []byte)
	OnPong func(c *Conn, payload []byte)

	// OnTimeout is called when no message has arrived for Timeout; the
	// connection stays open and the callback may close it.
	OnTimeout func(c *Conn)
	Timeout   time.Duration

	// OnError is called with the error that ended the connection when it
	// did not end with the peer's close frame, before OnClose.
	OnError func(c *Conn, err error)

	// OnClose is called once when an opened connection ends, with the
	// peer's close code and reason, 1006 when the connection was lost, or
	// the code this side failed it with.
	OnClose func(c *Conn, code wire.StatusCode, reason string)
}
