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
	"os"
	"slices"
	"sync"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/handshake"
	"github.com/wskit/websocket/server"
)

const serveHelp = `Usage: ws serve [flags]

Without --echo or --exec: a broadcast chat. Open http://ADDR/ in a
browser; the page connects to /ws and every text message a client sends is
broadcast to every connected client. With --echo: every message received on
any path is sent back unchanged (messages up to 64 MiB).

With --exec CMD, in the manner of websocketd: each connection, on any path,
starts CMD (run by /bin/sh -c); every line CMD prints is sent as a text
message and every text message is written to its stdin with a newline. Its
environment is ws's own plus the request as CGI variables (REMOTE_ADDR, REMOTE_PORT,
REQUEST_URI, QUERY_STRING, SCRIPT_NAME, SERVER_NAME, SERVER_PORT, HTTPS,
HTTP_<HEADER>...). When CMD exits the connection closes (1000 for status
0, 1011 otherwise); when the client leaves, CMD's stdin is closed, then it
gets SIGTERM after a second and SIGKILL three seconds later.

With --dir DIR, requests that are not WebSocket handshakes get the files
in DIR (instead of the chat page, whose WebSocket stays at /ws).

With --h2 the server speaks HTTP/2 as well as HTTP/1.1, and advertises
SETTINGS_ENABLE_CONNECT_PROTOCOL, so browsers (and ws dial --h2) open
WebSockets as streams of one HTTP/2 connection (RFC 8441). It serves TLS
with a self-signed certificate made at start unless --tls-cert is given,
or, with --no-tls, cleartext HTTP/1.1 and h2c. Without --h2, HTTP/1.1
only.

Browsers' handshakes are accepted from the page's own origin (the Host
header); --origin adds others, for a page served elsewhere or behind a
proxy that rewrites Host (patterns as in path.Match: example.com,
*.example.com:8443, https://app.example.com). --echo accepts every origin
unless --origin is given.

Every mode accepts permessage-deflate when a client offers it, unless
--no-compress is given, answers 503 beyond --max-conns connections, and
logs each connection to stderr. Stop with Ctrl-C: every client gets 1001
(going away).

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
  ws serve --echo --h2
  ws serve --exec './count.sh' --dir ./public --origin example.com
  ws serve --addr :8081 --broker nats://127.0.0.1:4222
  ws serve --addr :8082 --broker redis://127.0.0.1:6379
`

