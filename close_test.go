package websocket_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/wire"
)

// TestCloseHandshake closes from each side with a code and a reason and
// checks what the other side's reader sees. It runs in a synctest bubble
// over net.Pipe, so that "both sides end up closed" is checked once every
// goroutine has settled, without polling.
func TestCloseHandshake(t *testing.T) {
	for _, closer := range []websocket.Role{websocket.RoleClient, websocket.RoleServer} {
		t.Run("closed by "+closer.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := context.Background()
				a, b := net.Pipe()
				cli := websocket.NewConn(a, websocket.RoleClient, nil)
				srv := websocket.NewConn(b, websocket.RoleServer, nil)
				defer cli.CloseNow()
				defer srv.CloseNow()
				closing, other := cli, srv
				if closer == websocket.RoleServer {
					closing, other = srv, cli
				}
				read := make(chan error, 1)
				go func() {
					_, _, err := other.Read(ctx)
					read <- err
				}()
				if err := closing.Close(4001, "room closed"); err != nil {
					t.Fatalf("Close: %v", err)
				}
				err := <-read
				var ce *websocket.CloseError
				if !errors.As(err, &ce) || !ce.Remote || ce.Code != 4001 || ce.Reason != "room closed" {
					t.Fatalf("peer's reader got %v, want a remote close 4001 %q", err, "room closed")
				}
				if websocket.CloseStatus(err) != 4001 || !errors.Is(err, websocket.ErrClosed) {
					t.Fatalf("CloseStatus(%v) = %d", err, websocket.CloseStatus(err))
				}
				// The other side echoed, and its further writes fail.
				if err := other.Write(ctx, websocket.MessageText, []byte("late")); !errors.Is(err, websocket.ErrClosed) {
					t.Fatalf("Write after close: %v", err)
				}
				synctest.Wait()
				if other.State() != websocket.StateClosed || closing.State() != websocket.StateClosed {
					t.Fatalf("states %s and %s after the handshake, want closed", other.State(), closing.State())
				}
				if err := closing.Close(1000, ""); !errors.Is(err, websocket.ErrClosed) {
					t.Fatalf("second Close: %v", err)
				}
			})
		})
	}
}

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t testing.TB) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := ln.Accept()
		ch <- res{c, err}
	}()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Cleanup(func() { a.Close(); r.c.Close() })
	return a, r.c
}

// TestCloseFrames checks the close frames themselves, from a raw peer's
// side: the default reason, a long reason cut on a character boundary, a
// close without a code echoed as 1000, and 1005 reported to the
// application for it.
func TestCloseFrames(t *testing.T) {
	t.Run("default reason and truncation", func(t *testing.T) {
		for _, tc := range []struct {
			code   websocket.StatusCode
			reason string
			want   string
		}{
			{1000, "", "normal closure"},
			{1001, "", "going away"},
			{4000, "", ""},
			{1000, strings.Repeat("é", 100), strings.Repeat("é", 61)},
		} {
			a, b := tcpPair(t)
			c := websocket.NewConn(a, websocket.RoleServer, &websocket.ConnOptions{CloseTimeout: 200 * time.Millisecond})
			go c.Close(tc.code, tc.reason)
			code, reason := readClose(t, b)
			if code != tc.code || reason != tc.want {
				t.Errorf("Close(%d, %.10q...) sent %d %q, want %q", tc.code, tc.reason, code, reason, tc.want)
			}
		}
	})
	t.Run("close without a code", func(t *testing.T) {
		a, b := tcpPair(t)
		c := websocket.NewConn(a, websocket.RoleServer, nil)
		errc := make(chan error, 1)
		go func() {
			_, _, err := c.Read(testCtx(t))
			errc <- err
		}()
		b.Write(rawFrame(websocket.RoleClient, frame(true, wire.OpClose), nil))
		code, _ := readClose(t, b)
		if code != 1000 {
			t.Errorf("echo of a close without a code: %d, want 1000", code)
		}
		if err := <-errc; websocket.CloseStatus(err) != 1005 {
			t.Errorf("application saw %v, want 1005", err)
		}
	})
	t.Run("lost connection is 1006", func(t *testing.T) {
		a, b := tcpPair(t)
		c := websocket.NewConn(a, websocket.RoleClient, nil)
		b.Close()
		_, _, err := c.Read(testCtx(t))
		if websocket.CloseStatus(err) != 1006 || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("read after the peer dropped TCP: %v, want 1006", err)
		}
	})
	t.Run("codes that may not be sent", func(t *testing.T) {
		c := pipePair(t, nil)
		for _, code := range []websocket.StatusCode{0, 999, 1004, 1006, 1015, 2999, 5000} {
			if err := c.Close(code, ""); !errors.Is(err, websocket.ErrCloseCode) {
				t.Errorf("Close(%d) = %v, want ErrCloseCode", code, err)
			}
		}
		if c.State() != websocket.StateOpen {
			t.Errorf("refused Close changed the state to %s", c.State())
		}
	})
	t.Run("peer that never answers", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			a, b := net.Pipe()
			defer b.Close()
			c := websocket.NewConn(a, websocket.RoleServer, &websocket.ConnOptions{CloseTimeout: 100 * time.Millisecond})
			go io.Copy(io.Discard, b)
			start := time.Now()
			err := c.Close(1000, "")
			if took := time.Since(start); err == nil || took != 100*time.Millisecond {
				t.Errorf("Close to a silent peer: %v after %v, want an error after the 100ms timeout", err, took)
			}
			if c.State() != websocket.StateClosed {
				t.Errorf("state %s after a timed-out Close", c.State())
			}
		})
	})
}

// readClose reads frames from a raw connection until a close frame and
// returns its code and reason.
func readClose(t *testing.T, nc net.Conn) (wire.StatusCode, string) {
	t.Helper()
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var s closeScanner
	buf := make([]byte, 4096)
	for {
		n, err := nc.Read(buf)
		if err != nil {
			t.Fatalf("no close frame: %v", err)
		}
		done, err := s.feed(buf[:n])
		if err != nil {
			t.Fatal(err)
		}
		if done {
			return s.code, s.reason
		}
	}
}
