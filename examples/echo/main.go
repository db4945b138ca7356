// Echo is a WebSocket server that sends every message back as it came,
// streaming: a large message is never held whole.
//
//	go run ./examples/echo -addr 127.0.0.1:8080
//	ws dial ws://127.0.0.1:8080/
package main

import (
	"context"
	"flag"
	"io"
	"log"
	"net/http"

	"github.com/wskit/websocket"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	log.Printf("echo server on ws://%s/", *addr)
	log.Fatal(http.ListenAndServe(*addr, httpHandler()))
}

func httpHandler() http.Handler { return http.HandlerFunc(handle) }

func handle(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, nil) // answers a bad handshake itself
	if err != nil {
		return
	}
	defer c.CloseNow()
	err = echo(r.Context(), c)
	if websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		log.Printf("%v: %v", c.RemoteAddr(), err)
	}
}

// echo copies each incoming message to an outgoing one of the same type
// until the connection ends, which it reports as a *websocket.CloseError.
func echo(ctx context.Context, c *websocket.Conn) error {
	for {
		typ, r, err := c.Reader(ctx)
		if err != nil {
			return err
		}
		w, err := c.Writer(ctx, typ)
		if err != nil {
			return err
		}
		if _, err := io.Copy(w, r); err != nil {
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
	}
}
