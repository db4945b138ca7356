package interop_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	// The HTTP/2 servers below advertise SETTINGS_ENABLE_CONNECT_PROTOCOL.
	_ "github.com/wskit/websocket/xconnect"
)

// TestChromiumHTTP2 loads the echo page over HTTP/2 from a loopback TLS
// server and has Chromium open its WebSockets to the same origin: each must
// arrive as an HTTP/2 extended CONNECT (RFC 8441), run every size class
// with compression off and on, and close with a code from each side.
func TestChromiumHTTP2(t *testing.T) {
	t.Parallel()
	need(t, "chromium")
	for _, m := range []compMode{compOff, compOn} {
		t.Run(m.name, func(t *testing.T) {
			mux, results := wskitHandler(t, m)
			var mu sync.Mutex
			var seen []string // "PROTO METHOD PATH" of every request
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				seen = append(seen, r.Proto+" "+r.Method+" "+r.URL.Path)
				mu.Unlock()
				mux.ServeHTTP(w, r)
			}))
			srv.EnableHTTP2 = true
			srv.StartTLS()
			defer srv.Close()
			browserEcho(t, srv.URL, results)
			mu.Lock()
			defer mu.Unlock()
			t.Logf("requests: %q", seen)
			for _, want := range []string{"HTTP/2.0 GET /page", "HTTP/2.0 CONNECT /full", "HTTP/2.0 CONNECT /peerclose"} {
				found := false
				for _, s := range seen {
					found = found || s == want
				}
				if !found {
					t.Errorf("the server saw no %q; it saw %q", want, seen)
				}
			}
		})
	}
}

// fallbackPage reports the protocol its own load used, then echoes a
// message over a WebSocket to its origin and closes it with 4003.
const fallbackPage = `<!doctype html><meta charset="utf-8"><title>wskit h2 fallback</title><script>
const nav = performance.getEntriesByType("navigation")[0].nextHopProtocol;
const ws = new WebSocket("wss://" + location.host + "/echo");
ws.onopen = () => ws.send("over the fallback");
let echoed = "";
ws.onmessage = (e) => { echoed = e.data; ws.close(4003); };
ws.onclose = (e) => {
  const p = document.createElement("p");
  p.id = "result";
  p.textContent = "closed " + e.code + " echo " + JSON.stringify(echoed) + " page " + nav;
  document.body.appendChild(p);
};
</script>`

// TestChromiumHTTP2Fallback: a server that speaks HTTP/2 but does not
// advertise SETTINGS_ENABLE_CONNECT_PROTOCOL (ws serve --h2 with
// GODEBUG=http2xconnect=0) gets Chromium's WebSocket as an HTTP/1.1
// upgrade, while the page itself came over h2.
func TestChromiumHTTP2Fallback(t *testing.T) {
	t.Parallel()
	need(t, "chromium")
	bin := buildWS(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte(fallbackPage), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := startEnv(t, []string{"GODEBUG=http2xconnect=0"}, bin, "serve", "--addr", "127.0.0.1:0", "--echo", "--h2", "--dir", dir)
	u := srv.line(t, `echo server at wss://(\S+)/`)[1]
	p := startEnv(t, browserEnv("https:"), "node", "peers/browser.js", "echo", "https://"+u+"/")
	p.line(t, `^closed 4003 echo "over the fallback" page h2$`)
	p.wait(t)
	srv.cmd.Process.Signal(os.Interrupt)
	<-srv.done
	log := srv.errb.String()
	if !strings.Contains(log, "websocket open") || !strings.Contains(log, "http=HTTP/1.1") || strings.Contains(log, "http=HTTP/2.0") {
		t.Fatalf("the server should log one WebSocket over HTTP/1.1; it logged:\n%s", log)
	}
}

// TestChromiumChatHTTP2 runs `ws serve --h2`'s chat (server.Server with its
// routes, hooks and broadcast) with two Chromium pages whose WebSockets are
// HTTP/2 streams, as the server's log says.
func TestChromiumChatHTTP2(t *testing.T) {
	t.Parallel()
	need(t, "chromium")
	bin := buildWS(t)
	srv := start(t, bin, "serve", "--addr", "127.0.0.1:0", "--h2")
	url := srv.line(t, `chat at (https://\S+/) `)[1]
	p := startEnv(t, browserEnv(url), "node", "peers/browser.js", "chat", url)
	p.line(t, "^chat ok$")
	p.wait(t)
	srv.cmd.Process.Signal(os.Interrupt)
	<-srv.done
	log := srv.errb.String()
	if n := strings.Count(log, "http=HTTP/2.0"); n != 2 || strings.Contains(log, "http=HTTP/1.1") {
		t.Fatalf("the server should log two WebSockets over HTTP/2; it logged:\n%s", log)
	}
}
