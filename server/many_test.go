//go:build linux

package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/internal/testutil"
	"github.com/wskit/websocket/server"
	"github.com/wskit/websocket/wire"
)

// TestEventLoopManyConns opens manyConns connections to a server in
// event-loop mode, from a child process (one process may hold 20,000
// descriptors here, and the two ends of 10,000 connections are that many),
// echoes a message on each, broadcasts to all of them, then shuts the
// server down: every client gets 1001 and answers it, Shutdown returns
// with the registry empty, and (TestMain) no goroutine is left.
func TestEventLoopManyConns(t *testing.T) {
	const n = 10000
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur < n+1000 {
		t.Fatalf("open-file limit %d (%v): the test needs %d descriptors in each of two processes", lim.Cur, err, n+1000)
	}
	var opened, closed atomic.Int64
	ev := eventsEcho(nil)
	ev.OnOpen = func(server.Conn, *http.Request) { opened.Add(1) }
	ev.OnClose = func(_ server.Conn, code websocket.StatusCode, _ string) {
		if code == websocket.StatusGoingAway {
			closed.Add(1)
		}
	}
	srv := server.New(&server.Options{EventLoop: &server.EventLoopOptions{}, MaxConns: n})
	srv.HandleRoute(server.Route{Path: "/", Events: ev})
	url := serve(t, srv, nil)
	ctx := testCtx(t)

	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestManyClientsProcess$", "-test.v")
	cmd.Env = append(os.Environ(), "WSKIT_MANY_ADDR="+strings.TrimPrefix(url, "ws://"), "WSKIT_MANY_N="+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	toChild, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	fromChild, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		toChild.Close()
		if t.Failed() {
			cmd.Process.Kill()
		}
		if err := cmd.Wait(); err != nil && !t.Failed() {
			t.Errorf("client process: %v", err)
		}
	}()
	lines := bufio.NewScanner(fromChild)
	expect := func(want string) {
		t.Helper()
		for lines.Scan() {
			if l := lines.Text(); l == want {
				return
			} else if strings.HasPrefix(l, "FAIL") || strings.HasPrefix(l, "--- FAIL") {
				t.Fatalf("client process: %s", l)
			}
		}
		t.Fatalf("client process ended before %q: %v", want, lines.Err())
	}

	expect("echoed")
	if got := srv.Count(); got != n || opened.Load() != int64(n) {
		t.Fatalf("Count %d, OnOpen %d; want %d", got, opened.Load(), n)
	}
	if st := srv.Stats(); st.MessagesIn != uint64(n) || st.MessagesOut != uint64(n) {
		t.Fatalf("messages in %d, out %d; want %d", st.MessagesIn, st.MessagesOut, n)
	}
	res, err := srv.Broadcast(websocket.MessageText, []byte("to all"))
	if err != nil || res.Queued != n {
		t.Fatalf("broadcast %+v, %v", res, err)
	}
	io.WriteString(toChild, "broadcast\n")
	expect("broadcast received")

	fmt.Fprintf(os.Stderr, "TestEventLoopManyConns: shutting down %d connections\n", n)
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	expect("closed")
	if srv.Count() != 0 || closed.Load() != int64(n) {
		t.Fatalf("after Shutdown: Count %d, OnClose with 1001 %d of %d", srv.Count(), closed.Load(), n)
	}
	if st := srv.Stats(); st.CloseCodes[websocket.StatusGoingAway] != uint64(n) {
		t.Fatalf("close codes %v", st.CloseCodes)
	}
}

// TestManyClientsProcess is TestEventLoopManyConns's client process; it
// does nothing unless started by it.
func TestManyClientsProcess(t *testing.T) {
	addr := os.Getenv("WSKIT_MANY_ADDR")
	if addr == "" {
		t.Skip("run by TestEventLoopManyConns")
	}
	n, _ := strconv.Atoi(os.Getenv("WSKIT_MANY_N"))
	peers := make([]*testutil.RawPeer, n)
	for i := range peers {
		peers[i] = testutil.DialRaw(t, addr, "/", false)
		msg := strconv.Itoa(i)
		peers[i].Frame(wire.OpText, true, false, []byte(msg))
		if _, b, err := peers[i].NextData(); err != nil || string(b) != msg {
			t.Fatalf("peer %d: echo %q, %v", i, b, err)
		}
		if (i+1)%2000 == 0 {
			fmt.Fprintf(os.Stderr, "TestEventLoopManyConns: %d connections open and echoed\n", i+1)
		}
	}
	fmt.Println("echoed")
	in := bufio.NewScanner(os.Stdin)
	if !in.Scan() || in.Text() != "broadcast" {
		t.Fatalf("no go-ahead from the parent: %v", in.Err())
	}
	for i, p := range peers {
		p.SetReadDeadline(time.Now().Add(time.Minute))
		if _, b, err := p.NextData(); err != nil || string(b) != "to all" {
			t.Fatalf("peer %d: broadcast %q, %v", i, b, err)
		}
	}
	fmt.Println("broadcast received")
	for i, p := range peers {
		code, err := p.CloseCode(time.Minute)
		if err != nil || code != int(websocket.StatusGoingAway) {
			t.Fatalf("peer %d: close %d, %v", i, code, err)
		}
		p.Frame(wire.OpClose, true, false, []byte{0x03, 0xe9}) // 1001, answered
	}
	fmt.Println("closed")
}
