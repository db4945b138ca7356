package websocket

import (
	"context"
	"log/slog"
	"sync/atomic"

	"github.com/wskit/websocket/wire"
)

// ConnStats counts what crossed a connection. Bytes are payload bytes as
// they were on the wire: after compression, without frame headers.
// Messages count data messages only; control frames are not counted.
type ConnStats struct {
	MessagesIn  uint64
	MessagesOut uint64
	BytesIn     uint64
	BytesOut    uint64
}

// connCounters are a Conn's running counts. The reader updates the "in"
// ones and the holder of fsem the "out" ones; Stats may read them at any
// time.
type connCounters struct {
	msgsIn, msgsOut, bytesIn, bytesOut atomic.Uint64
}

// Stats returns the connection's counts so far. It may be called from any
// goroutine, also after the connection ended.
func (c *Conn) Stats() ConnStats {
	return ConnStats{
		MessagesIn:  c.count.msgsIn.Load(),
		MessagesOut: c.count.msgsOut.Load(),
		BytesIn:     c.count.bytesIn.Load(),
		BytesOut:    c.count.bytesOut.Load(),
	}
}

// Done returns a channel that is closed when the underlying connection is
// closed, however the connection ended. A registry of connections waits on
// it.
func (c *Conn) Done() <-chan struct{} { return c.doneChan() }

// Err returns nil while the connection is open, and once it is closing or
// closed, the *CloseError that says how it ended (the peer's close frame,
// the code this side failed it with, or 1006 for a lost connection). While
// this side's own close handshake is under way and nothing else has ended
// the connection yet, it returns ErrClosed.
func (c *Conn) Err() error {
	if ce := c.closeErr.Load(); ce != nil {
		return ce
	}
	if c.State() != StateOpen {
		return ErrClosed
	}
	return nil
}

// logFrame logs frames at debug level, when the logger in ConnOptions
// wants them; flog is nil otherwise, so the cost when off is one nil check.
func (c *Conn) logFrame(dir string, h wire.Header) {
	c.flog.LogAttrs(context.Background(), slog.LevelDebug, "websocket frame",
		slog.String("dir", dir),
		slog.String("opcode", h.Opcode.String()),
		slog.Bool("fin", h.Fin),
		slog.Int("rsv", int(h.RSV)),
		slog.Int64("len", h.Length),
		slog.Bool("masked", h.Masked),
	)
}

// frameLogger returns l when it logs debug records, otherwise nil.
func frameLogger(l *slog.Logger) *slog.Logger {
	if l != nil && l.Enabled(context.Background(), slog.LevelDebug) {
		return l
	}
	return nil
}
