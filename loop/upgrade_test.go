//go:build linux

package loop_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	websocket "github.com/wskit/websocket"
	"github.com/wskit/websocket/internal/testutil"
	"github.com/wskit/websocket/loop"
)

// TestUpgradeFromHTTP: a net/http handler hands the request's connection
// to the loops, which answer the upgrade and echo; a request that is not
// an upgrade gets its status from the loop.
func TestUpgradeFromHTTP(t *testing.T) {
	s, _ := start(t, echoEvents(), &loop.Options{Compression: true})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.Upgrade(w, r); err != nil {
			t.Errorf("Upgrade: %v", err)
		}
	}))
	defer hs.Close()
	ctx := testutil.Ctx(t)
	addr := strings.TrimPrefix(hs.URL, "http://")
	for _, compress := range []bool{false, true} {
		c := dial(t, ctx, addr, compress)
		if c.Compressed() != compress {
			t.Fatalf("compressed %v, want %v", c.Compressed(), compress)
		}
		if err := c.Write(ctx, websocket.MessageText, []byte("over net/http")); err != nil {
			t.Fatal(err)
		}
		if _, p, err := c.Read(ctx); err != nil || string(p) != "over net/http" {
			t.Fatalf("echo %q, %v", p, err)
		}
		c.Close(websocket.StatusNormalClosure, "")
	}
	resp, err := http.Get(hs.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("plain GET: %s, want 400", resp.Status)
	}
}
