package main

import (
	"context"
	"fmt"
	"io"
	"net/url"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/internal/brokerpipe"
	"github.com/wskit/websocket/server"
)

// openBroker returns the broker that --broker names, or nil for the
// in-process one. NATS and Redis are served by helper programs
// (internal/brokerpipe), so that ws itself depends on neither client.
// On failure it returns nil and the exit code.
func openBroker(ctx context.Context, raw string, stderr io.Writer) (server.Broker, int) {
	if raw == "" {
		return nil, exitOK
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "nats" && u.Scheme != "redis") {
		fmt.Fprintf(stderr, "ws serve: --broker %q: want nats://HOST:PORT or redis://HOST:PORT\n", raw)
		return nil, exitUsage
	}
	b, err := brokerpipe.Start(ctx, u.Scheme, raw, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "ws serve: --broker %s: %v\n", raw, err)
		return nil, exitError
	}
	return b, exitOK
}

// resumeKey is the per-connection value holding the position a
// reconnecting chat page sent.
type resumeKey struct{}

// readResume reads the position a reconnecting page sends in its
// handshake, ?epoch=E&offset=N, and refuses a malformed one with 400.
func readResume(u *websocket.Upgrade) error {
	pos, err := server.PositionFromQuery(u.Request.URL.Query())
	if err != nil {
		return &websocket.Refusal{Status: 400, Body: []byte(err.Error() + "\n"), Reason: "bad resume position"}
	}
	u.SetValue(resumeKey{}, pos)
	return nil
}
