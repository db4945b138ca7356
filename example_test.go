package websocket_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/wstest"
)

// An echo server inside an http.Handler, and a client that talks to it.
func Example() {
	// The server: accept, then send every message back.
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return // Accept has answered the request with the reason
		}
		defer c.CloseNow()
		for {
			typ, msg, err := c.Read(r.Context())
			if err != nil {
				return // the client closed, or broke the protocol
			}
			if err := c.Write(r.Context(), typ, msg); err != nil {
				return
			}
		}
	})
	srv := httptest.NewServer(handler)
	defer srv.Close()

	// The client.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := c.Write(ctx, websocket.MessageText, []byte("hello")); err != nil {
		log.Fatal(err)
	}
	typ, msg, err := c.Read(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(typ, string(msg))
	if err := c.Close(websocket.StatusNormalClosure, "bye"); err != nil {
		log.Fatal(err)
	}
	// Output: text hello
}

// Streaming a message in fragments the caller chooses.
func ExampleConn_Writer() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		_, msg, err := c.Read(r.Context())
		if err == nil {
			fmt.Printf("server got %q\n", msg)
		}
		c.Close(websocket.StatusNormalClosure, "")
	}))
	defer srv.Close()

	ctx := context.Background()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		log.Fatal(err)
	}
	w, err := c.Writer(ctx, websocket.MessageText)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprint(w, "first fragment, ")
	w.Flush() // this fragment goes out now
	fmt.Fprint(w, "last fragment")
	w.Close() // the final fragment ends the message
	_, _, err = c.Read(ctx)
	fmt.Println("client:", websocket.CloseStatus(err))
	// Output:
	// server got "first fragment, last fragment"
	// client: normal closure
}

// Callbacks instead of a read loop.
func ExampleConn_Run() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		c.Run(r.Context(), &websocket.Events{
			OnText: func(c *websocket.Conn, text string) {
				c.Write(r.Context(), websocket.MessageText, []byte(strings.ToUpper(text)))
			},
		})
	}))
	defer srv.Close()

	ctx := context.Background()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		log.Fatal(err)
	}
	c.Run(ctx, &websocket.Events{
		OnOpen: func(c *websocket.Conn) { c.Write(ctx, websocket.MessageText, []byte("shout")) },
		OnText: func(c *websocket.Conn, text string) {
			fmt.Println(text)
			c.Close(websocket.StatusNormalClosure, "")
		},
		OnClose: func(_ *websocket.Conn, code websocket.StatusCode, _ string) { fmt.Println("closed:", code) },
	})
	// Output:
	// SHOUT
	// closed: normal closure
}

// A net.Conn whose bytes travel in binary messages, for code that wants a
// stream.
func ExampleNetConn() {
	client, server, err := wstest.Pipe(nil, nil)
	if err != nil {
		panic(err)
	}
	defer server.CloseNow()
	ctx := context.Background()
	a := websocket.NetConn(ctx, client, websocket.MessageBinary)
	b := websocket.NetConn(ctx, server, websocket.MessageBinary)
	go func() {
		a.Write([]byte("hello, "))
		a.Write([]byte("stream"))
		a.Close()
	}()
	all, _ := io.ReadAll(b) // io.EOF after the peer's normal close
	fmt.Println(string(all))
	// Output: hello, stream
}
