package deflate_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"testing"

	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/handshake"
	"github.com/wskit/websocket/wire"
)

// textPayload returns n bytes of JSON-like text, different for each seed but
// with the repeated keys and shapes of real messages.
func textPayload(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	users := []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace"}
	var b bytes.Buffer
	b.Grow(n + 200)
	b.WriteByte('[')
	for b.Len() < n {
		fmt.Fprintf(&b, `{"id":%d,"user":%q,"score":%d.%02d,"active":%t,"tags":["t%d","t%d"],"at":"2026-01-%02dT%02d:%02d:00Z"},`,
			r.IntN(1_000_000), users[r.IntN(len(users))], r.IntN(1000), r.IntN(100), r.IntN(2) == 0,
			r.IntN(50), r.IntN(50), 1+r.IntN(28), r.IntN(24), r.IntN(60))
	}
	return b.Bytes()[:n]
}

// randomPayload returns n incompressible bytes.
func randomPayload(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 11))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// chunking says how a test cuts a byte stream into pieces.
type chunking int

const (
	whole chunking = iota
	single
	randomPieces
)

func (c chunking) String() string { return [...]string{"whole", "bytes", "random"}[c] }

// split cuts b into pieces as c says; random pieces are 1 to 2000 bytes.
func split(b []byte, c chunking, r *rand.Rand) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		n := len(b)
		switch c {
		case single:
			n = 1
		case randomPieces:
			n = min(n, 1+r.IntN(2000))
		}
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

// compressMessage compresses msg with c, feeding it as split says, and
// returns the frames' payloads: with fragEvery > 0, a fragment ends (sync
// flush) after every fragEvery pieces; the last frame comes from Finish.
func compressMessage(c *deflate.Compressor, msg []byte, ch chunking, r *rand.Rand, fragEvery int) [][]byte {
	var frames [][]byte
	var cur []byte
	for i, p := range split(msg, ch, r) {
		cur = c.Compress(cur, p)
		if fragEvery > 0 && (i+1)%fragEvery == 0 {
			frames = append(frames, c.Flush(cur))
			cur = nil
		}
	}
	return append(frames, c.Finish(cur))
}

// piecesReader returns its pieces one Read at a time (each cut to the
// caller's buffer), as a connection returns frame payloads.
type piecesReader struct{ pieces [][]byte }

func (r *piecesReader) Read(p []byte) (int, error) {
	for len(r.pieces) > 0 && len(r.pieces[0]) == 0 {
		r.pieces = r.pieces[1:]
	}
	if len(r.pieces) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.pieces[0])
	r.pieces[0] = r.pieces[0][n:]
	return n, nil
}

// payloadReader returns a reader of the frames' payloads concatenated,
// handing them out in pieces as c says.
func payloadReader(frames [][]byte, c chunking, r *rand.Rand) io.Reader {
	var pieces [][]byte
	for _, f := range frames {
		pieces = append(pieces, split(f, c, r)...)
	}
	return &piecesReader{pieces: pieces}
}

// readAll reads src to io.EOF with buffers sized as c says.
func readAll(src io.Reader, c chunking, r *rand.Rand) ([]byte, error) {
	var out []byte
	buf := make([]byte, 64<<10)
	for {
		n := len(buf)
		switch c {
		case single:
			n = 1
		case randomPieces:
			n = 1 + r.IntN(5000)
		}
		m, err := src.Read(buf[:n])
		if m > n {
			return out, fmt.Errorf("Read returned %d bytes into a buffer of %d", m, n)
		}
		out = append(out, buf[:m]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// decompressMessage inflates one message with d.
func decompressMessage(d *deflate.Decompressor, frames [][]byte, in, out chunking, r *rand.Rand) ([]byte, error) {
	d.Reset(payloadReader(frames, in, r))
	return readAll(d, out, r)
}

// join concatenates frames.
func join(frames [][]byte) []byte { return bytes.Join(frames, nil) }

// withTail returns payload with the 00 00 ff ff of RFC 7692 §7.2.2 appended,
// which makes it a DEFLATE stream ending in a sync flush.
func withTail(payload []byte) []byte {
	return append(bytes.Clone(payload), 0x00, 0x00, 0xff, 0xff)
}

// checkCorrupt fails t unless err is ErrCorrupt: a *wire.ProtocolError with
// close code 1007 whose text says nothing about the data.
func checkCorrupt(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, deflate.ErrCorrupt) {
		t.Fatalf("error %v, want ErrCorrupt", err)
	}
	var pe *wire.ProtocolError
	if !errors.As(err, &pe) || pe.Code != wire.StatusInvalidFramePayloadData || wire.CloseCodeFor(err) != 1007 {
		t.Fatalf("error %#v does not carry close code 1007", err)
	}
	if err.Error() != "websocket: invalid permessage-deflate data in a message" {
		t.Fatalf("error text %q", err.Error())
	}
}

func ext(name string, params ...handshake.Param) handshake.Extension {
	return handshake.Extension{Name: name, Params: params}
}

func flag(name string) handshake.Param { return handshake.Param{Name: name} }

func kv(name, value string) handshake.Param {
	return handshake.Param{Name: name, Value: value, HasValue: true}
}

// parseHeader parses one Sec-WebSocket-Extensions value.
func parseHeader(t testing.TB, value string) []handshake.Extension {
	t.Helper()
	exts, err := parseHeaderErr(value)
	if err != nil {
		t.Fatalf("ParseExtensions(%q): %v", value, err)
	}
	return exts
}

func parseHeaderErr(value string) ([]handshake.Extension, error) {
	h := http.Header{}
	h.Set("Sec-WebSocket-Extensions", value)
	return handshake.ParseExtensions(h)
}

// extHeaderOf returns a header whose Sec-WebSocket-Extensions lists exts.
func extHeaderOf(exts ...handshake.Extension) http.Header {
	h := http.Header{}
	h.Set("Sec-WebSocket-Extensions", handshake.FormatExtensions(exts))
	return h
}
