//go:build linux

package loop_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	websocket "github.com/wskit/websocket"
	"github.com/wskit/websocket/internal/testutil"
	"github.com/wskit/websocket/loop"
	"github.com/wskit/websocket/wire"
)

// TestEcho sends messages of every size class, text and binary, with and
// without compression, on the worker pool and inline (with pooled
// message buffers), and checks each
// comes back whole.
func TestEcho(t *testing.T) {
	sizes := []int{0, 1, 125, 126, 65535, 65536, 200_000, 1 << 20}
	for _, inline := range []bool{false, true} {
		for _, compress := range []bool{false, true} {
			t.Run(fmt.Sprintf("inline=%v/compress=%v", inline, compress), func(t *testing.T) {
				_, addr := start(t, echoEvents(), &loop.Options{Compression: true, Inline: inline, ReuseMessages: inline})
				ctx := testutil.Ctx(t)
				c := dial(t, ctx, addr, compress)
				if c.Compressed() != compress {
					t.Fatalf("compressed %v, want %v", c.Compressed(), compress)
				}
				rng := rand.New(rand.NewPCG(1, 2))
				for _, n := range sizes {
					p := make([]byte, n)
					for i := range p {
						p[i] = byte('a' + rng.IntN(4)) // compressible, and UTF-8
					}
					for _, typ := range []websocket.MessageType{websocket.MessageText, websocket.MessageBinary} {
						if err := c.Write(ctx, typ, p); err != nil {
							t.Fatalf("write %d: %v", n, err)
						}
						gt, got, err := c.Read(ctx)
						if err != nil {
							t.Fatalf("read %d: %v", n, err)
						}
						if gt != typ || !bytes.Equal(got, p) {
							t.Fatalf("%d-byte %v came back as %d-byte %v", n, typ, len(got), gt)
						}
					}
				}
				if err := c.Close(websocket.StatusNormalClosure, ""); err != nil {
					t.Fatalf("close: %v", err)
				}
			})
		}
	}
}

// TestFragmented sends a message in fragments, with a ping between them,
// and gets it back whole.
func TestFragmented(t *testing.T) {
	_, addr := start(t, echoEvents(), nil)
	p := testutil.DialRaw(t, addr, "/", false)
	parts := []string{"Hello, ", "frag", "mented ", "world"}
	p.Frame(wire.OpText, false, false, []byte(parts[0]))
	p.Frame(wire.OpPing, true, false, []byte("mid"))
	p.Frame(wire.OpContinuation, false, false, []byte(parts[1]))
	p.Frame(wire.OpContinuation, false, false, []byte(parts[2]))
	p.Frame(wire.OpContinuation, true, false, []byte(parts[3]))
	h, b, err := p.NextFrame()
	if err != nil || h.Opcode != wire.OpPong || string(b) != "mid" {
		t.Fatalf("got %v %q %v, want the pong to the ping", h, b, err)
	}
	h, b, err = p.NextFrame()
	if err != nil || h.Opcode != wire.OpText || !h.Fin || string(b) != strings.Join(parts, "") {
		t.Fatalf("got %v %q %v, want the whole message", h, b, err)
	}
}

// TestOrder: messages sent back to back are handled, on a pool of many
// workers, in the order they came.
func TestOrder(t *testing.T) {
	_, addr := start(t, echoEvents(), &loop.Options{Workers: 16})
	p := testutil.DialRaw(t, addr, "/", false)
	const n = 500
	var batch []byte
	for i := range n {
		batch = wire.AppendFrame(batch, wire.Header{Fin: true, Opcode: wire.OpText, Masked: true, Length: int64(len(fmt.Sprint(i)))}, []byte(fmt.Sprint(i)))
	}
	if _, err := p.Write(batch); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		_, b, err := p.NextData()
		if err != nil || string(b) != fmt.Sprint(i) {
			t.Fatalf("message %d came back as %q (%v)", i, b, err)
		}
	}
}
