package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/internal/testutil"
)

// syncBuffer is safe for a command writing and a test reading.
type syncBuffer = testutil.Buffer

// startServe runs `ws serve args...` on a free port and returns the URL it
// printed (matching pattern); the server stops when the test ends.
func startServe(t *testing.T, pattern string, args ...string) string {
	t.Helper()
	m, _, _ := startCommand(t, pattern, false, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	return m
}

// startCommand runs `ws args...` until the test ends, waits for pattern in
// what it prints (on stdout, or on stderr when fromStderr is set), and
// returns the match and both outputs.
func startCommand(t *testing.T, pattern string, fromStderr bool, args ...string) (string, *syncBuffer, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := new(syncBuffer), new(syncBuffer)
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, nil, stdout, stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("ws %s exited %d; stderr: %s", args[0], code, stderr.String())
			}
		case <-time.After(time.Until(testutil.Deadline(t))):
			t.Errorf("ws %s did not stop", args[0])
		}
	})
	watched := stdout
	if fromStderr {
		watched = stderr
	}
	re := regexp.MustCompile(pattern)
	for range 200 {
		if m := re.FindString(watched.String()); m != "" {
			return m, stdout, stderr
		}
		select {
		case code := <-done:
			t.Fatalf("ws %s exited %d; stderr: %s", args[0], code, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("ws %s printed nothing matching %s; stdout %q, stderr %q", args[0], pattern, stdout.String(), stderr.String())
	return "", nil, nil
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithDeadline(context.Background(), testutil.Deadline(t))
	t.Cleanup(cancel)
	return ctx
}

func TestDialEcho(t *testing.T) {
	big := make([]byte, 1<<20)
	rand.Read(big)
	msgs := []struct {
		typ  websocket.MessageType
		data []byte
	}{
		{websocket.MessageText, []byte("hello")},
		{websocket.MessageText, nil},
		{websocket.MessageBinary, []byte{0, 1, 2, 255}},
		{websocket.MessageBinary, big},
	}
	serverErr := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			serverErr <- err.Error()
			return
		}
		defer c.CloseNow()
		for _, m := range msgs {
			if err := c.Write(r.Context(), m.typ, m.data); err != nil {
				serverErr <- err.Error()
				return
			}
			typ, got, err := c.Read(r.Context())
			if err != nil || typ != m.typ || !bytes.Equal(got, m.data) {
				serverErr <- "echo differs: " + typ.String()
				return
			}
		}
		c.Close(websocket.StatusNormalClosure, "done")
		serverErr <- ""
	}))
	defer srv.Close()

	var stdout, stderr syncBuffer
	code := run(testCtx(t), []string{"dial", "--echo", "ws" + strings.TrimPrefix(srv.URL, "http")}, nil, &stdout, &stderr)
	if code != 0 {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
	if e := <-serverErr; e != "" {
		t.Error(e)
	}
}

