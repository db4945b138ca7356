//go:build linux

package main

import (
	"fmt"
	"net"
	"testing"

	"github.com/wskit/websocket/conformance"
	"github.com/wskit/websocket/internal/testutil"
	"github.com/wskit/websocket/loop"
)

// TestWskitLoopServer runs every case against an echo server in the
// event-loop mode (package loop), with and without compression, as
// TestWskitServer does against `ws serve --echo`, and fails on any FAILED or
// UNIMPLEMENTED case.
func TestWskitLoopServer(t *testing.T) {
	skipUnderRace(t)
	for _, compress := range []bool{true, false} {
		t.Run(fmt.Sprintf("compress=%v", compress), func(t *testing.T) {
			cases := pick(t, "*", "")
			if !compress {
				cases = pick(t, "*", "12.*,13.*")
			}
			url := startLoopEcho(t, compress)
			ctx := testutil.Ctx(t)
			rep, err := conformance.RunServer(ctx, url, cases, progressOptions(t, ctx,
				&conformance.Options{Agent: "loop echo", Payloads: payloadDir(t), Parallel: 2}))
			if err != nil {
				t.Fatal(err)
			}
			checkReport(t, rep, len(cases))
		})
	}
}

// startLoopEcho serves an echo on loopback in event-loop mode until the
// test ends, and returns its URL.
func startLoopEcho(t *testing.T, compress bool) string {
	t.Helper()
	s, err := loop.New(&loop.Events{
		OnText:   func(c *loop.Conn, s string) { c.WriteText(s) },
		OnBinary: func(c *loop.Conn, p []byte) { c.WriteBinary(p) },
	}, &loop.Options{Compression: compress, Inline: true, MaxMessageSize: maxMessage, MaxQueue: 2 * maxMessage})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	t.Cleanup(func() {
		if err := s.Shutdown(testutil.Ctx(t)); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return "ws://" + ln.Addr().String() + "/"
}
