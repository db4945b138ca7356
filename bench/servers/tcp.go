package servers

import (
	"net"
)

// startTCP is the floor: a goroutine per connection copying what it reads
// back, with no framing at all. Its buffer starts at 4 KiB, the read
// buffer of most WebSocket servers, and grows to 64 KiB once a read fills
// it.
func startTCP(ln net.Listener) (Server, error) {
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					if _, err := c.Write(buf[:n]); err != nil {
						return
					}
					if n == len(buf) && n < 64<<10 {
						buf = make([]byte, 64<<10)
					}
				}
			}()
		}
	}()
	return ln, nil
}