func TestServeEcho(t *testing.T) {
	url := startServe(t, `ws://\S+/`, "--echo")
	ctx := testCtx(t)
	// The 16 MiB echo is read whole, past DefaultMaxMessageSize.
	c, _, err := websocket.Dial(ctx, url+"any/path", &websocket.DialOptions{ConnOptions: websocket.ConnOptions{MaxMessageSize: 32 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	big := make([]byte, 16<<20)
	rand.Read(big)
	for _, m := range []struct {
		typ  websocket.MessageType
		data []byte
	}{{websocket.MessageText, []byte("héllo")}, {websocket.MessageBinary, []byte{}}, {websocket.MessageBinary, big}} {
		if err := c.Write(ctx, m.typ, m.data); err != nil {
			t.Fatal(err)
		}
		typ, got, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if typ != m.typ || !bytes.Equal(got, m.data) {
			t.Fatalf("echo of %d-byte %v: got %d-byte %v", len(m.data), m.typ, len(got), typ)
		}
	}
	if err := c.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Fatal(err)
	}
}

// TestServeEchoCompression checks that `ws serve --echo` accepts
// permessage-deflate when offered (with and without context takeover), that
// compressed messages echo intact, and that --no-compress refuses it.
func TestServeEchoCompression(t *testing.T) {
	url := startServe(t, `ws://\S+/`, "--echo")
	refusing := startServe(t, `ws://\S+/`, "--echo", "--no-compress")
	ctx := testCtx(t)
	text := bytes.Repeat([]byte("compress me, "), 10000)
	big := make([]byte, 1<<20)
	rand.Read(big)
	for _, tc := range []struct {
		name string
		url  string
		comp *websocket.CompressionOptions
		want bool
	}{
		{"offered", url, &websocket.CompressionOptions{}, true},
		{"no context takeover", url, &websocket.CompressionOptions{Options: deflate.Options{NoContextTakeover: true, PeerNoContextTakeover: true}}, true},
		{"not offered", url, nil, false},
		{"--no-compress", refusing, &websocket.CompressionOptions{}, false},
	} {
		opts := &websocket.DialOptions{}
		opts.Compression = tc.comp
		c, _, err := websocket.Dial(ctx, tc.url+"p", opts)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if c.Compressed() != tc.want {
			t.Errorf("%s: Compressed() = %v, want %v (extensions %v)", tc.name, c.Compressed(), tc.want, c.Extensions())
		}
		if got := len(c.Extensions()) > 0; got != tc.want {
			t.Errorf("%s: Extensions() = %v", tc.name, c.Extensions())
		}
		for _, m := range []struct {
			typ  websocket.MessageType
			data []byte
		}{{websocket.MessageText, text}, {websocket.MessageText, []byte("x")}, {websocket.MessageBinary, big}, {websocket.MessageText, text}} {
			if err := c.Write(ctx, m.typ, m.data); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			typ, got, err := c.Read(ctx)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if typ != m.typ || !bytes.Equal(got, m.data) {
				t.Fatalf("%s: echo of %d-byte %v: got %d-byte %v", tc.name, len(m.data), m.typ, len(got), typ)
			}
		}
		if err := c.Close(websocket.StatusNormalClosure, ""); err != nil {
			t.Errorf("%s: close: %v", tc.name, err)
		}
	}
}

// TestDialCompress checks that `ws dial --compress` offers permessage-deflate
// and that it is not offered by default or with --no-compress.
func TestDialCompress(t *testing.T) {
	for _, tc := range []struct {
		flags []string
		want  bool
	}{{[]string{"--compress"}, true}, {nil, false}, {[]string{"--no-compress"}, false}} {
		agreed := make(chan bool, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			opts := &websocket.AcceptOptions{}
			opts.Compression = &websocket.CompressionOptions{}
			c, err := websocket.Accept(w, r, opts)
			if err != nil {
				agreed <- false
				return
			}
			defer c.CloseNow()
			agreed <- c.Compressed()
			for {
				typ, msg, err := c.Read(r.Context())
				if err != nil {
					return
				}
				if err := c.Write(r.Context(), typ, msg); err != nil {
					return
				}
			}
		}))
		var stdout, stderr syncBuffer
		args := append(append([]string{"dial"}, tc.flags...), "ws"+strings.TrimPrefix(srv.URL, "http"))
		in := strings.Repeat("hello hello hello hello\n", 3)
		code := run(testCtx(t), args, strings.NewReader(in), &stdout, &stderr)
		if code != 0 || stdout.String() != in {
			t.Errorf("ws %q: exit %d, stdout %q, stderr %q", args, code, stdout.String(), stderr.String())
		}
		if got := <-agreed; got != tc.want {
			t.Errorf("ws %q: compression agreed %v, want %v", args, got, tc.want)
		}
		srv.Close()
	}
}

