// Command capturepeers is the gorilla/websocket peer of wskit's capture
// tests (interop/capture_peers_test.go), in a module of its own so that
// the main module does not depend on gorilla.
//
//	capturepeers client URL [--compress]   echo client
//
// It echoes every message (same type, same bytes) and, when the connection
// ends, prints "closed CODE REASON".
package main

import (
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/gorilla/websocket"
)

func main() {
	if len(os.Args) < 3 || os.Args[1] != "client" {
		fmt.Fprintln(os.Stderr, "usage: capturepeers client URL [--compress]")
		os.Exit(2)
	}
	d := websocket.Dialer{EnableCompression: slices.Contains(os.Args, "--compress")}
	c, _, err := d.Dial(os.Args[2], nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dial:", err)
		os.Exit(1)
	}
	defer c.Close()
	c.SetReadLimit(64 << 20)
	for {
		typ, msg, err := c.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				fmt.Println("closed", ce.Code, ce.Text)
				return
			}
			fmt.Fprintln(os.Stderr, "read:", err)
			os.Exit(1)
		}
		if err := c.WriteMessage(typ, msg); err != nil {
			fmt.Fprintln(os.Stderr, "write:", err)
			os.Exit(1)
		}
	}
}
