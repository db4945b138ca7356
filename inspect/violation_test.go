package inspect_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/handshake"
	"github.com/wskit/websocket/inspect"
	"github.com/wskit/websocket/wire"
)

// heads returns a valid request and response, with permessage-deflate
// agreed as ext says ("" for none).
func heads(t *testing.T, ext string) (req, resp []byte) {
	t.Helper()
	key := "dGhlIHNhbXBsZSBub25jZQ=="
	r := "GET /chat HTTP/1.1\r\nHost: example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n"
	s := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + handshake.AcceptKey(key) + "\r\n"
	if ext != "" {
		r += "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
		s += "Sec-WebSocket-Extensions: " + ext + "\r\n"
	}
	return []byte(r + "\r\n"), []byte(s + "\r\n")
}

var mask = [4]byte{1, 2, 3, 4}

// frame returns a frame; client frames are masked.
func frame(dir inspect.Dir, fin bool, rsv byte, op wire.Opcode, p []byte) []byte {
	h := wire.Header{Fin: fin, RSV: rsv, Opcode: op, Masked: dir == inspect.ClientToServer, Mask: mask}
	return wire.AppendFrame(nil, h, p)
}

func newFlow(t *testing.T, ext string) (*inspect.Flow, *collector) {
	t.Helper()
	req, resp := heads(t, ext)
	col := &collector{t: t}
	f, err := inspect.NewFlowBytes(req, resp, col)
	if err != nil {
		t.Fatal(err)
	}
	return f, col
}

// feedEach feeds b to the flow one byte at a time and whole, to fresh
// flows, and returns the collectors.
func feedBoth(t *testing.T, ext string, c2s, s2c []byte) []*collector {
	var cols []*collector
	for _, step := range []int{1, 7, len(c2s) + len(s2c) + 1} {
		f, col := newFlow(t, ext)
		for i := 0; i < max(len(c2s), len(s2c)); i += step {
			if i < len(c2s) {
				f.Feed(inspect.ClientToServer, c2s[i:min(i+step, len(c2s))], false, time.Time{})
			}
			if i < len(s2c) {
				f.Feed(inspect.ServerToClient, s2c[i:min(i+step, len(s2c))], false, time.Time{})
			}
		}
		f.Close(time.Time{})
		cols = append(cols, col)
	}
	return cols
}

// compressed returns msg compressed and cut into frames at the given
// compressed-byte sizes, with a flush at each fragment boundary when
// flush is set, and the frames of the message; the first has RSV1.
func compressed(dir inspect.Dir, c *deflate.Compressor, op wire.Opcode, parts [][]byte, ctl []byte) []byte {
	var out []byte
	for i, p := range parts {
		var z []byte
		last := i == len(parts)-1
		z = c.Compress(z, p)
		if last {
			z = c.Finish(z)
		} else {
			z = c.Flush(z)
		}
		fop, rsv := wire.OpContinuation, byte(0)
		if i == 0 {
			fop, rsv = op, wire.RSV1
		}
		out = append(out, frame(dir, last, rsv, fop, z)...)
		if i == 0 && ctl != nil {
			out = append(out, ctl...)
		}
	}
	return out
}

func TestFragmentedCompressedWithControl(t *testing.T) {
	for _, ext := range []string{"permessage-deflate", "permessage-deflate; server_no_context_takeover; client_no_context_takeover", "permessage-deflate; client_max_window_bits=8; server_max_window_bits=9"} {
		t.Run(ext, func(t *testing.T) {
			p, _ := deflate.ParseParams(mustExts(t, ext)[0])
			cf, sf := p.Flows()
			var c2s, s2c []byte
			var want []sent
			cc, sc := deflate.NewCompressor(cf, 1), deflate.NewCompressor(sf, 1)
			for i := range 3 {
				parts := [][]byte{bytes.Repeat([]byte("hello world "), 50+i), []byte("x"), bytes.Repeat([]byte("more text "), 300)}
				whole := bytes.Join(parts, nil)
				ping := frame(inspect.ClientToServer, true, 0, wire.OpPing, []byte("p"))
				c2s = append(c2s, compressed(inspect.ClientToServer, cc, wire.OpText, parts, ping)...)
				pong := frame(inspect.ServerToClient, true, 0, wire.OpPong, []byte("p"))
				s2c = append(s2c, compressed(inspect.ServerToClient, sc, wire.OpBinary, parts, pong)...)
				want = append(want,
					sent{dir: 0, op: wire.OpPing, data: []byte("p"), control: true}, sent{dir: 0, op: wire.OpText, data: whole},
					sent{dir: 1, op: wire.OpPong, data: []byte("p"), control: true}, sent{dir: 1, op: wire.OpBinary, data: whole})
			}
			for _, col := range feedBoth(t, ext, c2s, s2c) {
				for _, f := range col.findings {
					t.Errorf("finding: %v", f)
				}
				compare(t, col.got, want)
				if col.frames[0] != 12 || col.frames[1] != 12 {
					t.Errorf("frames seen %v, want 12 each way", col.frames)
				}
			}
		})
	}
}

