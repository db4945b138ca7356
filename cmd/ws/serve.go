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
	"slices"
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

Examples:
  ws serve
  ws serve --echo --addr 127.0.0.1:9001
  ws serve --max-conns 1000 --log warn
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
	maxConns := fs.Int("max-conns", 0, "answer 503 to handshakes beyond `n` open connections (0: no limit)")
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
	ws := server.New(opts)
	var handler http.Handler
	if *echo {
		ws.Handle("/", server.HandlerFunc(echoConn))
		handler = ws
	} else {
		// Same-origin only (the default): the page is ours.
		ws.Handle("/ws", server.HandlerFunc(func(ctx context.Context, c *websocket.Conn) error {
			return chat(ctx, ws, c)
		}))
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
	srv := server.HTTPServer("", handler)
	srv.TLSConfig = tlsConfig
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

// echoConn sends every message back with its type and bytes, whole. On a
// compressed connection, where a few bytes received can inflate to the
// whole limit, a message longer than echoHold is sent back as it streams
// in, in fragments, so that the connection never holds more than echoHold
// of it (plus the inflater and compressor) whatever its compression
// ratio; the peer must then read while it writes. Text is checked as it
// arrives, so such a message with invalid UTF-8 fails with 1007 after its
// valid start has been echoed. Without compression the connection holds
// only what the peer sent, up to the limit.
func echoConn(ctx context.Context, c *websocket.Conn) error {
	hold := maxMessage + 1
	if c.Compressed() {
		hold = echoHold
	}
	for {
		typ, r, err := c.Reader(ctx)
		if err != nil {
			return nil
		}
		buf := make([]byte, 0, 4096)
		for len(buf) < hold {
			if len(buf) == cap(buf) {
				buf = slices.Grow(buf, min(len(buf), hold-len(buf)))
			}
			var n int
			n, err = r.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			if err != nil {
				break
			}
		}
		switch err {
		case io.EOF:
			err = c.Write(ctx, typ, buf)
		case nil:
			err = echoStream(ctx, c, typ, buf, r)
		}
		if err != nil {
			return nil
		}
	}
}

// echoHold is the most of one message the echo server holds on a
// compressed connection.
const echoHold = 1 << 20

// echoStream sends back a message whose first part, head, is in hand and
// whose rest is still to be read from r.
func echoStream(ctx context.Context, c *websocket.Conn, typ websocket.MessageType, head []byte, r io.Reader) error {
	w, err := c.Writer(ctx, typ)
	if err != nil {
		return err
	}
	if _, err := w.Write(head); err != nil {
		return err
	}
	if _, err := io.CopyBuffer(w, r, head[:min(len(head), 64<<10)]); err != nil {
		return err
	}
	return w.Close()
}

// chat sends every text message from c to every client of ws, c included.
// The broadcast queues it for each; a client too slow to keep up is closed
// with 1008 (server.CloseSlow).
func chat(ctx context.Context, ws *server.Server, c *websocket.Conn) error {
	for {
		typ, msg, err := c.Read(ctx)
		if err != nil {
			return nil
		}
		if typ == websocket.MessageText {
			ws.Broadcast(websocket.MessageText, msg)
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
