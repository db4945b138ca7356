// Package interop_test runs wskit against other WebSocket implementations:
// Python websockets, Autobahn|Python and Node ws as servers and clients,
// Chromium as a client, and a raw zlib client (peers/zlib_client.py).
// gorilla/websocket runs in interop/gorilla, a module of its own. A missing
// peer fails the test with the command that installs it; scripts/test.sh
// installs them all.
//
// Every pair runs with permessage-deflate off and on (the peer scripts take
// --compress); Python and Node also run compressed with context takeover
// off on the wskit side, and Autobahn with every parameter either side can
// express (autobahn_test.go). With compression on, the wskit side checks
// that it was agreed, and on what when the mode says, and with it off that
// it was not.
//
// Every test runs in parallel with the others (as many at once as go
// test's -parallel, GOMAXPROCS by default): most of their time goes in
// waiting for a peer process, a browser above all, to start and answer.
// Each has its own servers on ports of its own, and the capture tests
// filter their traffic by port.
package interop_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/handshake"
	"github.com/wskit/websocket/internal/testutil"
)

const installHint = "install the interop peers with `bash scripts/test.sh` (it runs apt-get install python3-websockets python3-autobahn chromium nodejs npm nghttp2-proxy, then npm ci in interop/)"

// python is the Debian interpreter, which sees Debian's python3-websockets.
const python = "/usr/bin/python3"

// sizes are the payload sizes every pair echoes: around the 7-bit, 16-bit
// and 64-bit length encodings, and 1 MiB.
var sizes = []int{0, 1, 125, 126, 127, 65535, 65536, 70000, 1 << 20}

// compMode is one compression setting for a pair.
type compMode struct {
	name string
	// comp is the wskit side's Compression; nil leaves it off.
	comp *websocket.CompressionOptions
	// peerArgs turn compression on in the peer script.
	peerArgs []string
	// noContext: the agreed extension must have both no_context_takeover
	// parameters.
	noContext bool
	// agreed, when set, is the agreed extension exactly, as
	// Conn.Extensions formats it.
	agreed string
	// declined: the wskit side offers or accepts compression, and the
	// peer's setting (or offer) leaves it off.
	declined bool
}

var (
	compOff = compMode{name: "off"}
	compOn  = compMode{name: "on", comp: &websocket.CompressionOptions{}, peerArgs: []string{"--compress"}}
	// compNoContext turns context takeover off both ways from the wskit side.
	compNoContext = compMode{
		name:      "on-no-context-takeover",
		comp:      &websocket.CompressionOptions{Options: deflate.Options{NoContextTakeover: true, PeerNoContextTakeover: true}},
		peerArgs:  []string{"--compress"},
		noContext: true,
	}
	// peerModes are the modes for the Python and Node pairs.
	peerModes = []compMode{compOff, compOn, compNoContext}
)

// check reports whether c agreed on compression as m expects.
func (m compMode) check(c *websocket.Conn) error {
	want := m.comp != nil && !m.declined
	if c.Compressed() != want {
		return fmt.Errorf("compression %s: Compressed() = %v, want %v (extensions %q)", m.name, c.Compressed(), want, handshake.FormatExtensions(c.Extensions()))
	}
	exts := c.Extensions()
	if want != (len(exts) == 1 && strings.EqualFold(exts[0].Name, "permessage-deflate")) {
		return fmt.Errorf("compression %s: extensions %q", m.name, handshake.FormatExtensions(exts))
	}
	if got := handshake.FormatExtensions(exts); m.agreed != "" && got != m.agreed {
		return fmt.Errorf("compression %s: agreed %q, want %q", m.name, got, m.agreed)
	}
	if m.noContext {
		for _, p := range []string{"server_no_context_takeover", "client_no_context_takeover"} {
			if _, _, ok := exts[0].Param(p); !ok {
				return fmt.Errorf("compression %s: agreed %q has no %s", m.name, handshake.FormatExtensions(exts), p)
			}
		}
	}
	return nil
}

// process is a running peer whose stdout lines are collected.
type process struct {
	cmd   *exec.Cmd
	lines chan string
	done  chan struct{}
	err   error
	mu    sync.Mutex
	out   []string
	errb  testutil.Buffer
}

// start runs a peer; it is killed when the test ends, or shortly before
// go test's -timeout. A peer that waits for something itself (the browser
// scripts) finds how long it may wait in WSKIT_WAIT_MS: the same limit, so
// that a loaded machine slows it down without failing it.
func start(t *testing.T, name string, args ...string) *process {
	t.Helper()
	return startEnv(t, nil, name, args...)
}

