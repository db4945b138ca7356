package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/wskit/websocket/inspect"
)

const proxyHelp = `Usage: ws proxy --listen ADDR --upstream URL [flags]

Accepts TCP connections on ADDR (TLS with --tls-cert and --tls-key) and
relays each one to the upstream server (ws:// or wss://; over TLS for
wss://). The bytes are forwarded exactly as they were received, in both
directions, the opening handshake included. When the upstream cannot be
reached the client gets 502 Bad Gateway with the reason.
Each WebSocket connection is decoded on the side, as ws inspect decodes a
capture, and every message, control frame and finding is printed to stdout
(text lines, or JSON with --json). A connection that is not a WebSocket
upgrade is relayed all the same, with a note.

With --ui ADDR a web page at http://ADDR/ shows every relayed connection
and its frames as they pass, both ways, with findings marked; it filters by
connection and text, pauses, and exports what it shows as the JSON lines of
ws inspect --json.

Examples:
  ws proxy --listen 127.0.0.1:8081 --upstream ws://127.0.0.1:8080
  ws proxy --ui 127.0.0.1:8082 --upstream ws://127.0.0.1:8080
  ws proxy --tls-cert cert.pem --tls-key key.pem --upstream ws://127.0.0.1:8080
  ws proxy --json --listen 127.0.0.1:8081 --upstream wss://example.com

Exit codes: 0 stopped by an interrupt, 1 cannot listen, 2 usage error.
`

// proxyConfig is what ws proxy was asked to do.
type proxyConfig struct {
	upstream *url.URL
	addr     string // upstream host:port
	tls      *tls.Config
	log      frameLogs
	stderr   io.Writer
}

func runProxy(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("ws proxy", proxyHelp)
	listen := fs.String("listen", "127.0.0.1:8081", "`address` to accept connections on")
	upstream := fs.String("upstream", "", "the server to relay to, a ws:// or wss:// `URL`")
	jsonOut := fs.Bool("json", false, "print one JSON object per event")
	var width widthFlag
	fs.Var(&width, "width", "payload `bytes` shown per message, 0 for all (default 64, all with --json)")
	insecure := fs.Bool("insecure", false, "skip TLS certificate verification (wss:// upstream)")
	cacert := fs.String("cacert", "", "trust the PEM CA certificates in `file` (wss:// upstream)")
	cert := fs.String("tls-cert", "", "accept TLS (wss://) with the PEM certificate in `file` (needs --tls-key)")
	key := fs.String("tls-key", "", "the PEM private key `file` for --tls-cert")
	uiAddr := fs.String("ui", "", "serve a live web page of the relayed connections and frames on `address` (such as 127.0.0.1:8082)")
	pos, code, done := parseArgs(fs, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) != 0 || *upstream == "" {
		fmt.Fprintln(stderr, "ws proxy: want --upstream URL and no other argument (try: ws proxy -h)")
		return exitUsage
	}
	if (*cert == "") != (*key == "") {
		fmt.Fprintln(stderr, "ws proxy: --tls-cert and --tls-key go together")
		return exitUsage
	}
	u, err := url.Parse(*upstream)
	if err != nil || u.Host == "" {
		fmt.Fprintf(stderr, "ws proxy: bad upstream URL %q (want ws://host:port or wss://host:port)\n", *upstream)
		return exitUsage
	}
	c := &proxyConfig{upstream: u, log: frameLogs{newFrameLog(stdout, *jsonOut, width.value())}, stderr: stderr}
	port := u.Port()
	switch u.Scheme {
	case "ws":
		if port == "" {
			port = "80"
		}
	case "wss":
		if port == "" {
			port = "443"
		}
		c.tls = &tls.Config{ServerName: u.Hostname(), InsecureSkipVerify: *insecure}
		if *cacert != "" {
			pem, err := os.ReadFile(*cacert)
			if err != nil {
				fmt.Fprintf(stderr, "ws proxy: %s\n", errText(err))
				return exitUsage
			}
			c.tls.RootCAs = x509.NewCertPool()
			if !c.tls.RootCAs.AppendCertsFromPEM(pem) {
				fmt.Fprintf(stderr, "ws proxy: no certificate in %s\n", *cacert)
				return exitUsage
			}
		}
	case "http", "https":
		fmt.Fprintf(stderr, "ws proxy: the upstream is a WebSocket server: ws%s://%s, not %s://\n", strings.TrimPrefix(u.Scheme, "http"), u.Host+u.RequestURI(), u.Scheme)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "ws proxy: upstream scheme %q is not ws or wss\n", u.Scheme)
		return exitUsage
	}
	c.addr = net.JoinHostPort(u.Hostname(), port)

	var listenTLS *tls.Config
	if *cert != "" {
		pair, err := tls.LoadX509KeyPair(*cert, *key)
		if err != nil {
			fmt.Fprintf(stderr, "ws proxy: cannot load the TLS certificate: %v\n", err)
			return exitError
		}
		listenTLS = &tls.Config{Certificates: []tls.Certificate{pair}, NextProtos: []string{"http/1.1"}}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "ws proxy: %s\n", errText(err))
		return exitError
	}
	scheme := "ws"
	if listenTLS != nil {
		ln = tls.NewListener(ln, listenTLS)
		scheme = "wss"
	}
	fmt.Fprintf(stderr, "ws proxy: relaying %s://%s/ to %s\n", scheme, ln.Addr(), u)
	uiDone := make(chan struct{})
	if *uiAddr != "" {
		uln, err := net.Listen("tcp", *uiAddr)
		if err != nil {
			ln.Close()
			fmt.Fprintf(stderr, "ws proxy: --ui: %v\n", err)
			return exitError
		}
		hub := newUIHub()
		c.log = append(c.log, newFrameLog(hub, true, uiWidth))
		fmt.Fprintf(stderr, "ws proxy: live view at http://%s/\n", uln.Addr())
		go func() {
			defer close(uiDone)
			if err := serveUI(ctx, uln, hub, u.String()); err != nil {
				fmt.Fprintf(stderr, "ws proxy: --ui: %v\n", err)
			}
		}()
	} else {
		close(uiDone)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	open := map[net.Conn]struct{}{}
	go func() {
		<-ctx.Done()
		ln.Close()
		mu.Lock()
		for nc := range open {
			nc.Close()
		}
		mu.Unlock()
	}()
	for id := 1; ; id++ {
		nc, err := ln.Accept()
		if err != nil {
			break
		}
		mu.Lock()
		open[nc] = struct{}{}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.relay(ctx, id, nc)
			mu.Lock()
			delete(open, nc)
			mu.Unlock()
		}()
	}
	wg.Wait()
	<-uiDone
	return exitOK
}

