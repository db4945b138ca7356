package servers

import (
	"net"
	"net/http"
	"sync"

	"github.com/gorilla/websocket"
)

func startGorilla(ln net.Listener, o Options) (Server, error) {
	// Zero buffer sizes: the connection reuses the buffers net/http
	// allocated for the request, gorilla's leanest setting.
	up := &websocket.Upgrader{
		CheckOrigin:       func(*http.Request) bool { return true },
		EnableCompression: o.Compress,
	}
	// gorilla allows one writer at a time; a broadcast writes from another
	// goroutine, so in that mode each connection's writes take its lock.
	var reg registry[*gorillaConn]
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
		gc := &gorillaConn{c: c}
		if o.Broadcast {
			reg.add(gc)
			defer reg.remove(gc)
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
					reg.each(func(gc *gorillaConn) {
						gc.mu.Lock()
						gc.c.WritePreparedMessage(pm)
						gc.mu.Unlock()
					})
					putBuffer(buf)
					continue
				}
			}
			if o.Broadcast {
				gc.mu.Lock()
				err = c.WriteMessage(typ, msg)
				gc.mu.Unlock()
			} else {
				err = c.WriteMessage(typ, msg)
			}
			putBuffer(buf)
			if err != nil {
				return
			}
		}
	})
	return serveHTTP(ln, h), nil
}

type gorillaConn struct {
	c  *websocket.Conn
	mu sync.Mutex
}
