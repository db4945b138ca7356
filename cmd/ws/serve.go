package main

import (
	"context"
	"crypto/tls"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/server"
)

const serveHelp = `Usage: ws serve [flags]

Without --echo: a broadcast chat. Open http://ADDR/ in a browser; the page
connects to /ws and every text message a client sends is broadcast to every
connected client. With --echo: every message received on any path is sent
back unchanged (messages up to 64 MiB). Both modes accept permessage-deflate
when a client offers it, unless --no-compress is given, answer 503 beyond
--max-conns connections, and log each connection to stderr. Stop with
Ctrl-C: every client gets 1001 (going away).

The chat is the channel "chat" (server.Subscribe, server.Publish). With
--broker, several ws serve processes share it through NATS or Redis: a
message typed on one reaches the pages of all. Each message reaches the
page as {"channel":"chat","epoch":E,"offset":N,"data":TEXT}; a page that
reconnects sends the last one it saw as /ws?epoch=E&offset=N and gets what
it missed first, or {"channel":"chat","epoch":E,"offset":N,"gap":true}
when the history no longer reaches back that far. The broker clients live
in helper programs, ws-broker-nats and ws-broker-redis (built from the
modules broker/nats and broker/redis), which ws starts and looks for next
to itself, then on PATH.

Examples:
  ws serve
  ws serve --echo --addr 127.0.0.1:9001
  ws serve --max-conns 1000 --log warn
  ws serve --tls-cert cert.pem --tls-key key.pem
  ws serve --addr :8081 --broker nats://127.0.0.1:4222
  ws serve --addr :8082 --broker redis://127.0.0.1:6379
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
	maxConns := fs.Int("max-conns", 0, "answer 503 to handshakes beyond `n` open connections (0: no limit)")
	brokerURL := fs.String("broker", "", "share the chat with other ws serve processes through the broker at `url`: nats://HOST:PORT or redis://HOST:PORT (default: this process only)")
	logLevel := fs.String("log", "info", "log connections to stderr at `level`: debug (also every frame), info, warn or off")
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

	level, ok := logLevels[*logLevel]
	if !ok {
		fmt.Fprintf(stderr, "ws serve: --log %q: want debug, info, warn or off\n", *logLevel)
		return exitUsage
	}
	if *maxConns < 0 {
		fmt.Fprintln(stderr, "ws serve: --max-conns must be 0 (no limit) or more")
		return exitUsage
	}
	opts := &server.Options{MaxConns: *maxConns}
	opts.Compression = comp
	if level != logOff {
		opts.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	}
	if *echo {
		opts.InsecureSkipOriginCheck = true // an echo holds nothing private
		opts.MaxMessageSize = maxMessage
	}
	if *echo && *brokerURL != "" {
		fmt.Fprintln(stderr, "ws serve: --broker is for the chat, not --echo")
		return exitUsage
	}
	if !*echo {
		b, code := openBroker(ctx, *brokerURL, stderr)
		if b == nil && code != exitOK {
			return code
		}
		if b != nil {
			defer b.Close()
			opts.Broker = b
		}
	}
	ws := server.New(opts)
	var handler http.Handler
	if *echo {
		ws.Handle("/", server.HandlerFunc(echoConn))
		handler = ws
	} else {
		// Same-origin only (the default): the page is ours.
		ws.HandleRoute(server.Route{Path: "/ws", OnUpgrade: readResume,
			Handler: server.HandlerFunc(func(ctx context.Context, c *websocket.Conn) error {
				return chat(ctx, ws, c)
			})})
		mux := http.NewServeMux()
		mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write(chatPage)
		})
		mux.Handle("/ws", ws)
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
	srv.Shutdown(sctx) // stops accepting; WebSocket connections are ws's
	ws.Shutdown(sctx)  // 1001 to every client
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "ws serve: %v\n", err)
		return exitError
	}
	return exitOK
}

// echoConn sends every message back with its type and bytes.
func echoConn(ctx context.Context, c *websocket.Conn) error {
	for {
		typ, msg, err := c.Read(ctx)
		if err != nil {
			return nil
		}
		if err := c.Write(ctx, typ, msg); err != nil {
			return nil
		}
	}
}

// chatChannel is the channel of the ws serve chat.
const chatChannel = "chat"

// chat subscribes c to the chat channel, resuming from the position its
// handshake named (readResume), and publishes every text message from c
// to every client of every node, c included. Each client's queue takes
// them; a client too slow to keep up is closed with 1008
// (server.CloseSlow).
func chat(ctx context.Context, ws *server.Server, c *websocket.Conn) error {
	since, _ := c.Value(resumeKey{}).(*server.Position)
	if err := ws.Subscribe(ctx, c, chatChannel, since); err != nil {
		c.Close(websocket.StatusTryAgainLater, "the broker is unavailable")
		return err
	}
	for {
		typ, msg, err := c.Read(ctx)
		if err != nil {
			return nil
		}
		if typ == websocket.MessageText {
			if _, err := ws.Publish(ctx, chatChannel, msg); err != nil {
				c.Close(websocket.StatusTryAgainLater, "the broker is unavailable")
				return err
			}
		}
	}
}

// logOff is the --log level that turns logging off.
const logOff = slog.Level(100)

var logLevels = map[string]slog.Level{
	"debug": slog.LevelDebug,
	"info":  slog.LevelInfo,
	"warn":  slog.LevelWarn,
	"off":   logOff,
}
