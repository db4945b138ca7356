// Package servers holds one echo server per WebSocket library compared by
// the benchmark, and a plain TCP echo as the floor. Each is written the
// fastest way its library allows: buffers reused across messages, no
// allocation per message where the API permits, and the library's own
// broadcast facility where it has one.
//
// Every server answers the same protocol, so that one load client drives
// them all:
//
//   - any data message is echoed back with its type;
//   - in broadcast mode, a text message "broadcast N" makes the server send
//     one binary message of N bytes to every open connection (the sender
//     included), from the goroutine that received the request, encoding it
//     once where the library can.
package servers

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"sync"
)

// Libs lists the servers, in the order reports show them.
var Libs = []string{"wskit", "wskit-loop", "wskit-srvloop", "wskit-accept", "gorilla", "coder", "gobwas", "gws", "nbio", "tcp"}

// Options selects what a server supports beyond plain echo.
type Options struct {
	// Compress accepts permessage-deflate (RFC 7692) when offered.
	Compress bool
	// Broadcast keeps a registry of connections and answers broadcast
	// requests.
	Broadcast bool
}

// ErrUnsupported is returned by Start for a mode a library cannot serve.
var ErrUnsupported = errors.New("not supported by this library")

// Server is a running echo server.
type Server interface {
	// Close stops accepting connections. Open connections may linger
	// until their peers close them.
	Close() error
}

// Start serves lib on ln, which it takes over.
func Start(lib string, ln net.Listener, o Options) (Server, error) {
	switch lib {
	case "wskit":
		return startWskit(ln, o)
	case "wskit-loop":
		return startWskitLoop(ln, o)
	case "wskit-srvloop":
		return startWskitServerLoop(ln, o)
	case "wskit-accept":
		return startWskitAccept(ln, o)
	case "gorilla":
		return startGorilla(ln, o)
	case "coder":
		return startCoder(ln, o)
	case "gobwas":
		return startGobwas(ln, o)
	case "gws":
		return startGws(ln, o)
	case "nbio":
		return startNbio(ln, o)
	case "tcp":
		if o.Compress || o.Broadcast {
			return nil, ErrUnsupported
		}
		return startTCP(ln)
	}
	return nil, fmt.Errorf("unknown library %q", lib)
}

// broadcastPrefix starts a broadcast request.
var broadcastPrefix = []byte("broadcast ")

// broadcastSize reports whether msg is a broadcast request, and the size
// of the message it asks for.
func broadcastSize(msg []byte) (int, bool) {
	if !bytes.HasPrefix(msg, broadcastPrefix) {
		return 0, false
	}
	n, err := strconv.Atoi(string(msg[len(broadcastPrefix):]))
	if err != nil || n < 0 || n > 16<<20 {
		return 0, false
	}
	return n, true
}

// broadcastPayload returns n bytes to broadcast.
func broadcastPayload(n int) []byte { return bytes.Repeat([]byte{'b'}, n) }

// registry is the set of open connections of a broadcasting server. Each
// broadcast runs alone, so a connection never has two broadcasting
// writers.
type registry[C comparable] struct {
	mu    sync.Mutex
	conns []C
	index map[C]int
	bmu   sync.Mutex
}

func (r *registry[C]) add(c C) {
	r.mu.Lock()
	if r.index == nil {
		r.index = make(map[C]int)
	}
	r.index[c] = len(r.conns)
	r.conns = append(r.conns, c)
	r.mu.Unlock()
}

func (r *registry[C]) remove(c C) {
	r.mu.Lock()
	if i, ok := r.index[c]; ok {
		last := len(r.conns) - 1
		r.conns[i] = r.conns[last]
		r.index[r.conns[i]] = i
		r.conns = r.conns[:last]
		delete(r.index, c)
	}
	r.mu.Unlock()
}

// each calls f for every connection, one broadcast at a time.
func (r *registry[C]) each(f func(C)) {
	r.bmu.Lock()
	defer r.bmu.Unlock()
	r.mu.Lock()
	conns := slices.Clone(r.conns)
	r.mu.Unlock()
	for _, c := range conns {
		f(c)
	}
}

// buffers holds message buffers shared by all connections: a connection
// takes one for a message and gives it back once the echo is written, so
// that memory follows the messages in flight, not the connections open.
var buffers = sync.Pool{New: func() any {
	b := make([]byte, 4096)
	return &b
}}

// getBuffer returns a pooled buffer of at least n bytes.
func getBuffer(n int) *[]byte {
	b := buffers.Get().(*[]byte)
	if cap(*b) < n {
		*b = make([]byte, n)
	}
	*b = (*b)[:cap(*b)]
	return b
}

func putBuffer(b *[]byte) { buffers.Put(b) }

// readMessage reads all of r into a pooled buffer, growing it as needed,
// and returns the buffer, for putBuffer, and the bytes read.
func readMessage(r io.Reader) (*[]byte, []byte, error) {
	buf := getBuffer(0)
	b := *buf
	n := 0
	for {
		if n == len(b) {
			b = append(b, 0)
			b = b[:cap(b)]
			*buf = b
		}
		m, err := r.Read(b[n:])
		n += m
		if err == io.EOF {
			return buf, b[:n], nil
		}
		if err != nil {
			putBuffer(buf)
			return nil, nil, err
		}
	}
}
