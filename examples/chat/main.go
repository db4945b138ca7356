// Chat is a chat room: every text message a client sends goes to every
// client, prefixed with the sender's name (from ?name= in the URL). The
// server toolkit keeps the registry of connections and broadcasts each
// message encoded once, with a bounded queue per client, so a slow client
// never holds up the others.
//
//	go run ./examples/chat -addr 127.0.0.1:8080
//	ws dial 'ws://127.0.0.1:8080/chat?name=ann'
package main

import (
	"context"
	"flag"
	"log"
	"net/http"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/server"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	log.Printf("chat on ws://%s/chat?name=NAME", *addr)
	log.Fatal(http.ListenAndServe(*addr, newChat()))
}

func newChat() *server.Server {
	srv := server.New(&server.Options{
		// A message larger than this is refused with 1009.
		AcceptOptions: websocket.AcceptOptions{ConnOptions: websocket.ConnOptions{MaxMessageSize: 4096}},
	})
	srv.HandleRoute(server.Route{
		Path: "/chat",
		// The name is taken in the handshake: a request without one is
		// refused before the connection opens.
		OnUpgrade: func(u *websocket.Upgrade) error {
			name := u.Request.URL.Query().Get("name")
			if name == "" || len(name) > 32 {
				return websocket.Refuse(http.StatusBadRequest, "?name= must be 1 to 32 bytes")
			}
			u.SetValue(nameKey{}, name)
			return nil
		},
		Handler: server.HandlerFunc(func(ctx context.Context, c *websocket.Conn) error {
			name := c.Value(nameKey{}).(string)
			srv.Broadcast(websocket.MessageText, []byte("* "+name+" joined"))
			defer srv.Broadcast(websocket.MessageText, []byte("* "+name+" left"))
			for {
				typ, p, err := c.Read(ctx)
				if err != nil {
					return err // the server closes the connection
				}
				if typ == websocket.MessageText {
					srv.Broadcast(websocket.MessageText, append([]byte(name+": "), p...))
				}
			}
		}),
	})
	return srv
}

type nameKey struct{}
