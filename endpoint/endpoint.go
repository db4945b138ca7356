// Package endpoint is one WebSocket connection's protocol state machine,
// in either role, without I/O (RFC 6455, RFC 7692): it is fed the bytes
// that arrive and returns events, it appends the bytes to send to a
// caller's buffer, and it is told the time and says when its next timer is
// due. It reads no clock, starts no goroutine and touches no socket, so the
// same code serves a blocking connection with a goroutine per peer, an event
// loop with none, and tests that feed it bytes.
//
// Every protocol decision lives here once: frame validation against role
// and state, message limits (1009 before a payload is read), incremental
// UTF-8 (1007), inflating compressed messages, the pong to a ping, the
// echo of a close frame, failing with the code [wire.CloseCodeFor] gives
// and never the error's text, the states of the closing handshake, and
// keepalive.
//
// A driver's loop, in outline:
//
//	for {
//		n, err := e.Receive(buf, &ev)  // buf: bytes read from the transport
//		buf = buf[n:]
//		// act on ev: a message piece, a ping, a pong, the peer's close
//		out = e.AppendOutgoing(out[:0]) // pongs, close frames, keepalive pings
//		// write out; on err, write out and end the connection
//	}
//
// Payload pieces of an uncompressed message are slices of the bytes given
// to Receive, unmasked in place, so a driver that reads a large payload
// straight into the application's buffer (see [Endpoint.PayloadWant]) gets
// it there checked and counted, without a copy. A compressed message's
// payload is taken into a push-mode [deflate.Inflater] and read out with
// [Endpoint.Inflate] into the caller's buffer.
package endpoint

import (
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"

	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/wire"
)

// DefaultMaxMessageSize is the largest message accepted when
// Options.MaxMessageSize is 0: 32 MiB.
const DefaultMaxMessageSize = 32 << 20

// Options configure an Endpoint. The zero value, with Role set, is a
// connection without compression or keepalive that accepts messages up to
// DefaultMaxMessageSize.
type Options struct {
	// Role is the side this endpoint plays; it decides masking
	// (RFC 6455 §5.1).
	Role wire.Role

	// ExtensionRSV, for a driver that implements an extension itself
	// (with Deflate nil), holds the RSV bits that extension agreed
	// (RFC 6455 §5.2): frames carrying them pass validation, and a message
	// whose first frame carries them is handed out as Data as it arrived,
	// without the UTF-8 check, for the driver to decode and check. A
	// conformance tester with its own inflater is such a driver.
	ExtensionRSV byte

	// MaxMessageSize is the largest message accepted, in payload bytes as
	// the application receives them (inflated, for a compressed message);
	// 0 means DefaultMaxMessageSize and a negative value no limit.
	// SetMessageLimit changes it for one message.
	MaxMessageSize int64

	// MaxFrameSize is the largest payload accepted in one frame; 0 means no
	// limit of its own.
	MaxFrameSize int64

	// Deflate, when set, turns permessage-deflate on with this agreement
	// (RFC 7692); Level is the compression level and Threshold the size
	// below which a whole message is sent uncompressed.
	Deflate   *deflate.Agreement
	Level     int
	Threshold int

	// PingInterval, in nanoseconds of the driver's clock, is how often a
	// keepalive ping is sent; 0 means none. PongTimeout is how long its
	// pong may take before the connection is failed with 1011
	// (ErrPongTimeout); 0 means PingInterval. PingPayload is the keepalive
	// ping's payload; empty means an 8-byte sequence number.
	PingInterval int64
	PongTimeout  int64
	PingPayload  []byte

	// CloseTimeout, in nanoseconds, bounds the closing handshake from the
	// first close frame sent or received; 0 means no bound.
	CloseTimeout int64

	// Mask returns a fresh masking key for each frame a client sends
	// (RFC 6455 §5.3). Nil means a ChaCha8 generator seeded from
	// crypto/rand.
	Mask func() [4]byte

	// OnFrame, when set, is called with the header of every frame received
	// that passed validation (sent false), and of every control frame
	// queued to be sent (sent true), for logging.
	OnFrame func(sent bool, h wire.Header)

	// Lock, when set, is held around every access to the state that the
	// receiving side and the sending side share (the close state, the
	// outgoing control frames, the timers), so that one goroutine may call
	// Receive and Inflate while others send. Receiving a data payload never
	// takes it. Nil for a driver that makes all calls from one goroutine.
	Lock interface {
		Lock()
		Unlock()
	}
}

// State is where the endpoint is in the connection's life (RFC 6455 §7).
type State uint8

const (
	// StateOpen: messages flow both ways.
	StateOpen State = iota + 1
	// StateClosing: a close frame was sent or received, not both.
	StateClosing
	// StateClosed: the closing handshake is over, or the connection failed.
	// A server closes the transport once its pending bytes are written; a
	// client waits (within CloseTimeout) for the server to close it first
	// (RFC 6455 §7.1.1).
	StateClosed
)

