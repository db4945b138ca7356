package servers

import (
	"net"
	"net/http"

	"github.com/lesismal/nbio/logging"
	"github.com/lesismal/nbio/nbhttp"
	"github.com/lesismal/nbio/nbhttp/websocket"
)

// nbio in its non-blocking mode: an epoll loop reads every connection,
// with no goroutine per connection, and hands whole messages to a
// callback; payload buffers go back to the engine's pool after it.
// Compression, when negotiated, never keeps context between messages.
func startNbio(ln net.Listener, o Options) (Server, error) {
	logging.SetLevel(logging.LevelNone)
	var reg registry[*websocket.Conn]
	up := websocket.NewUpgrader()
	up.CheckOrigin = func(*http.Request) bool { return true }
	up.EnableCompression(o.Compress)
	up.MessageLengthLimit = 32 << 20
	up.OnMessage(func(c *websocket.Conn, typ websocket.MessageType, data []byte) {
		if o.Broadcast && typ == websocket.TextMessage {
			if n, ok := broadcastSize(data); ok {
				p := broadcastPayload(n)
				reg.each(func(c *websocket.Conn) { c.WriteMessage(websocket.BinaryMessage, p) })
				return
			}
		}
		c.WriteMessage(typ, data)
	})
	if o.Broadcast {
		up.OnClose(func(c *websocket.Conn, err error) { reg.remove(c) })
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		if o.Compress {
			c.EnableWriteCompression(true)
		}
		if o.Broadcast {
			reg.add(c)
		}
	})
	engine := nbhttp.NewEngine(nbhttp.Config{
		Network:                 "tcp",
		Addrs:                   []string{ln.Addr().String()},
		Listen:                  func(string, string) (net.Listener, error) { return ln, nil },
		Handler:                 h,
		IOMod:                   nbhttp.IOModNonBlocking,
		ReleaseWebsocketPayload: true,
		MaxLoad:                 1 << 20,
	})
	if err := engine.Start(); err != nil {
		return nil, err
	}
	return nbioServer{engine}, nil
}

type nbioServer struct{ e *nbhttp.Engine }

func (s nbioServer) Close() error {
	s.e.Stop()
	return nil
}