//go:embed chat.html
var chatPage []byte

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("ws serve", serveHelp)
	addr := fs.String("addr", "127.0.0.1:8080", "listen on `host:port` (port 0 picks a free port)")
	echo := fs.Bool("echo", false, "echo every message back, on any path")
	execCmd := fs.String("exec", "", "run `command` for each connection: its output lines are messages, messages are its input")
	dir := fs.String("dir", "", "serve the files in `folder` to requests that are not WebSocket handshakes")
	var origins listFlag
	fs.Var(&origins, "origin", "also accept browser handshakes from this origin `pattern` (repeatable)")
	cert := fs.String("tls-cert", "", "serve wss:// and https:// with the PEM certificate in `file` (needs --tls-key)")
	key := fs.String("tls-key", "", "the PEM private key `file` for --tls-cert")
	h2 := fs.Bool("h2", false, "speak HTTP/2 too, with WebSockets as HTTP/2 streams (RFC 8441): over TLS (a self-signed certificate for localhost unless --tls-cert), or h2c with --no-tls")
	noTLS := fs.Bool("no-tls", false, "with --h2: serve cleartext HTTP/1.1 and h2c instead of TLS")
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
	if *noTLS && (!*h2 || *cert != "") {
		fmt.Fprintln(stderr, "ws serve: --no-tls goes with --h2 and without --tls-cert")
		return exitUsage
	}
	if compress && noCompress {
		fmt.Fprintln(stderr, "ws serve: --compress and --no-compress cannot be used together")
		return exitUsage
	}
	if *echo && *execCmd != "" {
		fmt.Fprintln(stderr, "ws serve: --echo and --exec cannot be used together")
		return exitUsage
	}
	if *dir != "" {
		if st, err := os.Stat(*dir); err != nil || !st.IsDir() {
			fmt.Fprintf(stderr, "ws serve: --dir %s is not a folder\n", *dir)
			return exitUsage
		}
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
	logger := slog.New(slog.DiscardHandler)
	if level != logOff {
		logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
		opts.Logger = logger
	}
	opts.OriginPatterns = origins
	if *echo {
		opts.InsecureSkipOriginCheck = len(origins) == 0 // an echo holds nothing private
		opts.MaxMessageSize = maxMessage
	}
	if *execCmd != "" {
		opts.MaxMessageSize = execLine
		tlsOn := *cert != ""
		opts.OnUpgrade = func(u *websocket.Upgrade) error {
			u.SetValue(execEnvKey{}, execEnv(u, tlsOn))
			return nil
		}
	}
	if (*echo || *execCmd != "") && *brokerURL != "" {
		fmt.Fprintln(stderr, "ws serve: --broker is for the chat, not --echo or --exec")
		return exitUsage
	}
	if !*echo && *execCmd == "" {
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
	switch {
	case *echo || *execCmd != "":
		if *echo {
			ws.Handle("/", server.HandlerFunc(echoConn))
		} else {
			command := *execCmd
			ws.Handle("/", server.HandlerFunc(func(ctx context.Context, c *websocket.Conn) error {
				return execConn(ctx, c, command, logger, stderr)
			}))
		}
		handler = ws
		if *dir != "" {
			files := http.FileServer(http.Dir(*dir))
			handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if handshake.IsUpgradeRequest(r) || handshake.IsExtendedConnect(r) {
					ws.ServeHTTP(w, r)
					return
				}
				files.ServeHTTP(w, r)
			})
		}
	default:
		// Same-origin only (the default): the page is ours.
		ws.HandleRoute(server.Route{Path: "/ws", OnUpgrade: readResume,
			Handler: server.HandlerFunc(func(ctx context.Context, c *websocket.Conn) error {
				return chat(ctx, ws, c)
			})})
		mux := http.NewServeMux()
		if *dir != "" {
			mux.Handle("/", http.FileServer(http.Dir(*dir)))
		} else {
			mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.Write(chatPage)
			})
		}
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
	} else if *h2 && !*noTLS {
		pair, fingerprint, err := selfSigned()
		if err != nil {
			fmt.Fprintf(stderr, "ws serve: cannot make a certificate: %v\n", err)
			return exitError
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{pair}}
		*cert = "self-signed"
		fmt.Fprintf(stdout, "ws serve: self-signed certificate, SHA-256 %s (ws dial --insecure; Chromium --ignore-certificate-errors)\n", fingerprint)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "ws serve: cannot listen on %s: %v\n", *addr, err)
		return exitError
	}
	srv := server.HTTPServer("", handler)
	srv.TLSConfig = tlsConfig
	srv.Protocols = serveProtocols(*h2)
	scheme, wsScheme := "http", "ws"
	if *cert != "" {
		scheme, wsScheme = "https", "wss"
	}
	host := ln.Addr().String()
	switch {
	case *echo:
		fmt.Fprintf(stdout, "ws serve: echo server at %s://%s/ (any path)\n", wsScheme, host)
	case *execCmd != "":
		fmt.Fprintf(stdout, "ws serve: running %q for each connection at %s://%s/ (any path)\n", *execCmd, wsScheme, host)
	default:
		fmt.Fprintf(stdout, "ws serve: chat at %s://%s/ (open it in a browser; WebSocket at %s://%s/ws)\n", scheme, host, wsScheme, host)
	}
	if *dir != "" {
		fmt.Fprintf(stdout, "ws serve: files of %s at %s://%s/\n", *dir, scheme, host)
	}

	errc := make(chan error, 1)
	go func() {
		if tlsConfig != nil {
			errc <- srv.ServeTLS(ln, "", "")
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		fmt.Fprintf(stderr, "ws serve: %s\n", errText(err))
		return exitError
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	srv.Shutdown(sctx) // stops accepting; WebSocket connections are ws's
	ws.Shutdown(sctx)  // 1001 to every client
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "ws serve: %s\n", errText(err))
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
		bp, _ := echoBufs.Get().(*[]byte)
		if bp == nil {
			bp = new(make([]byte, 0, 4096))
		}
		buf := (*bp)[:0]
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
		if cap(buf) <= echoHold {
			*bp = buf
			echoBufs.Put(bp)
		}
		if err != nil {
			return nil
		}
	}
}

// echoBufs are the buffers echoConn reads messages into, shared by the
// connections between their messages: an idle connection holds none.
var echoBufs sync.Pool

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
