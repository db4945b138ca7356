package main

import (
	"testing"

	"github.com/wskit/websocket/internal/testutil"
)

// TestServeBombMemory sends decompression bombs (1 GiB of zeros, about
// 1 MB on the wire) to the built `ws serve --echo`, one and then eight at
// once. Each is answered with 1009 once it inflates past the 64 MiB limit,
// and the server's peak RSS grows by at most 64 MiB: the echo holds at
// most 1 MiB of a message and streams the rest back.
func TestServeBombMemory(t *testing.T) {
	p := testutil.StartProgram(t, "github.com/wskit/websocket/cmd/ws", `127\.0\.0\.1:\d+`, "serve", "--echo", "--log", "off", "--addr", "127.0.0.1:0")
	testutil.CheckBombs(t, p, testutil.DeflateBomb(1<<30), 64<<20)
}
