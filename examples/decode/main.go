// Decode prints the WebSocket messages in a packet capture (pcap or
// pcapng, as written by tcpdump or Wireshark): for each connection its
// handshake, then each message and control frame in each direction,
// decompressed when permessage-deflate was agreed, and any protocol
// violation found. It holds at most the first bytes of each message it
// prints, however large the message.
//
//	sudo tcpdump -i lo -w ws.pcap port 8080
//	go run ./examples/decode ws.pcap
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"strconv"
	"time"

	"github.com/wskit/websocket/inspect"
	"github.com/wskit/websocket/inspect/pcap"
)

func main() {
	flag.Usage = func() { fmt.Fprintln(os.Stderr, "usage: decode FILE.pcap") }
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	f, err := os.Open(flag.Arg(0))
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	if err := decode(os.Stdout, f); err != nil {
		log.Fatal(err)
	}
}

// preview is how much of each message is printed.
const preview = 60

// decode writes a line for each connection, message, control frame and
// finding in the capture read from r.
func decode(w io.Writer, r io.Reader) error {
	return pcap.Read(r, &pcap.Options{
		Handler: func(c *pcap.Conn) inspect.Handler {
			fmt.Fprintf(w, "conn %d %v -> %v GET %s\n", c.ID, c.Client, c.Server, c.Upgrade.Request.URL.RequestURI())
			return &printer{w: w, id: c.ID}
		},
		Note: func(c *pcap.Conn, _ time.Time, err error) {
			fmt.Fprintf(w, "conn %d %v -> %v not decoded: %v\n", c.ID, c.Client, c.Server, err)
		},
	})
}

// printer prints one connection. It keeps the first bytes of the message
// in progress in each direction.
type printer struct {
	w    io.Writer
	id   int
	head [2][]byte
	size [2]int64
}

func (p *printer) Data(dir inspect.Dir, data []byte, eom bool, _ time.Time, fi *inspect.FrameInfo) {
	d := dir & 1
	if fi.First {
		p.head[d], p.size[d] = p.head[d][:0], 0
	}
	p.size[d] += int64(len(data))
	if room := preview - len(p.head[d]); room > 0 {
		p.head[d] = append(p.head[d], data[:min(room, len(data))]...)
	}
	if !eom {
		return
	}
	comp := ""
	if fi.Compressed {
		comp = ", compressed"
	}
	fmt.Fprintf(p.w, "conn %d %v %v %s (%d bytes%s)\n", p.id, dir, fi.Opcode, quote(p.head[d], p.size[d]), p.size[d], comp)
}

func (p *printer) Control(dir inspect.Dir, payload []byte, _ time.Time, fi *inspect.FrameInfo) {
	switch {
	case fi == nil:
		fmt.Fprintf(p.w, "conn %d %v end\n", p.id, dir)
	case fi.CloseCode != 0:
		fmt.Fprintf(p.w, "conn %d %v close %d %q\n", p.id, dir, int(fi.CloseCode), fi.CloseReason)
	default:
		fmt.Fprintf(p.w, "conn %d %v %v %s\n", p.id, dir, fi.Opcode, quote(payload, int64(len(payload))))
	}
}

func (p *printer) Finding(f *inspect.Finding) {
	fmt.Fprintf(p.w, "conn %d finding: %v\n", p.id, f)
}

func quote(head []byte, size int64) string {
	s := strconv.Quote(string(head))
	if size > int64(len(head)) {
		s += "..."
	}
	return s
}
