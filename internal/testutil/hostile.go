package testutil

import (
	"bufio"
	"bytes"
	"compress/flate"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wskit/websocket/wire"
)

// RawPeer is a hostile client: it does the opening handshake by hand and
// then writes whatever frames a test wants, declared lengths and all.
type RawPeer struct {
	net.Conn
	Br *bufio.Reader
}

// DialRaw connects to addr (host:port), asks for an upgrade of path,
// offering permessage-deflate when compress is set, and checks for 101.
func DialRaw(t testing.TB, addr, path string, compress bool) *RawPeer {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { nc.Close() })
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	if compress {
		req += "Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover; server_no_context_takeover\r\n"
	}
	if _, err := nc.Write([]byte(req + "\r\n")); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("handshake response: %v", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %s", resp.Status)
	}
	if compress && !strings.Contains(resp.Header.Get("Sec-WebSocket-Extensions"), "permessage-deflate") {
		t.Fatalf("compression not agreed: %q", resp.Header.Get("Sec-WebSocket-Extensions"))
	}
	return &RawPeer{Conn: nc, Br: br}
}

// Header writes a masked frame header declaring length payload bytes; the
// payload, if any, follows with Payload. The mask key is zero, so the
// payload goes out as it is.
func (p *RawPeer) Header(op wire.Opcode, fin, compressed bool, length int64) error {
	h := wire.Header{Fin: fin, Opcode: op, Masked: true, Length: length}
	if compressed {
		h.RSV = wire.RSV1
	}
	_, err := p.Write(wire.AppendHeader(nil, h))
	return err
}

// Frame writes one whole masked frame.
func (p *RawPeer) Frame(op wire.Opcode, fin, compressed bool, payload []byte) error {
	h := wire.Header{Fin: fin, Opcode: op, Masked: true, Length: int64(len(payload))}
	if compressed {
		h.RSV = wire.RSV1
	}
	_, err := p.Write(wire.AppendFrame(nil, h, payload))
	return err
}

// NextFrame reads the server's next frame, payload and all.
func (p *RawPeer) NextFrame() (wire.Header, []byte, error) {
	var hb [wire.MaxHeaderSize]byte
	b, err := p.Br.Peek(2)
	if err != nil {
		return wire.Header{}, nil, err
	}
	n := wire.HeaderSize(b)
	if _, err := readFull(p.Br, hb[:n]); err != nil {
		return wire.Header{}, nil, err
	}
	h, _, err := wire.ParseHeader(hb[:n])
	if err != nil {
		return h, nil, err
	}
	payload := make([]byte, h.Length)
	_, err = readFull(p.Br, payload)
	return h, payload, err
}

// NextData reads the server's next data or close frame, skipping pings
// and pongs.
func (p *RawPeer) NextData() (wire.Header, []byte, error) {
	for {
		h, b, err := p.NextFrame()
		if err != nil || h.Opcode == wire.OpClose || !h.Opcode.IsControl() {
			return h, b, err
		}
	}
}

// CloseCode reads frames until the server's close frame and returns its
// status code, skipping data and control frames on the way. Reads end
// after d.
func (p *RawPeer) CloseCode(d time.Duration) (int, error) {
	p.SetReadDeadline(time.Now().Add(d))
	for {
		h, payload, err := p.NextFrame()
		if err != nil {
			return 0, err
		}
		if h.Opcode != wire.OpClose {
			continue
		}
		if len(payload) < 2 {
			return 1005, nil
		}
		return int(payload[0])<<8 | int(payload[1]), nil
	}
}

func readFull(br *bufio.Reader, p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := br.Read(p[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// DeflateBomb returns a permessage-deflate payload (RFC 7692 §7.2.1: the
// trailing 00 00 ff ff removed) that inflates to n zero bytes, n a
// multiple of 1 MiB. It is one compressed MiB repeated: each copy is a
// run of non-final blocks ending on a byte boundary, so copies can follow
// one another. 1 GiB comes to about 1 MB.
func DeflateBomb(n int64) []byte {
	var one bytes.Buffer
	fw, _ := flate.NewWriter(&one, flate.BestCompression)
	fw.Write(make([]byte, 1<<20))
	fw.Flush()
	seg := one.Bytes()
	if n%(1<<20) != 0 {
		panic(fmt.Sprintf("DeflateBomb(%d): not a multiple of 1 MiB", n))
	}
	out := bytes.Repeat(seg, int(n>>20))
	return out[:len(out)-4]
}

// Bombs sends n copies of bomb, each as one compressed binary message on
// a connection of its own, all at once, and returns the close code the
// server answered each with.
func Bombs(t testing.TB, addr string, n int, bomb []byte) []int {
	t.Helper()
	peers := make([]*RawPeer, n)
	for i := range peers {
		peers[i] = DialRaw(t, addr, "/", true)
	}
	codes := make([]int, n)
	errs := make(chan error, n)
	for i, p := range peers {
		go func() {
			go p.Frame(wire.OpBinary, true, true, bomb)
			code, err := p.CloseCode(5 * time.Minute)
			codes[i] = code
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("waiting for the close frame: %v", err)
		}
	}
	return codes
}
