package websocket

import (
	"context"
	"errors"
	"time"
)

// Events are callbacks for users who prefer them to a read loop; [Conn.Run]
// calls them from one goroutine, in the order things happen. Any callback
// may be nil. The byte slices passed in are the callee's to keep.
type Events struct {
	// OnOpen is called once, before anything else.
	OnOpen func(c *Conn)

	// OnText and OnBinary are called with each whole data message.
	OnText   func(c *Conn, text string)
	OnBinary func(c *Conn, data []byte)

	// OnPing and OnPong are called with the payload of each ping and pong
	// received. Pings are answered whether or not OnPing is set.
	OnPing func(c *Conn, payload []byte)
	OnPong func(c *Conn, payload []byte)

	// OnTimeout is called when no message has arrived for Timeout. The
	// connection stays open (on connections with read deadlines); the
	// callback may close it.
	OnTimeout func(c *Conn)
	Timeout   time.Duration

	// OnClose is called once when the connection ends, with the close code
	// and reason: the peer's when it closed, 1006 when the connection was
	// lost, or the code this side failed it with.
	OnClose func(c *Conn, code StatusCode, reason string)

	// OnError is called with the error that failed the connection when it
	// did not end with the peer's close frame, before OnClose.
	OnError func(c *Conn, err error)
}

// Run reads messages until the connection ends or ctx ends, calling ev's
// callbacks. It returns nil when the peer closed the connection normally
// (1000 or 1001, or 1005 without a code), ctx.Err() when ctx ended (the
// connection is then closed with 1001), and the error that ended the
// connection otherwise.
//
// ev's OnPing and OnPong are called while Run runs, after those of
// ConnOptions, from whichever goroutine reads (Run's, or a Ping or Close
// reading while Run is between messages).
func (c *Conn) Run(ctx context.Context, ev *Events) error {
	if ev == nil {
		ev = &Events{}
	}
	c.runEvents.Store(ev)
	defer c.runEvents.Store(nil)
	if ev.OnOpen != nil {
		ev.OnOpen(c)
	}
	for {
		rctx, cancel := ctx, context.CancelFunc(nil)
		if ev.Timeout > 0 {
			rctx, cancel = context.WithTimeout(ctx, ev.Timeout)
		}
		typ, p, err := c.Read(rctx)
		if cancel != nil {
			cancel()
		}
		switch {
		case err == nil:
			if typ == MessageText && ev.OnText != nil {
				ev.OnText(c, string(p))
			} else if typ == MessageBinary && ev.OnBinary != nil {
				ev.OnBinary(c, p)
			}
			continue
		case ctx.Err() != nil:
			c.Close(StatusGoingAway, "")
			c.runClosed(ev, err)
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded) && c.State() == StateOpen:
			if ev.OnTimeout != nil {
				ev.OnTimeout(c)
			}
			continue
		}
		c.runClosed(ev, err)
		var ce *CloseError
		if errors.As(err, &ce) && ce.Remote {
			switch ce.Code {
			case StatusNormalClosure, StatusGoingAway, StatusNoStatusRcvd:
				return nil
			}
		}
		return err
	}
}

func (c *Conn) runClosed(ev *Events, err error) {
	var ce *CloseError
	if !errors.As(err, &ce) {
		ce, _ = c.endErr().(*CloseError)
	}
	if ev.OnError != nil && (ce == nil || !ce.Remote) {
		ev.OnError(c, err)
	}
	if ev.OnClose != nil {
		if ce != nil {
			ev.OnClose(c, ce.Code, ce.Reason)
		} else {
			ev.OnClose(c, StatusAbnormalClosure, "")
		}
	}
}
