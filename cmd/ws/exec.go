package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wskit/websocket"
)

// execLine is the longest line a --exec program may print; a longer one
// ends the connection with 1009 (message too big).
const execLine = 1 << 20

// execEnvKey is the key of a connection's environment for its program,
// set by the upgrade hook (which sees the request).
type execEnvKey struct{}

var execSeq atomic.Int64

// execEnv is the program's environment: this process's, plus the request
// in the CGI style websocketd uses (RFC 3875 §4.1 names), plus one HTTP_*
// variable per request header.
func execEnv(u *websocket.Upgrade, tlsOn bool) []string {
	r := u.Request
	env := os.Environ()
	add := func(k, v string) { env = append(env, k+"="+v) }
	host, port, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	sname, sport, err := net.SplitHostPort(r.Host)
	if err != nil {
		sname, sport = r.Host, "80"
		if tlsOn {
			sport = "443"
		}
	}
	add("GATEWAY_INTERFACE", "websocketd-CGI/0.1")
	add("SERVER_SOFTWARE", "ws (wskit)")
	add("SERVER_PROTOCOL", r.Proto)
	add("SERVER_NAME", sname)
	add("SERVER_PORT", sport)
	add("REMOTE_ADDR", host)
	add("REMOTE_HOST", host) // no reverse lookup
	add("REMOTE_PORT", port)
	add("REQUEST_METHOD", r.Method)
	add("REQUEST_URI", r.RequestURI)
	add("SCRIPT_NAME", r.URL.Path)
	add("PATH_INFO", "")
	add("QUERY_STRING", r.URL.RawQuery)
	add("UNIQUE_ID", strconv.FormatInt(time.Now().UnixNano(), 10)+"-"+strconv.FormatInt(execSeq.Add(1), 10))
	if tlsOn {
		add("HTTPS", "on")
	}
	if u.Subprotocol != "" {
		add("WS_SUBPROTOCOL", u.Subprotocol)
	}
	flat := strings.NewReplacer("\r", " ", "\n", " ")
	for name, vals := range r.Header {
		add("HTTP_"+strings.ToUpper(strings.ReplaceAll(name, "-", "_")), flat.Replace(strings.Join(vals, ", ")))
	}
	return env
}

// execConn runs command for connection c: each line the program prints is
// a text message, each text message goes to its stdin with a newline. The
// connection ends when the program exits (1000 when it exits 0, 1011
// otherwise) or the client closes (stdin is closed; after a second the
// program gets SIGTERM, after three more SIGKILL).
func execConn(ctx context.Context, c *websocket.Conn, command string, log *slog.Logger, stderr io.Writer) error {
	env, _ := c.Value(execEnvKey{}).([]string)
	cmd := exec.Command("/bin/sh", "-c", command)
	cmd.Env = env
	cmd.Stderr = stderr
	setProcessGroup(cmd)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		c.Close(websocket.StatusInternalError, "")
		return fmt.Errorf("--exec: %w", err)
	}
	remote := c.RemoteAddr().String()
	log.Info("exec started", "remote", remote, "pid", cmd.Process.Pid)

	// Program to client: one message per line.
	outDone := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 4096), execLine)
		open := true
		for sc.Scan() {
			// Once the connection has ended the rest is read and dropped,
			// so that the program finishes instead of blocking or dying of
			// SIGPIPE.
			if open && c.Write(ctx, websocket.MessageText, sc.Bytes()) != nil {
				open = false
			}
		}
		outDone <- sc.Err()
	}()
	// Client to program: each text message and a newline.
	inDone := make(chan error, 1)
	go func() {
		defer stdin.Close()
		for {
			typ, msg, err := c.Read(ctx)
			if err != nil {
				inDone <- err
				return
			}
			if typ != websocket.MessageText {
				c.Close(websocket.StatusUnsupportedData, "text messages only")
				inDone <- errors.New("a binary message")
				return
			}
			if _, err := stdin.Write(append(msg, '\n')); err != nil {
				inDone <- nil // the program stopped reading; its exit ends this
				return
			}
		}
	}()

	waited := make(chan error, 1)
	var once sync.Once
	wait := func() error {
		once.Do(func() {
			go func() {
				<-outDone // all of stdout was sent before Wait closes the pipe
				waited <- cmd.Wait()
			}()
		})
		return <-waited
	}
	select {
	case err := <-outDone:
		outDone <- err // for wait
		werr := wait()
		code := websocket.StatusNormalClosure
		if werr != nil || err != nil {
			code = websocket.StatusInternalError
			if errors.Is(err, bufio.ErrTooLong) {
				code = websocket.StatusMessageTooBig
			}
		}
		log.Info("exec ended", "remote", remote, "pid", cmd.Process.Pid, "status", exitStatus(werr), "output_error", errString(err))
		c.Close(code, "")
		<-inDone
		return nil
	case <-inDone:
		// The client is gone: stdin is closed; give the program a moment.
		done := make(chan error, 1)
		go func() { done <- wait() }()
		for _, step := range []struct {
			after time.Duration
			sig   func()
		}{{time.Second, func() { signalGroup(cmd, false) }}, {3 * time.Second, func() { signalGroup(cmd, true) }}} {
			select {
			case err := <-done:
				log.Info("exec ended", "remote", remote, "pid", cmd.Process.Pid, "status", exitStatus(err))
				return nil
			case <-time.After(step.after):
				step.sig()
			}
		}
		err := <-done
		log.Info("exec ended", "remote", remote, "pid", cmd.Process.Pid, "status", exitStatus(err))
		return nil
	}
}

func exitStatus(err error) string {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return "0"
	case errors.As(err, &ee):
		return ee.ProcessState.String()
	}
	return err.Error()
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
