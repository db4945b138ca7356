package interop_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/inspect"
	"github.com/wskit/websocket/internal/testutil"
)

// tap relays TCP connections from its address to target and records the
// bytes of each direction, so that a test can see exactly what crossed.
type tap struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	c2s    bytes.Buffer // what the client side sent
	s2c    bytes.Buffer // what the server side sent
	wg     sync.WaitGroup
}

func newTap(t *testing.T, target string) *tap {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tp := &tap{ln: ln, target: target}
	tp.wg.Add(1)
	go func() {
		defer tp.wg.Done()
		for {
			down, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				down.Close()
				continue
			}
			tp.wg.Add(2)
			go tp.copy(up, down, &tp.c2s)
			go tp.copy(down, up, &tp.s2c)
		}
	}()
	t.Cleanup(func() { ln.Close(); tp.wg.Wait() })
	return tp
}

func (tp *tap) copy(dst, src net.Conn, rec *bytes.Buffer) {
	defer tp.wg.Done()
	buf := make([]byte, 16<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			tp.mu.Lock()
			rec.Write(buf[:n])
			tp.mu.Unlock()
			if _, err := dst.Write(buf[:n]); err != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	dst.(*net.TCPConn).CloseWrite()
	src.(*net.TCPConn).CloseRead()
}

func (tp *tap) streams() (c2s, s2c []byte) {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return bytes.Clone(tp.c2s.Bytes()), bytes.Clone(tp.s2c.Bytes())
}

// TestProxyRelay runs a whole interop run, wskit client against Python
// websockets, through `ws proxy --json`, with a tap on each side of the
// proxy: the bytes must cross the proxy unchanged in both directions, and
// the proxy's log must list the messages that were exchanged.
func TestProxyRelay(t *testing.T) {
	t.Parallel()
	need(t, "python")
	bin := buildWS(t)
	for _, m := range []compMode{compOff, compOn} {
		t.Run(m.name, func(t *testing.T) { testProxyRelay(t, bin, m) })
	}
}

func testProxyRelay(t *testing.T, bin string, m compMode) {
	p := start(t, python, append([]string{"peers/py_peer.py", "server"}, m.peerArgs...)...)
	port := p.line(t, `^listening (\d+)$`)[1]
	serverTap := newTap(t, "127.0.0.1:"+port)

	ctx, cancel := context.WithDeadline(context.Background(), testutil.Deadline(t))
	defer cancel()
	proxy := exec.CommandContext(ctx, bin, "proxy", "--json", "--listen", "127.0.0.1:0", "--upstream", "ws://"+serverTap.ln.Addr().String())
	logOut := &testutil.Buffer{}
	proxy.Stdout = logOut
	stderr, err := proxy.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := proxy.Start(); err != nil {
		t.Fatal(err)
	}
	line := make([]byte, 256)
	n, _ := io.ReadAtLeast(stderr, line, 10)
	addr := regexp.MustCompile(`ws://([0-9.:]+)/`).FindSubmatch(line[:n])
	if addr == nil {
		proxy.Process.Kill()
		proxy.Wait()
		t.Fatalf("ws proxy printed %q", line[:n])
	}
	clientTap := newTap(t, string(addr[1]))

	opts := &websocket.DialOptions{NoProxy: true}
	opts.Compression = m.comp
	opts.MaxMessageSize = 64 << 20
	c, _, err := websocket.Dial(ctx, "ws://"+clientTap.ln.Addr().String()+"/", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if err := m.check(c); err != nil {
		t.Fatal(err)
	}
	sent, err := captureScript(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	p.line(t, `^closed 4001 bye$`)

	// Both taps must have seen the connection end before comparing.
	// Polled until the test's deadline: a loaded machine is slow, not wrong.
	deadline := testutil.Deadline(t)
	var a1, b1, a2, b2 []byte
	for time.Now().Before(deadline) {
		a1, b1 = clientTap.streams()
		a2, b2 = serverTap.streams()
		if bytes.Equal(a1, a2) && bytes.Equal(b1, b2) && bytes.Contains(logOut.Bytes(), []byte(`"dir":"client","end":true`)) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	proxy.Process.Signal(os.Interrupt)
	proxy.Wait()
	if !bytes.Equal(a1, a2) {
		t.Errorf("client to server: %d bytes went into the proxy, %d came out, different", len(a1), len(a2))
	}
	if !bytes.Equal(b1, b2) {
		t.Errorf("server to client: %d bytes went into the proxy, %d came out, different", len(b2), len(b1))
	}

	got, findings, _ := parseWSEvents(t, logOut.Bytes())
	for _, f := range findings {
		t.Errorf("ws proxy finding: %s", f)
	}
	// The log must match what the peers sent, and what a flow decodes from
	// the bytes the taps saw.
	var want []message
	for _, s := range sent {
		for _, dir := range []string{"client", "server"} {
			s.Dir = dir
			want = append(want, s)
		}
	}
	flowed := decodeStreams(t, a1, b1)
	if len(flowed) != len(got) {
		t.Fatalf("ws proxy logged %d messages and control frames; the flow decodes %d from the tapped bytes", len(got), len(flowed))
	}
	for _, dir := range []string{"client", "server"} {
		g, w, f := filterDir(got, dir), filterDir(want, dir), filterDir(flowed, dir)
		for i := range g {
			if g[i].Opcode != f[i].Opcode || !bytes.Equal(g[i].Data, f[i].Data) || g[i].Code != f[i].Code || g[i].Reason != f[i].Reason {
				t.Errorf("%s %d: ws proxy %v, decoded from the taps %v", dir, i, g[i], f[i])
			}
			if i < len(w) && (g[i].Opcode != w[i].Opcode || !bytes.Equal(g[i].Data, w[i].Data)) {
				t.Errorf("%s %d: ws proxy %v, sent %v", dir, i, g[i], w[i])
			}
		}
		if len(g) != len(w)+2 { // a ping or pong, and a close
			t.Errorf("%s: ws proxy logged %d, want %d", dir, len(g), len(w)+2)
		}
	}
}

func filterDir(ms []message, dir string) []message {
	var r []message
	for _, m := range ms {
		if m.Dir == dir {
			r = append(r, m)
		}
	}
	return r
}

// decodeStreams decodes two whole tapped streams with an inspect.Flow.
func decodeStreams(t *testing.T, c2s, s2c []byte) []message {
	t.Helper()
	rn, sn := inspect.HeadLen(c2s), inspect.HeadLen(s2c)
	col := &msgCollector{}
	f, err := inspect.NewFlowBytes(c2s[:rn], s2c[:sn], col)
	if err != nil {
		t.Fatal(err)
	}
	f.Feed(inspect.ClientToServer, c2s[rn:], true, time.Time{})
	f.Feed(inspect.ServerToClient, s2c[sn:], true, time.Time{})
	return col.msgs
}

// msgCollector puts a flow's output back into messages.
type msgCollector struct {
	msgs []message
	cur  [2]*message
}

func (c *msgCollector) Control(dir inspect.Dir, p []byte, _ time.Time, fi *inspect.FrameInfo) {
	if fi == nil {
		return
	}
	m := message{Dir: dir.String(), Opcode: fi.Header.Opcode.String(), Data: bytes.Clone(p), Code: int(fi.CloseCode), Reason: fi.CloseReason}
	if m.Opcode == "close" {
		m.Data = nil
	}
	c.msgs = append(c.msgs, m)
}

func (c *msgCollector) Data(dir inspect.Dir, p []byte, eom bool, _ time.Time, fi *inspect.FrameInfo) {
	if fi.First {
		c.cur[dir] = &message{Dir: dir.String(), Opcode: fi.Opcode.String(), Data: []byte{}}
	}
	c.cur[dir].Data = append(c.cur[dir].Data, p...)
	if eom {
		c.msgs = append(c.msgs, *c.cur[dir])
	}
}

func (c *msgCollector) Finding(*inspect.Finding) {}
