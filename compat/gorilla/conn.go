package websocket

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	wskit "github.com/wskit/websocket"
	"github.com/wskit/websocket/internal/deadline"
	"github.com/wskit/websocket/wire"
)

// The message types (RFC 6455 §11.8).
const (
	TextMessage   = 1
	BinaryMessage = 2
	CloseMessage  = 8
	PingMessage   = 9
	PongMessage   = 10
)

// The close codes (RFC 6455 §7.4.1).
const (
	CloseNormalClosure           = 1000
	CloseGoingAway               = 1001
	CloseProtocolError           = 1002
	CloseUnsupportedData         = 1003
	CloseNoStatusReceived        = 1005
	CloseAbnormalClosure         = 1006
	CloseInvalidFramePayloadData = 1007
	ClosePolicyViolation         = 1008
	CloseMessageTooBig           = 1009
	CloseMandatoryExtension      = 1010
	CloseInternalServerErr       = 1011
	CloseServiceRestart          = 1012
	CloseTryAgainLater           = 1013
	CloseTLSHandshake            = 1015
)

var (
	// ErrCloseSent is returned by a write after a close message was sent
	// or received.
	ErrCloseSent = errors.New("websocket: close sent")

	// ErrReadLimit is returned by a read of a message above the read
	// limit; the connection is then closed with 1009.
	ErrReadLimit = errors.New("websocket: read limit exceeded")

	// ErrBadHandshake is returned by Dial when the server does not accept
	// the handshake; the response is returned with it.
	ErrBadHandshake = errors.New("websocket: bad handshake")

	errBadWriteOpCode = errors.New("websocket: bad write message type")
)

// CloseError is the close frame that ended the connection, or 1006 for a
// connection lost without one.
type CloseError struct {
	Code int    // the close code
	Text string // the reason

	err error // wskit's *CloseError
}

func (e *CloseError) Error() string {
	s := "websocket: close " + strconv.Itoa(e.Code)
	if name := wire.StatusCode(e.Code).String(); name != "" {
		s += " (" + name + ")"
	}
	if e.Text != "" {
		s += ": " + e.Text
	}
	return s
}

// Unwrap returns wskit's *websocket.CloseError, whose Err says what a
// peer that broke the protocol did (errors.Is(err, wire.ErrInvalidUTF8)).
func (e *CloseError) Unwrap() error { return e.err }

// IsCloseError reports whether err is a *CloseError with one of codes.
func IsCloseError(err error, codes ...int) bool {
	var e *CloseError
	if errors.As(err, &e) {
		for _, c := range codes {
			if e.Code == c {
				return true
			}
		}
	}
	return false
}

// IsUnexpectedCloseError reports whether err is a *CloseError with a code
// not in expectedCodes.
func IsUnexpectedCloseError(err error, expectedCodes ...int) bool {
	var e *CloseError
	if errors.As(err, &e) {
		for _, c := range expectedCodes {
			if e.Code == c {
				return false
			}
		}
		return true
	}
	return false
}

// FormatCloseMessage returns the payload of a close message with code and
// text; for CloseNoStatusReceived, an empty one (RFC 6455 §5.5.1).
func FormatCloseMessage(closeCode int, text string) []byte {
	if closeCode == CloseNoStatusReceived {
		return []byte{}
	}
	buf := make([]byte, 2+len(text))
	binary.BigEndian.PutUint16(buf, uint16(closeCode))
	copy(buf[2:], text)
	return buf
}

// Conn is a WebSocket connection. One goroutine may read at a time (the
// Next/Read methods and the handlers they call); any number may write.
type Conn struct {
	c      *wskit.Conn
	rd, wd *deadline.Context

	readLimit atomic.Int64 // 0 for wskit's own limit only
	reader    io.Reader    // the current message's, for NextReader

	mu           sync.Mutex
	pingHandler  func(string) error
	pongHandler  func(string) error
	closeHandler func(int, string) error
}

// newConn makes the Conn whose wskit connection setConn will attach; the
// handlers must exist before the connection reads.
func newConn() *Conn {
	return &Conn{rd: deadline.New(context.Background()), wd: deadline.New(context.Background())}
}

