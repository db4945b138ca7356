// Command echoprobe is the README's server pattern, for the tests that
// measure a server's memory in a process of its own: websocket.Accept in a
// plain net/http handler, then Read and Write until the connection ends.
// It prints its address and serves until stdin closes.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/wskit/websocket"
)

func main() {
	compress := flag.Bool("compress", false, "accept permessage-deflate")
	flag.Parse()
	opts := &websocket.AcceptOptions{}
	if *compress {
		opts.Compression = &websocket.CompressionOptions{}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	srv := &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    8 << 10,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := websocket.Accept(w, r, opts)
			if err != nil {
				return
			}
			defer c.CloseNow()
			for {
				typ, msg, err := c.Read(r.Context())
				if err != nil {
					return
				}
				c.Write(r.Context(), typ, msg)
			}
		}),
	}
	go srv.Serve(ln)
	fmt.Printf("listening on %s\n", ln.Addr())
	io.Copy(io.Discard, os.Stdin)
}
