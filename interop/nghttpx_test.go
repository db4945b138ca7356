package interop_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/internal/testutil"
)

// freePort returns a loopback port that was free a moment ago, for a peer
// that cannot listen on port 0 and say which port it got.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestNghttpxExtendedConnect runs wskit's HTTP/2 client against another
// RFC 8441 implementation: nghttpx (Debian's nghttp2-proxy), whose h2c
// frontend takes WebSockets as extended CONNECT streams and forwards each
// to a wskit HTTP/1.1 backend as an Upgrade. Ten WebSockets at once echo
// every size class; the client closes some with a code, the backend the
// others.
func TestNghttpxExtendedConnect(t *testing.T) {
	if _, err := exec.LookPath("nghttpx"); err != nil {
		t.Fatalf("nghttpx is missing (Debian package nghttp2-proxy); %s", installHint)
	}
	var h1 atomic.Int64
	backendClosed := make(chan websocket.StatusCode, 16)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipOriginCheck: true})
		if err != nil {
			return
		}
		defer c.CloseNow()
		if r.ProtoMajor == 1 {
			h1.Add(1)
		}
		ctx := r.Context()
		if r.URL.Path == "/serverclose" {
			c.Close(4002, "backend bye")
			return
		}
		for {
			typ, msg, err := c.Read(ctx)
			if err != nil {
				backendClosed <- websocket.CloseStatus(err)
				return
			}
			if err := c.Write(ctx, typ, msg); err != nil {
				return
			}
		}
	}))
	defer backend.Close()
	port := freePort(t)
	proxy := start(t, "nghttpx", "--conf=/dev/null",
		fmt.Sprintf("--frontend=127.0.0.1,%d;no-tls", port),
		fmt.Sprintf("--backend=127.0.0.1,%d", backend.Listener.Addr().(*net.TCPAddr).Port),
		"--workers=1", "--errorlog-file=/dev/stdout", "--log-level=NOTICE", "--accesslog-file=/dev/stdout")
	proxy.line(t, `Created worker thread`)

	ctx, cancel := context.WithDeadline(context.Background(), testutil.Deadline(t))
	defer cancel()
	url := fmt.Sprintf("ws://127.0.0.1:%d", port)
	opts := &websocket.DialOptions{HTTP2: true, NoProxy: true}
	opts.MaxMessageSize = 64 << 20
	const n = 10
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		wg.Go(func() {
			c, resp, err := websocket.Dial(ctx, url+"/echo", opts)
			if err != nil {
				errs <- err
				return
			}
			defer c.CloseNow()
			if resp.ProtoMajor != 2 {
				errs <- fmt.Errorf("answered over %s", resp.Proto)
				return
			}
			if err := exercise(ctx, c); err != nil {
				errs <- fmt.Errorf("WebSocket %d: %w", i, err)
				return
			}
			if err := c.Close(websocket.StatusCode(4100+i), "client bye"); err != nil {
				errs <- err
			}
		})
	}
	wg.Go(func() {
		c, _, err := websocket.Dial(ctx, url+"/serverclose", opts)
		if err != nil {
			errs <- err
			return
		}
		defer c.CloseNow()
		_, _, err = c.Read(ctx)
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != 4002 || ce.Reason != "backend bye" {
			errs <- fmt.Errorf("read after the backend closed: %v, want 4002 backend bye", err)
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	seen := map[websocket.StatusCode]bool{}
	for range n {
		seen[<-backendClosed] = true
	}
	for i := range n {
		if !seen[websocket.StatusCode(4100+i)] {
			t.Errorf("the backend did not see close code %d; it saw %v", 4100+i, seen)
		}
	}
	if got := h1.Load(); got != n+1 {
		t.Errorf("the backend got %d HTTP/1.1 WebSockets from nghttpx, want %d", got, n+1)
	}
}