// options returns the wskit options that call the Conn's handlers.
func (c *Conn) options(readBuf, writeBuf int, compress bool) wskit.ConnOptions {
	o := wskit.ConnOptions{
		ReadBufferSize:  readBuf,
		WriteBufferSize: writeBuf,
		OnPing: func(p []byte) {
			if h := c.PingHandler(); h != nil {
				h(string(p))
			}
		},
		OnPong: func(p []byte) {
			if h := c.PongHandler(); h != nil {
				h(string(p))
			}
		},
	}
	if compress {
		o.Compression = &wskit.CompressionOptions{}
	}
	return o
}

func (c *Conn) attach(wc *wskit.Conn) *Conn {
	c.c = wc
	return c
}

// Wskit returns the wskit connection underneath.
func (c *Conn) Wskit() *wskit.Conn { return c.c }

// Subprotocol returns the subprotocol agreed in the handshake.
func (c *Conn) Subprotocol() string { return c.c.Subprotocol() }

// Close closes the connection without a close frame, as gorilla's does.
// Send a close message first (WriteControl) for a clean close.
func (c *Conn) Close() error { return c.c.CloseNow() }

// LocalAddr returns the local network address.
func (c *Conn) LocalAddr() net.Addr { return c.c.LocalAddr() }

// RemoteAddr returns the peer's network address.
func (c *Conn) RemoteAddr() net.Addr { return c.c.RemoteAddr() }

// UnderlyingConn returns the connection underneath. Reading from or writing
// to it corrupts the WebSocket stream.
func (c *Conn) UnderlyingConn() net.Conn {
	nc, _ := c.c.UnderlyingConn().(net.Conn)
	return nc
}

// NetConn is UnderlyingConn.
func (c *Conn) NetConn() net.Conn { return c.UnderlyingConn() }

// SetReadDeadline sets the deadline for reads, including one in progress;
// the zero time means none. A read that passes it returns a timeout and
// leaves the connection usable.
func (c *Conn) SetReadDeadline(t time.Time) error { c.rd.Set(t); return nil }

// SetWriteDeadline sets the deadline for writes; the zero time means none.
func (c *Conn) SetWriteDeadline(t time.Time) error { c.wd.Set(t); return nil }

// SetReadLimit sets the largest message read, in bytes; a larger one
// closes the connection with 1009 and returns ErrReadLimit. wskit's own
// limit (32 MiB) applies as well.
func (c *Conn) SetReadLimit(limit int64) { c.readLimit.Store(limit) }

// EnableWriteCompression turns compression of the messages sent on or off,
// when compression was negotiated.
func (c *Conn) EnableWriteCompression(enable bool) { c.c.SetCompression(enable) }

// SetCompressionLevel checks level as gorilla does and records nothing:
// wskit compresses at level 1.
func (c *Conn) SetCompressionLevel(level int) error {
	if level < -2 || level > 9 {
		return errors.New("websocket: invalid compression level")
	}
	return nil
}

// PingHandler returns the ping handler; nil means none (wskit answers
// pings itself).
func (c *Conn) PingHandler() func(appData string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pingHandler
}

// SetPingHandler sets the function called with the payload of each ping
// received, from the reading goroutine. The pong is sent whether or not
// it is set.
func (c *Conn) SetPingHandler(h func(appData string) error) {
	c.mu.Lock()
	c.pingHandler = h
	c.mu.Unlock()
}

// PongHandler returns the pong handler.
func (c *Conn) PongHandler() func(appData string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pongHandler
}

// SetPongHandler sets the function called with the payload of each pong
// received, from the reading goroutine.
func (c *Conn) SetPongHandler(h func(appData string) error) {
	c.mu.Lock()
	c.pongHandler = h
	c.mu.Unlock()
}

// CloseHandler returns the close handler.
func (c *Conn) CloseHandler() func(code int, text string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeHandler
}

// SetCloseHandler sets the function called with the peer's close code and
// reason, before the read returns its *CloseError; wskit has already
// echoed the close frame. An error from it is returned instead.
func (c *Conn) SetCloseHandler(h func(code int, text string) error) {
	c.mu.Lock()
	c.closeHandler = h
	c.mu.Unlock()
}

