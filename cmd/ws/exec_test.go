package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wskit/websocket"
)

// execScript prints its connection's details, answers each line, and
// exits with status 3 on "quit" and 0 on "bye".
const execScript = `echo "addr=$REMOTE_ADDR port=$REMOTE_PORT q=$QUERY_STRING path=$SCRIPT_NAME uri=$REQUEST_URI x=$HTTP_X_TEST server=$SERVER_NAME:$SERVER_PORT gw=$GATEWAY_INTERFACE"
while read -r l; do
  case "$l" in
  quit) exit 3 ;;
  bye) echo "see you"; exit 0 ;;
  *) echo "got: $l" ;;
  esac
done`

// TestBinServeExec runs ws serve --exec --dir with the binary: the
// program's environment, lines both ways, the close code from its exit
// status, and the files beside the WebSocket.
func TestBinServeExec(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "index.html"), []byte("<p>static page</p>\n"), 0o644)
	script := filepath.Join(dir, "script.sh")
	os.WriteFile(script, []byte(execScript), 0o755)
	p, url := startBin(t, "stdout", `for each connection at (ws://\S+/) `, "serve", "--addr", "127.0.0.1:0", "--exec", "sh "+script, "--dir", dir)
	ctx := testCtx(t)
	hostport := strings.TrimSuffix(strings.TrimPrefix(url, "ws://"), "/")

	for _, tc := range []struct {
		last string
		code websocket.StatusCode
		want string // the program's last line, if any
	}{{"quit", websocket.StatusInternalError, ""}, {"bye", websocket.StatusNormalClosure, "see you"}} {
		c, _, err := websocket.Dial(ctx, url+"app/run?a=1&b=two", &websocket.DialOptions{Header: http.Header{"X-Test": {"yes"}}})
		if err != nil {
			t.Fatal(err)
		}
		_, first, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := "addr=127.0.0.1 port=" + strings.Split(c.LocalAddr().String(), ":")[1] + " q=a=1&b=two path=/app/run uri=/app/run?a=1&b=two x=yes server=" + hostport + " gw=websocketd-CGI/0.1"
		if string(first) != want {
			t.Errorf("environment line\n got %q\nwant %q", first, want)
		}
		for _, m := range []string{"one", "two words"} {
			c.Write(ctx, websocket.MessageText, []byte(m))
			if _, got, err := c.Read(ctx); err != nil || string(got) != "got: "+m {
				t.Fatalf("answer to %q: %q %v", m, got, err)
			}
		}
		c.Write(ctx, websocket.MessageText, []byte(tc.last))
		if tc.want != "" {
			if _, got, err := c.Read(ctx); err != nil || string(got) != tc.want {
				t.Fatalf("last line: %q %v", got, err)
			}
		}
		_, _, err = c.Read(ctx)
		if websocket.CloseStatus(err) != tc.code {
			t.Errorf("after %q: %v, want close %d", tc.last, err, tc.code)
		}
		c.CloseNow()
	}

	// The client leaves first: the program gets EOF and ends.
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Read(ctx)
	c.Close(websocket.StatusNormalClosure, "")
	p.waitFor(t, `(?s)(exec ended.*){3}`)

	// Plain requests get the files.
	resp, err := http.Get("http://" + hostport + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "<p>static page</p>\n" {
		t.Errorf("GET /: %d %q", resp.StatusCode, body)
	}
}

// TestBinServeOrigin checks --origin: a browser page from another origin
// is refused until its origin is allowed.
func TestBinServeOrigin(t *testing.T) {
	_, url := startBin(t, "stdout", `echo server at (ws://\S+/) `, "serve", "--addr", "127.0.0.1:0", "--echo", "--origin", "app.example.com", "--origin", "*.example.org")
	ctx := testCtx(t)
	for origin, ok := range map[string]bool{
		"https://app.example.com": true,
		"http://x.example.org":    true,
		"https://evil.example":    false,
	} {
		c, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{Origin: origin})
		if ok {
			if err != nil {
				t.Errorf("origin %s: %v", origin, err)
				continue
			}
			c.Close(websocket.StatusNormalClosure, "")
			continue
		}
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("origin %s: %v, want 403", origin, err)
		}
	}
	_, errOut, code := runBin(t, "", "serve", "--echo", "--exec", "cat")
	if code != 2 || !strings.Contains(errOut, "cannot be used together") {
		t.Errorf("--echo --exec: exit %d %q", code, errOut)
	}
	_, errOut, code = runBin(t, "", "serve", "--dir", filepath.Join(t.TempDir(), "none"))
	if code != 2 || !strings.Contains(errOut, "is not a folder") {
		t.Errorf("--dir missing: exit %d %q", code, errOut)
	}
}
