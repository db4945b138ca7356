package server

import (
	"net"
	"net/http"
	"time"
)

// The limits HTTPServer sets. net/http's zero values wait forever for a
// request's header and accept 1 MiB of it, so a client that opens a
// connection and never finishes its handshake holds a file descriptor and
// a goroutine for as long as it likes.
const (
	// HandshakeTimeout bounds the time to read a request's header
	// (http.Server.ReadHeaderTimeout).
	HandshakeTimeout = 10 * time.Second

	// MaxHandshakeBytes bounds the size of a request's header
	// (http.Server.MaxHeaderBytes); a larger one is answered 431.
	MaxHandshakeBytes = 16 << 10

	// IdleTimeout bounds how long a keep-alive HTTP connection waits for
	// its next request (http.Server.IdleTimeout). Once upgraded, a
	// WebSocket connection is the Conn's, and keepalive pings watch it.
	IdleTimeout = 60 * time.Second
)

// HTTPServer returns an http.Server for h on addr with the handshake
// limits above set. It sets no ReadTimeout or WriteTimeout: those cover a
// whole request, which for a WebSocket lasts as long as the connection.
func HTTPServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: HandshakeTimeout,
		MaxHeaderBytes:    MaxHandshakeBytes,
		IdleTimeout:       IdleTimeout,
	}
}

// Serve accepts connections on ln until Shutdown, and returns
// http.ErrServerClosed then. In event-loop mode (Options.EventLoop) the
// loops accept them and read their handshakes themselves, with no
// goroutine per handshake, within HandshakeTimeout and MaxHandshakeBytes;
// the routes, limits and hooks apply as in ServeHTTP, but the hooks then
// run on a loop and must not block, and only routes with Events can be
// served (one with a Handler is refused with 500: mount the Server in an
// http.Server for those, or for TLS). Otherwise Serve runs the Server in
// an http.Server from HTTPServer.
func (s *Server) Serve(ln net.Listener) error {
	if s.ev != nil {
		return s.ev.serveLoop(ln)
	}
	hs := HTTPServer("", s)
	s.mu.Lock()
	if s.shutting.Load() {
		s.mu.Unlock()
		ln.Close()
		return http.ErrServerClosed
	}
	s.https = append(s.https, hs)
	s.mu.Unlock()
	return hs.Serve(ln)
}
