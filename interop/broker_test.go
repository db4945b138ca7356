package interop_test

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/wskit/websocket/internal/brokertest"
)

// TestChromiumChatNodes runs two `ws serve --broker` nodes sharing a real
// broker, opens the chat page on each in Chromium, and sees the messages
// of both; page B, cut off, resumes from its last offset.
func TestChromiumChatNodes(t *testing.T) {
	t.Parallel()
	need(t, "chromium")
	for _, scheme := range []string{"nats", "redis"} {
		t.Run(scheme, func(t *testing.T) {
			dir := t.TempDir()
			bin := buildWS(t)
			// ws looks for its broker helper next to itself.
			helper := filepath.Join(filepath.Dir(bin), "ws-broker-"+scheme)
			build := exec.Command("go", "build", "-o", helper, "./cmd/ws-broker-"+scheme)
			build.Dir = filepath.Join("..", "broker", scheme)
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("building ws-broker-%s: %v\n%s", scheme, err, out)
			}
			port := brokertest.FreePort(t)
			if scheme == "nats" {
				brokertest.StartProcess(t, "nats-server", "nats-server", "Server is ready",
					"-a", "127.0.0.1", "-p", strconv.Itoa(port), "-js", "-sd", dir)
			} else {
				brokertest.StartProcess(t, "redis-server", "redis-server", "Ready to accept connections",
					"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no")
			}
			url := scheme + "://" + brokertest.Addr(port)
			var pages []string
			for range 2 {
				srv := start(t, bin, "serve", "--addr", "127.0.0.1:0", "--broker", url)
				pages = append(pages, srv.line(t, `chat at (http://\S+/) `)[1])
			}
			p := start(t, "node", "peers/browser.js", "nodes", pages[0], pages[1])
			p.line(t, "^both nodes ok$")
			p.line(t, "^resume ok$")
			p.wait(t)
		})
	}
}