func TestDialInteractive(t *testing.T) {
	url := startServe(t, `ws://\S+/`, "--echo")
	var stdout, stderr syncBuffer
	code := run(testCtx(t), []string{"dial", url}, strings.NewReader("hello\nworld\n"), &stdout, &stderr)
	if code != 0 || stdout.String() != "hello\nworld\n" {
		t.Errorf("text: exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	for _, tc := range []struct{ flag, want string }{{"--binary=hex", "0001ff\n"}, {"--binary=base64", "AAH/\n"}} {
		var stdout, stderr syncBuffer
		code := run(testCtx(t), []string{"dial", "--stdin-binary", tc.flag, url}, strings.NewReader("\x00\x01\xff"), &stdout, &stderr)
		if code != 0 || stdout.String() != tc.want {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", tc.flag, code, stdout.String(), stderr.String())
		}
	}
}

// chatText returns the text of a chat message: the data of its channel
// envelope.
func chatText(t *testing.T, msg []byte) string {
	t.Helper()
	var e struct {
		Channel string `json:"channel"`
		Offset  uint64 `json:"offset"`
		Data    string `json:"data"`
	}
	if err := json.Unmarshal(msg, &e); err != nil || e.Channel != "chat" || e.Offset == 0 {
		t.Fatalf("chat message %q is not an envelope of the chat channel: %v", msg, err)
	}
	return e.Data
}

func TestChatBroadcast(t *testing.T) {
	page := startServe(t, `http://\S+/`)
	resp, err := http.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(body, []byte("new WebSocket")) {
		t.Fatalf("the page at / has no WebSocket script: %.200q", body)
	}
	ctx := testCtx(t)
	wsURL := "ws" + strings.TrimPrefix(page, "http") + "ws"
	var clients []*websocket.Conn
	// The first client offers permessage-deflate, which the chat accepts;
	// the second does not, so one broadcast goes out both ways.
	for i := range 2 {
		opts := &websocket.DialOptions{}
		if i == 0 {
			opts.Compression = &websocket.CompressionOptions{}
		}
		c, _, err := websocket.Dial(ctx, wsURL, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		if c.Compressed() != (i == 0) {
			t.Fatalf("client %d: Compressed() = %v", i, c.Compressed())
		}
		clients = append(clients, c)
	}
	// A client's Dial can return before the server has registered its
	// connection, so the second client says "ready" until the first one
	// hears it: then both are in the room (the second sent it).
	for {
		if err := clients[1].Write(ctx, websocket.MessageText, []byte("ready")); err != nil {
			t.Fatal(err)
		}
		short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		_, msg, err := clients[0].Read(short)
		cancel()
		if err == nil && chatText(t, msg) == "ready" {
			break
		}
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("waiting for ready: %v", err)
		}
	}
	if err := clients[0].Write(ctx, websocket.MessageText, []byte("hi all")); err != nil {
		t.Fatal(err)
	}
	for i, c := range clients {
		for {
			typ, msg, err := c.Read(ctx)
			if err != nil || typ != websocket.MessageText {
				t.Fatalf("client %d got %v %q, %v", i, typ, msg, err)
			}
			if chatText(t, msg) == "hi all" {
				break
			}
			if chatText(t, msg) != "ready" {
				t.Fatalf("client %d got %q, want ready or hi all", i, msg)
			}
		}
	}
	for _, c := range clients {
		c.Close(websocket.StatusNormalClosure, "")
	}
}

func TestExitCodes(t *testing.T) {
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no entry here\nsecond line", http.StatusForbidden)
	}))
	defer refusing.Close()
	refusedURL := "ws" + strings.TrimPrefix(refusing.URL, "http") + "/x"

	for _, tc := range []struct {
		args       []string
		code       int
		stdout     string // a substring expected on stdout
		stderr     string // a substring expected on stderr
		stderrLine bool   // stderr must be one line
	}{
		{args: nil, code: 2, stderr: "Usage:"},
		{args: []string{"help"}, code: 0, stdout: "ws dial"},
		{args: []string{"help", "serve"}, code: 0, stdout: "--tls-cert"},
		{args: []string{"help", "inspect"}, code: 0, stdout: "--json"},
		{args: []string{"help", "proxy"}, code: 0, stdout: "--upstream"},
		{args: []string{"dial", "-h"}, code: 0, stdout: "--compress"},
		{args: []string{"dial", "--compress", "--no-compress", "ws://x/"}, code: 2, stderr: "cannot be used together", stderrLine: true},
		{args: []string{"serve", "--compress", "--no-compress"}, code: 2, stderr: "cannot be used together", stderrLine: true},
		{args: []string{"serve", "--help"}, code: 0, stdout: "--echo"},
		{args: []string{"frobnicate"}, code: 2, stderr: "unknown command", stderrLine: true},
		{args: []string{"dial"}, code: 2, stderr: "need exactly one URL", stderrLine: true},
		{args: []string{"dial", "--nope", "ws://x/"}, code: 2, stderr: "not defined: -nope", stderrLine: true},
		{args: []string{"dial", "--binary=octal", "ws://x/"}, code: 2, stderr: "hex or base64", stderrLine: true},
		{args: []string{"dial", "-H", "novalue", "ws://x/"}, code: 2, stderr: "Name: value", stderrLine: true},
		{args: []string{"serve", "--tls-cert", "c.pem"}, code: 2, stderr: "go together", stderrLine: true},
		{args: []string{"serve", "--no-tls"}, code: 2, stderr: "--no-tls goes with --h2", stderrLine: true},
		{args: []string{"help", "serve"}, code: 0, stdout: "--h2"},
		{args: []string{"help", "dial"}, code: 0, stdout: "--h2"},
		{args: []string{"serve", "extra"}, code: 2, stderr: "unexpected argument", stderrLine: true},
		{args: []string{"dial", "ftp://example.com/"}, code: 1, stderr: "scheme", stderrLine: true},
		{args: []string{"dial", refusedURL}, code: 1, stderr: "HTTP 403 Forbidden: no entry here", stderrLine: true},
	} {
		var stdout, stderr syncBuffer
		code := run(testCtx(t), tc.args, strings.NewReader(""), &stdout, &stderr)
		if code != tc.code || !strings.Contains(stdout.String(), tc.stdout) || !strings.Contains(stderr.String(), tc.stderr) {
			t.Errorf("ws %q: exit %d (want %d)\nstdout %q\nstderr %q", tc.args, code, tc.code, stdout.String(), stderr.String())
		}
		if tc.stderrLine && strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("ws %q: stderr is not one line: %q", tc.args, stderr.String())
		}
	}
}

