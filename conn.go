package websocket

import (
	"bufio"
	"context"
	crand "crypto/rand"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/endpoint"
	"github.com/wskit/websocket/handshake"
	"github.com/wskit/websocket/wire"
)

// Conn is a WebSocket connection, from either side.
//
// Concurrency: a Conn is safe for one reader (Read, Reader and the reader it
// returns, Run) and any number of concurrent writers (Write, Writer, Ping,
// Close) at the same time. Concurrent Write calls send whole messages one
// after another, never interleaving their frames; a message streamed with
// Writer holds the others back until its Close.
//
// The application must keep reading: pings are answered, pongs matched and
// the peer's close frame seen only while something reads. Ping, Close and
// keepalive read (through the same path) only while no read is in
// progress, and they stop at a data message, which only the application
// may consume.
//
// Cancellation: every blocking call takes a context. A read whose context
// ends returns ctx.Err() and leaves the connection usable when the underlying
// connection has read deadlines (every net.Conn has); on one without, the
// connection is closed, since that is the only way to stop the read. A write
// whose context ends before any byte of its frame went out returns ctx.Err()
// and leaves the connection usable; once part of a frame is written, ending
// the context closes the connection, because a half-sent frame cannot be
// taken back.
type Conn struct {
	rwc   io.ReadWriteCloser
	cfg   connConfig
	proto string

	// Reading, owned by the holder of rsem. The endpoint holds the
	// protocol state; its shared part is guarded by epmu.
	rsem          sem
	in            inbuf
	ep            endpoint.Endpoint
	epmu          sync.Mutex
	ev            endpoint.Event
	rpend         []byte // the rest of a payload piece, in the read buffer
	mr            messageReader
	progress      atomic.Pointer[chan struct{}] // signalled when the application takes or finishes a message; made by the first waiter
	msgOp         wire.Opcode                   // the current message's type
	appReads      atomic.Bool                   // the application has read, so Close leaves data to it
	role          Role
	rpendEnd      bool // rpend ends the message
	direct        bool // the latest piece was read straight into the caller's buffer
	msgWaiting    bool // a message has started that the application has not taken
	msgActive     bool // the application's current message is not fully read
	msgCompressed bool
	msgLimit      int64        // the current message's size limit, <0 for none
	vectored      bool         // rwc is a TCP connection: writev saves a copy
	localClose    bool         // Close sent the close frame and finishes the handshake (under mu)
	peerClosed    bool         // the peer's close frame has arrived (under mu)
	rwcClosed     bool         // closeTransport has closed rwc (under mu)
	state         atomic.Int32 // a State; here, beside the flags, it fills what would be padding

	// permessage-deflate (RFC 7692) for the messages sent, when agreed
	// (nil otherwise); the endpoint inflates those received.
	z *sendDeflate

	// Writing. msem is held for a whole outgoing data message, fsem for each
	// frame on the wire; control frames take only fsem, so they can go out
	// between the fragments of a streamed message.
	msem    sem
	fsem    sem
	wbuf    []byte    // data frames, owned by the holder of msem
	iov     [2][]byte // header and payload for one writev, owned by the holder of fsem
	wv      net.Buffers
	hdr     [wire.MaxHeaderSize]byte // a frame header for writev, owned by the holder of fsem
	obuf    []byte                   // control frames from the endpoint, owned by the holder of fsem
	maskRNG *rand.ChaCha8
	mw      MessageWriter

	// Shared state, under mu.
	mu        sync.Mutex
	semq      atomic.Pointer[semQueue]   // who waits for rsem, msem or fsem; made by the first (sem.go)
	closeErr  atomic.Pointer[CloseError] // sticky: why the connection ended
	closeRecv chan struct{}              // closed when the peer's close frame arrives; made by the first waiter
	done      chan struct{}              // closed when the underlying connection is closed; made by the first waiter (doneChan)
	pings     []pingWaiter
	keepalive *time.Timer
	kaWait    chan struct{} // closed when the keepalive ping's pong arrives
	values    map[any]any
	closeOnce sync.Once
	lingering atomic.Bool // lingerClose is draining the peer's last bytes

	count     connCounters
	flog      *slog.Logger // nil unless frames are logged
	runEvents atomic.Pointer[Events]

	wmu            sync.Mutex // guards rwatch and wwatch
	rwatch, wwatch watch
}

