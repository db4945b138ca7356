package websocket_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/net/nettest"

	"github.com/wskit/websocket"
)

// netConnPair returns the two ends of a loopback WebSocket connection,
// each as a NetConn of typ, and the server's Conn.
func netConnPair(t testing.TB, typ websocket.MessageType, opts *websocket.AcceptOptions) (client, server net.Conn, sc *websocket.Conn) {
	t.Helper()
	got := make(chan *websocket.Conn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, opts)
		if err != nil {
			t.Error(err)
			close(got)
			return
		}
		got <- c
	}))
	t.Cleanup(srv.Close)
	var dopts *websocket.DialOptions
	if opts != nil && opts.Compression != nil {
		dopts = &websocket.DialOptions{ConnOptions: websocket.ConnOptions{Compression: opts.Compression}}
	}
	cc := dial(t, wsURL(srv), dopts)
	sc = <-got
	if sc == nil {
		t.FailNow()
	}
	t.Cleanup(func() { sc.CloseNow() })
	ctx := context.Background()
	return websocket.NetConn(ctx, cc, typ), websocket.NetConn(ctx, sc, typ), sc
}

// compressionCase names a run without or with compression (of every
// message, whatever its size) and gives the server's options for it.
func compressionCase(comp bool) (string, *websocket.AcceptOptions) {
	if !comp {
		return "plain", nil
	}
	return "compressed", &websocket.AcceptOptions{ConnOptions: websocket.ConnOptions{Compression: &websocket.CompressionOptions{Threshold: -1}}}
}

// TestNetConnConformance runs golang.org/x/net/nettest's checks of the
// net.Conn contract: I/O both ways, concurrent calls, past, present and
// future deadlines, Close unblocking pending calls.
func TestNetConnConformance(t *testing.T) {
	// Binary: nettest writes random bytes, which text would refuse.
	nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
		c1, c2, _ = netConnPair(t, websocket.MessageBinary, nil)
		// Closed together: each close handshake needs the other end.
		return c1, c2, func() { go c2.Close(); c1.Close() }, nil
	})
}

func TestNetConnStream(t *testing.T) {
	for _, comp := range []bool{false, true} {
		name, opts := compressionCase(comp)
		t.Run(name, func(t *testing.T) {
			c, s, sc := netConnPair(t, websocket.MessageText, opts)
			if sc.Compressed() != comp {
				t.Fatalf("Compressed() = %v", sc.Compressed())
			}
			for _, m := range []string{"hello ", "", "wide ", "world"} {
				if n, err := c.Write([]byte(m)); err != nil || n != len(m) {
					t.Fatalf("Write %q: %d, %v", m, n, err)
				}
			}
			got := make([]byte, len("hello wide world"))
			if _, err := io.ReadFull(s, got[:3]); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(s, got[3:]); err != nil {
				t.Fatal(err)
			}
			if string(got) != "hello wide world" {
				t.Fatalf("read %q", got)
			}
			// Invalid UTF-8 in a text NetConn is refused, not sent.
			if _, err := c.Write([]byte{0xff}); !errors.Is(err, websocket.ErrInvalidUTF8) {
				t.Fatalf("Write of invalid UTF-8: %v", err)
			}
			// The close handshake needs the peer to read.
			peer := make(chan error, 1)
			go func() { _, err := s.Read(got); peer <- err }()
			if err := c.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if err := <-peer; err != io.EOF {
				t.Fatalf("Read after the peer's Close: %v, want io.EOF", err)
			}
			if _, err := c.Read(got); !errors.Is(err, net.ErrClosed) {
				t.Fatalf("Read after Close: %v, want net.ErrClosed", err)
			}
			if err := c.Close(); !errors.Is(err, net.ErrClosed) {
				t.Fatalf("second Close: %v", err)
			}
		})
	}
}

// TestNetConnDeadlineMidMessage lets a read deadline pass between two
// fragments of a message: the first part is read, the read in between
// times out, and once the deadline is cleared the rest arrives intact
// (uncompressed) or is dropped (compressed, where the inflater cannot go
// on), with the next message read either way.
func TestNetConnDeadlineMidMessage(t *testing.T) {
	for _, comp := range []bool{false, true} {
		name, opts := compressionCase(comp)
		t.Run(name, func(t *testing.T) {
			ctx := testCtx(t)
			c, _, sc := netConnPair(t, websocket.MessageBinary, opts)
			w, err := sc.Writer(ctx, websocket.MessageBinary)
			if err != nil {
				t.Fatal(err)
			}
			w.Write([]byte("first-"))
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 100)
			if !comp {
				n, err := io.ReadAtLeast(c, buf, len("first-"))
				if err != nil || string(buf[:n]) != "first-" {
					t.Fatalf("first fragment: %q, %v", buf[:n], err)
				}
			}
			// A compressed message is inflated once 64 KiB more of it, or
			// its end, is in hand (deflate.Inflater), so its first
			// fragment is not readable yet: the deadline passes either way.
			c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			_, err = c.Read(buf)
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("read past the deadline: %v, want a timeout", err)
			}
			if _, err := c.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("read with the deadline still past: %v", err)
			}
			c.SetReadDeadline(time.Time{})
			w.Write([]byte("second"))
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if err := sc.Write(ctx, websocket.MessageBinary, []byte("|next")); err != nil {
				t.Fatal(err)
			}
			want := "second|next"
			if comp {
				want = "|next"
			}
			got := make([]byte, len(want))
			if _, err := io.ReadFull(c, got); comp && err == nil && string(got) == "first" {
				// The deadline passed before the message's first frame
				// arrived (a starved machine): nothing had begun, so the
				// whole message comes, then the next.
				want = "first-second|next"
				got = append(got, make([]byte, len(want)-len(got))...)
				_, err = io.ReadFull(c, got[len("first"):])
				if err != nil || string(got) != want {
					t.Fatalf("after the deadline: %q, %v; want %q", got, err, want)
				}
			} else if err != nil || string(got) != want {
				t.Fatalf("after the deadline: %q, %v; want %q", got, err, want)
			}
		})
	}
}