func (s State) String() string {
	switch s {
	case StateOpen:
		return "open"
	case StateClosing:
		return "closing"
	case StateClosed:
		return "closed"
	}
	return "unknown"
}

// Errors of the endpoint itself. Peer violations are the *wire.ProtocolError
// sentinels of package wire (and deflate.ErrCorrupt).
var (
	// ErrPongTimeout fails the connection (1011) when a keepalive ping got
	// no pong within the pong timeout.
	ErrPongTimeout = errors.New("endpoint: no pong to a keepalive ping in time")

	// ErrCloseTimeout is returned by Tick when the closing handshake took
	// longer than the close timeout; the driver drops the connection.
	ErrCloseTimeout = errors.New("endpoint: close handshake timed out")

	// ErrClosing is returned for a data message or ping sent after a close
	// frame went out (RFC 6455 §5.5.1).
	ErrClosing = errors.New("endpoint: the connection is closing")

	// ErrInvalidUTF8 is returned for a text message to send that is not
	// UTF-8 (RFC 6455 §8.1); nothing is sent.
	ErrInvalidUTF8 = errors.New("endpoint: text message is not valid UTF-8")

	// ErrCloseCode is returned by Close for a code that may not be sent
	// (RFC 6455 §7.4).
	ErrCloseCode = errors.New("endpoint: close code may not be sent")

	// ErrMessageInProgress is returned for a whole message, or a new
	// fragmented one, sent while a fragmented message is unfinished
	// (RFC 6455 §5.4), and for a continuation with none in progress.
	ErrMessageInProgress = errors.New("endpoint: fragmented message in progress")
)

// Endpoint is one connection's protocol state. Its methods fall in three
// groups, each for one goroutine at a time: the receiving side (Receive,
// Inflate, PayloadWant), the sending side (AppendMessage, AppendFragment)
// and the shared state (everything else), which Options.Lock guards when
// the groups are used from different goroutines.
type Endpoint struct {
	o settings

	r recvState
	s *sendState // made at the first message sent

	// Shared state, under lock.
	failure                                error                         // why this side failed the connection, sticky
	pong                                   *[wire.MaxControlPayload]byte // the pong to send, made at the first ping
	q                                      []byte                        // control frames queued besides the pong, in order
	now                                    int64                         // the time of the latest Tick
	nextPing                               int64                         // when the next keepalive ping is due, 0 for none
	pongDue                                int64                         // when the outstanding keepalive ping times out, 0 for none
	pingAt                                 int64                         // when it was sent
	pingSeq                                uint64                        // of the latest keepalive ping, when PingPayload is empty
	closeDue                               int64                         // when the closing handshake times out, 0 for none
	rng                                    *rand.ChaCha8
	npong                                  uint8
	state                                  State
	closeSent, closeRecv, havePong, ticked bool
	closeCode                              wire.StatusCode // a close frame with this code and no reason waits to be sent, after q; 0 for none
}

// New returns an endpoint in StateOpen, as after a successful opening
// handshake. Keepalive starts with the first Tick.
func New(o Options) *Endpoint {
	e := new(Endpoint)
	e.Init(o)
	return e
}

// Init makes e a new endpoint with options o, as New does, for a driver
// that keeps its Endpoint inside its own per-connection struct (one
// allocation less per connection). e must not be in use.
func (e *Endpoint) Init(o Options) {
	if o.MaxMessageSize == 0 {
		o.MaxMessageSize = DefaultMaxMessageSize
	}
	if o.PongTimeout <= 0 {
		o.PongTimeout = o.PingInterval
	}
	// Field by field, not from a composite literal: that would build the
	// whole Endpoint on the stack first, a frame large enough to grow the
	// stack of the goroutine that opens a connection.
	*e = Endpoint{}
	e.o = settingsOf(o)
	e.state = StateOpen
	e.r.limit = o.MaxMessageSize
	e.r.val = wire.Validator{Role: o.Role, MaxFrameSize: max(o.MaxFrameSize, 0), ExtensionRSV: o.ExtensionRSV}
	if a := o.Deflate; a != nil {
		e.r.val.ExtensionRSV |= wire.RSV1
		e.r.z = deflate.NewInflater(a.Decompress)
	}
}

// settings is what an endpoint keeps of its Options. The hooks, which few
// drivers set, are behind a pointer, made only when one is: an idle
// connection of an event-loop driver is mostly its endpoint.
type settings struct {
	MaxMessageSize int64
	Deflate        *deflate.Agreement
	PingInterval   int64
	PongTimeout    int64
	CloseTimeout   int64
	Lock           interface {
		Lock()
		Unlock()
	}
	hooks        *hooks
	Level        int32 // Options.Level, within the range of an int32 (clamp32)
	Threshold    int32
	Role         wire.Role
	ExtensionRSV byte
}