// NewConn takes over conn, an established connection on which the opening
// handshake is already done, playing role. A permessage-deflate element in
// opts.Extensions, as the server's response stated it, turns compression
// on; one that does not parse is ignored. conn is typically a net.Conn, but
// any io.ReadWriteCloser (a pipe, a Unix socket) works; without read
// deadlines, a read cancelled by its context closes the connection.
//
// Bytes already read from conn past the handshake are passed in
// opts.BufferedReader or opts.Leftover. The Conn owns conn from now on and
// closes it when the connection ends.
func NewConn(conn io.ReadWriteCloser, role Role, opts *ConnOptions) *Conn {
	if opts == nil {
		opts = &noAcceptOptions.ConnOptions
	}
	var agreed *deflate.Agreement
	for _, e := range opts.Extensions {
		if e.Name != deflate.ExtensionName {
			continue
		}
		if p, err := deflate.ParseParams(e); err == nil {
			client, server := p.Flows()
			a := deflate.Agreement{Params: p, Compress: client, Decompress: server}
			if role == RoleServer {
				a.Compress, a.Decompress = server, client
			}
			agreed = &a
		}
		break
	}
	return newConn(conn, role, opts, opts.Subprotocol, opts.BufferedReader, opts.Leftover, agreed)
}

// newConn is NewConn with the per-connection parts apart from o, which it
// only reads (so that Accept need not copy it): the subprotocol, the
// reader or bytes already read, and permessage-deflate's agreement, if
// any, already made (by the handshake of Dial or Accept).
func newConn(conn io.ReadWriteCloser, role Role, o *ConnOptions, proto string, br *bufio.Reader, leftover []byte, agreed *deflate.Agreement) *Conn {
	c := &Conn{
		rwc:   conn,
		role:  role,
		proto: proto,
	}
	// Each step is a function of its own, so that their frames are not on
	// the stack together (see Accept).
	_, c.vectored = conn.(*net.TCPConn)
	c.flog = frameLogger(o.Logger)
	c.initWatches()
	c.initReader(br, leftover, readBufferSize(o))
	if len(o.Values) > 0 {
		c.copyValues(o.Values)
	}
	c.mr.c = c
	c.mw.c = c
	c.initEndpoint(o, agreed)
	return c
}

// initReader sets up the read buffer, of readBuf bytes, over br (a
// caller's reader over the connection) or the connection, after leftover,
// what was already read from it.
func (c *Conn) initReader(br *bufio.Reader, leftover []byte, readBuf int) {
	if br != nil {
		c.in.init(br, readBuf, leftover)
		return
	}
	c.in.init(c.rwc, readBuf, leftover)
}

// copyValues gives the Conn its own copy of the per-connection values.
func (c *Conn) copyValues(values map[any]any) {
	c.values = make(map[any]any, len(values))
	for k, v := range values {
		c.values[k] = v
	}
}

// initEndpoint applies o's limits and timers to the Conn and its
// endpoint, and permessage-deflate's agreement, if any.
func (c *Conn) initEndpoint(o *ConnOptions, agreed *deflate.Agreement) {
	var eo endpoint.Options
	pingInterval := c.configure(o, &eo)
	if agreed != nil {
		c.setCompression(*agreed, o.Compression)
		eo.Deflate = &deflate.Agreement{Decompress: agreed.Decompress}
	}
	c.ep.Init(eo)
	c.state.Store(int32(StateOpen))
	if pingInterval > 0 {
		c.ep.Tick(c.now())
		c.scheduleTimer()
	}
}

