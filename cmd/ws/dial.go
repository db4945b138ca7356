package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/wskit/websocket"
)

const dialHelp = `Usage: ws dial [flags] URL

Connects to URL (ws://, wss://, http:// or https://). Each line read from
stdin is sent as a text message; every message received is printed on its
own line to stdout: text as is, binary as hex (or base64 with
--binary=base64). At the end of stdin the connection is closed normally.
With --file or --stdin-binary one binary message is sent instead, then the
connection is closed. With --echo every message received is sent back
unchanged (same type, same bytes) until the peer closes. With --compress
permessage-deflate is offered, and used when the server agrees. With --h2
the WebSocket is a stream of an HTTP/2 connection (RFC 8441, as browsers
open them): over wss:// it falls back to HTTP/1.1 when the server does not
allow that; over ws:// it speaks h2c and fails when the server does not.

On a terminal (or with --interactive) ws dial says what was agreed, marks
what you send with > and what arrives with <, escapes control characters,
and takes commands: /ping, /close [code [reason]], /binary HEX, /text TEXT
and /help. Piped, it prints the messages alone, as above.

Examples:
  ws dial ws://127.0.0.1:8080/ws
  ws dial -H 'Authorization: Bearer x' --subprotocol chat wss://example.com/
  ws dial --file photo.png ws://127.0.0.1:8080/
  ws dial --compress ws://127.0.0.1:9001/
  ws dial --h2 --insecure wss://127.0.0.1:8080/
`

// maxMessage is the largest message ws accepts, in both commands.
const maxMessage = 64 << 20

type dialConfig struct {
	url         string
	headers     listFlag
	protocols   listFlag
	origin      string
	insecure    bool
	h2          bool
	cacert      string
	proxy       string
	ping        time.Duration
	file        string
	stdinBinary bool
	binary      string
	echo        bool
	compress    bool
	interactive bool // the terminal mode: markers and slash commands
	realTTY     bool // stdin and stdout are a terminal
}

func runDial(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var c dialConfig
	fs := newFlagSet("ws dial", dialHelp)
	fs.Var(&c.headers, "H", "add a request `header` 'Name: value' (repeatable)")
	fs.Var(&c.protocols, "subprotocol", "offer a `subprotocol` (repeatable, in order of preference)")
	fs.StringVar(&c.origin, "origin", "", "send this `origin` as the Origin header")
	fs.BoolVar(&c.h2, "h2", false, "open the WebSocket as a stream of an HTTP/2 connection (RFC 8441); wss:// falls back to HTTP/1.1 when the server does not allow it")
	fs.BoolVar(&c.insecure, "insecure", false, "skip TLS certificate verification (wss://)")
	fs.StringVar(&c.cacert, "cacert", "", "trust the PEM CA certificates in `file` (wss://)")
	fs.StringVar(&c.proxy, "proxy", "", "connect through this HTTP proxy `URL` with CONNECT (default: from HTTP_PROXY/HTTPS_PROXY)")
	fs.DurationVar(&c.ping, "ping", 0, "send a keepalive ping every `duration` (0: none)")
	fs.StringVar(&c.file, "file", "", "send the contents of `file` as one binary message, then close")
	fs.BoolVar(&c.stdinBinary, "stdin-binary", false, "send all of stdin as one binary message, then close")
	fs.StringVar(&c.binary, "binary", "hex", "print binary messages as `hex` or base64")
	fs.BoolVar(&c.echo, "echo", false, "echo every message back until the peer closes")
	fs.BoolVar(&c.interactive, "interactive", false, "the terminal mode even when stdin or stdout is not a terminal (on by itself on one)")
	var noCompress bool
	fs.BoolVar(&c.compress, "compress", false, "offer permessage-deflate (compression of each message, RFC 7692)")
	fs.BoolVar(&noCompress, "no-compress", false, "do not offer permessage-deflate (the default)")

	pos, code, done := parseArgs(fs, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "ws dial: need exactly one URL (try: ws dial -h)")
		return exitUsage
	}
	c.url = pos[0]
	if !strings.Contains(c.url, "://") {
		fmt.Fprintf(stderr, "ws dial: %q has no scheme; did you mean ws://%s ?\n", c.url, c.url)
		return exitUsage
	}
	if c.compress && noCompress {
		fmt.Fprintln(stderr, "ws dial: --compress and --no-compress cannot be used together")
		return exitUsage
	}
	if c.binary != "hex" && c.binary != "base64" {
		fmt.Fprintf(stderr, "ws dial: --binary must be hex or base64, not %q\n", c.binary)
		return exitUsage
	}
	if c.file != "" && c.stdinBinary {
		fmt.Fprintln(stderr, "ws dial: --file and --stdin-binary cannot be used together")
		return exitUsage
	}
	if c.echo && (c.file != "" || c.stdinBinary) {
		fmt.Fprintln(stderr, "ws dial: --echo cannot be used with --file or --stdin-binary")
		return exitUsage
	}
	opts, err := c.options()
	if err != nil {
		fmt.Fprintf(stderr, "ws dial: %s\n", errText(err))
		return exitUsage
	}

	conn, err := dial(ctx, c.url, opts)
	if err != nil {
		fmt.Fprintf(stderr, "ws dial: %s\n", errText(err))
		return exitError
	}
	defer conn.CloseNow()
	if c.echo {
		return echoClient(ctx, conn, stderr)
	}
	if c.file == "" && !c.stdinBinary {
		in, inOK := stdin.(*os.File)
		out, outOK := stdout.(*os.File)
		c.realTTY = inOK && outOK && isTerminal(in) && isTerminal(out)
		if c.realTTY || c.interactive {
			return terminal(ctx, conn, &c, stdin, stdout, stderr)
		}
	}
	return interactive(ctx, conn, &c, stdin, stdout, stderr)
}

