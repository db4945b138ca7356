package main

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/wskit/websocket/bench/load"
)

// TestMain is also the server process of TestOnce.
func TestMain(m *testing.M) {
	if f := os.Getenv("WSKIT_H2_SERVE_FRAME"); f != "" {
		frame, _ := strconv.Atoi(f)
		serveEcho(frame)
		return
	}
	os.Exit(m.Run())
}

// TestOnce runs every mode through a server process of its own, bounded by
// message count, and renders the report: each mode's row has figures.
func TestOnce(t *testing.T) {
	server := func(frame int) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "WSKIT_H2_SERVE_FRAME="+strconv.Itoa(frame))
		return cmd
	}
	var all []run
	for _, m := range modes {
		res, err := once(context.Background(), server, m, load.H2Config{HTTP2: m.HTTP2, Conns: 5, Size: 16, MaxMessages: 10})
		if err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		if res.ServerHeapPerWS <= 0 {
			t.Errorf("%s: server heap per WebSocket %.0f bytes, want more than 0", m.Name, res.ServerHeapPerWS)
		}
		all = append(all, run{Mode: m.Name, Size: 16, Result: &res})
	}
	rep := report(all, []int{16}, 5, 1)
	for _, m := range modes {
		if !strings.Contains(rep, "| 16 B | "+m.Name+" | ") {
			t.Errorf("no row for %s in\n%s", m.Name, rep)
		}
	}
	if strings.Contains(rep, "failed") {
		t.Errorf("a failed cell in\n%s", rep)
	}
}