type hooks struct {
	pingPayload []byte
	mask        func() [4]byte
	onFrame     func(sent bool, h wire.Header)
}

func settingsOf(o Options) settings {
	s := settings{Role: o.Role, ExtensionRSV: o.ExtensionRSV, MaxMessageSize: o.MaxMessageSize,
		Deflate: o.Deflate, Level: clamp32(o.Level), Threshold: clamp32(o.Threshold),
		PingInterval: o.PingInterval, PongTimeout: o.PongTimeout, CloseTimeout: o.CloseTimeout, Lock: o.Lock}
	if len(o.PingPayload) > 0 || o.Mask != nil || o.OnFrame != nil {
		s.hooks = &hooks{o.PingPayload, o.Mask, o.OnFrame}
	}
	return s
}

// clamp32 is n, or the int32 nearest to it.
func clamp32(n int) int32 { return int32(max(min(n, math.MaxInt32), math.MinInt32)) }

func (s *settings) pingPayload() []byte {
	if s.hooks == nil {
		return nil
	}
	return s.hooks.pingPayload
}

func (s *settings) mask() func() [4]byte {
	if s.hooks == nil {
		return nil
	}
	return s.hooks.mask
}

func (s *settings) onFrame() func(sent bool, h wire.Header) {
	if s.hooks == nil {
		return nil
	}
	return s.hooks.onFrame
}

// lock returns Options.Lock, or a locker that does nothing; it is not a
// field of its own, which would cost every connection 16 bytes.
func (e *Endpoint) lock() locker { return locker{e.o.Lock} }

// locker holds Options.Lock, or nothing.
type locker struct {
	l interface {
		Lock()
		Unlock()
	}
}

func (l locker) Lock() {
	if l.l != nil {
		l.l.Lock()
	}
}

func (l locker) Unlock() {
	if l.l != nil {
		l.l.Unlock()
	}
}

// Role returns the endpoint's role.
func (e *Endpoint) Role() wire.Role { return e.o.Role }

// State returns where the connection is in its life.
func (e *Endpoint) State() State {
	e.lock().Lock()
	defer e.lock().Unlock()
	return e.state
}

// Err returns the error this side failed the connection with, or nil.
func (e *Endpoint) Err() error {
	e.lock().Lock()
	defer e.lock().Unlock()
	return e.failure
}

// CloseSent reports whether a close frame has been queued or sent; after
// it no data frame may go out (RFC 6455 §5.5.1).
func (e *Endpoint) CloseSent() bool {
	e.lock().Lock()
	defer e.lock().Unlock()
	return e.closeSent
}

// Fail fails the connection because of cause (RFC 6455 §7.1.7): a close
// frame with the code wire.CloseCodeFor(cause) and that code's name as its
// reason (never cause's text) is queued, unless one was sent already, and
// the endpoint is closed. It returns cause, or the earlier failure when the
// connection had already failed.
func (e *Endpoint) Fail(cause error) error {
	e.lock().Lock()
	defer e.lock().Unlock()
	return e.failLocked(cause)
}

func (e *Endpoint) failLocked(cause error) error {
	if e.failure != nil {
		return e.failure
	}
	e.failure = cause
	if !e.closeSent && !e.closeRecv {
		code := wire.CloseCodeFor(cause)
		e.queueCloseLocked(code, code.String())
	}
	e.closeSent = true
	e.state = StateClosed
	e.nextPing, e.pongDue = 0, 0
	return cause
}

// Close starts the closing handshake (RFC 6455 §7.1.2): a close frame with
// code and reason is queued and the close timeout starts from the latest
// Tick. code must be one that may be sent (1000–1003, 1007–1014,
// 3000–4999), or StatusNoStatusRcvd for a close frame without a code; a
// reason longer than 123 bytes is cut on a UTF-8 boundary. Close after a
// close frame went out returns ErrClosing.
func (e *Endpoint) Close(code wire.StatusCode, reason string) error {
	if code != wire.StatusNoStatusRcvd && !code.ValidOnWire() {
		return ErrCloseCode
	}
	e.lock().Lock()
	defer e.lock().Unlock()
	if e.closeSent || e.failure != nil {
		return ErrClosing
	}
	e.queueCloseLocked(code, reason)
	e.closeSent = true
	e.nextPing, e.pongDue = 0, 0
	if e.closeRecv {
		e.state = StateClosed
	} else {
		e.state = StateClosing
		e.startCloseTimerLocked()
	}
	return nil
}

func (e *Endpoint) startCloseTimerLocked() {
	if e.o.CloseTimeout > 0 && e.closeDue == 0 {
		e.closeDue = e.now + e.o.CloseTimeout
	}
}

