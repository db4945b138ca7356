package main

import (
	"context"
	"crypto/tls"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/wskit/websocket"
)

const serveHelp = `Usage: ws serve [flags]

Without --echo: a broadcast chat. Open http://ADDR/ in a browser; the page
connects to /ws and every text message a client sends is sent to every
connected client. With --echo: every message received on any path is sent
back unchanged (messages up to 64 MiB). Both modes accept permessage-deflate
when a client offers it, unless --no-compress is given. Stop with Ctrl-C.

Examples:
  ws serve
  ws serve --echo --addr 127.0.0.1:9001
  ws serve --tls-cert cert.pem --tls-key key.pem
`

//go:embed chat.html
var chatPage []byte

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("ws serve", serveHelp)
	addr := fs.String("addr", "127.0.0.1:8080", "listen on `host:port` (port 0 picks a free port)")
	echo := fs.Bool("echo", false, "echo every message back, on any path")
	cert := fs.String("tls-cert", "", "serve wss:// and https:// with the PEM certificate in `file` (needs --tls-key)")
	key := fs.String("tls-key", "", "the PEM private key `file` for --tls-cert")
	var compress, noCompress bool
	fs.BoolVar(&compress, "compress", false, "accept permessage-deflate when a client offers it (the default)")
	fs.BoolVar(&noCompress, "no-compress", false, "refuse permessage-deflate")
	pos, code, done := parseArgs(fs, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) != 0 {
		fmt.Fprintf(stderr, "ws serve: unexpected argument %q (try: ws serve -h)\n", pos[0])
		return exitUsage
	}
	if (*cert == "") != (*key == "") {
		fmt.Fprintln(stderr, "ws serve: --tls-cert and --tls-key go together")
		return exitUsage
	}
	if compress && noCompress {
		fmt.Fprintln(stderr, "ws serve: --compress and --no-compress cannot be used together")
		return exitUsage
	}
	var comp *websocket.CompressionOptions
	if !noCompress {
		comp = &websocket.CompressionOptions{}
	}

	var handler http.Handler
	var chat *chatRoom
	if *echo {
		handler = echoHandler(comp)
	} else {
		chat = newChatRoom(comp)
		mux := http.NewServeMux()
		mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write(chatPage)
		})
		mux.Handle("/ws", chat)
		handler = mux
	}

	var tlsConfig *tls.Config
	if *cert != "" {
		pair, err := tls.LoadX509KeyPair(*cert, *key)
		if err != nil {
			fmt.Fprintf(stderr, "ws serve: cannot load the TLS certificate: %v\n", err)
			return exitError
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{pair}}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "ws serve: cannot listen on %s: %v\n", *addr, err)
		return exitError
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, TLSConfig: tlsConfig}
	scheme, wsScheme := "http", "ws"
	if *cert != "" {
		scheme, wsScheme = "https", "wss"
	}
	host := ln.Addr().String()
	if *echo {
		fmt.Fprintf(stdout, "ws serve: echo server at %s://%s/ (any path)\n", wsScheme, host)
	} else {
		fmt.Fprintf(stdout, "ws serve: chat at %s://%s/ (open it in a browser; WebSocket at %s://%s/ws)\n", scheme, host, wsScheme, host)
	}

	errc := make(chan error, 1)
	go func() {
		if *cert != "" {
			errc <- srv.ServeTLS(ln, "", "")
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		fmt.Fprintf(stderr, "ws serve: %v\n", err)
		return exitError
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	srv.Shutdown(sctx) // hijacked WebSocket connections are not waited for
	if chat != nil {
		chat.closeAll()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "ws serve: %v\n", err)
		return exitError
	}
	return exitOK
}

// echoHandler returns a handler that sends every message back with its
// type and bytes; comp, when not nil, accepts permessage-deflate.
func echoHandler(comp *websocket.CompressionOptions) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		opts := &websocket.AcceptOptions{InsecureSkipOriginCheck: true} // an echo holds nothing private
		opts.MaxMessageSize = maxMessage
		opts.Compression = comp
		c, err := websocket.Accept(w, r, opts)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, msg, err := c.Read(context.Background())
			if err != nil {
				return
			}
			if err := c.Write(context.Background(), typ, msg); err != nil {
				return
			}
		}
	})
}

// chatWriteTimeout bounds one write to one chat client, so a slow client
// does not hold up the others; a client whose write fails is dropped.
const chatWriteTimeout = 2 * time.Second

// chatRoom is the broadcast chat: every text message goes to every client.
type chatRoom struct {
	comp    *websocket.CompressionOptions // nil: refuse permessage-deflate
	mu      sync.Mutex
	clients map[*websocket.Conn]struct{}
}

func newChatRoom(comp *websocket.CompressionOptions) *chatRoom {
	return &chatRoom{comp: comp, clients: make(map[*websocket.Conn]struct{})}
}

func (room *chatRoom) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	opts := &websocket.AcceptOptions{} // same-origin only: the page is ours
	opts.Compression = room.comp
	c, err := websocket.Accept(w, r, opts)
	if err != nil {
		return
	}
	room.mu.Lock()
	room.clients[c] = struct{}{}
	room.mu.Unlock()
	defer room.drop(c)
	for {
		typ, msg, err := c.Read(context.Background())
		if err != nil {
			return
		}
		if typ == websocket.MessageText {
			room.broadcast(msg)
		}
	}
}

// broadcast sends msg to every client at once, each write bounded.
func (room *chatRoom) broadcast(msg []byte) {
	room.each(func(c *websocket.Conn) {
		ctx, cancel := context.WithTimeout(context.Background(), chatWriteTimeout)
		defer cancel()
		if err := c.Write(ctx, websocket.MessageText, msg); err != nil {
			room.drop(c)
		}
	})
}

// each runs f for every client, all at once, and waits for them.
func (room *chatRoom) each(f func(c *websocket.Conn)) {
	room.mu.Lock()
	clients := make([]*websocket.Conn, 0, len(room.clients))
	for c := range room.clients {
		clients = append(clients, c)
	}
	room.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Go(func() { f(c) })
	}
	wg.Wait()
}

func (room *chatRoom) drop(c *websocket.Conn) {
	room.mu.Lock()
	delete(room.clients, c)
	room.mu.Unlock()
	c.CloseNow()
}

// closeAll says goodbye to every client (1001) when the server stops.
func (room *chatRoom) closeAll() {
	room.each(func(c *websocket.Conn) { c.Close(websocket.StatusGoingAway, "server stopping") })
}
