package servers

import (
	"bufio"
	"bytes"
	"compress/flate"
	"errors"
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
	nc   net.Conn
	rhdr [ws.MaxHeaderSize]byte // header buffers, so that headers cost no allocation
	whdr [ws.MaxHeaderSize]byte
	out  appendWriter // points into a pooled buffer while a frame is written
	// Compression state, made at the first compressed message.
	zw   *wsflate.Writer
	zr   *wsflate.Reader
	src  bytes.Reader
	zout appendWriter
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
	for {
		h, err := ws.ReadHeaderBuffer(br, c.rhdr[:])
		if err != nil {
			return
		}
		if h.Length > 32<<20 {
			return
		}
		n := int(h.Length)
		buf := getBuffer(n)
		if err := c.frame(h, (*buf)[:n], br, reg, o, compress); err != nil {
			putBuffer(buf)
			return
		}
		putBuffer(buf)
	}
}

var errClosed = errors.New("closed")

// frame reads the payload of the frame with header h into p and answers
// it.
func (c *gobwasConn) frame(h ws.Header, p []byte, br *bufio.Reader, reg *registry[*gobwasConn], o Options, compress bool) error {
	n := len(p)
	if _, err := io.ReadFull(br, p); err != nil {
		return err
	}
	if h.Masked {
		ws.Cipher(p, h.Mask, 0)
	}
	switch h.OpCode {
	case ws.OpPing:
		return c.send(ws.Header{Fin: true, OpCode: ws.OpPong, Length: int64(n)}, p)
	case ws.OpPong:
		return nil
	case ws.OpClose:
		c.send(ws.Header{Fin: true, OpCode: ws.OpClose, Length: int64(n)}, p)
		return errClosed
	}
	if compress && h.Rsv1() {
		zin, p, err := c.inflate(p)
		if err != nil {
			return err
		}
		defer putBuffer(zin)
		if o.Broadcast && c.broadcast(h, p, reg) {
			return nil
		}
		z, err := c.deflate(p)
		if err != nil {
			return err
		}
		h.Rsv = ws.Rsv(true, false, false)
		h.Length = int64(len(z))
		p = z
	} else if o.Broadcast && c.broadcast(h, p, reg) {
		return nil
	}
	h.Masked = false
	return c.send(h, p)
}

// send writes one frame with a single write, header and payload copied
// into a pooled buffer.
func (c *gobwasConn) send(h ws.Header, p []byte) error {
	buf := getBuffer(ws.MaxHeaderSize + len(p))
	c.out.b = (*buf)[:0]
	ws.WriteHeaderBuffer(&c.out, h, c.whdr[:])
	c.out.b = append(c.out.b, p...)
	_, err := c.nc.Write(c.out.b)
	c.out.b = nil
	putBuffer(buf)
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

func (c *gobwasConn) inflate(p []byte) (*[]byte, []byte, error) {
	c.src.Reset(p)
	if c.zr == nil {
		c.zr = wsflate.NewReader(&c.src, func(r io.Reader) wsflate.Decompressor {
			return flateReader{flate.NewReader(r)}
		})
	} else {
		c.zr.Reset(&c.src)
	}
	return readMessage(c.zr)
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