// startEnv is start with env (KEY=value) added to the peer's environment,
// which the tests' own environment, shared by the tests that run in
// parallel, must not carry.
func startEnv(t *testing.T, env []string, name string, args ...string) *process {
	t.Helper()
	dl := testutil.Deadline(t)
	ctx, cancel := context.WithDeadline(context.Background(), dl)
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), fmt.Sprintf("WSKIT_WAIT_MS=%d", time.Until(dl).Milliseconds()))
	cmd.Env = append(cmd.Env, env...)
	p := &process{cmd: cmd, lines: make(chan string, 100), done: make(chan struct{})}
	cmd.Stderr = &p.errb
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting %s: %v; %s", name, err, installHint)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.mu.Lock()
			p.out = append(p.out, sc.Text())
			p.mu.Unlock()
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
		p.err = cmd.Wait()
		cancel()
		close(p.done)
	}()
	t.Cleanup(func() {
		if cmd.Process != nil {
			cmd.Process.Kill()
		}
		<-p.done
	})
	return p
}

// line waits for the next stdout line that matches re. A peer prints one
// "closed CODE REASON" line per connection, in order, so while re looks for
// one, any other closed line fails the test at once instead of leaving it
// to wait for a line that will never come.
func (p *process) line(t *testing.T, re string) []string {
	t.Helper()
	rx := regexp.MustCompile(re)
	closing := strings.HasPrefix(re, "^closed ")
	timeout := time.After(time.Until(testutil.Deadline(t)))
	for {
		select {
		case l := <-p.lines:
			if m := rx.FindStringSubmatch(l); m != nil {
				return m
			}
			if closing && strings.HasPrefix(l, "closed ") {
				t.Fatalf("%s printed %q, want /%s/; stdout %q; stderr %s", p.cmd.Path, l, re, p.output(), p.errb.String())
			}
		case <-p.done:
			select {
			case l := <-p.lines:
				if m := rx.FindStringSubmatch(l); m != nil {
					return m
				}
				continue
			default:
			}
			t.Fatalf("%s exited (%v) without printing /%s/; stdout %q; stderr %s", p.cmd.Path, p.err, re, p.output(), p.errb.String())
		case <-timeout:
			t.Fatalf("%s printed no /%s/ before the test's deadline; stdout %q; stderr %s", p.cmd.Path, re, p.output(), p.errb.String())
		}
	}
}

func (p *process) output() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.out...)
}

// wait waits for the peer to exit by itself.
func (p *process) wait(t *testing.T) {
	t.Helper()
	select {
	case <-p.done:
		if p.err != nil {
			t.Errorf("%s: %v; stderr %s", p.cmd.Path, p.err, p.errb.String())
		}
	case <-time.After(time.Until(testutil.Deadline(t))):
		t.Errorf("%s did not exit; stdout %q", p.cmd.Path, p.output())
	}
}

// need fails the test when a peer's pieces are missing.
func need(t *testing.T, what string) {
	t.Helper()
	switch what {
	case "python", "autobahn", "python3":
		module := map[string]string{"python": "websockets", "autobahn": "autobahn.asyncio.websocket", "python3": "zlib"}[what]
		if out, err := exec.Command(python, "-c", "import "+module).CombinedOutput(); err != nil {
			t.Fatalf("Python module %s is missing (%v: %s); %s", module, err, bytes.TrimSpace(out), installHint)
		}
	case "node", "chromium":
		if _, err := exec.LookPath("node"); err != nil {
			t.Fatalf("node is missing; %s", installHint)
		}
		mod := "ws"
		if what == "chromium" {
			mod = "playwright-core"
			if _, err := os.Stat("/usr/bin/chromium"); err != nil {
				t.Fatalf("/usr/bin/chromium is missing; %s", installHint)
			}
		}
		if _, err := os.Stat(filepath.Join("node_modules", mod, "package.json")); err != nil {
			t.Fatalf("npm package %s is missing in interop/node_modules; %s", mod, installHint)
		}
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithDeadline(context.Background(), testutil.Deadline(t))
	t.Cleanup(cancel)
	return ctx
}

// payload returns n bytes: ASCII for text, random for binary.
func payload(typ websocket.MessageType, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		if typ == websocket.MessageText {
			b[i] = byte('a' + rand.IntN(26))
		} else {
			b[i] = byte(rand.Uint32())
		}
	}
	return b
}

