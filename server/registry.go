package server

import (
	"net/http"
	"net/netip"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wskit/websocket"
)

// client is a live connection in the registry, with its broadcast queue.
// A connection of the event loop has direct set instead of conn: its
// writes never wait, so it needs no queue and no sender goroutine, and its
// address is asked of it when needed rather than kept as text.
type client struct {
	conn       *websocket.Conn
	direct     Conn   // the event loop's *loop.Conn, or nil
	host, port string // conn's remote address
	path       string
	start      time.Time
	// closedHere is set when the server started the close handshake
	// (Shutdown, or the handler returned with the connection open): the
	// peer's close frame that ends the connection is then its answer.
	closedHere atomic.Bool

	// Of a connection of the event loop only: its route's callbacks,
	// whether it holds a MaxConns slot and is in the registry, and the
	// values its hooks set.
	ev      *Events
	limited bool
	opened  atomic.Bool
	values  map[any]any
	lerr    error // what ended it, when not the peer's close frame (OnError)

	*sendQueue // conn's; nil for the event loop's
}

// sendQueue is the broadcast queue of a connection served by a goroutine.
type sendQueue struct {
	mu      sync.Mutex
	queue   []*entry // waiting broadcasts, oldest first
	head    int      // index of the oldest in queue
	sending bool     // a sender goroutine is running
	dead    bool     // no more broadcasts: closed, slow or failed
	senders sync.WaitGroup
}

// queuedClient is a client served by a goroutine and its queue, made in
// one allocation.
type queuedClient struct {
	client
	q sendQueue
}

// hostPort returns cl's remote host and port.
func (cl *client) hostPort() (string, string) {
	if cl.direct != nil {
		return hostPort(cl.direct.RemoteAddr())
	}
	return cl.host, cl.port
}

// key is cl's connection, as the registry knows it.
func (cl *client) key() Conn {
	if cl.direct != nil {
		return cl.direct
	}
	return cl.conn
}

func (cl *client) remote() string {
	host, port := cl.hostPort()
	if port == "" {
		return host
	}
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + port
	}
	return host + ":" + port
}

// register adds c to the registry, unless the server is shutting down.
func (s *Server) register(c *websocket.Conn, r *http.Request) *client {
	qc := &queuedClient{client: client{conn: c, path: r.URL.Path, start: time.Now()}}
	cl := &qc.client
	cl.sendQueue = &qc.q
	cl.host, cl.port = hostPort(c.RemoteAddr())
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutting.Load() {
		return nil
	}
	s.clients[c] = cl
	s.counters.accepted()
	return cl
}

// registerDirect adds cl, a connection of the event loop just opened, to
// the registry, unless the server is shutting down.
func (s *Server) registerDirect(cl *client) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutting.Load() {
		return false
	}
	s.clients[cl.direct] = cl
	cl.opened.Store(true)
	s.counters.accepted()
	return true
}

// unregister takes cl out of the registry and into the counters of ended
// connections, in one step so that Stats counts it once.
func (s *Server) unregister(cl *client) {
	s.mu.Lock()
	delete(s.clients, cl.key())
	if cl.conn != nil {
		s.counters.connEnded(cl.conn)
	}
	s.mu.Unlock()
}

func (s *Server) snapshot() []*client {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := make([]*client, 0, len(s.clients))
	for _, cl := range s.clients {
		list = append(list, cl)
	}
	return list
}

// selectClients returns the live connections for which keep returns true.
func (s *Server) selectClients(keep func(*client) bool) []Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	var list []Conn
	for c, cl := range s.clients {
		if keep == nil || keep(cl) {
			list = append(list, c)
		}
	}
	return list
}

// Count returns the number of live connections, on either driver.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.clients)
}

// Conns returns every live connection, in no particular order: a
// *websocket.Conn for each served by a goroutine, a *loop.Conn for each
// served by the event loop.
func (s *Server) Conns() []Conn { return s.selectClients(nil) }

// Select returns the live connections for which keep returns true, such as
// those whose per-connection values (see Value) name a user. keep is
// called with the registry locked and must not call the Server.
func (s *Server) Select(keep func(Conn) bool) []Conn {
	return s.selectClients(func(cl *client) bool { return keep(cl.key()) })
}

// Value returns the per-connection value under key of c, a connection of
// a Server: one set by an OnUpgrade hook (websocket.Upgrade.SetValue) or
// the options' Values, whichever driver serves c. It needs no lock of the
// Server's, so Select's keep may call it.
func Value(c Conn, key any) any {
	switch c := c.(type) {
	case *websocket.Conn:
		return c.Value(key)
	case interface{ Value() any }: // the event loop's
		if cl, ok := c.Value().(*client); ok {
			return cl.values[key]
		}
	}
	return nil
}

// Find returns the live connections whose remote host matches host and
// whose remote port matches port, as Tcl's ::websocket::find does. Each is a
// path.Match pattern ("10.0.0.*", "[0-9]*"); "" or "*" matches anything. A
// host pattern may also be an address prefix such as "10.0.0.0/8" or
// "fd00::/8". IPv6 hosts are written without brackets.
func (s *Server) Find(host, port string) []Conn {
	matchHost := hostMatcher(host)
	return s.selectClients(func(cl *client) bool {
		h, p := cl.hostPort()
		if !matchHost(h) {
			return false
		}
		if port == "" || port == "*" {
			return true
		}
		ok, _ := path.Match(port, p)
		return ok
	})
}

func hostMatcher(pattern string) func(string) bool {
	if pattern == "" || pattern == "*" {
		return func(string) bool { return true }
	}
	if prefix, err := netip.ParsePrefix(pattern); err == nil {
		return func(h string) bool {
			a, err := netip.ParseAddr(h)
			return err == nil && prefix.Contains(a.Unmap())
		}
	}
	if inner, ok := strings.CutPrefix(pattern, "["); ok && strings.HasSuffix(inner, "]") {
		if _, err := netip.ParseAddr(inner[:len(inner)-1]); err == nil {
			pattern = inner[:len(inner)-1] // "[::1]" for "::1"
		}
	}
	pattern = strings.ToLower(pattern)
	return func(h string) bool {
		ok, _ := path.Match(pattern, strings.ToLower(h))
		return ok
	}
}
