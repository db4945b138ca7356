package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/internal/testutil"
)

func TestChat(t *testing.T) {
	srv := httptest.NewServer(newChat())
	defer srv.Close()
	ctx := testutil.Ctx(t)
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/chat?name="
	join := func(name string) *websocket.Conn {
		c, _, err := websocket.Dial(ctx, url+name, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.CloseNow() })
		return c
	}
	// until reads c's messages up to and including want.
	until := func(c *websocket.Conn, want string) {
		t.Helper()
		for {
			_, p, err := c.Read(ctx)
			if err != nil {
				t.Fatalf("waiting for %q: %v", want, err)
			}
			if string(p) == want {
				return
			}
		}
	}
	ann := join("ann")
	until(ann, "* ann joined")
	bob := join("bob")
	until(ann, "* bob joined") // bob is in the room
	until(bob, "* bob joined")
	if err := ann.Write(ctx, websocket.MessageText, []byte("hi bob")); err != nil {
		t.Fatal(err)
	}
	until(bob, "ann: hi bob")
	until(ann, "ann: hi bob")
	bob.Close(websocket.StatusNormalClosure, "")
	until(ann, "* bob left")

	_, resp, err := websocket.Dial(ctx, url, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("Dial without a name: %v, want 400", err)
	}
}
