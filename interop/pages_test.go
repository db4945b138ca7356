package interop_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/internal/testutil"
	"github.com/wskit/websocket/wire"
)

// The web pages of the ws command (the chat of ws serve, the live view of
// ws proxy), in Chromium. The
// script peers/pages.js drives the pages and asks the test, step by step,
// to act on the servers. Screenshots go to $WSKIT_SCREENSHOTS when set, or
// to the test's temporary folder.

// shotDir is where the page tests write their screenshots.
func shotDir(t *testing.T) string {
	if d := os.Getenv("WSKIT_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// wsProcess is a running ws command, stopped with an interrupt.
type wsProcess struct {
	cmd    *exec.Cmd
	stdout *testutil.Buffer
	stderr *testutil.Buffer
	done   chan error
}

// startWS runs `bin args...` and waits for pattern (one submatch) on the
// stream it names ("stdout" or "stderr"); it returns the submatch.
func startWS(t *testing.T, bin, stream, pattern string, args ...string) (*wsProcess, string) {
	t.Helper()
	p := &wsProcess{cmd: exec.Command(bin, args...), stdout: new(testutil.Buffer), stderr: new(testutil.Buffer), done: make(chan error, 1)}
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() { p.stop(t) })
	watched := p.stdout
	if stream == "stderr" {
		watched = p.stderr
	}
	re := regexp.MustCompile(pattern)
	deadline := time.After(time.Until(testutil.Deadline(t)))
	for {
		if m := re.FindStringSubmatch(watched.String()); m != nil {
			return p, m[1]
		}
		select {
		case err := <-p.done:
			p.done <- err
			t.Fatalf("ws %s exited (%v); stderr %s", args[0], err, p.stderr.String())
		case <-deadline:
			t.Fatalf("ws %s printed nothing matching %s; stdout %q stderr %q", args[0], pattern, p.stdout.String(), p.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stop interrupts the command and waits for it to exit; it may be called
// again.
func (p *wsProcess) stop(t *testing.T) {
	if p.cmd.ProcessState != nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-p.done:
		p.done <- err
		if err != nil {
			t.Errorf("ws %s: %v; stderr %s", p.cmd.Args[1], err, p.stderr.String())
		}
	case <-time.After(time.Until(testutil.Deadline(t))):
		p.cmd.Process.Kill()
		t.Errorf("ws %s did not stop on an interrupt", p.cmd.Args[1])
	}
}

// pageScript runs peers/pages.js with args and answers its steps with act.
func pageScript(t *testing.T, act func(step string), args ...string) {
	t.Helper()
	need(t, "chromium")
	cmd := exec.Command("node", append([]string{"peers/pages.js"}, args...)...)
	cmd.Env = append(os.Environ(), fmt.Sprintf("WSKIT_WAIT_MS=%d", time.Until(testutil.Deadline(t)).Milliseconds()))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr testutil.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("node: %v; %s", err, installHint)
	}
	timer := time.AfterFunc(3*time.Minute, func() { cmd.Process.Kill() })
	defer timer.Stop()
	var ok bool
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "step "):
			name := strings.TrimPrefix(line, "step ")
			act(name)
			fmt.Fprintf(stdin, "done %s\n", name)
		case strings.HasSuffix(line, " ok"):
			ok = true
		}
	}
	io.Copy(io.Discard, stdout)
	if err := cmd.Wait(); err != nil || !ok {
		t.Fatalf("pages.js %s: %v\n%s", args[0], err, stderr.String())
	}
}

// TestChatPage opens the chat of `ws serve` in two pages, one at phone
// width: names and times on every message, own messages set apart, no
// console error (a missing favicon would be one); then the server restarts,
// the pages reconnect by themselves, and a message typed while the server
// was down is shown as waiting, then delivered once.
func TestChatPage(t *testing.T) {
	t.Parallel()
	bin := buildWS(t)
	srv, url := startWS(t, bin, "stdout", `chat at (http://\S+/) `, "serve", "--addr", "127.0.0.1:0")
	addr := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/")
	shots := shotDir(t)
	pageScript(t, func(step string) {
		switch step {
		case "stop-server":
			srv.stop(t)
			// Shutdown closed both pages: the server started it.
			log := srv.stderr.String()
			if n := strings.Count(log, "code=1001"); n != 2 || strings.Count(log, "by_peer=false") < 2 {
				t.Errorf("the log should record two 1001 closes started by the server:\n%s", log)
			}
		case "start-server":
			srv, _ = startWS(t, bin, "stdout", `chat at (http://\S+/) `, "serve", "--addr", addr)
		default:
			t.Errorf("unknown step %q", step)
		}
	}, "chat", url, shots)
	for _, f := range []string{"chat-wide.png", "chat-narrow.png", "chat-offline.png", "chat-reconnected.png"} {
		if st, err := os.Stat(filepath.Join(shots, f)); err != nil || st.Size() < 1000 {
			t.Errorf("screenshot %s: %v", f, err)
		}
	}
}

