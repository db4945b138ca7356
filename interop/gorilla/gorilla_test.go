// Package gorilla_test runs wskit against gorilla/websocket, both roles,
// with permessage-deflate off and on. It is a module of its own so that
// gorilla never enters the main module's go.mod; scripts/test.sh runs it.
//
// gorilla can express little about compression: EnableCompression on its
// Dialer or Upgrader, and per connection whether it compresses what it
// writes and at which level. Its client offers
// "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
// and fails the handshake unless the response has both parameters; its
// server answers any permessage-deflate offer with both, whatever the offer
// asked. Each wskit option is run against each of those.
package gorilla_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	gorilla "github.com/gorilla/websocket"
	"github.com/wskit/websocket"
	"github.com/wskit/websocket/deflate"
)

// sizes are the payload sizes echoed each way, text and binary.
var sizes = []int{0, 125, 126, 64 << 10, 1 << 20}

// noContext is what gorilla states, as client or server, when compression
// is agreed.
const noContext = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"

// gorillaSide is one setting of gorilla's side.
type gorillaSide struct {
	name     string
	enable   bool // EnableCompression on the Dialer or Upgrader
	noWrites bool // EnableWriteCompression(false): agreed, but writes uncompressed
	level    int  // SetCompressionLevel, when not 0
}

var gorillaSides = []gorillaSide{
	{name: "off"},
	{name: "on", enable: true},
	{name: "on-level-9", enable: true, level: 9},
	{name: "on-huffman-only", enable: true, level: -2},
	{name: "on-writes-uncompressed", enable: true, noWrites: true},
}

func (g gorillaSide) setup(c *gorilla.Conn) error {
	if g.noWrites {
		c.EnableWriteCompression(false)
	}
	if g.level != 0 {
		return c.SetCompressionLevel(g.level)
	}
	return nil
}

// wskitSide is one compression setting of wskit's side.
type wskitSide struct {
	name string
	comp *websocket.CompressionOptions // nil: off
}

