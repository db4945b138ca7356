package websocket

import (
	"crypto/tls"
	"net"
)

// h2SendFrame is the largest DATA frame Dial's HTTP/2 client sends: the
// smallest SETTINGS_MAX_FRAME_SIZE a server may advertise (RFC 9113
// §6.5.2), and what browsers send.
const h2SendFrame = 1 << 14

// clampFrameSize wraps an HTTP/2 client connection so that the client
// reads every SETTINGS_MAX_FRAME_SIZE the server advertises as
// h2SendFrame. golang.org/x/net/http2 gives each stream's request body a
// write buffer as large as that setting, up to 512 KiB, for the life of
// the stream, and net/http's server advertises 1 MiB: a WebSocket held
// 512 KiB that it never needed. Sending frames smaller than the server
// allows is always valid; the frames the server sends are untouched.
func clampFrameSize(nc net.Conn) net.Conn {
	c := &clampConn{Conn: nc}
	if tc, ok := nc.(*tls.Conn); ok {
		return &clampTLSConn{clampConn: c, tc: tc}
	}
	return c
}

// clampConn rewrites, in the bytes it reads, the value of every
// SETTINGS_MAX_FRAME_SIZE (RFC 9113 §6.5.2, identifier 0x5) in a SETTINGS
// frame. It follows frame boundaries by their 9-byte headers (§4.1),
// across reads of any size, and skips every payload but SETTINGS'.
type clampConn struct {
	net.Conn
	hdr      [9]byte
	nhdr     int  // header bytes seen of the current frame
	left     int  // payload bytes of the current frame not yet seen
	settings bool // the current frame is SETTINGS
	off      int  // offset in the current 6-byte setting
	id       uint16
}

// clampTLSConn keeps the connection's TLS state visible to x/net.
type clampTLSConn struct {
	*clampConn
	tc *tls.Conn
}

func (c *clampTLSConn) ConnectionState() tls.ConnectionState { return c.tc.ConnectionState() }

const (
	h2FrameHeader         = 9   // bytes: length (24 bits), type, flags, stream
	h2FrameSettings       = 0x4 // frame type
	h2SettingsEntry       = 6   // bytes: identifier (16 bits), value (32)
	h2SettingMaxFrameSize = 0x5
)

func (c *clampConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.rewrite(b[:n])
	return n, err
}

// rewrite scans p, the next bytes of the server's frames, and rewrites in
// place the value of each SETTINGS_MAX_FRAME_SIZE.
func (c *clampConn) rewrite(p []byte) {
	for len(p) > 0 {
		if c.left == 0 {
			if c.nhdr < h2FrameHeader {
				k := copy(c.hdr[c.nhdr:], p)
				c.nhdr += k
				p = p[k:]
				if c.nhdr < h2FrameHeader {
					return
				}
			}
			c.left = int(c.hdr[0])<<16 | int(c.hdr[1])<<8 | int(c.hdr[2])
			c.settings = c.hdr[3] == h2FrameSettings
			c.off, c.nhdr = 0, 0
			continue
		}
		if !c.settings {
			k := min(c.left, len(p))
			c.left -= k
			p = p[k:]
			continue
		}
		// One byte of a setting: 16 bits of identifier, 32 of value.
		switch {
		case c.off == 0:
			c.id = uint16(p[0]) << 8
		case c.off == 1:
			c.id |= uint16(p[0])
		case c.id == h2SettingMaxFrameSize:
			p[0] = byte(uint32(h2SendFrame) >> (8 * (h2SettingsEntry - 1 - c.off)))
		}
		c.off = (c.off + 1) % h2SettingsEntry
		c.left--
		p = p[1:]
	}
}
