package websocket_test

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	websocket "github.com/wskit/websocket/compat/gorilla"
	"github.com/wskit/websocket/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

var upgrader = websocket.Upgrader{}

// echo is a gorilla-style echo server.
func echo(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			mt, p, err := c.ReadMessage()
			if err != nil {
				return
			}
			if c.WriteMessage(mt, p) != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

func dial(t *testing.T, url string) *websocket.Conn {
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestInvalidUTF8Refused: text that is not UTF-8 is not sent (gorilla
// sends it).
func TestInvalidUTF8Refused(t *testing.T) {
	c := dial(t, echo(t))
	if err := c.WriteMessage(websocket.TextMessage, []byte{0xff, 'a'}); err == nil {
		t.Fatal("WriteMessage of invalid UTF-8 succeeded")
	}
	if err := c.WriteMessage(websocket.TextMessage, []byte("ok")); err != nil {
		t.Fatal(err)
	}
	if _, p, err := c.ReadMessage(); err != nil || string(p) != "ok" {
		t.Fatalf("after the refused message: %q, %v", p, err)
	}
}

// TestConcurrentWrites: writers from many goroutines send whole messages
// (gorilla panics).
func TestConcurrentWrites(t *testing.T) {
	c := dial(t, echo(t))
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				if err := c.WriteMessage(websocket.BinaryMessage, []byte(strings.Repeat("x", 1000))); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for i := 0; i < 160; i++ {
		if _, p, err := c.ReadMessage(); err != nil || len(p) != 1000 {
			t.Fatalf("message %d: %d bytes, %v", i, len(p), err)
		}
	}
}

// TestReadDeadlineLeavesConnUsable: a read past its deadline is a timeout
// and the next read, with the deadline moved, works (gorilla's connection
// is unusable after a timeout).
func TestReadDeadlineLeavesConnUsable(t *testing.T) {
	c := dial(t, echo(t))
	c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	_, _, err := c.ReadMessage()
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read past the deadline: %v", err)
	}
	c.SetReadDeadline(time.Time{})
	c.WriteMessage(websocket.TextMessage, []byte("again"))
	if _, p, err := c.ReadMessage(); err != nil || string(p) != "again" {
		t.Fatalf("after the timeout: %q, %v", p, err)
	}
}

// TestCloseHandshake: a close message runs the handshake; the peer's
// close handler sees the code and the next read a *CloseError.
func TestCloseHandshake(t *testing.T) {
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		c.SetCloseHandler(func(code int, text string) error {
			got <- text
			return nil
		})
		_, _, err = c.ReadMessage()
		if !websocket.IsCloseError(err, websocket.CloseGoingAway) || websocket.IsUnexpectedCloseError(err, websocket.CloseGoingAway) {
			t.Errorf("server read: %v", err)
		}
	}))
	defer srv.Close()
	c := dial(t, "ws"+strings.TrimPrefix(srv.URL, "http"))
	if err := c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "later"), time.Now().Add(5*time.Second)); err != nil {
		t.Fatalf("close: %v", err)
	}
	if text := <-got; text != "later" {
		t.Fatalf("close handler got %q", text)
	}
	if err := c.WriteMessage(websocket.TextMessage, []byte("x")); err != websocket.ErrCloseSent {
		t.Fatalf("write after close: %v, want ErrCloseSent", err)
	}
}

func TestFormatCloseMessage(t *testing.T) {
	if got := websocket.FormatCloseMessage(1000, "ok"); string(got) != "\x03\xe8ok" {
		t.Fatalf("%q", got)
	}
	if got := websocket.FormatCloseMessage(websocket.CloseNoStatusReceived, "x"); len(got) != 0 {
		t.Fatalf("%q", got)
	}
}

// TestBadHandshake: Dial reports a refused handshake as ErrBadHandshake
// with the response.
func TestBadHandshake(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "nope", http.StatusTeapot)
	}))
	defer srv.Close()
	_, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != websocket.ErrBadHandshake || resp == nil || resp.StatusCode != http.StatusTeapot {
		t.Fatalf("Dial: %v, %v", err, resp)
	}
}