// relay forwards one connection and logs what it carries.
func (c *proxyConfig) relay(ctx context.Context, id int, down net.Conn) {
	defer down.Close()
	d := &net.Dialer{Timeout: 10 * time.Second}
	var up net.Conn
	var err error
	if c.tls != nil {
		up, err = (&tls.Dialer{NetDialer: d, Config: c.tls}).DialContext(ctx, "tcp", c.addr)
	} else {
		up, err = d.DialContext(ctx, "tcp", c.addr)
	}
	if err != nil {
		c.log.note(id, time.Now(), fmt.Sprintf("%s: cannot reach the upstream: %v", down.RemoteAddr(), err))
		badGateway(down, fmt.Sprintf("ws proxy: cannot reach the upstream %s: %v", c.upstream, errText(err)))
		return
	}
	defer up.Close()
	s := &proxiedConn{c: c, id: id, client: down.RemoteAddr().String(), server: c.addr}
	stop := context.AfterFunc(ctx, func() { down.Close(); up.Close() })
	defer stop()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); s.pump(down, up, inspect.ClientToServer) }()
	go func() { defer wg.Done(); s.pump(up, down, inspect.ServerToClient) }()
	wg.Wait()
	s.mu.Lock()
	if s.flow != nil {
		s.flow.Close(time.Now())
	}
	s.mu.Unlock()
}

// proxiedConn is the decoding side of one relayed connection.
type proxiedConn struct {
	c              *proxyConfig
	id             int
	client, server string

	mu    sync.Mutex
	heads [2][]byte
	flow  *inspect.Flow
	plain bool // not a WebSocket connection: relayed, not decoded
}

// pump copies src to dst, then has the flow decode what went through.
func (s *proxiedConn) pump(src, dst net.Conn, dir inspect.Dir) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				s.observe(dir, buf[:n], true)
				dst.Close()
				src.Close()
				return
			}
			s.observe(dir, buf[:n], false)
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				// A reset or a local close: the other way ends too.
				dst.Close()
			} else if cw, ok := dst.(interface{ CloseWrite() error }); ok {
				cw.CloseWrite()
			} else {
				dst.Close()
			}
			s.observe(dir, nil, true)
			return
		}
	}
}

// observe decodes bytes that were relayed in direction dir.
func (s *proxiedConn) observe(dir inspect.Dir, p []byte, eof bool) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.flow != nil:
		s.flow.Feed(dir, p, eof, now)
		return
	case s.plain:
		return
	}
	s.heads[dir] = append(s.heads[dir], p...)
	rn, sn := inspect.HeadLen(s.heads[0]), inspect.HeadLen(s.heads[1])
	if rn == 0 || sn == 0 {
		if eof || len(s.heads[dir]) > 64<<10 {
			s.plain = true
			s.c.log.note(s.id, now, fmt.Sprintf("%s: no WebSocket handshake", s.client))
		}
		return
	}
	u, err := inspect.ParseUpgrade(s.heads[0][:rn], s.heads[1][:sn])
	if err != nil {
		s.plain = true
		s.c.log.note(s.id, now, fmt.Sprintf("%s: %v", s.client, err))
		return
	}
	s.c.log.upgrade(s.id, now, s.client, s.server, u)
	s.flow = inspect.NewFlowFrom(u, s.c.log.handler(s.id))
	rest := s.heads
	s.heads = [2][]byte{}
	s.flow.Feed(inspect.ClientToServer, rest[0][rn:], false, now)
	s.flow.Feed(inspect.ServerToClient, rest[1][sn:], false, now)
	if eof {
		s.flow.Feed(dir, nil, true, now)
	}
}

// badGateway answers the client's request with 502 and body, after reading
// the request head (closing with unread bytes would reset the connection
// and lose the answer).
func badGateway(down net.Conn, body string) {
	down.SetDeadline(time.Now().Add(5 * time.Second))
	var head []byte
	buf := make([]byte, 4096)
	for inspect.HeadLen(head) == 0 && len(head) < 64<<10 {
		n, err := down.Read(buf)
		head = append(head, buf[:n]...)
		if err != nil {
			break
		}
	}
	body += "\n"
	fmt.Fprintf(down, "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
	if cw, ok := down.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
}
