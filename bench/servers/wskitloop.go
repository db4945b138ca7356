//go:build linux

package servers

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/wskit/websocket/loop"
	"github.com/wskit/websocket/wire"
)

// startWskitLoop serves with wskit's event-loop mode (package loop): one
// epoll loop per core, no goroutine and no buffer per idle connection;
// handlers run inline on the loops, since an echo never blocks (a write
// queues what the socket does not take).
func startWskitLoop(ln net.Listener, o Options) (Server, error) {
	var reg registry[*loop.Conn]
	ev := &loop.Events{
		OnText: func(c *loop.Conn, s string) {
			if o.Broadcast {
				if n, ok := broadcastSize([]byte(s)); ok {
					p := broadcastPayload(n)
					reg.each(func(c *loop.Conn) { c.WriteBinary(p) })
					return
				}
			}
			c.WriteText(s)
		},
		OnBinary: func(c *loop.Conn, p []byte) { c.WriteBinary(p) },
	}
	if o.Broadcast {
		ev.OnOpen = func(c *loop.Conn, _ *http.Request) { reg.add(c) }
		ev.OnClose = func(c *loop.Conn, _ wire.StatusCode, _ string) { reg.remove(c) }
	}
	s, err := loop.New(ev, &loop.Options{
		Inline:        !o.Broadcast, // a broadcast writes to every connection: off the loop
		ReuseMessages: true,         // as the other servers, pooled message buffers
		Compression:   o.Compress,
		Level:         1,
		MaxQueue:      64 << 20,
		CheckOrigin:   func(*http.Request) bool { return true },
	})
	if err != nil {
		return nil, err
	}
	go s.Serve(ln)
	return loopServer{s}, nil
}

type loopServer struct{ s *loop.Server }

func (l loopServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.s.Shutdown(ctx)
	return nil
}
