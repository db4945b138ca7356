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
type client struct {
	conn       *websocket.Conn
	host, port string
	path       string
	start      time.Time
	// closedHere is set when the server started the close handshake
	// (Shutdown, or the handler returned with the connection open): the
	// peer's close frame that ends the connection is then its answer.
	closedHere atomic.Bool

	mu      sync.Mutex
	queue   []*entry // waiting broadcasts, oldest first
	head    int      // index of the oldest in queue
	sending bool     // a sender goroutine is running
	dead    bool     // no more broadcasts: closed, slow or failed
	senders sync.WaitGroup
}

func (cl *client) remote() string {
	if cl.port == "" {
		return cl.host
	}
	if strings.Contains(cl.host, ":") {
		return "[" + cl.host + "]:" + cl.port
	}
	return cl.host + ":" + cl.port
}

// register adds c to the registry, unless the server is shutting down.
func (s *Server) register(c *websocket.Conn, r *http.Request) *client {
	cl := &client{conn: c, path: r.URL.Path, start: time.Now()}
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

// unregister takes cl out of the registry and into the counters of ended
// connections, in one step so that Stats counts it once.
func (s *Server) unregister(cl *client) {
	s.mu.Lock()
	delete(s.clients, cl.conn)
	s.counters.connEnded(cl.conn)
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
func (s *Server) selectClients(keep func(*client) bool) []*websocket.Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	var list []*websocket.Conn
	for c, cl := range s.clients {
		if keep == nil || keep(cl) {
			list = append(list, c)
		}
	}
	return list
}

// Count returns the number of live connections, those of the event loop
// included.
func (s *Server) Count() int {
	s.mu.Lock()
	n := len(s.clients)
	s.mu.Unlock()
	if s.ev != nil {
		n += s.ev.count()
	}
	return n
}

// Conns returns every live connection, in no particular order.
func (s *Server) Conns() []*websocket.Conn { return s.selectClients(nil) }

// Select returns the live connections for which keep returns true, such as
// those whose per-connection values name a user. keep is called with the
// registry locked and must not call the Server.
func (s *Server) Select(keep func(*websocket.Conn) bool) []*websocket.Conn {
	return s.selectClients(func(cl *client) bool { return keep(cl.conn) })
}

// Find returns the live connections whose remote host matches host and
// whose remote port matches port, as Tcl's ::websocket::find does. Each is a
// path.Match pattern ("10.0.0.*", "[0-9]*"); "" or "*" matches anything. A
// host pattern may also be an address prefix such as "10.0.0.0/8" or
// "fd00::/8". IPv6 hosts are written without brackets.
func (s *Server) Find(host, port string) []*websocket.Conn {
	matchHost := hostMatcher(host)
	return s.selectClients(func(cl *client) bool {
		if !matchHost(cl.host) {
			return false
		}
		if port == "" || port == "*" {
			return true
		}
		ok, _ := path.Match(port, cl.port)
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