// configure sets the Conn's part of o's settings and the endpoint's in
// eo, and returns the keepalive interval (<=0 for none).
func (c *Conn) configure(o *ConnOptions, eo *endpoint.Options) time.Duration {
	cfg := newConfig(o, c.role)
	c.cfg = connConfig{closeTimeout: cfg.closeTimeout, onPing: cfg.onPing, onPong: cfg.onPong, writeBuf: cfg.writeBuf,
		maxMessage: cfg.maxMessage, maxStream: cfg.maxStream, budget: cfg.budget}
	eo.Role = c.role
	// A message that arrives before the application reads it is held to
	// the larger limit; Read and Reader set their own (nextMessage).
	eo.MaxMessageSize = cfg.maxStream
	eo.MaxFrameSize = cfg.maxFrame
	eo.PingInterval = int64(max(cfg.pingInterval, 0))
	eo.PongTimeout = int64(cfg.pongTimeout)
	eo.PingPayload = cfg.pingPayload
	eo.Lock = &c.epmu
	if c.flog != nil {
		eo.OnFrame = c.logEndpointFrame
	}
	return cfg.pingInterval
}

// logEndpointFrame logs a frame the endpoint received or queued.
func (c *Conn) logEndpointFrame(sent bool, h wire.Header) {
	if sent {
		c.logFrame("out", h)
	} else {
		c.logFrame("in", h)
	}
}

// minReadBuffer holds the largest control frame, header and payload, so
// that one can be examined whole before any of it is consumed.
const minReadBuffer = 256

// Role reports which side of the connection this endpoint is.
func (c *Conn) Role() Role { return c.role }

// State reports where the connection is in its life.
func (c *Conn) State() State { return State(c.state.Load()) }

// Subprotocol returns the subprotocol agreed in the handshake, or "".
func (c *Conn) Subprotocol() string { return c.proto }

// Extensions returns the extensions agreed in the handshake.
func (c *Conn) Extensions() []handshake.Extension {
	if c.z == nil {
		return nil
	}
	return c.z.exts
}

// LocalAddr returns the local network address, or nil when the connection
// is not a net.Conn.
func (c *Conn) LocalAddr() net.Addr {
	if nc, ok := c.rwc.(net.Conn); ok {
		return nc.LocalAddr()
	}
	return nil
}

// RemoteAddr returns the peer's network address, or nil when the connection
// is not a net.Conn.
func (c *Conn) RemoteAddr() net.Addr {
	if nc, ok := c.rwc.(net.Conn); ok {
		return nc.RemoteAddr()
	}
	return nil
}

// UnderlyingConn returns the connection the Conn runs over (the TCP or TLS
// connection, or what NewConn was given). Reading from or writing to it
// directly corrupts the WebSocket stream; it is there for socket options
// and addresses. For a net.Conn that carries data as messages, see
// [NetConn].
func (c *Conn) UnderlyingConn() io.ReadWriteCloser { return c.rwc }

// Value returns the per-connection value stored under key, or nil.
func (c *Conn) Value(key any) any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.values[key]
}

// SetValue stores a per-connection value under key, for handshake hooks,
// handlers and registries to share.
func (c *Conn) SetValue(key, value any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.values == nil {
		c.values = make(map[any]any)
	}
	c.values[key] = value
}

// transportClosed reports whether closeTransport has closed rwc.
func (c *Conn) transportClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rwcClosed
}

// doneChan returns the channel closed once the underlying connection is
// closed. It is made by the first caller, which most connections never
// have: they end without anyone waiting for it.
func (c *Conn) doneChan() chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		c.done = make(chan struct{})
		if c.rwcClosed {
			close(c.done)
		}
	}
	return c.done
}

// A watch ties a context to the reads, or to the writes, of the underlying
// connection: when the context ends, the pending I/O is interrupted through
// a deadline in the past, or by closing a connection that has no deadlines.
// The registration stays in place while calls keep using the same context,
// so a loop that reads with one context registers once, not once per read;
// the holder of rsem (for reads) or fsem (for writes) owns it.
//
// The two directions share a registration when they are given the same
// context, as the README's handler does with its request's: one
// context.AfterFunc (some 400 bytes and a child entry in the request's
// context) per connection instead of two. The watch whose registration it
// is holds stop; the other only takes note of the Done channel, and takes
// stop over when the holder moves on to another context.
//
// Both directions' state is guarded by the Conn's wmu, with one exception
// that keeps the lock off every read and write: a call that goes on with
// the context of the last one only sets the active bit of state, and one
// that ends only clears it, each an atomic operation, since the owner is
// then the only writer of done and interrupt sets the fired bit
// atomically too. Whichever of interrupt and ended comes second sees the
// other's bit: interrupt then sets the deadline, or ended finishes under
// wmu, after interrupt has.
type watch struct {
	done <-chan struct{} // the Done channel watched, nil for none; written by the owner, under wmu
	stop func() bool     // the registration for done, unless the other watch holds it

	state     atomic.Uint32 // watchActive, watchFired
	deadlines bool          // the connection has deadlines in this direction
	write     bool          // the watch is for writes
}