// exercise runs the message checks on c against an echoing peer: every size
// as text and binary, a fragmented message, and a ping.
func exercise(ctx context.Context, c *websocket.Conn) error {
	for _, typ := range []websocket.MessageType{websocket.MessageText, websocket.MessageBinary} {
		for _, n := range sizes {
			want := payload(typ, n)
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
	// A fragmented message: three fragments of the wskit side's choosing.
	w, err := c.Writer(ctx, websocket.MessageBinary)
	if err != nil {
		return err
	}
	var want []byte
	for _, n := range []int{10, 70000, 5} {
		part := payload(websocket.MessageBinary, n)
		want = append(want, part...)
		if _, err := w.Write(part); err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	gt, got, err := c.Read(ctx)
	if err != nil || gt != websocket.MessageBinary || !bytes.Equal(got, want) {
		return fmt.Errorf("fragmented message: echo differs (%v, %d bytes, %v)", gt, len(got), err)
	}
	rtt, err := c.Ping(ctx)
	if err != nil || rtt <= 0 {
		return fmt.Errorf("ping: rtt %v, %v", rtt, err)
	}
	return nil
}

// peerClose asks the peer to close with 4002 "peer-bye" and checks that
// wskit sees it.
func peerClose(ctx context.Context, c *websocket.Conn) error {
	if err := c.Write(ctx, websocket.MessageText, []byte("close-me")); err != nil {
		return err
	}
	_, _, err := c.Read(ctx)
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || websocket.CloseStatus(err) != 4002 || ce.Reason != "peer-bye" || !ce.Remote {
		return fmt.Errorf("after the peer's close: %v, want the peer's 4002 peer-bye", err)
	}
	return nil
}

// wsURL turns an http:// URL into ws://.
func wsURL(u string) string { return "ws" + strings.TrimPrefix(u, "http") }

// testPeerServer runs wskit as client against a peer echo server, with
// compression as m says.
func testPeerServer(t *testing.T, m compMode, name string, args ...string) {
	p := start(t, name, append(args, m.peerArgs...)...)
	port := p.line(t, `^listening (\d+)$`)[1]
	url := "ws://127.0.0.1:" + port + "/"
	ctx := testCtx(t)
	opts := &websocket.DialOptions{}
	opts.Compression = m.comp
	opts.MaxMessageSize = 64 << 20
	// A peer starved of CPU may take longer than the default 5 s to end the
	// closing handshake; it would then see the connection dropped and
	// report 1006 instead of the code sent.
	opts.CloseTimeout = time.Until(testutil.Deadline(t)) / 2

	c, _, err := websocket.Dial(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if err := m.check(c); err != nil {
		t.Fatal(err)
	}
	if err := exercise(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(4001, "bye"); err != nil {
		t.Fatalf("close: %v", err)
	}
	p.line(t, `^closed 4001 bye$`)

	c2, _, err := websocket.Dial(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.CloseNow()
	if err := m.check(c2); err != nil {
		t.Fatal(err)
	}
	if err := peerClose(ctx, c2); err != nil {
		t.Fatal(err)
	}
	p.line(t, `^closed 4002\b`) // wskit echoes the code, without the reason
}

// wskitServer is a wskit server whose /full path runs the message checks
// then closes with 4001 "bye", and whose /peerclose path has the peer close.
// Results arrive on the returned channel, one per connection. It also
// serves /page, the Chromium client page. m sets its compression, and every
// connection checks that it was agreed (or not) accordingly.
func wskitServer(t *testing.T, m compMode) (*httptest.Server, chan error) {
	mux, results := wskitHandler(t, m)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, results
}

// wskitHandler is wskitServer's handler.
func wskitHandler(t *testing.T, m compMode) (*http.ServeMux, chan error) {
	results := make(chan error, 10)
	mux := http.NewServeMux()
	handle := func(path string, f func(ctx context.Context, c *websocket.Conn) error) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			opts := &websocket.AcceptOptions{}
			opts.MaxMessageSize = 64 << 20
			opts.Compression = m.comp
			c, err := websocket.Accept(w, r, opts)
			if err != nil {
				results <- err
				return
			}
			defer c.CloseNow()
			if err := m.check(c); err != nil {
				c.Close(websocket.StatusInternalError, "compression check failed")
				results <- err
				return
			}
			ctx, cancel := context.WithDeadline(context.Background(), testutil.Deadline(t))
			defer cancel()
			results <- f(ctx, c)
		})
	}
	handle("/full", func(ctx context.Context, c *websocket.Conn) error {
		if err := exercise(ctx, c); err != nil {
			return err
		}
		if err := c.Close(4001, "bye"); err != nil {
			return fmt.Errorf("close: %w", err)
		}
		return nil
	})
	handle("/peerclose", peerClose)
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, browserPage)
	})
	return mux, results
}

// browserPage echoes like the peer scripts and shows how the connection
// ended in #result.
const browserPage = `<!doctype html><meta charset="utf-8"><title>wskit interop</title><script>
const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + new URLSearchParams(location.search).get("path"));
ws.binaryType = "arraybuffer";
ws.onmessage = (e) => {
  if (e.data === "close-me") { ws.close(4002, "peer-bye"); return; }
  ws.send(e.data);
};
ws.onclose = (e) => {
  const p = document.createElement("p");
  p.id = "result";
  p.textContent = "closed " + e.code + " " + e.reason;
  document.body.appendChild(p);
};
</script>`

