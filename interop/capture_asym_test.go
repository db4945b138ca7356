package interop_test

import (
	"bytes"
	"context"
	"fmt"
	"github.com/wskit/websocket/internal/testutil"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/handshake"
)

// Asymmetric context takeover: the two directions of one connection
// compress differently, one resetting its deflate stream after every
// message and the other keeping it (RFC 7692 §7.1.1). A passive decoder
// must keep an inflater per direction with that direction's setting.
// tshark 4.0 chooses by port the wrong way round, so from the second
// message on it fails in the direction that keeps its context. These
// tests capture such sessions between a wskit server and real clients
// (Python websockets, Node ws), and check that ws inspect decodes every
// message both ways byte for byte and that tshark does not.

// asymMessages are what the server sends and the client echoes: each one
// starts with text of the one before, so that with context takeover the
// compressor refers back into the previous message.
func asymMessages() [][]byte {
	var msgs [][]byte
	base := strings.Repeat("the quick brown fox jumps over the lazy dog; ", 40) // 1800 B
	for i := range 8 {
		msgs = append(msgs, []byte(fmt.Sprintf("%s message %d %s", base, i, strings.Repeat(fmt.Sprint(i), 200))))
	}
	return msgs
}

// asymMode is one way of agreeing context takeover for one direction only.
type asymMode struct {
	name  string
	opts  deflate.Options
	param string // the one no_context_takeover parameter agreed
	reset string // the direction that resets its context after each message
}

var asymModes = []asymMode{
	{"server_no_context_takeover", deflate.Options{NoContextTakeover: true}, "server_no_context_takeover", "server"},
	{"client_no_context_takeover", deflate.Options{PeerNoContextTakeover: true}, "client_no_context_takeover", "client"},
}

func TestCaptureAsymmetricContext(t *testing.T) {
	t.Parallel()
	needCapture(t)
	need(t, "node")
	bin := buildWS(t)
	peers := []struct {
		name string
		cmd  func(url string) []string
	}{
		{"python", func(url string) []string { return []string{python, "peers/py_peer.py", "client", url, "--compress"} }},
		{"node", func(url string) []string { return []string{"node", "peers/node_peer.js", "client", url, "--compress"} }},
	}
	for _, p := range peers {
		for _, m := range asymModes {
			t.Run(p.name+"/"+m.name, func(t *testing.T) { testCaptureAsym(t, bin, m, p.cmd) })
		}
	}
}

func testCaptureAsym(t *testing.T, bin string, m asymMode, client func(string) []string) {
	msgs := asymMessages()
	result := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		opts := &websocket.AcceptOptions{}
		opts.Compression = &websocket.CompressionOptions{Options: m.opts, Threshold: -1}
		c, err := websocket.Accept(w, r, opts)
		if err != nil {
			result <- err
			return
		}
		defer c.CloseNow()
		result <- func() error {
			exts := c.Extensions()
			if len(exts) != 1 {
				return fmt.Errorf("agreed %q, want permessage-deflate", handshake.FormatExtensions(exts))
			}
			for _, p := range []string{"server_no_context_takeover", "client_no_context_takeover"} {
				if _, _, ok := exts[0].Param(p); ok != (p == m.param) {
					return fmt.Errorf("agreed %q: want %s alone", handshake.FormatExtensions(exts), m.param)
				}
			}
			ctx, cancel := context.WithDeadline(context.Background(), testutil.Deadline(t))
			defer cancel()
			for i, msg := range msgs {
				if err := c.Write(ctx, websocket.MessageText, msg); err != nil {
					return err
				}
				if _, got, err := c.Read(ctx); err != nil || !bytes.Equal(got, msg) {
					return fmt.Errorf("echo of message %d: %v", i, err)
				}
			}
			return c.Close(4001, "bye")
		}()
	}))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	file, stop := startCapture(t, port)
	args := client("ws" + strings.TrimPrefix(srv.URL, "http") + "/")
	p := start(t, args[0], args[1:]...)
	select {
	case err := <-result:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Until(testutil.Deadline(t))):
		t.Fatal("the session did not finish")
	}
	p.line(t, `^closed 4001 bye$`)
	stop()

	out, err := exec.Command(bin, "inspect", "--json", file).Output()
	if err != nil {
		t.Fatalf("ws inspect: %v", err)
	}
	got, findings, events := parseWSEvents(t, out)
	for _, f := range findings {
		t.Errorf("ws inspect finding: %s", f)
	}
	var exts string
	for _, e := range events {
		if e.Extensions != "" {
			exts = e.Extensions
		}
	}
	if !strings.Contains(exts, m.param) {
		t.Errorf("ws inspect saw extensions %q, want %s", exts, m.param)
	}
	ts := tsharkMessages(t, file, port)
	tsharkFailed := map[string]int{}
	for _, dir := range []string{"server", "client"} {
		var g, x []message
		for _, mm := range got {
			if mm.Dir == dir && mm.Opcode == "text" {
				g = append(g, mm)
			}
		}
		for _, mm := range ts {
			if mm.Dir == dir && mm.Opcode == "text" {
				x = append(x, mm)
			}
		}
		if len(g) != len(msgs) {
			t.Fatalf("%s: ws inspect decoded %d text messages, want %d", dir, len(g), len(msgs))
		}
		for i, msg := range msgs {
			if !bytes.Equal(g[i].Data, msg) {
				t.Errorf("%s message %d: ws inspect %v, sent %d bytes", dir, i, g[i], len(msg))
			}
			if !g[i].Deflate {
				t.Errorf("%s message %d was not compressed: the test proves nothing", dir, i)
			}
			if i >= len(x) || !bytes.Equal(x[i].Data, msg) {
				tsharkFailed[dir]++
			}
		}
	}
	// The direction that keeps its context is the one tshark gets wrong.
	keep := map[string]string{"server": "client", "client": "server"}[m.reset]
	if tsharkFailed[keep] == 0 {
		t.Errorf("tshark inflated every %s message of a %s session; the comparison this test makes is out of date (tshark %s)", keep, m.name, tsharkVersion())
	}
	t.Logf("%s: ws inspect decoded all %d messages each way; tshark failed %d of the client's and %d of the server's", m.name, len(msgs), tsharkFailed["client"], tsharkFailed["server"])
}

func tsharkVersion() string {
	out, _ := exec.Command("tshark", "--version").Output()
	line, _, _ := strings.Cut(string(out), "\n")
	return line
}
