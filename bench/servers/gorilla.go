package servers

import (
	"net"
	"net/http"

	"github.com/gorilla/websocket"
)

func startGorilla(ln net.Listener, o Options) (Server, error) {
	// Zero buffer sizes: the connection reuses the buffers net/http
	// allocated for the request, gorilla's leanest setting.
	up := &websocket.Upgrader{
		CheckOrigin:       func(*http.Request) bool { return true },
		EnableCompression: o.Compress,
	}
	var reg registry[*websocket.Conn]
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		c.SetReadLimit(32 << 20)
		if o.Compress {
			c.EnableWriteCompression(true)
		}
		if o.Broadcast {
			reg.add(c)
			defer reg.remove(c)
		}
		for {
			typ, rd, err := c.NextReader()
			if err != nil {
				return
			}
			buf, msg, err := readMessage(rd)
			if err != nil {
				return
			}
			if o.Broadcast && typ == websocket.TextMessage {
				if n, ok := broadcastSize(msg); ok {
					pm, _ := websocket.NewPreparedMessage(websocket.BinaryMessage, broadcastPayload(n))
					reg.each(func(c *websocket.Conn) { c.WritePreparedMessage(pm) })
					putBuffer(buf)
					continue
				}
			}
			err = c.WriteMessage(typ, msg)
			putBuffer(buf)
			if err != nil {
				return
			}
		}
	})
	return serveHTTP(ln, h), nil
}
