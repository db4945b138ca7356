package main

import (
	"bytes"
	"context"
	"github.com/wskit/websocket/internal/testutil"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// These tests run the built ws binary, as a user would.

var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// wsBin builds cmd/ws once per test run and returns the binary's path.
func wsBin(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "ws-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "ws")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = &buildError{err, out}
		}
	})
	if binErr != nil {
		t.Fatalf("building ws: %v", binErr)
	}
	return binPath
}

type buildError struct {
	err error
	out []byte
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + string(e.out) }

// runBin runs the binary with args and stdin to its end and returns its
// outputs and exit code.
func runBin(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, wsBin(t), args...)
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("ws %s: %v", args[0], err)
	}
	return o.String(), e.String(), code
}

func TestBinVersion(t *testing.T) {
	for _, arg := range []string{"--version", "version"} {
		out, _, code := runBin(t, "", arg)
		if code != 0 || !strings.HasPrefix(out, "ws (wskit) ") || !strings.Contains(out, "go1.") {
			t.Errorf("ws %s: exit %d, %q", arg, code, out)
		}
	}
}

// TestBinDialTerminal drives the terminal mode of ws dial (forced with
// --interactive, as stdin is a pipe here) against ws serve --echo.
func TestBinDialTerminal(t *testing.T) {
	url := startServe(t, `ws://\S+/`, "--echo")
	out, errOut, code := runBin(t, "hello\n/binary 00 ff\n/ping\n/nope\n//slash\n/close 4000 bye\n",
		"dial", "--interactive", "--compress", "--subprotocol", "chat", url)
	if code != 0 {
		t.Fatalf("exit %d; stdout %q; stderr %q", code, out, errOut)
	}
	for _, want := range []string{
		"connected to " + url + " (subprotocol: none; extensions: permessage-deflate)",
		"\n> hello\n",
		"\n< hello\n",
		"> [binary 2 B] 00ff\n",
		"< [binary 2 B] 00ff\n",
		"< pong after ",
		"! unknown command /nope",
		"\n< /slash\n",
		"closed: you closed; the server answered with 4000\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	// A control character from the peer is escaped, not sent to the terminal.
	out, _, _ = runBin(t, "bell\x07here\n", "dial", "--interactive", url)
	if !strings.Contains(out, `< bell\ahere`) {
		t.Errorf("control character not escaped:\n%q", out)
	}
}

// TestBinDialPiped checks that a pipe gets the messages alone, and the hint
// for a URL without a scheme.
func TestBinDialPiped(t *testing.T) {
	url := startServe(t, `ws://\S+/`, "--echo")
	out, errOut, code := runBin(t, "one\n/ping\n", "dial", url)
	if code != 0 || out != "one\n/ping\n" {
		t.Errorf("piped: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	_, errOut, code = runBin(t, "", "dial", "127.0.0.1:8080")
	if code != 2 || !strings.Contains(errOut, "did you mean ws://127.0.0.1:8080") {
		t.Errorf("no scheme: exit %d, stderr %q", code, errOut)
	}
}

// TestBinCheck runs ws check from a folder with nothing beside it: the
// compression cases use the built-in payloads, --quiet still prints the
// summary, --progress counts N/total, and a bad --payloads names the flag.
func TestBinCheck(t *testing.T) {
	url := startServe(t, `ws://\S+/`, "--echo")
	dir := t.TempDir()
	report := filepath.Join(dir, "r.html")
	cmd := exec.Command(wsBin(t), "check", "server", "--quiet", "--progress", "--cases", "1.1.1,12.1.1,13.1.1", "--html", report, url)
	cmd.Dir = dir
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v; stdout %q; stderr %q", err, o.String(), e.String())
	}
	if o.String() != "3 passed, 0 failed, 0 informational, 0 unimplemented\n" {
		t.Errorf("stdout %q, want the summary alone", o.String())
	}
	if !strings.Contains(e.String(), "3/3  ") || !strings.Contains(e.String(), "1/3  ") {
		t.Errorf("stderr %q has no N/3 progress", e.String())
	}
	html, err := os.ReadFile(report)
	if err != nil || !strings.Contains(string(html), "<title>WebSocket conformance: server under test</title>") {
		t.Errorf("report title: %v %.300s", err, html)
	}
	_, errOut, code := runBin(t, "", "check", "server", "--payloads", filepath.Join(dir, "none"), "--cases", "12.1.1", url)
	if code != 2 || !strings.Contains(errOut, "--payloads "+filepath.Join(dir, "none")+" is not a folder") {
		t.Errorf("bad --payloads: exit %d, stderr %q", code, errOut)
	}
}

// binProcess is the ws binary running in the background.
type binProcess struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	done           chan error
}

// startBin runs the binary with args until the test ends (then interrupts
// it and expects exit 0) and waits for pattern, with one submatch, on
// stream ("stdout" or "stderr"); it returns the submatch.
func startBin(t *testing.T, stream, pattern string, args ...string) (*binProcess, string) {
	t.Helper()
	p := &binProcess{cmd: exec.Command(wsBin(t), args...), stdout: new(syncBuffer), stderr: new(syncBuffer), done: make(chan error, 1)}
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-p.done:
			if err != nil {
				t.Errorf("ws %s: %v; stderr %s", args[0], err, p.stderr.String())
			}
		case <-time.After(time.Until(testutil.Deadline(t))):
			p.cmd.Process.Kill()
			t.Errorf("ws %s did not stop on an interrupt", args[0])
		}
	})
	return p, p.waitFor(t, pattern)
}

