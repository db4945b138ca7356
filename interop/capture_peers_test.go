package interop_test

import (
	"context"
	"github.com/wskit/websocket/internal/testutil"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wskit/websocket"
)

// Capture tests with peer clients: a wskit server runs the capture script
// (every size as text and binary, a message in fragments, a ping and a
// close) against Node ws and gorilla/websocket clients that echo, and ws
// inspect's decoding of the capture is compared with tshark's and with
// what was sent, as TestCaptureInspect does with Python websockets.

// buildGorillaPeer builds the gorilla client of capturepeers/, a module of
// its own (scripts/test.sh downloads its modules).
func buildGorillaPeer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "capturepeers")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = "capturepeers"
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the gorilla peer: %v\n%s", err, out)
	}
	return bin
}

func TestCapturePeerClients(t *testing.T) {
	t.Parallel()
	needCapture(t)
	need(t, "node")
	bin := buildWS(t)
	gorilla := buildGorillaPeer(t)
	for _, tc := range []struct {
		peer string
		m    compMode
	}{
		// gorilla offers permessage-deflate only without context takeover.
		{"gorilla", compOff},
		{"gorilla", compNoContext},
		{"node", compOff},
		{"node", compOn},
	} {
		cmd := func(url string) []string {
			if tc.peer == "gorilla" {
				return append([]string{gorilla, "client", url}, tc.m.peerArgs...)
			}
			return append([]string{"node", "peers/node_peer.js", "client", url}, tc.m.peerArgs...)
		}
		t.Run(tc.peer+"/"+tc.m.name, func(t *testing.T) { testCapturePeerClient(t, bin, tc.m, cmd) })
	}
}

func testCapturePeerClient(t *testing.T, bin string, m compMode, client func(string) []string) {
	type result struct {
		sent []message
		err  error
	}
	results := make(chan result, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		opts := &websocket.AcceptOptions{}
		opts.MaxMessageSize = 64 << 20
		opts.Compression = m.comp
		c, err := websocket.Accept(w, r, opts)
		if err != nil {
			results <- result{err: err}
			return
		}
		defer c.CloseNow()
		if err := m.check(c); err != nil {
			results <- result{err: err}
			return
		}
		ctx, cancel := context.WithDeadline(context.Background(), testutil.Deadline(t))
		defer cancel()
		sent, err := captureScript(ctx, c)
		results <- result{sent, err}
	}))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	file, stop := startCapture(t, port)
	args := client("ws" + strings.TrimPrefix(srv.URL, "http") + "/")
	p := start(t, args[0], args[1:]...)
	var res result
	select {
	case res = <-results:
	case <-time.After(time.Until(testutil.Deadline(t))):
		t.Fatalf("the session did not finish; peer stdout %q stderr %s", p.output(), p.errb.String())
	}
	if res.err != nil {
		t.Fatalf("%v; peer stderr %s", res.err, p.errb.String())
	}
	p.line(t, `^closed 4001 bye$`)
	stop()
	out, err := exec.Command(bin, "inspect", "--json", file).Output()
	if err != nil {
		t.Fatalf("ws inspect: %v", err)
	}
	compareDecodes(t, out, file, port, res.sent, m.comp != nil)
}
