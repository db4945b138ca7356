package websocket

import (
	"bufio"
	"log/slog"
	"time"

	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/handshake"
)

// The defaults, in one place. Every option below whose zero value is
// documented as "the default" takes its value from here.
const (
	// DefaultMaxMessageSize is the largest message Read and AppendRead
	// accept (1 MiB), counted on the bytes the application receives. A
	// larger one fails the connection with 1009 (RFC 6455 §7.4.1). A
	// message read whole is held whole, so this is the memory one
	// connection can make the server hold: 1,000 connections sending at the
	// limit at once hold about 1 GiB, where the former 32 MiB let 30 of
	// them do that. server.Options.MemoryBudget bounds the sum.
	DefaultMaxMessageSize = 1 << 20

	// DefaultMaxStreamSize is the largest message Reader accepts (32 MiB)
	// when MaxMessageSize is not set. A streamed message is never held by
	// the connection, whatever its size or compression ratio (the inflater
	// holds a fixed 80 KiB or so), so its limit bounds how long a peer can
	// keep the reader busy, not memory; what the application keeps of it
	// is the application's choice.
	DefaultMaxStreamSize = 32 << 20

	// DefaultCloseTimeout bounds the close handshake: how long Close waits
	// for the peer's close frame, and a client for the server to close TCP.
	DefaultCloseTimeout = 5 * time.Second

	// DefaultHandshakeTimeout bounds Dial's TCP connect, TLS handshake and
	// opening handshake when the context has no earlier deadline.
	DefaultHandshakeTimeout = 30 * time.Second

	// DefaultServerPingInterval is how often a server pings an idle peer.
	// Clients send no keepalive pings unless asked.
	DefaultServerPingInterval = 30 * time.Second

	// DefaultReadBufferSize and DefaultWriteBufferSize are the sizes of the
	// per-connection buffers. Frames larger than a buffer still go through;
	// the buffers only batch small reads and writes.
	DefaultReadBufferSize  = 4096
	DefaultWriteBufferSize = 4096
)

// ConnOptions configures a connection. The zero value (or nil) gives the
// defaults above. DialOptions and AcceptOptions embed it.
type ConnOptions struct {
	// MaxMessageSize is the largest message accepted, in bytes the
	// application receives, by Read, AppendRead and Reader alike; 0 means
	// DefaultMaxMessageSize for Read and AppendRead and
	// DefaultMaxStreamSize for Reader, and a negative value means no
	// limit. A message whose frames declare more fails the connection with
	// 1009 before their payload is read; a compressed one, as soon as it
	// inflates past the limit.
	MaxMessageSize int64

	// MaxFrameSize is the largest payload accepted in one frame; 0 means no
	// limit of its own (MaxMessageSize still applies). A larger frame fails
	// the connection with 1009.
	MaxFrameSize int64

	// CloseTimeout bounds the close handshake; 0 means DefaultCloseTimeout.
	CloseTimeout time.Duration

	// PingInterval is how often a keepalive ping is sent. 0 means the
	// default for the role (DefaultServerPingInterval for a server, none
	// for a client) and a negative value turns keepalive off.
	// [Conn.SetKeepAlive] changes it on a live connection.
	PingInterval time.Duration

	// PongTimeout is how long a keepalive ping waits for its pong before the
	// peer is taken for dead and the connection is closed; 0 means the
	// ping interval.
	PongTimeout time.Duration

	// PingPayload is the payload of keepalive pings (at most 125 bytes);
	// empty means an 8-byte counter.
	PingPayload []byte

	// OnPing and OnPong, when set, are called with the payload of each ping
	// and pong received, from the goroutine that is reading. The payload
	// is valid only during the call. A pong to every ping is sent whether or
	// not OnPing is set.
	OnPing func(payload []byte)
	OnPong func(payload []byte)

	// ReadBufferSize and WriteBufferSize size the connection's buffers; 0
	// means the defaults. On a TCP connection (Unix), a read buffer of the
	// default size is shared through a pool and held only while it has
	// bytes in it: an idle connection waits for input holding none. A
	// read buffer of another size is the connection's own, made at its
	// first read and kept.
	ReadBufferSize  int
	WriteBufferSize int

	// Subprotocol records the subprotocol agreed in a handshake done
	// outside this package, for [Conn.Subprotocol]. Dial and Accept set it
	// themselves.
	Subprotocol string

	// BufferedReader, for NewConn, is a reader over the connection that may
	// already hold bytes read past the handshake; the Conn reads through
	// it. Leftover, for NewConn, is bytes already read from the connection
	// that come before anything still unread. At most one of the two may be
	// set.
	BufferedReader *bufio.Reader
	Leftover       []byte

	// Values are per-connection values, readable with [Conn.Value].
	Values map[any]any

	// Compression turns on permessage-deflate (RFC 7692): Dial offers it,
	// Accept accepts an offer it can honour, and both use it when the
	// peer agrees. nil leaves compression off.
	Compression *CompressionOptions

	// Extensions, for NewConn, are the extensions agreed in a handshake
	// done elsewhere (the server's Sec-WebSocket-Extensions). A
	// permessage-deflate element there turns compression on, with the
	// settings in Compression (or the defaults when it is nil).
	Extensions []handshake.Extension

	// Budget, when set, is shared memory that whole-message reads draw
	// on: Read and AppendRead reserve each growth of their buffer from it
	// and give it all back when they return the message (which is then
	// the application's). A read that cannot reserve fails the connection
	// with 1013 (try again later, RFC 6455 §7.4.1). Reader, which holds
	// nothing, does not draw on it. server.Options.MemoryBudget sets one
	// for every connection of a server.
	Budget Budget

	// Logger, when set and enabled for slog.LevelDebug, gets a record for
	// every frame sent and received (direction, opcode, FIN, RSV, length).
	// Below debug level it is not consulted per frame.
	Logger *slog.Logger
}