// Ping queues a ping with payload (at most 125 bytes, RFC 6455 §5.5).
func (e *Endpoint) Ping(payload []byte) error {
	if len(payload) > wire.MaxControlPayload {
		return wire.ErrControlTooLong
	}
	e.lock().Lock()
	defer e.lock().Unlock()
	if e.closeSent {
		return ErrClosing
	}
	e.queueLocked(wire.OpPing, payload)
	return nil
}

// queueLocked appends a control frame to the queue.
func (e *Endpoint) queueLocked(op wire.Opcode, payload []byte) {
	h := wire.Header{Fin: true, Opcode: op, Length: int64(len(payload))}
	if e.o.Role == wire.RoleClient {
		h.Masked, h.Mask = true, e.maskKey(&e.rng)
	}
	if f := e.o.onFrame(); f != nil {
		f(true, h)
	}
	e.q = wire.AppendFrame(e.q, h, payload)
}

func (e *Endpoint) queueCloseLocked(code wire.StatusCode, reason string) {
	e.havePong = false // nothing may follow a close frame
	if reason != "" {
		e.queueCloseReason(code, reason)
		return
	}
	// Noted, and framed by AppendOutgoing straight into the caller's
	// buffer after the queue: a close is the last frame ever queued
	// (closeSent), and the queue is not made for it, an allocation deep in
	// a reading goroutine's stack for most connections' last frame.
	e.closeCode = code
}

// queueCloseReason queues a close frame with a reason. Its 125-byte
// payload array is in a frame of its own, off the path of the echo.
//
//go:noinline
func (e *Endpoint) queueCloseReason(code wire.StatusCode, reason string) {
	var p [wire.MaxControlPayload]byte
	e.queueLocked(wire.OpClose, wire.AppendClosePayload(p[:0], code, reason))
}

// HasOutgoing reports whether control frames wait to be sent.
func (e *Endpoint) HasOutgoing() bool {
	e.lock().Lock()
	defer e.lock().Unlock()
	return e.havePong || len(e.q) > 0 || e.closeCode != 0
}

// AppendOutgoing appends the control frames waiting to be sent (the pong
// to the latest ping, close frames, pings) to dst and returns the extended
// slice; they are then the caller's to write, in that order, between data
// frames.
func (e *Endpoint) AppendOutgoing(dst []byte) []byte {
	// Unlocked without defer, and the pong framed in a function of its
	// own, to keep this frame small: a Conn's answer to the peer's close
	// frame is appended deep in a reading goroutine's stack.
	e.lock().Lock()
	if e.havePong {
		dst = e.appendPong(dst)
	}
	dst = append(dst, e.q...)
	if cap(e.q) > 4<<10 {
		e.q = nil
	} else {
		e.q = e.q[:0]
	}
	if e.closeCode != 0 {
		dst = e.appendClose(dst)
	}
	e.lock().Unlock()
	return dst
}

// appendPong appends the pong to the latest ping.
func (e *Endpoint) appendPong(dst []byte) []byte {
	h := wire.Header{Fin: true, Opcode: wire.OpPong, Length: int64(e.npong)}
	if e.o.Role == wire.RoleClient {
		h.Masked, h.Mask = true, e.maskKey(&e.rng)
	}
	if f := e.o.onFrame(); f != nil {
		f(true, h)
	}
	e.havePong = false
	return wire.AppendFrame(dst, h, e.pong[:e.npong])
}

// appendClose appends the close frame noted in closeCode, which it clears.
func (e *Endpoint) appendClose(dst []byte) []byte {
	// The payload is the code alone (RFC 6455 §5.5.1), or nothing for
	// StatusNoStatusRcvd, as wire.AppendClosePayload makes it; written
	// here, since that function's frame is large for where this runs.
	var p [2]byte
	payload := p[:0]
	if e.closeCode != wire.StatusNoStatusRcvd {
		binary.BigEndian.PutUint16(p[:], uint16(e.closeCode))
		payload = p[:]
	}
	e.closeCode = 0
	h := wire.Header{Fin: true, Opcode: wire.OpClose, Length: int64(len(payload))}
	if e.o.Role == wire.RoleClient {
		h.Masked, h.Mask = true, e.maskKey(&e.rng)
	}
	if f := e.o.onFrame(); f != nil {
		f(true, h)
	}
	return wire.AppendFrame(dst, h, payload)
}

// maskKey returns a masking key from *rng: the shared state's generator,
// under the lock, or the sending side's.
func (e *Endpoint) maskKey(rng **rand.ChaCha8) [4]byte {
	if f := e.o.mask(); f != nil {
		return f()
	}
	if *rng == nil {
		var seed [32]byte
		crand.Read(seed[:])
		*rng = rand.NewChaCha8(seed)
	}
	v := (*rng).Uint64()
	return [4]byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}
}
