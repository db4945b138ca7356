package servers

import (
	"net"
	"net/http"

	"github.com/wskit/websocket"
)

// startWskitAccept is the README's server pattern, as a new user writes
// it: websocket.Accept inside a plain net/http handler, then Read and
// Write on that goroutine, nothing pooled. It answers echo only.
func startWskitAccept(ln net.Listener, o Options) (Server, error) {
	if o.Broadcast {
		return nil, ErrUnsupported
	}
	opts := &websocket.AcceptOptions{InsecureSkipOriginCheck: true}
	opts.PingInterval = -1 // the other servers send no keepalive pings
	if o.Compress {
		opts.Compression = &websocket.CompressionOptions{}
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, opts)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, msg, err := c.Read(r.Context())
			if err != nil {
				return
			}
			if err := c.Write(r.Context(), typ, msg); err != nil {
				return
			}
		}
	})
	return serveHTTP(ln, h), nil
}