// Budget is memory shared by many connections. Reserve holds n more bytes
// and reports true, or holds nothing and reports false when that would
// pass the budget; Release gives back n bytes reserved before. Both are
// called from many goroutines at once.
type Budget interface {
	Reserve(n int64) bool
	Release(n int64)
}

// CompressionOptions configures permessage-deflate.
type CompressionOptions struct {
	// Options is what to offer (as a client) or accept (as a server):
	// context takeover and window sizes in each direction. The zero value
	// asks for nothing and gives the best compression for the most memory:
	// Dial offers "permessage-deflate; client_max_window_bits", and Accept
	// answers a plain offer with "permessage-deflate". Each field's
	// parameter on the wire, for both roles, is in the table of
	// [deflate.Options]. Accept repeats the hints of an offer
	// (client_no_context_takeover, a client_max_window_bits value) in its
	// response, so that they bind the client, and each side relies only on
	// what the response states (RFC 7692 §7.1).
	deflate.Options

	// Level is the compression level, 1 (fastest, the default) to 9.
	Level int

	// Threshold is the size below which a message is sent uncompressed;
	// 0 means DefaultCompressionThreshold and a negative value compresses
	// every message. A streamed message is compressed unless it ends below
	// the threshold before its first fragment goes out.
	Threshold int
}

// DefaultCompressionThreshold is the message size below which compressing
// rarely pays: the fast levels keep no context for such small inputs.
const DefaultCompressionThreshold = 128

// compressionIdle is how long a connection with context takeover keeps
// the compressor's working memory after its last message.
const compressionIdle = 5 * time.Second

// config is ConnOptions with the defaults applied.
type config struct {
	maxMessage   int64 // for a message read whole, <0 for none
	maxStream    int64 // for a message read through Reader, <0 for none; never below maxMessage
	maxFrame     int64 // 0 for none
	closeTimeout time.Duration
	pingInterval time.Duration // <=0 for none
	pongTimeout  time.Duration
	pingPayload  []byte
	onPing       func([]byte)
	onPong       func([]byte)
	readBuf      int
	writeBuf     int
	budget       Budget
}

// connConfig is what a Conn keeps of its config once the endpoint has the
// rest.
type connConfig struct {
	closeTimeout time.Duration
	onPing       func([]byte)
	onPong       func([]byte)
	writeBuf     int
	maxMessage   int64 // for a message read whole, <0 for none
	maxStream    int64 // for a message read through Reader, <0 for none
	budget       Budget
}

func newConfig(o *ConnOptions, role Role) config {
	if o == nil {
		o = &noAcceptOptions.ConnOptions
	}
	c := config{
		maxMessage:   o.MaxMessageSize,
		maxFrame:     o.MaxFrameSize,
		closeTimeout: o.CloseTimeout,
		pingInterval: o.PingInterval,
		pongTimeout:  o.PongTimeout,
		pingPayload:  o.PingPayload,
		onPing:       o.OnPing,
		onPong:       o.OnPong,
		readBuf:      o.ReadBufferSize,
		writeBuf:     o.WriteBufferSize,
		budget:       o.Budget,
	}
	c.maxStream = c.maxMessage
	if c.maxMessage == 0 {
		c.maxMessage, c.maxStream = DefaultMaxMessageSize, DefaultMaxStreamSize
	}
	if c.maxFrame < 0 {
		c.maxFrame = 0
	}
	if c.closeTimeout <= 0 {
		c.closeTimeout = DefaultCloseTimeout
	}
	if c.pingInterval == 0 && role == RoleServer {
		c.pingInterval = DefaultServerPingInterval
	}
	if c.pongTimeout <= 0 {
		c.pongTimeout = c.pingInterval
	}
	if len(c.pingPayload) > 125 {
		c.pingPayload = c.pingPayload[:125]
	}
	c.readBuf = readBufferSize(o)
	if c.writeBuf <= 0 {
		c.writeBuf = DefaultWriteBufferSize
	}
	if c.writeBuf < 256 {
		c.writeBuf = 256
	}
	return c
}

// readBufferSize is the size of the read buffer o asks for.
func readBufferSize(o *ConnOptions) int {
	n := o.ReadBufferSize
	if n <= 0 {
		n = DefaultReadBufferSize
	}
	return max(n, minReadBuffer)
}