// options turns the flags into DialOptions.
func (c *dialConfig) options() (*websocket.DialOptions, error) {
	o := &websocket.DialOptions{
		Subprotocols: c.protocols,
		Origin:       c.origin,
		HTTP2:        c.h2,
	}
	o.MaxMessageSize = maxMessage
	if c.ping > 0 {
		o.PingInterval = c.ping
	}
	if c.compress {
		o.Compression = &websocket.CompressionOptions{}
	}
	for _, h := range c.headers {
		name, value, ok := strings.Cut(h, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, fmt.Errorf("header %q is not 'Name: value'", h)
		}
		if o.Header == nil {
			o.Header = make(http.Header)
		}
		o.Header.Add(name, strings.TrimSpace(value))
	}
	if c.insecure || c.cacert != "" {
		o.TLSConfig = &tls.Config{InsecureSkipVerify: c.insecure}
		if c.cacert != "" {
			pem, err := os.ReadFile(c.cacert)
			if err != nil {
				return nil, fmt.Errorf("--cacert: %v", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("--cacert: no PEM certificate in %s", c.cacert)
			}
			o.TLSConfig.RootCAs = pool
		}
	}
	if c.proxy != "" {
		u, err := url.Parse(c.proxy)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("--proxy %q is not a URL like http://host:port", c.proxy)
		}
		o.Proxy = http.ProxyURL(u)
	}
	return o, nil
}

// dial connects and turns a refusal into an error a person can read.
func dial(ctx context.Context, rawURL string, opts *websocket.DialOptions) (*websocket.Conn, error) {
	conn, resp, err := websocket.Dial(ctx, rawURL, opts)
	if err == nil {
		return conn, nil
	}
	var he *websocket.HandshakeError
	if errors.As(err, &he) && resp != nil {
		msg := fmt.Sprintf("%s refused the WebSocket handshake: HTTP %s", rawURL, resp.Status)
		if resp.Body != nil {
			line, _ := bufio.NewReader(io.LimitReader(resp.Body, 4096)).ReadString('\n')
			resp.Body.Close()
			if line = strings.TrimSpace(line); line != "" {
				msg += ": " + line
			}
		}
		if resp.StatusCode == http.StatusSwitchingProtocols {
			msg += " (" + he.Error() + ")"
		}
		return nil, errors.New(msg)
	}
	return nil, fmt.Errorf("cannot connect to %s: %v", rawURL, err)
}