// Bits of watch.state.
const (
	watchActive = 1 << iota // a call is in progress
	watchFired              // the watched context has ended
)

// watching is a call's use of a watch, from watchRead or watchWrite to
// ended; the zero value is a call whose context never ends.
type watching struct {
	c *Conn
	w *watch
}

type readDeadliner interface{ SetReadDeadline(time.Time) error }
type writeDeadliner interface{ SetWriteDeadline(time.Time) error }

var past = time.Unix(1, 0)

func (c *Conn) initWatches() {
	_, c.rwatch.deadlines = c.rwc.(readDeadliner)
	_, c.wwatch.deadlines = c.rwc.(writeDeadliner)
	c.wwatch.write = true
}

// other is the watch of the other direction than w's.
func (c *Conn) other(w *watch) *watch {
	if w.write {
		return &c.rwatch
	}
	return &c.wwatch
}

// setDeadline sets the connection's deadline in w's direction; w has
// deadlines. No method value of the connection's is kept, which would be
// two allocations per connection.
func (c *Conn) setDeadline(w *watch, t time.Time) {
	if w.write {
		c.rwc.(writeDeadliner).SetWriteDeadline(t)
	} else {
		c.rwc.(readDeadliner).SetReadDeadline(t)
	}
}

// watchRead arranges for a read blocked on the connection to return when ctx
// ends. What it returns must be ended when the read is over; ended reports
// whether the context interrupted it.
func (c *Conn) watchRead(ctx context.Context) watching { return c.begin(&c.rwatch, ctx) }

func (c *Conn) watchWrite(ctx context.Context) watching { return c.begin(&c.wwatch, ctx) }

func (c *Conn) begin(w *watch, ctx context.Context) watching {
	done := ctx.Done()
	if done == w.done {
		switch {
		case done == nil:
			// A context that never ends, as the last call's: nothing to
			// watch, and no registration (only a watch with a Done
			// channel is handed one).
			return watching{}
		case w.state.CompareAndSwap(0, watchActive):
			return watching{c, w}
		}
	}
	return c.beginSlow(w, ctx, done)
}

// beginSlow is begin for a context other than the last call's, or one that
// has ended.
//
//go:noinline
func (c *Conn) beginSlow(w *watch, ctx context.Context, done <-chan struct{}) watching {
	c.wmu.Lock()
	stop := c.leave(w)
	if done == nil {
		c.wmu.Unlock()
		if stop != nil {
			stop()
		}
		return watching{}
	}
	w.done = done
	w.state.Store(watchActive)
	if o := c.other(w); o.done != done || o.state.Load()&watchFired != 0 {
		// No registration for done yet. AfterFunc runs its function in a
		// goroutine of its own, even for a context that has ended, so it
		// can be called with wmu held.
		w.stop = context.AfterFunc(ctx, func() { c.interrupt(done) })
	}
	c.wmu.Unlock()
	if stop != nil {
		stop()
	}
	return watching{c, w}
}

// leave drops what w watches, handing its registration to the other watch
// if that one still uses it, and returns the registration to stop (outside
// wmu), if any. The caller holds wmu.
func (c *Conn) leave(w *watch) (stop func() bool) {
	stop = w.stop
	if o := c.other(w); stop != nil && o.done == w.done && o.state.Load()&watchFired == 0 {
		o.stop, stop = stop, nil
	}
	w.done, w.stop = nil, nil
	w.state.Store(0)
	return stop
}

