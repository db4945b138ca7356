// Package wstest helps test code that uses wskit without a network: Pipe
// connects a client and a server Conn in memory, through the same opening
// handshake as over TCP, and NetPipe is the buffered in-memory transport
// underneath.
package wstest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"

	"github.com/wskit/websocket"
)

// Pipe returns a client and a server Conn connected in memory. The opening
// handshake is the real one, websocket.Dial against websocket.Accept inside
// an http.Server, so every option acts as over TCP: compression is
// negotiated, subprotocols chosen, the OnUpgrade hook called, limits and
// keepalive set. The transport is a NetPipe, which has deadlines, so
// cancelling a read's context leaves the connection usable, and is
// buffered, so both sides can send close frames at once.
//
// Either options may be nil. dialOpts.NetDialContext is replaced by the
// pipe; the request goes to ws://wstest.pipe/, which is the Host the
// server sees. When Accept refuses the handshake, Pipe returns Dial's
// error (a *websocket.HandshakeError for a refusal) and no Conns.
func Pipe(dialOpts *websocket.DialOptions, acceptOpts *websocket.AcceptOptions) (client, server *websocket.Conn, err error) {
	cEnd, sEnd := netPipe("wstest client", "wstest server")
	accepted := make(chan *websocket.Conn, 1)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, acceptOpts)
		if err != nil {
			accepted <- nil
			return
		}
		accepted <- c
	})}
	l := &oneConn{c: sEnd, done: make(chan struct{})}
	go srv.Serve(l)
	defer srv.Close()

	var o websocket.DialOptions
	if dialOpts != nil {
		o = *dialOpts
	}
	o.NoProxy = true
	o.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) { return cEnd, nil }
	client, _, err = websocket.Dial(context.Background(), "ws://wstest.pipe/", &o)
	if err != nil {
		cEnd.Close()
		sEnd.Close()
		return nil, nil, fmt.Errorf("wstest: %w", err)
	}
	server = <-accepted
	if server == nil {
		client.CloseNow()
		return nil, nil, errors.New("wstest: the server refused a handshake the client accepted")
	}
	return client, server, nil
}

// oneConn is a net.Listener that hands out one connection, then blocks
// until closed.
type oneConn struct {
	mu   sync.Mutex
	c    net.Conn
	done chan struct{}
	once sync.Once
}

func (l *oneConn) Accept() (net.Conn, error) {
	l.mu.Lock()
	c := l.c
	l.c = nil
	l.mu.Unlock()
	if c != nil {
		return c, nil
	}
	<-l.done
	return nil, net.ErrClosed
}

func (l *oneConn) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *oneConn) Addr() net.Addr { return pipeAddr("wstest server") }