// NextReader returns the type of the next data message and a reader for
// it, valid until the next call.
func (c *Conn) NextReader() (messageType int, r io.Reader, err error) {
	if err := c.rd.Begin(); err != nil {
		return 0, nil, c.readErr(err)
	}
	typ, mr, err := c.c.Reader(c.rd)
	if err != nil {
		return 0, nil, c.readErr(err)
	}
	r = &messageReader{c: c, r: mr, limit: c.readLimit.Load()}
	c.reader = r
	return int(typ), r, nil
}

// ReadMessage reads the next data message whole.
func (c *Conn) ReadMessage() (messageType int, p []byte, err error) {
	typ, r, err := c.NextReader()
	if err != nil {
		return 0, nil, err
	}
	p, err = io.ReadAll(r)
	return typ, p, err
}

// ReadJSON reads the next message and decodes it as JSON into v.
func (c *Conn) ReadJSON(v any) error {
	_, r, err := c.NextReader()
	if err != nil {
		return err
	}
	err = json.NewDecoder(r).Decode(v)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF // a message with no value
	}
	return err
}

type messageReader struct {
	c     *Conn
	r     io.Reader
	limit int64
	n     int64
}

func (r *messageReader) Read(p []byte) (int, error) {
	if r.c.reader != r {
		return 0, errors.New("websocket: read from a message reader after the next one started")
	}
	n, err := r.r.Read(p)
	r.n += int64(n)
	if r.limit > 0 && r.n > r.limit {
		// As gorilla does, the close frame is out before the error
		// returns; wskit's Close also waits for the peer's answer.
		r.c.c.Close(wskit.StatusMessageTooBig, "")
		return 0, ErrReadLimit
	}
	if err != nil && err != io.EOF {
		err = r.c.readErr(err)
	}
	return n, err
}

// readErr maps wskit's errors to gorilla's: the peer's close frame (after
// the close handler) or a lost connection to *CloseError, a passed
// deadline to a timeout, the read limit to ErrReadLimit.
func (c *Conn) readErr(err error) error {
	var ce *wskit.CloseError
	if !errors.As(err, &ce) {
		return &net.OpError{Op: "read", Net: "websocket", Err: c.rd.MapErr(err)}
	}
	if errors.Is(ce, wire.ErrMessageTooLarge) {
		return ErrReadLimit
	}
	text := ce.Reason
	if !ce.Remote && ce.Err != nil {
		text = ce.Err.Error()
	}
	if ce.Remote {
		if h := c.CloseHandler(); h != nil {
			if herr := h(int(ce.Code), ce.Reason); herr != nil {
				return herr
			}
		}
	}
	return &CloseError{Code: int(ce.Code), Text: text, err: ce}
}

// NextWriter returns a writer for a message of type TextMessage or
// BinaryMessage; the message is sent as it is written and ends with
// Close. Other writers wait until then.
func (c *Conn) NextWriter(messageType int) (io.WriteCloser, error) {
	if messageType != TextMessage && messageType != BinaryMessage {
		return nil, errBadWriteOpCode
	}
	if err := c.wd.Begin(); err != nil {
		return nil, c.writeErr(err)
	}
	w, err := c.c.Writer(c.wd, wskit.MessageType(messageType))
	if err != nil {
		return nil, c.writeErr(err)
	}
	return &messageWriter{c: c, w: w}, nil
}

type messageWriter struct {
	c *Conn
	w *wskit.MessageWriter
}

func (w *messageWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	if err != nil {
		err = w.c.writeErr(err)
	}
	return n, err
}

func (w *messageWriter) Close() error {
	if err := w.w.Close(); err != nil {
		return w.c.writeErr(err)
	}
	return nil
}

// WriteMessage sends one message of any type; a control message is sent
// as WriteControl does, with the write deadline.
func (c *Conn) WriteMessage(messageType int, data []byte) error {
	switch messageType {
	case TextMessage, BinaryMessage:
	case CloseMessage, PingMessage, PongMessage:
		return c.writeControl(messageType, data, c.wd)
	default:
		return errBadWriteOpCode
	}
	if err := c.wd.Begin(); err != nil {
		return c.writeErr(err)
	}
	if err := c.c.Write(c.wd, wskit.MessageType(messageType), data); err != nil {
		return c.writeErr(err)
	}
	return nil
}

