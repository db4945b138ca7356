//go:build linux

package loop_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	websocket "github.com/wskit/websocket"
	"github.com/wskit/websocket/internal/testutil"
	"github.com/wskit/websocket/loop"
)

// TestUpgradeFromHTTP: a net/http handler hands the request's connection
// to the loops, which answer the upgrade and echo; a request that is not
// an upgrade gets its status from the loop.
func TestUpgradeFromHTTP(t *testing.T) {
	s, _ := start(t, echoEvents(), &loop.Options{Compression: true})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.Upgrade(w, r); err != nil {
			t.Errorf("Upgrade: %v", err)
		}
	}))
	defer hs.Close()
	ctx := testutil.Ctx(t)
	addr := strings.TrimPrefix(hs.URL, "http://")
	for _, compress := range []bool{false, true} {
		c := dial(t, ctx, addr, compress)
		if c.Compressed() != compress {
			t.Fatalf("compressed %v, want %v", c.Compressed(), compress)
		}
		if err := c.Write(ctx, websocket.MessageText, []byte("over net/http")); err != nil {
			t.Fatal(err)
		}
		if _, p, err := c.Read(ctx); err != nil || string(p) != "over net/http" {
			t.Fatalf("echo %q, %v", p, err)
		}
		c.Close(websocket.StatusNormalClosure, "")
	}
	resp, err := http.Get(hs.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("plain GET: %s, want 400", resp.Status)
	}
}

// TestUpgradeAccepted: a handshake judged by websocket.Decide, with a
// subprotocol the loop's options do not list, a response header and the
// connection's value, is answered by the loop as decided; a refused one
// gets Decide's own answer and never reaches the loop.
func TestUpgradeAccepted(t *testing.T) {
	type opened struct {
		proto string
		val   any
	}
	got := make(chan opened, 4)
	ev := echoEvents()
	ev.OnOpen = func(c *loop.Conn, r *http.Request) { got <- opened{c.Subprotocol(), c.Value()} }
	s, _ := start(t, ev, &loop.Options{Compression: true})
	opts := &websocket.AcceptOptions{
		Subprotocols:   []string{"chat.v2"},
		ResponseHeader: http.Header{"X-Judged": {"yes"}},
	}
	opts.Compression = &websocket.CompressionOptions{}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, err := websocket.Decide(w, r, opts)
		if err != nil {
			return // Decide answered
		}
		a := &loop.Accepted{Key: d.Key, Protocol: d.Subprotocol, Header: d.Header,
			Extensions: d.Extensions, Deflate: d.Deflate, Value: r.URL.Query().Get("v")}
		if err := s.UpgradeAccepted(w, r, a); err != nil {
			t.Errorf("UpgradeAccepted: %v", err)
		}
	}))
	defer hs.Close()
	ctx := testutil.Ctx(t)
	addr := strings.TrimPrefix(hs.URL, "http://")
	c, resp, err := websocket.Dial(ctx, "ws://"+addr+"/?v=seven", &websocket.DialOptions{
		Subprotocols: []string{"chat.v1", "chat.v2"},
		ConnOptions:  websocket.ConnOptions{Compression: &websocket.CompressionOptions{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if c.Subprotocol() != "chat.v2" || !c.Compressed() || resp.Header.Get("X-Judged") != "yes" {
		t.Fatalf("subprotocol %q, compressed %v, X-Judged %q", c.Subprotocol(), c.Compressed(), resp.Header.Get("X-Judged"))
	}
	if o := <-got; o.proto != "chat.v2" || o.val != "seven" {
		t.Fatalf("OnOpen saw subprotocol %q, value %v", o.proto, o.val)
	}
	msg := strings.Repeat("judged elsewhere ", 40)
	if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	if _, p, err := c.Read(ctx); err != nil || string(p) != msg {
		t.Fatalf("echo %q, %v", p, err)
	}
	c.Close(websocket.StatusNormalClosure, "")

	// Another origin: Decide refuses with 403, as Accept does.
	h := http.Header{"Origin": {"https://elsewhere.example"}}
	_, resp, err = websocket.Dial(ctx, "ws://"+addr+"/", &websocket.DialOptions{Header: h})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin: %v, response %v", err, resp)
	}
	select {
	case o := <-got:
		t.Fatalf("a refused handshake opened a connection: %v", o)
	default:
	}
}