// echoClient sends every message back until the peer closes.
func echoClient(ctx context.Context, conn *websocket.Conn, stderr io.Writer) int {
	stop := context.AfterFunc(ctx, func() { conn.Close(websocket.StatusGoingAway, "") })
	defer stop()
	for {
		typ, msg, err := conn.Read(context.Background())
		if err != nil {
			return endStatus(err, stderr)
		}
		if err := conn.Write(context.Background(), typ, msg); err != nil {
			return endStatus(err, stderr)
		}
	}
}

// endStatus reports how a connection ended and returns the exit code: 0 for
// a normal end (either side closing with 1000 or 1001), 1 otherwise.
func endStatus(err error, stderr io.Writer) int {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		switch {
		case ce.Remote && (ce.Code == websocket.StatusNormalClosure || ce.Code == websocket.StatusGoingAway):
			return exitOK
		case !ce.Remote && ce.Err == nil && (ce.Code == websocket.StatusNormalClosure || ce.Code == websocket.StatusGoingAway):
			return exitOK
		case ce.Remote:
			fmt.Fprintf(stderr, "ws dial: the peer closed the connection with %d %s %q\n", int(ce.Code), ce.Code, ce.Reason)
			return exitOK
		}
	}
	fmt.Fprintf(stderr, "ws dial: %s\n", errText(err))
	return exitError
}

// interactive sends stdin (lines as text, or all of it as one binary
// message) and prints every message received.
func interactive(ctx context.Context, conn *websocket.Conn, c *dialConfig, stdin io.Reader, stdout, stderr io.Writer) int {
	out := bufio.NewWriter(stdout)
	readDone := make(chan error, 1)
	// The reader starts before anything is sent: Close, at the end of
	// stdin, leaves the replies still in flight to a connection whose
	// application has begun to read.
	reading := make(chan struct{})
	go func() {
		for first := true; ; first = false {
			if first {
				close(reading)
			}
			typ, msg, err := conn.Read(context.Background())
			if err != nil {
				readDone <- err
				return
			}
			if typ == websocket.MessageBinary {
				if c.binary == "base64" {
					out.WriteString(base64.StdEncoding.EncodeToString(msg))
				} else {
					out.WriteString(hex.EncodeToString(msg))
				}
			} else {
				out.Write(msg)
			}
			out.WriteByte('\n')
			out.Flush()
		}
	}()

	sendErr := make(chan error, 1)
	var once sync.Once
	finish := func(err error) { once.Do(func() { sendErr <- err }) }
	<-reading
	go func() {
		switch {
		case c.file != "" || c.stdinBinary:
			var data []byte
			var err error
			if c.file != "" {
				data, err = os.ReadFile(c.file)
			} else {
				data, err = io.ReadAll(stdin)
			}
			if err != nil {
				finish(fmt.Errorf("reading the message: %w", err))
				return
			}
			finish(conn.Write(ctx, websocket.MessageBinary, data))
		default:
			sc := bufio.NewScanner(stdin)
			sc.Buffer(make([]byte, 64<<10), maxMessage)
			for sc.Scan() {
				if err := conn.Write(ctx, websocket.MessageText, sc.Bytes()); err != nil {
					finish(err)
					return
				}
			}
			finish(sc.Err())
		}
	}()

	select {
	case err := <-readDone:
		return endStatus(err, stderr)
	case <-ctx.Done():
		conn.Close(websocket.StatusGoingAway, "")
		<-readDone
		return exitOK
	case err := <-sendErr:
		if err != nil {
			select {
			case rerr := <-readDone: // the connection ended: say how
				return endStatus(rerr, stderr)
			default:
			}
			fmt.Fprintf(stderr, "ws dial: %s\n", errText(err))
			return exitError
		}
		// Replies still in flight reach the reader: Close leaves data
		// messages to an application that reads while it waits for the
		// server's close frame.
		if err := conn.Close(websocket.StatusNormalClosure, ""); err != nil {
			select {
			case rerr := <-readDone:
				return endStatus(rerr, stderr)
			case <-time.After(time.Second):
			}
			fmt.Fprintf(stderr, "ws dial: closing: %v\n", err)
			return exitError
		}
		<-readDone
		return exitOK
	}
}