func mustExts(t *testing.T, s string) []handshake.Extension {
	t.Helper()
	e, err := handshake.ParseExtensions(map[string][]string{"Sec-Websocket-Extensions": {s}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestViolations(t *testing.T) {
	var c2s []byte
	c2s = append(c2s, frame(0, true, wire.RSV2, wire.OpText, []byte("rsv2"))...)  // bad RSV
	c2s = append(c2s, frame(0, true, 0, 3, []byte("reserved"))...)                // reserved opcode
	c2s = append(c2s, frame(0, true, 0, wire.OpText, []byte("bad \xff utf8"))...) // bad UTF-8
	c2s = append(c2s, wire.AppendFrame(nil, wire.Header{Fin: true, Opcode: wire.OpBinary}, []byte("unmasked"))...)
	c2s = append(c2s, frame(0, true, 0, wire.OpContinuation, []byte("orphan"))...)                 // nothing to continue
	c2s = append(c2s, frame(0, false, 0, wire.OpText, []byte("a"))...)                             // fragmented ...
	c2s = append(c2s, frame(0, true, 0, wire.OpBinary, []byte("b"))...)                            // ... interrupted
	c2s = append(c2s, frame(0, false, 0, wire.OpPing, []byte("frag"))...)                          // fragmented control
	c2s = append(c2s, frame(0, true, 0, wire.OpClose, []byte{0x03, 0xe8, 0xff})...)                // bad close reason
	c2s = append(c2s, frame(0, true, 0, wire.OpText, []byte("after"))...)                          // after close
	s2c := frame(0, true, wire.RSV1, wire.OpBinary, []byte("not deflate data, RSV1 unnegotiated")) // masked server frame, RSV1
	for _, col := range feedBoth(t, "", c2s, s2c) {
		var errs []string
		for _, f := range col.findings {
			errs = append(errs, f.Error())
			if f.Frame == nil {
				t.Errorf("finding without its frame: %v", f)
			}
		}
		all := strings.Join(errs, "\n")
		for _, want := range []error{wire.ErrReservedBits, wire.ErrReservedOpcode, wire.ErrInvalidUTF8, wire.ErrUnmaskedFrame,
			wire.ErrNoMessageToContinue, wire.ErrMessageNotFinished, wire.ErrFragmentedControl, wire.ErrCloseReasonUTF8, inspect.ErrAfterClose, wire.ErrMaskedFrame} {
			found := false
			for _, f := range col.findings {
				found = found || errors.Is(f, want)
			}
			if !found {
				t.Errorf("no finding for %v; findings:\n%s", want, all)
			}
		}
		// Everything but the reserved opcode is still delivered.
		want := []sent{
			{dir: 0, op: wire.OpText, data: []byte("rsv2")},
			{dir: 0, op: wire.OpText, data: []byte("bad \xff utf8")},
			{dir: 0, op: wire.OpBinary, data: []byte("unmasked")},
			{dir: 0, op: wire.OpContinuation, data: []byte("orphan")},
			{dir: 0, op: wire.OpBinary, data: []byte("b")},
			{dir: 0, op: wire.OpPing, data: []byte("frag"), control: true},
			{dir: 0, op: wire.OpClose, code: 1000, reason: "\xff", control: true},
			{dir: 0, op: wire.OpText, data: []byte("after")},
			{dir: 1, op: wire.OpBinary, data: []byte("not deflate data, RSV1 unnegotiated")},
		}
		compare(t, col.got, want)
	}
}

func TestDecompressionFailureGoesOn(t *testing.T) {
	ext := "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
	p, _ := deflate.ParseParams(mustExts(t, ext)[0])
	cf, _ := p.Flows()
	cc := deflate.NewCompressor(cf, 1)
	var c2s []byte
	c2s = append(c2s, frame(0, true, wire.RSV1, wire.OpText, []byte{0xff, 0xff, 0xff, 0xff})...) // corrupt
	c2s = append(c2s, compressed(0, cc, wire.OpText, [][]byte{[]byte("fine"), []byte(" after")}, nil)...)
	for _, col := range feedBoth(t, ext, c2s, nil) {
		if len(col.findings) != 1 || !errors.Is(col.findings[0], deflate.ErrCorrupt) {
			t.Errorf("findings %v, want one ErrCorrupt", col.findings)
		}
		compare(t, col.got, []sent{{dir: 0, op: wire.OpText, data: []byte{}}, {dir: 0, op: wire.OpText, data: []byte("fine after")}})
	}
}

func TestTruncatedAndGap(t *testing.T) {
	f, col := newFlow(t, "")
	msg := frame(0, true, 0, wire.OpBinary, bytes.Repeat([]byte("a"), 100))
	next := frame(0, true, 0, wire.OpText, []byte("next"))
	// A hole inside the payload: framing survives.
	f.Feed(0, msg[:50], false, time.Time{})
	f.Gap(0, 30, time.Time{})
	f.Feed(0, msg[80:], false, time.Time{})
	f.Feed(0, next, false, time.Time{})
	// A hole across frames: the framing is found again.
	f.Feed(0, msg[:10], false, time.Time{})
	f.Gap(0, int64(len(msg)), time.Time{})
	f.Feed(0, next[3:], false, time.Time{}) // the stream goes on inside a frame
	for range 3 {
		f.Feed(0, next, false, time.Time{})
	}
	f.Feed(0, msg[:20], true, time.Time{}) // ends inside a frame
	var kinds []error
	for _, fd := range col.findings {
		for _, e := range []error{inspect.ErrGap, inspect.ErrResync, inspect.ErrTruncated} {
			if errors.Is(fd, e) {
				kinds = append(kinds, e)
			}
		}
		t.Log(fd)
	}
	if want := []error{inspect.ErrGap, inspect.ErrGap, inspect.ErrResync, inspect.ErrTruncated}; !equalErrs(kinds, want) {
		t.Errorf("findings %v, want %v", kinds, want)
	}
	var texts int
	for _, m := range col.got {
		if m.op == wire.OpText && string(m.data) == "next" {
			texts++
		}
	}
	if texts < 3 {
		t.Errorf("%d of the 4 text messages decoded: %v", texts, col.got)
	}
}

func equalErrs(a, b []error) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestMidstream(t *testing.T) {
	var c2s, s2c []byte
	for i := range 5 {
		c2s = append(c2s, frame(0, true, 0, wire.OpText, bytes.Repeat([]byte{'a' + byte(i)}, 40+i))...)
		s2c = append(s2c, frame(1, true, 0, wire.OpBinary, bytes.Repeat([]byte{byte(i)}, 300))...)
	}
	// Start in the middle of the first frame of each direction.
	col := &collector{t: t}
	f := inspect.NewMidstreamFlow(nil, col)
	// The halves are given the other way round: masking tells them apart.
	f.Feed(1, c2s[17:], false, time.Time{})
	f.Feed(0, s2c[100:], false, time.Time{})
	f.Close(time.Time{})
	if len(col.findings) != 2 || !errors.Is(col.findings[0], inspect.ErrResync) {
		t.Errorf("findings %v, want two ErrResync", col.findings)
	}
	var n [2]int
	for _, m := range col.got {
		n[m.dir]++
		if (m.dir == inspect.ClientToServer) != (m.op == wire.OpText) {
			t.Errorf("%v sent %v", m.dir, m.op)
		}
	}
	if n != [2]int{4, 4} {
		t.Errorf("messages per direction %v, want the 4 whole ones each way", n)
	}
}
