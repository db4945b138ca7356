// Package load is the one load client every echo server is measured with.
// It speaks WebSocket with raw frames it builds itself: each connection
// does its own opening handshake, sends client frames masked as RFC 6455
// requires (the payload is masked once, when the frame is built, so that
// the client's cost is the same for every server and as small as it can
// be), and reads the server's frames by their headers.
package load

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// Conn is one client connection.
type Conn struct {
	nc         net.Conn
	br         *bufio.Reader
	compressed bool // permessage-deflate agreed
}

const (
	opText   = 0x1
	opBinary = 0x2
	opClose  = 0x8
	opPing   = 0x9
	opPong   = 0xA
)

// A fixed key: the client gains nothing from fresh keys, and the accept
// value can be checked with a constant.
const (
	wsKey    = "dGhlIHNhbXBsZSBub25jZQ=="
	wsAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
)

// DeflateOffer is the permessage-deflate offer the client makes: no context
// kept in either direction, the one setting every library compared can
// honour.
const DeflateOffer = "permessage-deflate; client_no_context_takeover; server_no_context_takeover"

// Dial connects to addr. For proto "ws" it does the opening handshake,
// offering compression when compress is set; for "tcp" the connection is
// raw.
func Dial(ctx context.Context, addr, proto string, compress bool) (*Conn, error) {
	return dial(ctx, addr, proto, compress, nil, 64<<10)
}

