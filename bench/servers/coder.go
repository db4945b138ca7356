package servers

import (
	"context"
	"net"
	"net/http"

	"github.com/coder/websocket"
)

func startCoder(ln net.Listener, o Options) (Server, error) {
	opts := &websocket.AcceptOptions{
		InsecureSkipVerify: true,
		CompressionMode:    websocket.CompressionDisabled,
	}
	if o.Compress {
		opts.CompressionMode = websocket.CompressionNoContextTakeover
	}
	var reg registry[*websocket.Conn]
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, opts)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(32 << 20)
		if o.Broadcast {
			reg.add(c)
			defer reg.remove(c)
		}
		ctx := context.Background()
		for {
			typ, rd, err := c.Reader(ctx)
			if err != nil {
				return
			}
			buf, msg, err := readMessage(rd)
			if err != nil {
				return
			}
			if o.Broadcast && typ == websocket.MessageText {
				if n, ok := broadcastSize(msg); ok {
					// No prepared messages in this library: each write
					// frames the payload again.
					p := broadcastPayload(n)
					reg.each(func(c *websocket.Conn) { c.Write(ctx, websocket.MessageBinary, p) })
					putBuffer(buf)
					continue
				}
			}
			err = c.Write(ctx, typ, msg)
			putBuffer(buf)
			if err != nil {
				return
			}
		}
	})
	return serveHTTP(ln, h), nil
}
