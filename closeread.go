package websocket

import "context"

// CloseRead is for a connection the application only writes to: it starts
// a goroutine that reads and discards every data message, so that pings
// are answered, pongs matched and the peer's close frame honoured
// (RFC 6455 §5.5, §7.1.5). It returns a context that is cancelled when the
// connection ends, or when ctx ends, which also stops the reading.
//
// After CloseRead the application must not read from c. Limits still
// apply to the discarded messages: one above MaxMessageSize, or text that
// is not UTF-8, fails the connection as a Read would.
func (c *Conn) CloseRead(ctx context.Context) context.Context {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		defer cancel()
		for {
			// Reader skips what is left of the previous message.
			if _, _, err := c.Reader(ctx); err != nil {
				return
			}
		}
	}()
	return ctx
}
