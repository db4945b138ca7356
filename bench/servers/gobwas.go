package servers

import (
	"bufio"
	"bytes"
	"compress/flate"
	"io"
	"net"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
)

// gobwas/ws is a frame toolkit: this server works frame by frame, reading
// headers through a bufio.Reader, unmasking in place into a buffer reused
// for every message, and writing header and payload with one write.
// Compression uses the library's wsflate package, its compressor and
// decompressor kept per connection and reset for each message.
func startGobwas(ln net.Listener, o Options) (Server, error) {
	var reg registry[*gobwasConn]
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go serveGobwas(nc, o, &reg)
		}
	}()
	return ln, nil
}

type gobwasConn struct {
	nc  net.Conn
	out appendWriter
	// Compression state, made at the first compressed message.
	zw   *wsflate.Writer
	zr   *wsflate.Reader
	src  bytes.Reader
	zout appendWriter
	zin  []byte
}

func serveGobwas(nc net.Conn, o Options, reg *registry[*gobwasConn]) {
	defer nc.Close()
	var ext wsflate.Extension
	up := ws.Upgrader{}
	if o.Compress {
		ext.Parameters = wsflate.Parameters{ServerNoContextTakeover: true, ClientNoContextTakeover: true}
		up.Negotiate = ext.Negotiate
	}
	if _, err := up.Upgrade(nc); err != nil {
		return
	}
	_, compress := ext.Accepted()
	c := &gobwasConn{nc: nc}
	if o.Broadcast {
		reg.add(c)
		defer reg.remove(c)
	}
	br := bufio.NewReaderSize(nc, 4096)
	var buf []byte
	for {
		h, err := ws.ReadHeader(br)
		if err != nil {
			return
		}
		if h.Length > 32<<20 {
			return
		}
		n := int(h.Length)
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		p := buf[:n]
		if _, err := io.ReadFull(br, p); err != nil {
			return
		}
		if h.Masked {
			ws.Cipher(p, h.Mask, 0)
		}
		switch h.OpCode {
		case ws.OpPing:
			if c.send(ws.Header{Fin: true, OpCode: ws.OpPong, Length: int64(n)}, p) != nil {
				return
			}
			continue
		case ws.OpPong:
			continue
		case ws.OpClose:
			c.send(ws.Header{Fin: true, OpCode: ws.OpClose, Length: int64(n)}, p)
			return
		}
		if compress && h.Rsv1() {
			if p, err = c.inflate(p); err != nil {
				return
			}
			if o.Broadcast && c.broadcast(h, p, reg) {
				continue
			}
			z, err := c.deflate(p)
			if err != nil {
				return
			}
			h.Rsv = ws.Rsv(true, false, false)
			h.Length = int64(len(z))
			p = z
		} else if o.Broadcast && c.broadcast(h, p, reg) {
			continue
		}
		h.Masked = false
		if c.send(h, p) != nil {
			return
		}
	}
}

// send writes one frame with a single write.
func (c *gobwasConn) send(h ws.Header, p []byte) error {
	c.out.b = c.out.b[:0]
	ws.WriteHeader(&c.out, h)
	c.out.b = append(c.out.b, p...)
	_, err := c.nc.Write(c.out.b)
	return err
}

func (c *gobwasConn) broadcast(h ws.Header, p []byte, reg *registry[*gobwasConn]) bool {
	if h.OpCode != ws.OpText || !h.Fin {
		return false
	}
	n, ok := broadcastSize(p)
	if !ok {
		return false
	}
	// The frame is encoded once and written as is to every connection.
	var frame appendWriter
	ws.WriteHeader(&frame, ws.Header{Fin: true, OpCode: ws.OpBinary, Length: int64(n)})
	frame.b = append(frame.b, broadcastPayload(n)...)
	reg.each(func(c *gobwasConn) { c.nc.Write(frame.b) })
	return true
}

type flateReader struct{ io.ReadCloser }

func (r flateReader) Reset(src io.Reader) { r.ReadCloser.(flate.Resetter).Reset(src, nil) }

func (c *gobwasConn) inflate(p []byte) ([]byte, error) {
	c.src.Reset(p)
	if c.zr == nil {
		c.zr = wsflate.NewReader(&c.src, func(r io.Reader) wsflate.Decompressor {
			return flateReader{flate.NewReader(r)}
		})
	} else {
		c.zr.Reset(&c.src)
	}
	return readMessage(c.zr, &c.zin)
}

func (c *gobwasConn) deflate(p []byte) ([]byte, error) {
	c.zout.b = c.zout.b[:0]
	if c.zw == nil {
		c.zw = wsflate.NewWriter(&c.zout, func(w io.Writer) wsflate.Compressor {
			fw, _ := flate.NewWriter(w, flate.BestSpeed)
			return fw
		})
	} else {
		c.zw.Reset(&c.zout)
	}
	if _, err := c.zw.Write(p); err != nil {
		return nil, err
	}
	if err := c.zw.Flush(); err != nil {
		return nil, err
	}
	return c.zout.b, nil
}

// appendWriter is an io.Writer that appends to a slice kept for reuse.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}