// testPeerClient runs a peer client against wskit as server, once per
// path; client(url) gives the peer's command line, to which m's peer
// arguments are added.
func testPeerClient(t *testing.T, m compMode, client func(url string) []string) {
	srv, results := wskitServer(t, m)
	for _, tc := range []struct{ path, closed string }{
		{"/full", "closed 4001 bye"},
		{"/peerclose", "closed 4002"},
	} {
		args := append(client(wsURL(srv.URL)+tc.path), m.peerArgs...)
		p := start(t, args[0], args[1:]...)
		select {
		case err := <-results:
			if err != nil {
				t.Fatalf("%s: %v", tc.path, err)
			}
		case <-time.After(time.Until(testutil.Deadline(t))):
			t.Fatalf("%s: no result from the wskit server; peer stdout %q stderr %s", tc.path, p.output(), p.errb.String())
		}
		p.line(t, "^"+tc.closed+`\b`)
		p.wait(t)
	}
}

func TestPythonServer(t *testing.T) {
	t.Parallel()
	need(t, "python")
	for _, m := range peerModes {
		t.Run(m.name, func(t *testing.T) { testPeerServer(t, m, python, "peers/py_peer.py", "server") })
	}
}

func TestPythonClient(t *testing.T) {
	t.Parallel()
	need(t, "python")
	for _, m := range peerModes {
		t.Run(m.name, func(t *testing.T) {
			testPeerClient(t, m, func(url string) []string { return []string{python, "peers/py_peer.py", "client", url} })
		})
	}
}

func TestNodeServer(t *testing.T) {
	t.Parallel()
	need(t, "node")
	for _, m := range peerModes {
		t.Run(m.name, func(t *testing.T) { testPeerServer(t, m, "node", "peers/node_peer.js", "server") })
	}
}

func TestNodeClient(t *testing.T) {
	t.Parallel()
	need(t, "node")
	for _, m := range peerModes {
		t.Run(m.name, func(t *testing.T) {
			testPeerClient(t, m, func(url string) []string { return []string{"node", "peers/node_peer.js", "client", url} })
		})
	}
}

// TestChromiumClient runs Chromium, which always offers permessage-deflate,
// against a wskit server that refuses it (off) and accepts it (on).
func TestChromiumClient(t *testing.T) {
	t.Parallel()
	need(t, "chromium")
	for _, m := range []compMode{compOff, compOn} {
		t.Run(m.name, func(t *testing.T) { testChromiumClient(t, m) })
	}
}

func testChromiumClient(t *testing.T, m compMode) {
	srv, results := wskitServer(t, m)
	browserEcho(t, srv.URL, results)
}

// browserEcho has Chromium load base's /page twice, for the /full and the
// /peerclose WebSocket, and waits for both results from wskitHandler's
// server and for the page's close lines.
func browserEcho(t *testing.T, base string, results chan error) {
	p := startEnv(t, browserEnv(base), "node", "peers/browser.js", "echo", base+"/page?path=/full", base+"/page?path=/peerclose")
	for _, want := range []string{"closed 4001 bye", "closed 4002"} {
		select {
		case err := <-results:
			if err != nil {
				t.Fatalf("%s: %v", want, err)
			}
		case <-time.After(time.Until(testutil.Deadline(t))):
			t.Fatalf("no result from the wskit server; browser stdout %q stderr %s", p.output(), p.errb.String())
		}
		p.line(t, "^"+want+`\b`)
	}
	p.wait(t)
}

// browserEnv is the environment peers/browser.js needs for pages at url:
// over TLS, it accepts the loopback server's test certificate.
func browserEnv(url string) []string {
	if strings.HasPrefix(url, "https:") {
		return []string{"WSKIT_IGNORE_CERT=1"}
	}
	return nil
}

// TestChromiumChat types a message in one browser page of `ws serve`'s chat
// and sees it in another.
func TestChromiumChat(t *testing.T) {
	t.Parallel()
	need(t, "chromium")
	bin := filepath.Join(t.TempDir(), "ws")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/wskit/websocket/cmd/ws").CombinedOutput(); err != nil {
		t.Fatalf("building cmd/ws: %v\n%s", err, out)
	}
	srv := start(t, bin, "serve", "--addr", "127.0.0.1:0")
	url := srv.line(t, `chat at (http://\S+/) `)[1]
	p := start(t, "node", "peers/browser.js", "chat", url)
	p.line(t, "^chat ok$")
	p.wait(t)
}