// waitFor waits until the process has printed pattern on stdout or stderr
// and returns its first submatch (or the match).
func (p *binProcess) waitFor(t *testing.T, pattern string) string {
	t.Helper()
	re := regexp.MustCompile(pattern)
	deadline := time.After(time.Until(testutil.Deadline(t)))
	for {
		for _, b := range []*syncBuffer{p.stdout, p.stderr} {
			if m := re.FindStringSubmatch(b.String()); m != nil {
				return m[len(m)-1]
			}
		}
		select {
		case err := <-p.done:
			p.done <- err
			t.Fatalf("ws exited (%v) without printing %s; stdout %q; stderr %q", err, pattern, p.stdout.String(), p.stderr.String())
		case <-deadline:
			t.Fatalf("ws printed nothing matching %s; stdout %q; stderr %q", pattern, p.stdout.String(), p.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestBinDialPTY runs ws dial on a real terminal (a pseudo-terminal made
// by script(1)): the terminal mode is on by itself, with the prompt drawn
// again after each line that arrives.
func TestBinDialPTY(t *testing.T) {
	scriptCmd, err := exec.LookPath("script")
	if err != nil {
		t.Fatalf("script(1) is missing (Debian's bsdutils has it): %v", err)
	}
	url := startServe(t, `ws://\S+/`, "--echo")
	ctx, cancel := context.WithDeadline(context.Background(), testutil.Deadline(t))
	defer cancel()
	cmd := exec.CommandContext(ctx, scriptCmd, "-qefc", wsBin(t)+" dial "+url, "/dev/null")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Each line waits for the answer to the one before, as a person would.
	wait := func(s string) {
		t.Helper()
		for !strings.Contains(out.String(), s) {
			select {
			case <-ctx.Done():
				t.Fatalf("no %q on the terminal:\n%q", s, out.String())
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	wait("connected to " + url)
	io.WriteString(stdin, "hello\n")
	wait("\r\x1b[K< hello\r\n> ")
	io.WriteString(stdin, "/close 1000 done\n")
	wait("closed: you closed; the server answered with 1000 normal closure\r\n")
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v\n%q", err, out.String())
	}
	if s := out.String(); strings.HasSuffix(s, "> ") {
		t.Errorf("a prompt after the end: %q", s)
	}
}
