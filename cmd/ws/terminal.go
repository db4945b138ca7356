package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/handshake"
)

const terminalHelp = `commands:
  /ping                  send a ping and wait (10 s at most) for the pong
  /close [code [reason]] close the connection (default 1000)
  /binary HEX            send a binary message (spaces allowed: 00 ff)
  /text TEXT             send TEXT as is, even when it starts with /
  /help                  this list
lines starting with > are yours, < came from the server; Ctrl-D closes`

// ttyOut writes the terminal session: every line it prints first clears
// the prompt, then puts it back.
type ttyOut struct {
	mu   sync.Mutex
	w    io.Writer
	tty  bool // a real terminal: redraw the prompt
	done bool // the session is over
}

func (o *ttyOut) line(format string, args ...any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.done {
		return
	}
	if o.tty {
		fmt.Fprint(o.w, "\r\x1b[K")
	}
	fmt.Fprintf(o.w, format+"\n", args...)
	if o.tty {
		fmt.Fprint(o.w, "> ")
	}
}

// last prints the session's last line, with no prompt after it.
func (o *ttyOut) last(format string, args ...any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.tty {
		fmt.Fprint(o.w, "\r\x1b[K")
	}
	fmt.Fprintf(o.w, format+"\n", args...)
	o.done = true
}

// printable shows a peer's text with control characters escaped, so that a
// message cannot move the cursor or change the terminal.
func printable(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t' || !unicode.IsControl(r) && r != '\u2028' && r != '\u2029':
			b.WriteRune(r)
		default:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
	}
	return b.String()
}

// describe is the connected line: where, subprotocol and extensions.
func describe(url string, conn *websocket.Conn) string {
	proto := conn.Subprotocol()
	if proto == "" {
		proto = "none"
	}
	ext := handshake.FormatExtensions(conn.Extensions())
	if ext == "" {
		ext = "none"
	}
	return fmt.Sprintf("connected to %s (subprotocol: %s; extensions: %s)", url, proto, ext)
}

// terminal is ws dial for a person at a terminal: a connected line,
// markers for what was sent (>) and received (<), and slash commands in the
// manner of wscat.
func terminal(ctx context.Context, conn *websocket.Conn, c *dialConfig, stdin io.Reader, stdout, stderr io.Writer) int {
	out := &ttyOut{w: stdout, tty: c.realTTY}
	out.line("%s", describe(c.url, conn))
	out.line("type a message and press Enter; /help lists the commands, Ctrl-D closes")

	// The reader starts before the first line is sent: a close begun
	// before the application reads drops the data that comes meanwhile
	// (see websocket.Conn.Close), and an echo would go unseen.
	readDone := make(chan error, 1)
	reading := make(chan struct{})
	go func() {
		close(reading)
		for {
			typ, msg, err := conn.Read(context.Background())
			if err != nil {
				readDone <- err
				return
			}
			if typ == websocket.MessageBinary {
				out.line("< [binary %d B] %s", len(msg), hex.EncodeToString(msg))
			} else {
				out.line("< %s", printable(string(msg)))
			}
		}
	}()

	<-reading
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 64<<10), maxMessage)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()

	closing := false
	for {
		select {
		case err := <-readDone:
			out.last("%s", endLine(err, closing))
			return endCode(err, closing)
		case <-ctx.Done():
			conn.Close(websocket.StatusGoingAway, "")
			<-readDone
			return exitOK
		case l, ok := <-lines:
			if !ok {
				if !closing {
					closing = true
					go conn.Close(websocket.StatusNormalClosure, "")
				}
				lines = nil // wait for the end of the connection
				continue
			}
			if !c.realTTY {
				out.line("> %s", l) // the terminal shows what was typed already
			}
			if err := command(ctx, conn, out, l, &closing); err != nil {
				out.line("! %v", err)
			}
		}
	}
}

// command sends a line or runs a slash command.
func command(ctx context.Context, conn *websocket.Conn, out *ttyOut, l string, closing *bool) error {
	if !strings.HasPrefix(l, "/") || strings.HasPrefix(l, "//") {
		return conn.Write(ctx, websocket.MessageText, []byte(strings.TrimPrefix(l, "/")))
	}
	name, arg, _ := strings.Cut(l[1:], " ")
	arg = strings.TrimSpace(arg)
	switch name {
	case "help":
		for _, h := range strings.Split(terminalHelp, "\n") {
			out.line("%s", h)
		}
	case "text":
		return conn.Write(ctx, websocket.MessageText, []byte(arg))
	case "binary":
		data, err := hex.DecodeString(strings.Join(strings.Fields(arg), ""))
		if err != nil {
			return fmt.Errorf("/binary wants hex digits, as in /binary 00ff: %v", err)
		}
		if err := conn.Write(ctx, websocket.MessageBinary, data); err != nil {
			return err
		}
		out.line("> [binary %d B] %s", len(data), hex.EncodeToString(data))
	case "ping":
		// Waits for the pong (the reader sees it), so that the lines
		// after /ping go out after it.
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		rtt, err := conn.Ping(pctx)
		if err != nil {
			return fmt.Errorf("ping: %w", err)
		}
		out.line("< pong after %s", rtt.Round(time.Microsecond))
	case "close":
		code, reason := websocket.StatusNormalClosure, ""
		if arg != "" {
			num, rest, _ := strings.Cut(arg, " ")
			n, err := strconv.Atoi(num)
			if err != nil || !websocket.StatusCode(n).ValidOnWire() {
				return fmt.Errorf("/close %s: not a close code that may be sent (1000-1003, 1007-1014, 3000-4999)", num)
			}
			code, reason = websocket.StatusCode(n), strings.TrimSpace(rest)
			if len(reason) > 123 {
				return errors.New("/close: the reason is longer than 123 bytes (RFC 6455 §5.5)")
			}
		}
		*closing = true
		go conn.Close(code, reason)
	default:
		return fmt.Errorf("unknown command /%s; /help lists them (//%s sends the line as text)", name, name)
	}
	return nil
}

// endLine says how the connection ended.
func endLine(err error, closing bool) string {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		who := "the server closed"
		if closing {
			who = "you closed; the server answered"
		} else if !ce.Remote {
			who = "closed here"
		}
		s := fmt.Sprintf("closed: %s with %s", who, codeName(ce.Code))
		if ce.Reason != "" && ce.Remote {
			s += fmt.Sprintf(" %q", printable(ce.Reason))
		}
		if ce.Err != nil {
			s += ": " + ce.Err.Error()
		}
		return s
	}
	return "closed: " + err.Error()
}

// endCode is the exit code after a terminal session: 0 for a close
// handshake either side started, 1 for a lost or failed connection.
func endCode(err error, closing bool) int {
	var ce *websocket.CloseError
	if errors.As(err, &ce) && (ce.Remote || closing) && ce.Err == nil {
		return exitOK
	}
	return exitError
}

// codeName is a close code with its name when it has one: "1000 normal
// closure", "4000".
func codeName(c websocket.StatusCode) string {
	n := strconv.Itoa(int(c))
	if name := c.String(); !strings.Contains(name, n) {
		return n + " " + name
	}
	return n
}
