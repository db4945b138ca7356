package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wskit/websocket"
)

// startProxy runs `ws proxy args...` on a free port and returns its
// ws:// address and its log.
func startProxy(t *testing.T, args ...string) (string, *syncBuffer) {
	t.Helper()
	m, stdout, _ := startCommand(t, `ws://[0-9.:]+/`, true, append([]string{"proxy", "--listen", "127.0.0.1:0"}, args...)...)
	return m, stdout
}

// TestProxyTLSUpstream relays to a wss:// echo server and logs both
// directions.
func TestProxyTLSUpstream(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		opts := &websocket.AcceptOptions{}
		opts.Compression = &websocket.CompressionOptions{}
		c, err := websocket.Accept(w, r, opts)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, p, err := c.Read(r.Context())
			if err != nil {
				return
			}
			c.Write(r.Context(), typ, p)
		}
	}))
	defer srv.Close()
	addr, log := startProxy(t, "--insecure", "--upstream", "wss"+strings.TrimPrefix(srv.URL, "https"))

	ctx := testCtx(t)
	opts := &websocket.DialOptions{NoProxy: true}
	opts.Compression = &websocket.CompressionOptions{}
	c, _, err := websocket.Dial(ctx, addr+"path", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	msg := strings.Repeat("through the proxy ", 20)
	if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	if _, p, err := c.Read(ctx); err != nil || string(p) != msg {
		t.Fatalf("echo through the proxy: %q, %v", p, err)
	}
	if err := c.Close(websocket.StatusNormalClosure, "done"); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`upgrade 127.0.0.1:`,
		`client text       360 deflate "through the proxy`,
		`server text       360 deflate "through the proxy`,
		`client close        6 code=1000 reason="done"`,
		`server close        2 code=1000 reason=""`, // wskit echoes the code alone
		`client end`,
		`server end`,
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		out := log.String()
		missing := ""
		for _, w := range want {
			if !strings.Contains(out, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ws proxy log has no %q:\n%s", missing, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestProxyUsage(t *testing.T) {
	for _, args := range [][]string{{"proxy"}, {"proxy", "--upstream", "ftp://x"}, {"proxy", "--upstream", "ws://x", "extra"}} {
		var stdout, stderr syncBuffer
		if code := run(context.Background(), args, nil, &stdout, &stderr); code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, exitUsage)
		}
	}
}
