package interop_test

import (
	"context"
	"github.com/wskit/websocket/internal/testutil"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/wskit/websocket"
)

// autobahnOffer is the offer of the Autobahn suite's client and of Python
// autobahn's default PerMessageDeflateOffer.
const autobahnOffer = "permessage-deflate; client_no_context_takeover; client_max_window_bits"

// TestZlibClientContextTakeover is the reproduction of a server that
// treated client_no_context_takeover in an offer as agreed while its
// response left it out: a zlib client that keeps one deflate stream across
// messages unless the response forbids it (peers/zlib_client.py) sends two
// messages, the second referring back into the first. It runs against
// Accept and against `ws serve --echo`, with the Autobahn offer (the
// response must then state client_no_context_takeover) and with a plain
// offer (the client then keeps its context, and the server must too).
func TestZlibClientContextTakeover(t *testing.T) {
	t.Parallel()
	need(t, "python3")
	acceptURL := func(t *testing.T) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := websocket.Accept(w, r, &websocket.AcceptOptions{ConnOptions: websocket.ConnOptions{Compression: &websocket.CompressionOptions{}}})
			if err != nil {
				return
			}
			defer c.CloseNow()
			ctx, cancel := context.WithDeadline(context.Background(), testutil.Deadline(t))
			defer cancel()
			for {
				typ, b, err := c.Read(ctx)
				if err != nil {
					return
				}
				if err := c.Write(ctx, typ, b); err != nil {
					return
				}
			}
		}))
		t.Cleanup(srv.Close)
		return wsURL(srv.URL) + "/"
	}
	serveURL := func(t *testing.T) string {
		bin := filepath.Join(t.TempDir(), "ws")
		if out, err := exec.Command("go", "build", "-o", bin, "github.com/wskit/websocket/cmd/ws").CombinedOutput(); err != nil {
			t.Fatalf("building cmd/ws: %v\n%s", err, out)
		}
		srv := start(t, bin, "serve", "--echo", "--addr", "127.0.0.1:0")
		return srv.line(t, `echo server at (ws://\S+/) `)[1]
	}
	for _, server := range []struct {
		name string
		url  func(t *testing.T) string
	}{{"Accept", acceptURL}, {"ws serve --echo", serveURL}} {
		t.Run(server.name, func(t *testing.T) {
			url := server.url(t)
			for _, tc := range []struct{ offer, response string }{
				{autobahnOffer, "permessage-deflate; client_no_context_takeover"},
				{"permessage-deflate; client_max_window_bits", "permessage-deflate"},
			} {
				p := start(t, python, "peers/zlib_client.py", url, tc.offer)
				if got := p.line(t, `^response (.*)$`)[1]; got != tc.response {
					t.Errorf("offer %q: response %q, want %q", tc.offer, got, tc.response)
				}
				p.line(t, `^echo 1 ok$`)
				p.line(t, `^echo 2 ok$`)
				p.line(t, `^closed 1000\b`)
				p.wait(t)
			}
		})
	}
}
