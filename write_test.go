package websocket_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wskit/websocket"
)

// TestServerLargeWrites writes large binary messages from a server over
// TCP, from several offsets within a 64-byte line of one buffer, in frames
// of 2- and 8-byte lengths and larger than a socket's buffer: the client
// receives each message whole and in order.
func TestServerLargeWrites(t *testing.T) {
	sizes := []int{48<<10 - 1, 64 << 10, 128<<10 + 100, 300 << 10}
	offsets := []int{0, 1, 2, 4, 10, 54, 63}
	src := payload(websocket.MessageBinary, 300<<10+64, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for _, size := range sizes {
			for _, off := range offsets {
				if err := c.Write(r.Context(), websocket.MessageBinary, src[off:off+size]); err != nil {
					t.Errorf("Write of %d bytes at offset %d: %v", size, off, err)
					return
				}
			}
		}
		c.Close(websocket.StatusNormalClosure, "")
	}))
	defer srv.Close()
	c := dial(t, wsURL(srv), nil)
	for _, size := range sizes {
		for _, off := range offsets {
			typ, got, err := c.Read(testCtx(t))
			if err != nil {
				t.Fatalf("Read (%d bytes at offset %d): %v", size, off, err)
			}
			if want := src[off : off+size]; typ != websocket.MessageBinary || !bytes.Equal(got, want) {
				t.Fatalf("message of %d bytes at offset %d: type %v, %d bytes, %s", size, off, typ, len(got), firstDiff(got, want))
			}
		}
	}
}

func firstDiff(got, want []byte) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("first difference at byte %d", i)
		}
	}
	return fmt.Sprintf("lengths %d and %d", len(got), len(want))
}
