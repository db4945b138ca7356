package main

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wskit/websocket"
)

// TestServeDialH2: ws serve --h2 takes WebSockets over HTTP/2 (TLS with its
// self-signed certificate, and h2c with --no-tls), ws dial --h2 opens them,
// and the server logs that they came over HTTP/2.
func TestServeDialH2(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		scheme string
	}{
		{"tls", []string{"--h2"}, "wss"},
		{"h2c", []string{"--h2", "--no-tls"}, "ws"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, _, serr := startCommand(t, tc.scheme+`://[^ ]+/`, false,
				append([]string{"serve", "--addr", "127.0.0.1:0", "--echo", "--log", "info"}, tc.args...)...)
			ctx := testCtx(t)
			c, resp, err := websocket.Dial(ctx, u+"x", &websocket.DialOptions{HTTP2: true, NoProxy: true,
				TLSConfig: &tls.Config{InsecureSkipVerify: true}})
			if err != nil {
				t.Fatal(err)
			}
			if resp.ProtoMajor != 2 {
				t.Fatalf("answered over %s, want HTTP/2", resp.Proto)
			}
			if err := c.Write(ctx, websocket.MessageText, []byte("over h2")); err != nil {
				t.Fatal(err)
			}
			if _, got, err := c.Read(ctx); err != nil || string(got) != "over h2" {
				t.Fatalf("echo %q, %v", got, err)
			}
			c.Close(websocket.StatusNormalClosure, "")
			msg := filepath.Join(t.TempDir(), "msg")
			if err := os.WriteFile(msg, []byte("hello"), 0o600); err != nil {
				t.Fatal(err)
			}
			var out, errOut syncBuffer
			if code := run(ctx, []string{"dial", "--h2", "--insecure", "--file", msg, u + "y"}, nil, &out, &errOut); code != 0 || !strings.Contains(out.String(), "68656c6c6f") {
				t.Fatalf("ws dial --h2 exited %d, printed %q, %q", code, out.String(), errOut.String())
			}
			// Each handler logs its WebSocket before it echoes.
			if n := strings.Count(serr.String(), "http=HTTP/2.0"); n != 2 {
				t.Fatalf("the server logged %d WebSockets over HTTP/2, want 2: %s", n, serr.String())
			}
		})
	}
}