// WriteJSON sends v encoded as JSON, followed by a newline as gorilla's
// does, in one text message.
func (c *Conn) WriteJSON(v any) error {
	w, err := c.NextWriter(TextMessage)
	if err != nil {
		return err
	}
	err1 := json.NewEncoder(w).Encode(v)
	err2 := w.Close()
	if err1 != nil {
		return err1
	}
	return err2
}

// WritePreparedMessage sends pm.
func (c *Conn) WritePreparedMessage(pm *PreparedMessage) error {
	if err := c.wd.Begin(); err != nil {
		return c.writeErr(err)
	}
	if err := c.c.WritePrepared(c.wd, pm.pm); err != nil {
		return c.writeErr(err)
	}
	return nil
}

// WriteControl sends a control message by deadline (zero for none):
//   - CloseMessage (a payload from FormatCloseMessage) runs the close
//     handshake;
//   - PingMessage sends a ping with wskit's payload, not data, and waits
//     (until deadline, or 30 s without one) for the pong, which goes to
//     the pong handler;
//   - PongMessage sends nothing: every ping is answered already.
func (c *Conn) WriteControl(messageType int, data []byte, deadline time.Time) error {
	ctx := context.Background()
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	return c.writeControl(messageType, data, ctx)
}

// pingWait bounds WriteControl's wait for a pong when it has no deadline.
const pingWait = 30 * time.Second

func (c *Conn) writeControl(messageType int, data []byte, ctx context.Context) error {
	if len(data) > wire.MaxControlPayload {
		return errors.New("websocket: invalid control frame")
	}
	switch messageType {
	case CloseMessage:
		code, reason := wskit.StatusNoStatusRcvd, ""
		if len(data) >= 2 {
			code, reason = wskit.StatusCode(binary.BigEndian.Uint16(data)), string(data[2:])
			if !utf8.ValidString(reason) {
				return errors.New("websocket: invalid close reason")
			}
		}
		err := c.c.Close(code, reason)
		if errors.Is(err, wskit.ErrClosed) {
			return ErrCloseSent
		}
		return err
	case PingMessage:
		if err := c.c.Err(); err != nil {
			return ErrCloseSent
		}
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, pingWait)
			defer cancel()
		}
		// wskit's Ping returns once the pong is in (the pong handler has
		// run); a pong that does not come by the deadline is not an error
		// here, as gorilla's WriteControl returns once the ping is sent.
		_, err := c.c.Ping(ctx)
		if err != nil && ctx.Err() == nil {
			return c.writeErr(err)
		}
		return nil
	case PongMessage:
		if err := c.c.Err(); err != nil {
			return ErrCloseSent
		}
		return nil
	}
	return errBadWriteOpCode
}

// writeErr maps wskit's write errors: a connection that is closing or
// closed gives ErrCloseSent, a lost one its cause, a passed deadline a
// timeout.
func (c *Conn) writeErr(err error) error {
	var ce *wskit.CloseError
	if errors.As(err, &ce) {
		if ce.Code == wskit.StatusAbnormalClosure && ce.Err != nil {
			if errors.Is(ce.Err, context.DeadlineExceeded) {
				return &net.OpError{Op: "write", Net: "websocket", Err: c.wd.MapErr(ce.Err)}
			}
			return ce.Err
		}
		return ErrCloseSent
	}
	if errors.Is(err, wskit.ErrClosed) {
		return ErrCloseSent
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &net.OpError{Op: "write", Net: "websocket", Err: c.wd.MapErr(err)}
	}
	return err
}

// PreparedMessage is a message encoded once, for sending to many
// connections.
type PreparedMessage struct{ pm *wskit.PreparedMessage }

// NewPreparedMessage prepares a TextMessage or BinaryMessage.
func NewPreparedMessage(messageType int, data []byte) (*PreparedMessage, error) {
	pm, err := wskit.NewPreparedMessage(wskit.MessageType(messageType), data)
	if err != nil {
		return nil, err
	}
	return &PreparedMessage{pm: pm}, nil
}
