package interop_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// wasmPage loads the Go distribution's wasm_exec.js and runs main.wasm.
const wasmPage = `<!doctype html>
<html><head><meta charset="utf-8"><script src="wasm_exec.js"></script></head>
<body><script>
const go = new Go();
WebAssembly.instantiateStreaming(fetch("main.wasm"), go.importObject)
  .then((r) => go.run(r.instance))
  .catch((e) => { const d = document.createElement("div"); d.id = "result"; d.textContent = "fail: " + e; document.body.appendChild(d); });
</script></body></html>`

// TestChromiumWasmClient builds testdata/wasmclient for js/wasm and runs it
// in Chromium, where wskit's Dial uses the browser's WebSocket: it echoes
// text, binary, streamed and large messages through `ws serve --echo`,
// checks that Ping reports errors.ErrUnsupported and that a cancelled read
// leaves the connection open, and closes with the close handshake.
func TestChromiumWasmClient(t *testing.T) {
	t.Parallel()
	need(t, "chromium")
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "main.wasm"), "./testdata/wasmclient")
	build.Env = append(build.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the wasm client: %v\n%s", err, out)
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	wasmExec := filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js")

	bin := filepath.Join(dir, "ws")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/wskit/websocket/cmd/ws").CombinedOutput(); err != nil {
		t.Fatalf("building cmd/ws: %v\n%s", err, out)
	}
	echo := start(t, bin, "serve", "--echo", "--addr", "127.0.0.1:0")
	wsURL := echo.line(t, `echo server at (ws://\S+/) `)[1]

	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(wasmPage))
	})
	mux.HandleFunc("/wasm_exec.js", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, wasmExec) })
	mux.HandleFunc("/main.wasm", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/wasm")
		http.ServeFile(w, r, filepath.Join(dir, "main.wasm"))
	})
	page := httptest.NewServer(mux)
	defer page.Close()

	p := start(t, "node", "peers/browser.js", "echo", page.URL+"/?ws="+url.QueryEscape(wsURL))
	got := p.line(t, `^(ok|fail).*`)
	if got[1] != "ok" {
		t.Fatalf("wasm client in Chromium: %s", got[0])
	}
	t.Logf("wasm client in Chromium: %s", got[0])
	p.wait(t)
}