// TestNetConnWrongType closes with 1003 when a message of the other type
// arrives, and reports the peer's own close code when it is not a normal
// one.
func TestNetConnWrongType(t *testing.T) {
	ctx := testCtx(t)
	c, _, sc := netConnPair(t, websocket.MessageBinary, nil)
	if err := sc.Write(ctx, websocket.MessageText, []byte("text")); err != nil {
		t.Fatal(err)
	}
	peer := make(chan error, 1)
	go func() { _, _, err := sc.Read(ctx); peer <- err }()
	if _, err := c.Read(make([]byte, 10)); err == nil {
		t.Fatal("Read of a text message from a binary NetConn succeeded")
	}
	if err := <-peer; websocket.CloseStatus(err) != websocket.StatusUnsupportedData {
		t.Fatalf("peer saw %v, want 1003", err)
	}

	c, _, sc = netConnPair(t, websocket.MessageBinary, nil)
	go sc.Close(4000, "custom")
	if _, err := c.Read(make([]byte, 10)); websocket.CloseStatus(err) != 4000 {
		t.Fatalf("Read after the peer closed with 4000: %v", err)
	}
}

// TestNetConnWrongTypeNoStall: the refused message is the NetConn's own,
// so its close handshake must not wait for someone to read it. In a
// synctest bubble a stall shows as the close timeout passing on the
// bubble's clock.
func TestNetConnWrongTypeNoStall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		srv := websocket.NewConn(b, websocket.RoleServer, nil)
		cli := websocket.NewConn(a, websocket.RoleClient, nil)
		nc := websocket.NetConn(context.Background(), cli, websocket.MessageBinary)
		ctx := context.Background()
		go srv.Write(ctx, websocket.MessageText, make([]byte, 3000))
		peer := make(chan error, 1)
		go func() { _, _, err := srv.Read(ctx); peer <- err }()
		start := time.Now()
		if _, err := nc.Read(make([]byte, 10)); err == nil {
			t.Fatal("Read of a text message from a binary NetConn succeeded")
		}
		if took := time.Since(start); took != 0 {
			t.Errorf("the refusing Read took %v of the bubble's clock, want no wait", took)
		}
		if err := <-peer; websocket.CloseStatus(err) != websocket.StatusUnsupportedData {
			t.Fatalf("peer saw %v, want 1003", err)
		}
		srv.CloseNow()
		cli.CloseNow()
	})
}

// TestNetConnWriteDeadline fills the socket towards a peer that does not
// read until a write passes its deadline. That write counts its bytes as
// written and they arrive: the stream stays whole and usable.
func TestNetConnWriteDeadline(t *testing.T) {
	c, s, _ := netConnPair(t, websocket.MessageBinary, nil)
	c.SetWriteDeadline(time.Now().Add(-time.Second))
	if _, err := c.Write([]byte("x")); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Write with a past deadline: %v", err)
	}
	c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	chunk := make([]byte, 1<<20)
	written := 0
	for {
		n, err := c.Write(chunk)
		written += n
		if err == nil {
			if written > 1<<30 {
				t.Fatal("1 GiB written to a peer that does not read")
			}
			continue
		}
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("Write after %d bytes: %v, want a timeout", written, err)
		}
		break
	}
	c.SetWriteDeadline(time.Time{})
	done := make(chan error, 1)
	go func() {
		_, err := c.Write([]byte("end"))
		done <- err
	}()
	got := make([]byte, written+3)
	if _, err := io.ReadFull(s, got); err != nil {
		t.Fatalf("reading the %d bytes written: %v", written+3, err)
	}
	if string(got[written:]) != "end" {
		t.Fatalf("stream ends in %q", got[written:])
	}
	if err := <-done; err != nil {
		t.Fatalf("Write after the deadline was cleared: %v", err)
	}
}

func TestUnderlyingConn(t *testing.T) {
	c := dial(t, echoServer(t, nil), nil)
	if _, ok := c.UnderlyingConn().(*net.TCPConn); !ok {
		t.Fatalf("UnderlyingConn of a ws:// connection is %T", c.UnderlyingConn())
	}
}
