package servers

import (
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"

	_ "github.com/wskit/websocket/xconnect" // advertise SETTINGS_ENABLE_CONNECT_PROTOCOL
)

// H2Server is the wskit echo server (the same handler as "wskit") over TLS
// with ALPN h2 and http/1.1, taking WebSockets as HTTP/2 extended CONNECT
// streams (RFC 8441) and as HTTP/1.1 upgrades on the same port. It counts
// what arrives, so that a run can check how its WebSockets travelled.
type H2Server struct {
	srv *httptest.Server
	// TCP is the connections accepted; H1 and H2 the WebSocket requests
	// by HTTP version.
	TCP, H1, H2 atomic.Int64
}

// StartWskitH2 serves on ln, which it takes over, with a certificate made
// for 127.0.0.1 (see Roots). frameSize, when not 0, is the HTTP/2
// SETTINGS_MAX_FRAME_SIZE the server advertises (net/http's default is
// 1 MiB).
func StartWskitH2(ln net.Listener, frameSize int) *H2Server {
	s := &H2Server{}
	ws := newWskit(Options{})
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor == 2 {
			s.H2.Add(1)
		} else {
			s.H1.Add(1)
		}
		ws.ServeHTTP(w, r)
	}))
	s.srv.Listener.Close()
	s.srv.Listener = ln
	s.srv.EnableHTTP2 = true
	if frameSize > 0 {
		s.srv.Config.HTTP2 = &http.HTTP2Config{MaxReadFrameSize: frameSize}
	}
	s.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.TCP.Add(1)
		}
	}
	s.srv.StartTLS()
	return s
}

// Certificate is the server's certificate.
func (s *H2Server) Certificate() *x509.Certificate { return s.srv.Certificate() }

// Roots trusts the server's certificate.
func (s *H2Server) Roots() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(s.srv.Certificate())
	return p
}

// Close stops the server and ends its connections.
func (s *H2Server) Close() error {
	s.srv.CloseClientConnections()
	s.srv.Close()
	return nil
}