// wskitSides cover each deflate option on its own and all together.
var wskitSides = []wskitSide{
	{"off", nil},
	{"defaults", &websocket.CompressionOptions{}},
	{"no-context-takeover", &websocket.CompressionOptions{Options: deflate.Options{NoContextTakeover: true}}},
	{"peer-no-context-takeover", &websocket.CompressionOptions{Options: deflate.Options{PeerNoContextTakeover: true}}},
	{"window-bits-9", &websocket.CompressionOptions{Options: deflate.Options{WindowBits: 9}}},
	{"level-9-threshold-0", &websocket.CompressionOptions{Level: 9, Threshold: -1}},
	{"everything", &websocket.CompressionOptions{Options: deflate.Options{NoContextTakeover: true, PeerNoContextTakeover: true, WindowBits: 8}, Threshold: -1}},
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// payload returns n bytes: for text, letters with repeats to give the
// compressor back-references; for binary, random bytes.
func payload(binary bool, n int) []byte {
	b := make([]byte, n)
	words := []string{"wskit ", "gorilla ", "deflate ", "window "}
	for i := 0; i < n; {
		if binary {
			b[i] = byte(rand.Uint32())
			i++
			continue
		}
		i += copy(b[i:], words[rand.IntN(len(words))])
	}
	return b
}

// checkWskit checks what the wskit side agreed: want is the extension
// expected in the response, "" for none.
func checkWskit(c *websocket.Conn, want string) error {
	got := ""
	for _, e := range c.Extensions() {
		got = e.String()
	}
	if got != want || c.Compressed() != (want != "") {
		return fmt.Errorf("wskit agreed %q (Compressed %v), want %q", got, c.Compressed(), want)
	}
	return nil
}

// pairs are the settings run together: every wskit setting against gorilla
// with compression off and on, and gorilla's data settings (level, writes
// uncompressed) against wskit's defaults and its most restrictive setting.
// The full cross product costs several minutes under -race on a busy
// machine for nothing the negotiation could tell apart.
func pairs(ws []wskitSide) (out []pair) {
	for _, g := range gorillaSides {
		for _, w := range ws {
			if g.name == "off" || g.name == "on" || w.name == "defaults" || w.name == "everything" {
				out = append(out, pair{g, w})
			}
		}
	}
	return out
}

type pair struct {
	g gorillaSide
	w wskitSide
}

// TestWskitClientGorillaServer dials a gorilla echo server with wskit and
// gorilla settings (see pairs): echoes of every size, then a close from
// wskit (4001 "bye") and one from gorilla (4002 "peer-bye").
func TestWskitClientGorillaServer(t *testing.T) {
	for _, pair := range pairs(wskitSides) {
		g, w := pair.g, pair.w
		t.Run(g.name+"/"+w.name, func(t *testing.T) {
			url, closes := gorillaServer(t, g)
			want := ""
			if g.enable && w.comp != nil {
				want = noContext
			}
			ctx := testCtx(t)
			opts := &websocket.DialOptions{}
			opts.Compression = w.comp
			c, _, err := websocket.Dial(ctx, url, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			if err := checkWskit(c, want); err != nil {
				t.Fatal(err)
			}
			if err := wskitDrives(ctx, c); err != nil {
				t.Fatal(err)
			}
			if err := c.Close(4001, "bye"); err != nil {
				t.Fatalf("close: %v", err)
			}
			if err := <-closes; !isClose(err, 4001, "bye") {
				t.Fatalf("gorilla saw %v, want close 4001 bye", err)
			}

			c2, _, err := websocket.Dial(ctx, url, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer c2.CloseNow()
			if err := c2.Write(ctx, websocket.MessageText, []byte("close-me")); err != nil {
				t.Fatal(err)
			}
			_, _, err = c2.Read(ctx)
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != 4002 || ce.Reason != "peer-bye" || !ce.Remote {
				t.Fatalf("after gorilla's close: %v, want its 4002 peer-bye", err)
			}
			if err := <-closes; !isClose(err, 4002, "") {
				t.Fatalf("gorilla saw %v, want wskit's echo of 4002", err)
			}
		})
	}
}

// TestWskitClientGorillaServerWindowRequest: gorilla's server ignores
// server_max_window_bits in an offer, so a wskit client that requires a
// smaller server window fails the handshake (RFC 7692 §7.1.2.1) with a
// clear error rather than trusting a window that was never granted.
func TestWskitClientGorillaServerWindowRequest(t *testing.T) {
	url, _ := gorillaServer(t, gorillaSide{enable: true})
	opts := &websocket.DialOptions{}
	opts.Compression = &websocket.CompressionOptions{Options: deflate.Options{PeerWindowBits: 10}}
	c, _, err := websocket.Dial(testCtx(t), url, opts)
	if err == nil {
		c.CloseNow()
		t.Fatalf("Dial accepted %q", c.Extensions())
	}
	if !errors.Is(err, deflate.ErrBadResponse) || !strings.Contains(err.Error(), "server_max_window_bits=10 was requested but is missing") {
		t.Fatalf("Dial: %v, want ErrBadResponse for the missing server_max_window_bits", err)
	}
}

// TestGorillaClientWskitServer dials a wskit echo server from gorilla with
// gorilla and wskit settings (see pairs): echoes driven by gorilla,
// then a close from gorilla (4001 "bye") and one from wskit (4002
// "peer-bye").
func TestGorillaClientWskitServer(t *testing.T) {
	sides := append(wskitSides[:len(wskitSides):len(wskitSides)],
		// gorilla's offer has no client_max_window_bits, so a server that
		// limits the client's window declines it and the connection goes
		// on uncompressed.
		wskitSide{"peer-window-bits-10-declined", &websocket.CompressionOptions{Options: deflate.Options{PeerWindowBits: 10}}})
	for _, pair := range pairs(sides) {
		g, w := pair.g, pair.w
		t.Run(g.name+"/"+w.name, func(t *testing.T) {
			url, results := wskitServer(t, w.comp)
			want := ""
			if g.enable && w.comp != nil && w.comp.PeerWindowBits == 0 {
				want = noContext
				if w.comp.WindowBits != 0 {
					want += fmt.Sprintf("; server_max_window_bits=%d", w.comp.WindowBits)
				}
			}
			ctx := testCtx(t)
			d := gorilla.Dialer{EnableCompression: g.enable}
			c, resp, err := d.DialContext(ctx, url, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if got := resp.Header.Get("Sec-WebSocket-Extensions"); got != want {
				t.Fatalf("response extensions %q, want %q", got, want)
			}
			if err := <-results; err != nil { // the server's check of the agreement
				t.Fatal(err)
			}
			if err := g.setup(c); err != nil {
				t.Fatal(err)
			}
			if err := gorillaDrives(c); err != nil {
				t.Fatal(err)
			}
			if err := c.WriteMessage(gorilla.CloseMessage, gorilla.FormatCloseMessage(4001, "bye")); err != nil {
				t.Fatal(err)
			}
			if _, _, err := c.ReadMessage(); !isClose(err, 4001, "") {
				t.Fatalf("gorilla read %v after its close, want wskit's echo of 4001", err)
			}
			if err := <-results; !isClose(err, 4001, "bye") {
				t.Fatalf("wskit saw %v, want close 4001 bye", err)
			}

			c2, _, err := d.DialContext(ctx, url, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c2.Close()
			if err := <-results; err != nil {
				t.Fatal(err)
			}
			if err := c2.WriteMessage(gorilla.TextMessage, []byte("close-me")); err != nil {
				t.Fatal(err)
			}
			if _, _, err := c2.ReadMessage(); !isClose(err, 4002, "peer-bye") {
				t.Fatalf("gorilla read %v, want wskit's close 4002 peer-bye", err)
			}
			if err := <-results; err != nil {
				t.Fatalf("wskit's close: %v", err)
			}
		})
	}
}

// isClose reports whether err is a close with code and, when reason is not
// empty, reason, from either library.
func isClose(err error, code int, reason string) bool {
	var ge *gorilla.CloseError
	if errors.As(err, &ge) {
		return ge.Code == code && (reason == "" || ge.Text == reason)
	}
	var we *websocket.CloseError
	if errors.As(err, &we) {
		return int(we.Code) == code && we.Remote && (reason == "" || we.Reason == reason)
	}
	return false
}

// gorillaServer starts a gorilla echo server with setting g. The text
// message "close-me" makes it close with 4002 "peer-bye". The error that
// ends each connection's read loop arrives on the returned channel.
func gorillaServer(t *testing.T, g gorillaSide) (string, chan error) {
	ends := make(chan error, 4)
	up := gorilla.Upgrader{EnableCompression: g.enable}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			ends <- err
			return
		}
		defer c.Close()
		if err := g.setup(c); err != nil {
			ends <- err
			return
		}
		for {
			mt, b, err := c.ReadMessage()
			if err != nil {
				ends <- err
				return
			}
			if mt == gorilla.TextMessage && string(b) == "close-me" {
				msg := gorilla.FormatCloseMessage(4002, "peer-bye")
				if err := c.WriteControl(gorilla.CloseMessage, msg, time.Now().Add(time.Minute)); err != nil {
					ends <- err
					return
				}
				continue // until wskit's echo of the close
			}
			if err := c.WriteMessage(mt, b); err != nil {
				ends <- err
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/", ends
}

// wskitServer starts a wskit echo server with compression comp. For each
// connection it sends on the returned channel the result of checking
// whether compression was agreed (nil when as expected), then the
// error that ended the connection: the peer's close, or the result of its
// own Close(4002, "peer-bye") when the peer sent "close-me".
func wskitServer(t *testing.T, comp *websocket.CompressionOptions) (string, chan error) {
	results := make(chan error, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		opts := &websocket.AcceptOptions{}
		opts.Compression = comp
		c, err := websocket.Accept(w, r, opts)
		if err != nil {
			results <- err
			return
		}
		defer c.CloseNow()
		// The exact response is checked on gorilla's side.
		offered := r.Header.Get("Sec-WebSocket-Extensions") != ""
		if want := offered && comp != nil && comp.PeerWindowBits == 0; c.Compressed() != want {
			results <- fmt.Errorf("wskit server: Compressed() = %v, want %v (extensions %q)", c.Compressed(), want, c.Extensions())
		} else {
			results <- nil
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		for {
			typ, b, err := c.Read(ctx)
			if err != nil {
				results <- err
				return
			}
			if typ == websocket.MessageText && string(b) == "close-me" {
				results <- c.Close(4002, "peer-bye")
				return
			}
			if err := c.Write(ctx, typ, b); err != nil {
				results <- err
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/", results
}

// wskitDrives sends every size as text and binary from wskit and checks
// each echo.
func wskitDrives(ctx context.Context, c *websocket.Conn) error {
	for _, binary := range []bool{false, true} {
		typ := websocket.MessageText
		if binary {
			typ = websocket.MessageBinary
		}
		for _, n := range sizes {
			want := payload(binary, n)
			if err := c.Write(ctx, typ, want); err != nil {
				return fmt.Errorf("writing %d-byte %v: %w", n, typ, err)
			}
			gt, got, err := c.Read(ctx)
			if err != nil {
				return fmt.Errorf("reading the echo of %d-byte %v: %w", n, typ, err)
			}
			if gt != typ || !bytes.Equal(got, want) {
				return fmt.Errorf("echo of %d-byte %v came back as %d-byte %v, different", n, typ, len(got), gt)
			}
		}
	}
	return nil
}

// gorillaDrives sends every size as text and binary from gorilla and checks
// each echo, reading it as a stream.
func gorillaDrives(c *gorilla.Conn) error {
	for _, binary := range []bool{false, true} {
		typ := gorilla.TextMessage
		if binary {
			typ = gorilla.BinaryMessage
		}
		for _, n := range sizes {
			want := payload(binary, n)
			if err := c.WriteMessage(typ, want); err != nil {
				return fmt.Errorf("writing %d bytes (type %d): %w", n, typ, err)
			}
			gt, r, err := c.NextReader()
			if err != nil {
				return fmt.Errorf("reading the echo of %d bytes (type %d): %w", n, typ, err)
			}
			got, err := io.ReadAll(r)
			if err != nil || gt != typ || !bytes.Equal(got, want) {
				return fmt.Errorf("echo of %d bytes (type %d) came back as %d bytes (type %d), different or %v", n, typ, len(got), gt, err)
			}
		}
	}
	return nil
}