// TestProxyUIPage opens the --ui page of `ws proxy` (which also prints
// --json) in Chromium while connections pass through it: frames appear
// live both ways with compression, close codes and a finding marked; the
// connection and text filters, pause and the detail pane work; and the
// export is, line for line, what the proxy printed as --json.
func TestProxyUIPage(t *testing.T) {
	t.Parallel()
	bin := buildWS(t)
	_, echo := startWS(t, bin, "stdout", `echo server at (ws://\S+/) `, "serve", "--echo", "--addr", "127.0.0.1:0", "--log", "off")
	proxy, ui := startWS(t, bin, "stderr", `live view at (http://\S+/)`, "proxy", "--json", "--listen", "127.0.0.1:0", "--ui", "127.0.0.1:0", "--upstream", echo)
	addr := regexp.MustCompile(`relaying (ws://\S+/) `).FindStringSubmatch(proxy.stderr.String())[1]
	shots := shotDir(t)
	ctx := testCtx(t)
	dial := func(compress bool) *websocket.Conn {
		t.Helper()
		opts := &websocket.DialOptions{NoProxy: true}
		if compress {
			opts.Compression = &websocket.CompressionOptions{}
		}
		c, _, err := websocket.Dial(ctx, addr+"ui-test", opts)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	roundTrip := func(c *websocket.Conn, typ websocket.MessageType, p []byte) {
		t.Helper()
		if err := c.Write(ctx, typ, p); err != nil {
			t.Fatal(err)
		}
		if _, got, err := c.Read(ctx); err != nil || !bytes.Equal(got, p) {
			t.Fatalf("echo through the proxy: %q %v", got, err)
		}
	}
	pageScript(t, func(step string) {
		switch step {
		case "traffic":
			c := dial(false) // #1
			roundTrip(c, websocket.MessageText, []byte("hello proxy"))
			roundTrip(c, websocket.MessageBinary, []byte{0xde, 0xad, 0xbe, 0xef})
			if _, err := c.Ping(ctx); err != nil {
				t.Fatal(err)
			}
			c.Close(4001, "bye")
			z := dial(true) // #2
			roundTrip(z, websocket.MessageText, bytes.Repeat([]byte("squeeze me "), 50))
			z.Close(websocket.StatusNormalClosure, "")
			// #3 breaks RFC 6455 §5.3: an unmasked client frame.
			raw, err := net.Dial("tcp", strings.TrimSuffix(strings.TrimPrefix(addr, "ws://"), "/"))
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			fmt.Fprintf(raw, "GET /raw HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
			br := bufio.NewReader(raw)
			if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 101 {
				t.Fatalf("raw handshake: %v %v", resp, err)
			}
			raw.Write(wire.AppendFrame(nil, wire.Header{Fin: true, Opcode: wire.OpText, Length: 8}, []byte("unmasked")))
			raw.SetReadDeadline(testutil.Deadline(t))
			io.Copy(io.Discard, br) // until the server closes
		case "paused-traffic":
			c := dial(false) // #4
			roundTrip(c, websocket.MessageText, []byte("sent while paused"))
			c.Close(websocket.StatusNormalClosure, "")
		default:
			t.Errorf("unknown step %q", step)
		}
	}, "proxyui", ui, shots)

	// The export is what the proxy printed with --json, line for line.
	export, err := os.ReadFile(filepath.Join(shots, "proxyui-export.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	printed := proxy.stdout.String()
	got := strings.Split(strings.TrimSpace(string(export)), "\n")
	want := strings.Split(strings.TrimSpace(printed), "\n")
	// Connections run at once may interleave in another order in each log.
	slices.Sort(got)
	slices.Sort(want)
	if len(got) < 10 || !slices.Equal(got, want) {
		t.Errorf("export (%d lines) differs from the --json output (%d lines)\nexport:\n%s\nprinted:\n%s", len(got), len(want), export, printed)
	}
	for _, f := range []string{"proxyui-live.png", "proxyui-filtered.png", "proxyui-paused.png", "proxyui-detail.png"} {
		if st, err := os.Stat(filepath.Join(shots, f)); err != nil || st.Size() < 1000 {
			t.Errorf("screenshot %s: %v", f, err)
		}
	}
}
