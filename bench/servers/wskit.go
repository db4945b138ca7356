package servers

import (
	"context"
	"net"
	"net/http"

	"github.com/wskit/websocket"
)

func startWskit(ln net.Listener, o Options) (Server, error) {
	opts := &websocket.AcceptOptions{InsecureSkipOriginCheck: true}
	// The other servers send no keepalive pings; neither does this one.
	opts.PingInterval = -1
	if o.Compress {
		opts.Compression = &websocket.CompressionOptions{}
	}
	var reg registry[*websocket.Conn]
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, opts)
		if err != nil {
			return
		}
		defer c.CloseNow()
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
					pm, _ := websocket.NewPreparedMessage(websocket.MessageBinary, broadcastPayload(n))
					reg.each(func(c *websocket.Conn) { c.WritePrepared(ctx, pm) })
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

// serveHTTP serves h on ln with net/http.
func serveHTTP(ln net.Listener, h http.Handler) Server {
	s := &http.Server{Handler: h}
	go s.Serve(ln)
	return s
}
