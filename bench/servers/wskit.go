package servers

import (
	"context"
	"net"
	"net/http"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/server"
)

// startWskit serves with wskit's server toolkit: each connection's handler
// runs on a goroutine of its own after the upgrade, and broadcasts go
// through the toolkit's per-connection queues, encoded once.
func startWskit(ln net.Listener, o Options) (Server, error) {
	return serveHTTP(ln, newWskit(o)), nil
}

// newWskit is the wskit echo server as an http.Handler.
func newWskit(o Options) *server.Server {
	opts := &server.Options{}
	opts.InsecureSkipOriginCheck = true
	// The other servers send no keepalive pings; neither does this one.
	opts.PingInterval = -1
	if o.Compress {
		opts.Compression = &websocket.CompressionOptions{}
	}
	// Broadcasts are sent in bursts; let a connection's queue hold one.
	opts.SendQueue = 4096
	srv := server.New(opts)
	srv.Handle("/", server.HandlerFunc(func(ctx context.Context, c *websocket.Conn) error {
		for {
			// A pooled buffer per message, taken when the message begins,
			// as the gorilla server does: memory follows the messages in
			// flight, and a connection waiting for one holds none.
			typ, r, err := c.Reader(ctx)
			if err != nil {
				return nil
			}
			buf, msg, err := readMessage(r)
			if err != nil {
				return nil
			}
			if o.Broadcast && typ == websocket.MessageText {
				if n, ok := broadcastSize(msg); ok {
					pm, _ := websocket.NewPreparedMessage(websocket.MessageBinary, broadcastPayload(n))
					srv.BroadcastPrepared(pm)
					putBuffer(buf)
					continue
				}
			}
			err = c.Write(ctx, typ, msg)
			putBuffer(buf)
			if err != nil {
				return nil
			}
		}
	}))
	return srv
}

// serveHTTP serves h on ln with net/http.
func serveHTTP(ln net.Listener, h http.Handler) Server {
	s := &http.Server{Handler: h}
	go s.Serve(ln)
	return s
}