// interrupt runs when the context whose Done channel is done ends, for
// each watch on it. Between calls it only takes note; the next call with
// that context registers again and is interrupted at once.
func (c *Conn) interrupt(done <-chan struct{}) {
	c.wmu.Lock()
	closeNow := false
	for _, w := range [2]*watch{&c.rwatch, &c.wwatch} {
		if w.done != done {
			continue
		}
		switch old := w.state.Or(watchFired); {
		case old&watchActive == 0:
		case w.deadlines:
			c.setDeadline(w, past)
		default:
			closeNow = true
		}
	}
	c.wmu.Unlock()
	if closeNow {
		c.closeTransport()
	}
}

// ended ends a call begun with begin and reports whether its context
// interrupted it. An interrupted call leaves no registration and no
// deadline behind, so the connection is usable with another context.
func (s watching) ended() bool {
	c, w := s.c, s.w
	if w == nil {
		return false
	}
	if w.state.And(^uint32(watchActive))&watchFired == 0 {
		return false
	}
	c.wmu.Lock() // after interrupt, which holds it while it sets the deadline
	c.clearFired(w)
	c.wmu.Unlock()
	return true
}

// clearFired is ended's work for a call that its context interrupted: the
// registration has run, nothing to stop. It is a function of its own, so
// that ended, called at the end of every read and write, stays small and
// needs no defer. The caller holds wmu.
//
//go:noinline
func (c *Conn) clearFired(w *watch) {
	w.done, w.stop = nil, nil
	w.state.Store(0)
	if w.deadlines {
		c.setDeadline(w, time.Time{})
	}
}

// releaseWatches drops both directions' registrations, when the
// connection closes, so that a long-lived context does not keep the Conn.
func (c *Conn) releaseWatches() {
	c.wmu.Lock()
	rstop, wstop := c.rwatch.stop, c.wwatch.stop
	// done is left: only the owner writes it. A call that comes after
	// with the same context finds the connection closed.
	c.rwatch.stop, c.wwatch.stop = nil, nil
	c.wmu.Unlock()
	if rstop != nil {
		rstop()
	}
	if wstop != nil {
		wstop()
	}
}

// newMask returns a fresh masking key (RFC 6455 §5.3: unpredictable, from a
// strong source). The generator is ChaCha8 seeded from crypto/rand, owned by
// the holder of fsem.
func (c *Conn) newMask() [4]byte {
	if c.maskRNG == nil {
		var seed [32]byte
		crand.Read(seed[:])
		c.maskRNG = rand.NewChaCha8(seed)
	}
	v := c.maskRNG.Uint64()
	return [4]byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}
}

// endErr returns the error that ended the connection, for a caller that
// knows it has ended.
func (c *Conn) endErr() error {
	if ce := c.closeErr.Load(); ce != nil {
		return ce
	}
	return ErrClosed
}

// sendDeflate is the compression of the messages a Conn sends. comp and
// zbuf belong to the holder of msem.
type sendDeflate struct {
	comp      *deflate.Compressor
	compFlow  deflate.Flow
	compLevel int
	off       atomic.Bool
	threshold int
	zbuf      []byte
	zidle     *time.Timer
	exts      []handshake.Extension // the agreed extension, for Extensions
}

// setCompression turns permessage-deflate on with agreement a.
func (c *Conn) setCompression(a deflate.Agreement, o *CompressionOptions) {
	level, threshold := 0, DefaultCompressionThreshold
	if o != nil {
		level = o.Level
		if o.Threshold != 0 {
			threshold = max(o.Threshold, 0)
		}
	}
	c.z = &sendDeflate{}
	c.z.comp = deflate.NewCompressor(a.Compress, level)
	c.z.compFlow, c.z.compLevel = a.Compress, level
	c.z.threshold = threshold
	c.z.zidle = time.AfterFunc(time.Hour, c.releaseCompressor)
	c.z.zidle.Stop()
	c.z.exts = []handshake.Extension{a.Params.Extension()}
}

// SetCompression turns compression of the messages this side sends on or
// off from the next message on, when permessage-deflate was agreed; without
// it, SetCompression does nothing. Received messages are inflated either
// way.
func (c *Conn) SetCompression(on bool) {
	if c.z != nil {
		c.z.off.Store(!on)
	}
}

// Compressed reports whether permessage-deflate was agreed.
func (c *Conn) Compressed() bool { return c.z != nil }
