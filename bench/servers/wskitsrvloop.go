package servers

import (
	"context"
	"net"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/server"
)

// startWskitServerLoop serves with wskit's server toolkit in event-loop
// mode (server.Options.EventLoop), the loops reading the handshakes
// themselves (Server.Serve): the route's Events run inline on the loops,
// as wskit-loop's handlers do, and broadcasts go through the toolkit's
// registry.
func startWskitServerLoop(ln net.Listener, o Options) (Server, error) {
	opts := &server.Options{EventLoop: &server.EventLoopOptions{
		Inline:        !o.Broadcast, // a broadcast writes to every connection: off the loop
		ReuseMessages: true,         // as the other servers, pooled message buffers
		MaxQueue:      64 << 20,
	}}
	opts.InsecureSkipOriginCheck = true
	opts.PingInterval = -1 // the other servers send no keepalive pings
	if o.Compress {
		opts.Compression = &websocket.CompressionOptions{Level: 1}
	}
	srv := server.New(opts)
	srv.HandleRoute(server.Route{Path: "/", Events: &server.Events{
		OnText: func(c server.Conn, s string) {
			if o.Broadcast {
				if n, ok := broadcastSize([]byte(s)); ok {
					pm, _ := websocket.NewPreparedMessage(websocket.MessageBinary, broadcastPayload(n))
					srv.BroadcastPrepared(pm)
					return
				}
			}
			c.WriteText(s)
		},
		OnBinary: func(c server.Conn, p []byte) { c.WriteBinary(p) },
	}})
	go srv.Serve(ln)
	return srvServer{srv}, nil
}

type srvServer struct{ s *server.Server }

func (s srvServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return s.s.Shutdown(ctx)
}
