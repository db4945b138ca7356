package wstest_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/nettest"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/internal/testutil"
	"github.com/wskit/websocket/wstest"
)

func pipe(t *testing.T, d *websocket.DialOptions, a *websocket.AcceptOptions) (*websocket.Conn, *websocket.Conn) {
	t.Helper()
	c, s, err := wstest.Pipe(d, a)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow(); s.CloseNow() })
	return c, s
}

// TestNetPipeConformance runs golang.org/x/net/nettest's net.Conn checks
// on the transport.
func TestNetPipeConformance(t *testing.T) {
	nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
		c1, c2 = wstest.NetPipe()
		return c1, c2, func() { c1.Close(); c2.Close() }, nil
	})
}

// TestPipeOptions: compression, a subprotocol, a hook's value and a limit
// all act as they do over TCP.
func TestPipeOptions(t *testing.T) {
	ctx := testutil.Ctx(t)
	type key struct{}
	comp := &websocket.CompressionOptions{Threshold: -1}
	c, s := pipe(t,
		&websocket.DialOptions{ConnOptions: websocket.ConnOptions{Compression: comp}, Subprotocols: []string{"chat.v2", "chat.v1"}},
		&websocket.AcceptOptions{
			ConnOptions:  websocket.ConnOptions{Compression: comp, MaxMessageSize: 1000},
			Subprotocols: []string{"chat.v1"},
			OnUpgrade: func(u *websocket.Upgrade) error {
				u.SetValue(key{}, u.Request.Host)
				return nil
			},
		})
	if !c.Compressed() || !s.Compressed() {
		t.Fatalf("compression not agreed: %v %v", c.Extensions(), s.Extensions())
	}
	if c.Subprotocol() != "chat.v1" || s.Subprotocol() != "chat.v1" {
		t.Fatalf("subprotocol %q / %q", c.Subprotocol(), s.Subprotocol())
	}
	if v := s.Value(key{}); v != "wstest.pipe" {
		t.Fatalf("hook value %v", v)
	}
	msg := strings.Repeat("compressible ", 70) // 910 bytes
	if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	if _, p, err := s.Read(ctx); err != nil || string(p) != msg {
		t.Fatalf("Read: %d bytes, %v", len(p), err)
	}
	if err := c.Write(ctx, websocket.MessageText, []byte(msg+msg)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Read(ctx); websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
		t.Fatalf("message above the limit: %v, want 1009", err)
	}
	if _, _, err := c.Read(ctx); websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
		t.Fatalf("client saw %v, want 1009", err)
	}
}

// TestPipeRefused returns the hook's refusal as Dial's error.
func TestPipeRefused(t *testing.T) {
	_, _, err := wstest.Pipe(nil, &websocket.AcceptOptions{OnUpgrade: func(*websocket.Upgrade) error {
		return websocket.Refuse(401, "no")
	}})
	var he *websocket.HandshakeError
	if !errors.As(err, &he) || he.StatusCode != 401 {
		t.Fatalf("Pipe with a refusing hook: %v", err)
	}
}

// TestPipeCloseBothAtOnce: both sides start the close handshake at the
// same moment, which deadlocks on an unbuffered net.Pipe; here both
// finish without reaching the close timeout.
func TestPipeCloseBothAtOnce(t *testing.T) {
	for i := 0; i < 20; i++ {
		c, s := pipe(t, nil, nil)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for j, conn := range []*websocket.Conn{c, s} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[j] = conn.Close(websocket.StatusNormalClosure, "")
			}()
		}
		wg.Wait()
		for j, err := range errs {
			if err != nil && !errors.Is(err, websocket.ErrClosed) {
				t.Fatalf("round %d, side %d: Close: %v", i, j, err)
			}
		}
		if websocket.CloseStatus(c.Err()) != websocket.StatusNormalClosure || websocket.CloseStatus(s.Err()) != websocket.StatusNormalClosure {
			t.Fatalf("round %d: ended with %v / %v", i, c.Err(), s.Err())
		}
	}
}

// TestPipeCancelKeepsConn: a read cancelled by its context returns at once
// and leaves the connection usable, since the pipe has read deadlines.
func TestPipeCancelKeepsConn(t *testing.T) {
	ctx := testutil.Ctx(t)
	c, s := pipe(t, nil, nil)
	rctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, _, err := s.Read(rctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Read with nothing sent: %v", err)
	}
	if err := c.Write(ctx, websocket.MessageBinary, []byte("after")); err != nil {
		t.Fatal(err)
	}
	if _, p, err := s.Read(ctx); err != nil || string(p) != "after" {
		t.Fatalf("Read after the cancelled one: %q, %v", p, err)
	}
	go s.Read(ctx) // the server answers pings while it reads
	if rtt, err := c.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	} else {
		t.Logf("in-memory ping %v", rtt)
	}
}

// TestNetPipeBuffered: both ends write without either reading, up to the
// buffer, then CloseWrite reads as io.EOF after the data.
func TestNetPipeBuffered(t *testing.T) {
	a, b := wstest.NetPipe()
	defer a.Close()
	defer b.Close()
	for _, e := range []net.Conn{a, b} {
		if n, err := e.Write(make([]byte, wstest.DefaultPipeBuffer)); err != nil || n != wstest.DefaultPipeBuffer {
			t.Fatalf("Write of a buffer's worth: %d, %v", n, err)
		}
	}
	b.SetWriteDeadline(time.Now().Add(10 * time.Millisecond))
	if n, err := b.Write([]byte("x")); n != 0 || !isTimeout(err) {
		t.Fatalf("Write to a full pipe: %d, %v; want a timeout", n, err)
	}
	a.(interface{ CloseWrite() error }).CloseWrite()
	got, err := io.ReadAll(b)
	if err != nil || len(got) != wstest.DefaultPipeBuffer {
		t.Fatalf("ReadAll after CloseWrite: %d bytes, %v", len(got), err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
