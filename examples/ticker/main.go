// Ticker broadcasts the time to every connected client once per interval.
// Clients only listen: each connection uses CloseRead, which answers pings
// and honours the client's close without the handler reading. On SIGINT
// the server shuts down, sending 1001 (going away) to everyone.
//
//	go run ./examples/ticker -addr 127.0.0.1:8080 -every 1s
//	ws dial ws://127.0.0.1:8080/ticks
package main

import (
	"context"
	"flag"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/server"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	every := flag.Duration("every", time.Second, "time between ticks")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	log.Printf("ticks on ws://%s/ticks", ln.Addr())
	if err := run(ctx, ln, *every); err != nil {
		log.Fatal(err)
	}
}

// run serves ticks on ln until ctx ends, then shuts down.
func run(ctx context.Context, ln net.Listener, every time.Duration) error {
	srv := server.New(&server.Options{
		// A client that falls 16 ticks behind is closed (1008).
		SendQueue: 16,
	})
	srv.Handle("/ticks", server.HandlerFunc(func(ctx context.Context, c *websocket.Conn) error {
		<-c.CloseRead(ctx).Done()
		return nil
	}))
	hs := &http.Server{Handler: srv}
	go hs.Serve(ln)

	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case now := <-t.C:
			srv.Broadcast(websocket.MessageText, now.AppendFormat(nil, time.RFC3339Nano))
		case <-ctx.Done():
			shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := srv.Shutdown(shutCtx) // 1001 to every client
			hs.Close()
			return err
		}
	}
}
