package main

import (
	"context"
	"fmt"
	"github.com/wskit/websocket/internal/testutil"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wskit/websocket"
)

// TestCheckServer runs ws check server against ws serve --echo (it must
// pass) and against a server that drops every connection (it must fail),
// and checks the reports it writes.
func TestCheckServer(t *testing.T) {
	url := startServe(t, `ws://[^ ]+`, "--echo")
	dir := t.TempDir()
	htmlPath, jsonPath := filepath.Join(dir, "r.html"), filepath.Join(dir, "r.json")
	var stdout, stderr syncBuffer
	code := run(testCtx(t), []string{"check", "server", "--quiet", "--cases", "1.1.*,2.*,5.1,6.2.*,7.1.*",
		"--html", htmlPath, "--json", jsonPath, url}, nil, &stdout, &stderr)
	if code != exitOK || !strings.Contains(stdout.String(), "0 failed") {
		t.Fatalf("check against ws serve --echo: exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	for _, p := range []string{htmlPath, jsonPath} {
		b, err := os.ReadFile(p)
		if err != nil || !strings.Contains(string(b), "2.10") {
			t.Errorf("report %s: %v, %d bytes without case 2.10", p, err, len(b))
		}
	}

	// A server that accepts and then drops every connection fails.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := websocket.Accept(w, r, nil); err == nil {
			c.CloseNow()
		}
	})}
	go srv.Serve(ln)
	defer srv.Close()
	stdout, stderr = syncBuffer{}, syncBuffer{}
	code = run(testCtx(t), []string{"check", "server", "--quiet", "--cases", "1.1.1", "ws://" + ln.Addr().String() + "/"}, nil, &stdout, &stderr)
	if code != exitError || !strings.Contains(stdout.String(), "1 failed") {
		t.Fatalf("check against a dropping server: exit %d\n%s", code, stdout.String())
	}
}

// TestCheckClient serves cases with ws check client and drives them with
// ws dial --echo, the way a conformance client is run.
func TestCheckClient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithDeadline(context.Background(), testutil.Deadline(t))
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"check", "client", "--quiet", "--listen", addr, "--cases", "1.1.*,5.6,7.1.1"}, nil, &stdout, &stderr)
	}()
	base := "ws://" + addr
	for i := 0; ; i++ {
		if strings.Contains(stdout.String(), "serving") {
			break
		}
		if i > 200 {
			t.Fatalf("ws check client did not start: %s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	var out syncBuffer
	if code := run(ctx, []string{"dial", base + "/getCaseCount"}, strings.NewReader(""), &out, &stderr); code != exitOK {
		t.Fatalf("getCaseCount: exit %d: %s", code, stderr.String())
	}
	var n int
	if _, err := fmt.Sscan(out.String(), &n); err != nil || n != 10 {
		t.Fatalf("case count %q", out.String())
	}
	for i := 1; i <= n; i++ {
		run(ctx, []string{"dial", "--echo", fmt.Sprintf("%s/runCase?case=%d&agent=ws", base, i)}, nil, &syncBuffer{}, &syncBuffer{})
	}
	run(ctx, []string{"dial", base + "/updateReports?agent=ws"}, strings.NewReader(""), &syncBuffer{}, &syncBuffer{})
	if code := <-done; code != exitOK || !strings.Contains(stdout.String(), "10 passed, 0 failed") {
		t.Fatalf("check client: exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
}
