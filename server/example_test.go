package server_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/server"
)

// The secret that ties a page's token to its session cookie.
var secret = []byte("example secret")

// tokenFor is the token a page gets for its session: an HMAC of the
// session id, so that a token stolen from a query string is useless
// without the cookie (a CSRF guard for WebSocket handshakes, which
// browsers send with cookies from any page).
func tokenFor(session string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(session))
	return hex.EncodeToString(m.Sum(nil))
}

type userID struct{}

// Cookie-plus-token authentication in a handshake hook: the token comes in
// the query string and must match the session cookie; a bad one is refused
// with 403 and a reason, a good one attaches the user to the connection.
func Example_cookieAndTokenAuth() {
	srv := server.New(&server.Options{
		AcceptOptions: websocket.AcceptOptions{
			OnUpgrade: func(u *websocket.Upgrade) error {
				cookie, err := u.Request.Cookie("session")
				if err != nil {
					return websocket.Refuse(http.StatusUnauthorized, "no session cookie")
				}
				token := u.Request.URL.Query().Get("token")
				if !hmac.Equal([]byte(token), []byte(tokenFor(cookie.Value))) {
					return websocket.Refuse(http.StatusForbidden, "token does not match the session")
				}
				u.SetValue(userID{}, strings.TrimPrefix(cookie.Value, "sess-"))
				return nil
			},
		},
	})
	srv.Handle("/chat", server.HandlerFunc(func(ctx context.Context, c *websocket.Conn) error {
		user := c.Value(userID{}).(string)
		return c.Write(ctx, websocket.MessageText, []byte("hello, "+user))
	}))
	hs := httptest.NewServer(srv)
	defer hs.Close()
	defer srv.Shutdown(context.Background())
	url := "ws" + strings.TrimPrefix(hs.URL, "http") + "/chat"

	try := func(session, token string) {
		h := http.Header{}
		if session != "" {
			h.Set("Cookie", "session="+session)
		}
		c, resp, err := websocket.Dial(context.Background(), url+"?token="+token, &websocket.DialOptions{Header: h})
		if err != nil {
			if resp == nil {
				log.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			fmt.Printf("refused: %d %s", resp.StatusCode, body)
			return
		}
		defer c.CloseNow()
		_, msg, err := c.Read(context.Background())
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(string(msg))
	}
	try("sess-alice", tokenFor("sess-alice"))
	try("sess-alice", tokenFor("sess-mallory"))
	try("", "anything")
	// Output:
	// hello, alice
	// refused: 403 token does not match the session
	// refused: 401 no session cookie
}

// Broadcasting to every connection, and to those a registry query finds.
func ExampleServer_Broadcast() {
	srv := server.New(nil)
	joined := make(chan struct{}, 1)
	srv.Handle("/feed", server.HandlerFunc(func(ctx context.Context, c *websocket.Conn) error {
		// The connection is in the registry before its handler runs.
		joined <- struct{}{}
		// Read until the client goes; broadcasts are sent by the server.
		for {
			if _, _, err := c.Read(ctx); err != nil {
				return nil
			}
		}
	}))
	hs := httptest.NewServer(srv)
	defer hs.Close()
	defer srv.Shutdown(context.Background())

	c, _, err := websocket.Dial(context.Background(), "ws"+strings.TrimPrefix(hs.URL, "http")+"/feed", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseNow()
	<-joined // the handshake ends on the client first
	res, _ := srv.Broadcast(websocket.MessageText, []byte("price 101.5"))
	fmt.Println("queued for", res.Queued)

	pm, _ := websocket.NewPreparedMessage(websocket.MessageText, []byte("local news"))
	res = srv.SendPrepared(pm, srv.Find("127.0.0.1", ""))
	fmt.Println("queued for", res.Queued)

	for range 2 {
		_, msg, _ := c.Read(context.Background())
		fmt.Println(string(msg))
	}
	// Output:
	// queued for 1
	// queued for 1
	// price 101.5
	// local news
}