// dial is Dial from the source address local (nil: the system's choice),
// reading through a buffer of bufSize bytes.
func dial(ctx context.Context, addr, proto string, compress bool, local net.Addr, bufSize int) (*Conn, error) {
	d := net.Dialer{LocalAddr: local}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &Conn{nc: nc, br: bufio.NewReaderSize(nc, bufSize)}
	if proto == "tcp" {
		return c, nil
	}
	if dl, ok := ctx.Deadline(); ok {
		nc.SetDeadline(dl)
	}
	var req strings.Builder
	fmt.Fprintf(&req, "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n", addr, wsKey)
	if compress {
		fmt.Fprintf(&req, "Sec-WebSocket-Extensions: %s\r\n", DeflateOffer)
	}
	req.WriteString("\r\n")
	if _, err := io.WriteString(nc, req.String()); err != nil {
		nc.Close()
		return nil, err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("handshake: %w", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		nc.Close()
		return nil, fmt.Errorf("handshake: status %s", resp.Status)
	}
	if got := resp.Header.Get("Sec-WebSocket-Accept"); got != wsAccept {
		nc.Close()
		return nil, fmt.Errorf("handshake: Sec-WebSocket-Accept %q", got)
	}
	c.compressed = strings.Contains(resp.Header.Get("Sec-WebSocket-Extensions"), "permessage-deflate")
	if compress && !c.compressed {
		nc.Close()
		return nil, errors.New("handshake: the server did not agree to permessage-deflate")
	}
	nc.SetDeadline(time.Time{})
	return c, nil
}

// Close sends a close frame and closes the connection without waiting.
func (c *Conn) Close() error {
	c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	c.nc.Write(ClientFrame(opClose, false, []byte{0x03, 0xe8}))
	return c.nc.Close()
}

// mask is the client's masking key; any non-zero key makes the server do
// the same work.
var mask = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// ClientFrame returns a masked client frame of one whole message.
func ClientFrame(op byte, rsv1 bool, payload []byte) []byte {
	b0 := 0x80 | op
	if rsv1 {
		b0 |= 0x40
	}
	f := []byte{b0}
	n := len(payload)
	switch {
	case n < 126:
		f = append(f, 0x80|byte(n))
	case n < 1<<16:
		f = append(f, 0x80|126, byte(n>>8), byte(n))
	default:
		f = append(f, 0x80|127, 0, 0, 0, 0, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	f = append(f, mask[:]...)
	for i, b := range payload {
		f = append(f, b^mask[i&3])
	}
	return f
}

// frameHeader is a server frame's header.
type frameHeader struct {
	fin    bool
	rsv1   bool
	op     byte
	length int
}

var errMaskedServerFrame = errors.New("server frame is masked")

func (c *Conn) readHeader() (frameHeader, error) {
	var h frameHeader
	b0, err := c.br.ReadByte()
	if err != nil {
		return h, err
	}
	b1, err := c.br.ReadByte()
	if err != nil {
		return h, err
	}
	h.fin = b0&0x80 != 0
	h.rsv1 = b0&0x40 != 0
	h.op = b0 & 0x0f
	if b1&0x80 != 0 {
		return h, errMaskedServerFrame
	}
	n := int(b1 & 0x7f)
	switch n {
	case 126:
		var ext [2]byte
		if _, err := io.ReadFull(c.br, ext[:]); err != nil {
			return h, err
		}
		n = int(ext[0])<<8 | int(ext[1])
	case 127:
		var ext [8]byte
		if _, err := io.ReadFull(c.br, ext[:]); err != nil {
			return h, err
		}
		n = 0
		for _, b := range ext {
			n = n<<8 | int(b)
		}
		if n < 0 || n > 1<<30 {
			return h, fmt.Errorf("frame length %d", n)
		}
	}
	h.length = n
	return h, nil
}

// ReadMessage reads the next data message and returns its payload length
// on the wire and whether it was compressed. When keep is not nil, the
// payload is appended to it and returned too; otherwise it is skipped
// without a copy. Control frames from the server are answered (ping) or
// reported (close).
func (c *Conn) ReadMessage(keep []byte) (n int, rsv1 bool, payload []byte, err error) {
	first := true
	for {
		h, err := c.readHeader()
		if err != nil {
			return 0, false, nil, err
		}
		switch h.op {
		case opPing, opPong, opClose:
			p := make([]byte, h.length)
			if _, err := io.ReadFull(c.br, p); err != nil {
				return 0, false, nil, err
			}
			if h.op == opClose {
				return 0, false, nil, fmt.Errorf("server closed the connection: % x", p)
			}
			if h.op == opPing {
				if _, err := c.nc.Write(ClientFrame(opPong, false, p)); err != nil {
					return 0, false, nil, err
				}
			}
			continue
		}
		if first {
			rsv1 = h.rsv1
			first = false
		}
		n += h.length
		if keep != nil {
			start := len(keep)
			keep = append(keep, make([]byte, h.length)...)
			if _, err := io.ReadFull(c.br, keep[start:]); err != nil {
				return 0, false, nil, err
			}
		} else if _, err := c.br.Discard(h.length); err != nil {
			return 0, false, nil, err
		}
		if h.fin {
			return n, rsv1, keep, nil
		}
	}
}

// Inflate decompresses a permessage-deflate payload (RFC 7692 §7.2.2).
func Inflate(p []byte) ([]byte, error) {
	r := flate.NewReader(io.MultiReader(bytes.NewReader(p), bytes.NewReader([]byte{0, 0, 0xff, 0xff})))
	defer r.Close()
	var out bytes.Buffer
	_, err := io.Copy(&out, r)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = nil // the sync-flush tail ends the data without a final block
	}
	return out.Bytes(), err
}

// Deflate compresses p as one permessage-deflate message with no context.
func Deflate(p []byte) []byte {
	var out bytes.Buffer
	w, _ := flate.NewWriter(&out, flate.BestSpeed)
	w.Write(p)
	w.Flush()
	b := out.Bytes()
	return b[:len(b)-4] // RFC 7692 §7.2.1: drop 00 00 ff ff
}

// Payload returns n bytes to send. JSON-like text, which compresses the
// way typical application messages do, when json is set; otherwise bytes
// that do not repeat at short range.
func Payload(n int, json bool) []byte {
	if json {
		var b bytes.Buffer
		for i := 0; b.Len() < n; i++ {
			fmt.Fprintf(&b, `{"id":%d,"user":"user-%d","event":"update","price":%d.%02d,"tags":["a","b"],"ok":true},`,
				i, i*7919%1000, i*31%997, i%100)
		}
		return b.Bytes()[:n]
	}
	p := make([]byte, n)
	x := uint32(2463534242)
	for i := range p {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		p[i] = byte(x)
	}
	return p
}
