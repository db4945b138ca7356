package inspect_test

import (
	"bytes"
	"context"
	"fmt"
	"github.com/wskit/websocket/internal/testutil"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/inspect"
	"github.com/wskit/websocket/wire"
)

// chunk is bytes captured in one direction, in capture order.
type chunk struct {
	dir  inspect.Dir
	data []byte
}

// capture is the bytes of one connection as a client-side recorder saw
// them: the handshake heads, then the chunks of both directions.
type capture struct {
	mu     sync.Mutex
	chunks []chunk
}

func (c *capture) add(dir inspect.Dir, p []byte) {
	c.mu.Lock()
	c.chunks = append(c.chunks, chunk{dir, append([]byte(nil), p...)})
	c.mu.Unlock()
}

// stream returns everything one direction carried.
func (c *capture) stream(dir inspect.Dir) []byte {
	var b []byte
	for _, ch := range c.chunks {
		if ch.dir == dir {
			b = append(b, ch.data...)
		}
	}
	return b
}

// recConn records what the client writes and reads.
type recConn struct {
	net.Conn
	c *capture
}

func (r *recConn) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	if n > 0 {
		r.c.add(inspect.ServerToClient, p[:n])
	}
	return n, err
}

func (r *recConn) Write(p []byte) (int, error) {
	r.c.add(inspect.ClientToServer, p)
	return r.Conn.Write(p)
}

// sent is a message or control frame one side sent.
type sent struct {
	dir     inspect.Dir
	op      wire.Opcode
	data    []byte
	code    wire.StatusCode
	reason  string
	control bool
}

func (s sent) String() string {
	d := s.data
	if len(d) > 20 {
		d = d[:20]
	}
	return fmt.Sprintf("%v %v %d bytes %q code %d %q", s.dir, s.op, len(s.data), d, s.code, s.reason)
}

// record runs script as a wskit client against a wskit echo server and
// returns what crossed the wire. comp sets both sides' compression.
func record(t *testing.T, comp *websocket.CompressionOptions, script func(ctx context.Context, c *websocket.Conn)) *capture {
	t.Helper()
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		opts := &websocket.AcceptOptions{}
		opts.Compression = comp
		c, err := websocket.Accept(w, r, opts)
		if err != nil {
			t.Error(err)
			return
		}
		defer c.CloseNow()
		for {
			typ, data, err := c.Read(r.Context())
			if err != nil {
				return
			}
			if err := c.Write(r.Context(), typ, data); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithDeadline(context.Background(), testutil.Deadline(t))
	defer cancel()
	cap := &capture{}
	opts := &websocket.DialOptions{NoProxy: true}
	opts.Compression = comp
	opts.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &recConn{Conn: c, c: cap}, nil
	}
	c, _, err := websocket.Dial(ctx, "ws"+srv.URL[len("http"):], opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	script(ctx, c)
	<-done
	return cap
}

// splitHeads takes the handshake request and response off the two
// streams and returns them with the rest.
func splitHeads(t *testing.T, cap *capture) (req, resp, c2s, s2c []byte) {
	t.Helper()
	c2s, s2c = cap.stream(inspect.ClientToServer), cap.stream(inspect.ServerToClient)
	n, m := inspect.HeadLen(c2s), inspect.HeadLen(s2c)
	if n == 0 || m == 0 {
		t.Fatalf("no handshake heads in the capture")
	}
	return c2s[:n], s2c[:m], c2s[n:], s2c[m:]
}

// collector is a Handler that puts messages back together and checks
// what the flow promises about each call.
type collector struct {
	t         *testing.T
	got       []sent
	cur       [2]*sent
	findings  []*inspect.Finding
	ends      [2]int
	frames    [2]int // frames seen, counted by raw headers
	abandoned int    // messages that never ended
}

func (c *collector) Control(dir inspect.Dir, payload []byte, t time.Time, fi *inspect.FrameInfo) {
	if fi == nil {
		c.ends[dir]++
		if len(payload) != 0 {
			c.t.Errorf("end of %v with a payload", dir)
		}
		return
	}
	c.checkRaw(fi)
	c.frames[dir]++
	c.got = append(c.got, sent{dir: dir, op: fi.Opcode, data: append([]byte{}, payload...), code: fi.CloseCode, reason: fi.CloseReason, control: true})
}

func (c *collector) Data(dir inspect.Dir, data []byte, eom bool, t time.Time, fi *inspect.FrameInfo) {
	if fi.RawHeader != nil {
		c.checkRaw(fi)
		c.frames[dir]++
	}
	if fi.First {
		if c.cur[dir] != nil {
			c.abandoned++ // the flow reports why in a finding
		}
		if fi.RawHeader == nil {
			c.t.Errorf("%v: first piece of a message without the raw header", dir)
		}
		c.cur[dir] = &sent{dir: dir, op: fi.Opcode, data: []byte{}}
	}
	m := c.cur[dir]
	if m == nil {
		c.t.Fatalf("%v: data outside a message", dir)
	}
	if eom && fi.Remaining != 0 {
		c.t.Errorf("%v: end of message with %d bytes left in the frame", dir, fi.Remaining)
	}
	m.data = append(m.data, data...)
	if eom {
		c.got = append(c.got, *m)
		c.cur[dir] = nil
	}
}

func (c *collector) checkRaw(fi *inspect.FrameInfo) {
	h, n, err := wire.ParseHeader(fi.RawHeader)
	if err != nil || n != len(fi.RawHeader) || h != fi.Header {
		c.t.Errorf("raw header %x does not match %+v (%v)", fi.RawHeader, fi.Header, err)
	}
}

func (c *collector) Finding(f *inspect.Finding) { c.findings = append(c.findings, f) }

// compare checks the collected messages against want, in order per
// direction.
func compare(t *testing.T, got, want []sent) {
	t.Helper()
	for _, dir := range []inspect.Dir{inspect.ClientToServer, inspect.ServerToClient} {
		var g, w []sent
		for _, m := range got {
			if m.dir == dir {
				g = append(g, m)
			}
		}
		for _, m := range want {
			if m.dir == dir {
				w = append(w, m)
			}
		}
		if len(g) != len(w) {
			t.Errorf("%v: %d messages, want %d", dir, len(g), len(w))
		}
		for i := range min(len(g), len(w)) {
			if g[i].op != w[i].op || (!bytes.Equal(g[i].data, w[i].data) && !w[i].control) || g[i].code != w[i].code || g[i].reason != w[i].reason {
				t.Errorf("%v message %d: got %v, want %v", dir, i, g[i], w[i])
			}
		}
	}
}