// TestServeMaxConns checks that --max-conns answers 503 beyond the limit,
// and that stopping the server sends every client 1001.
func TestServeMaxConns(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--echo", "--addr", "127.0.0.1:0", "--max-conns", "1"}, nil, &stdout, &stderr)
	}()
	re := regexp.MustCompile(`ws://\S+/`)
	var url string
	for range 500 {
		if url = re.FindString(stdout.String()); url != "" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if url == "" {
		t.Fatalf("ws serve printed no URL; stdout %q, stderr %q", stdout.String(), stderr.String())
	}
	first, _, err := websocket.Dial(testCtx(t), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer first.CloseNow()
	// An echo proves the server has registered the first connection.
	if err := first.Write(testCtx(t), websocket.MessageText, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := first.Read(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	_, resp, err := websocket.Dial(testCtx(t), url, nil)
	var he *websocket.HandshakeError
	if !errors.As(err, &he) || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("second connection: %v, want 503", err)
	}
	cancel()
	_, _, err = first.Read(testCtx(t))
	if websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Fatalf("client at shutdown: %v, want 1001", err)
	}
	if code := <-done; code != 0 {
		t.Fatalf("ws serve exited %d; stderr %s", code, stderr.String())
	}
	logs := stderr.String()
	for _, want := range []string{"websocket open", "websocket handshake refused", "status=503", "reason=max_conns", "websocket closed", "code=1001"} {
		if !strings.Contains(logs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, logs)
		}
	}
}

func TestServeBrokerFlag(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no broker helper anywhere
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--broker", "kafka://127.0.0.1:9092"}, exitUsage, "want nats://HOST:PORT or redis://HOST:PORT"},
		{[]string{"--broker", "nats://"}, exitUsage, "want nats://HOST:PORT"},
		{[]string{"--echo", "--broker", "redis://127.0.0.1:6379"}, exitUsage, "not --echo"},
		{[]string{"--broker", "nats://127.0.0.1:4222"}, exitError, "need the program ws-broker-nats, built from the wskit module broker/nats"},
		{[]string{"--broker", "redis://127.0.0.1:6379"}, exitError, "ws-broker-redis"},
	} {
		var stdout, stderr syncBuffer
		code := run(testCtx(t), append([]string{"serve", "--addr", "127.0.0.1:0"}, tc.args...), nil, &stdout, &stderr)
		if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("ws serve %v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr.String(), tc.code, tc.want)
		}
	}
}

// A page that reconnects with a position gets what it missed; one with a
// malformed position is refused.
func TestChatResume(t *testing.T) {
	page := startServe(t, `http://\S+/`)
	ctx := testCtx(t)
	wsURL := "ws" + strings.TrimPrefix(page, "http") + "ws"
	c, _, err := websocket.Dial(ctx, wsURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	var last []byte
	for _, m := range []string{"one", "two", "three"} {
		if err := c.Write(ctx, websocket.MessageText, []byte(m)); err != nil {
			t.Fatal(err)
		}
		if _, last, err = c.Read(ctx); err != nil || chatText(t, last) != m {
			t.Fatalf("read %q, %v; want %s", last, err, m)
		}
	}
	var pos struct {
		Epoch  string `json:"epoch"`
		Offset uint64 `json:"offset"`
	}
	json.Unmarshal(last, &pos)
	again, _, err := websocket.Dial(ctx, fmt.Sprintf("%s?epoch=%s&offset=%d", wsURL, pos.Epoch, pos.Offset-2), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer again.CloseNow()
	for _, m := range []string{"two", "three"} {
		if _, msg, err := again.Read(ctx); err != nil || chatText(t, msg) != m {
			t.Fatalf("resumed: read %q, %v; want %s", msg, err, m)
		}
	}
	_, resp, err := websocket.Dial(ctx, wsURL+"?epoch=x&offset=minus", nil)
	if err == nil || resp == nil || resp.StatusCode != 400 {
		t.Fatalf("malformed position: %v, %v; want 400", resp, err)
	}
}
