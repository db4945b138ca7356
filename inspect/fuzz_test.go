package inspect_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/wskit/websocket/deflate"
	"github.com/wskit/websocket/inspect"
	"github.com/wskit/websocket/wire"
)

// nopHandler checks only what must hold for any input.
type nopHandler struct {
	t     *testing.T
	inMsg [2]bool
}

func (h *nopHandler) Control(dir inspect.Dir, p []byte, _ time.Time, fi *inspect.FrameInfo) {
	if fi != nil && fi.RawHeader == nil {
		h.t.Fatal("control frame without its raw header")
	}
}

func (h *nopHandler) Data(dir inspect.Dir, p []byte, eom bool, _ time.Time, fi *inspect.FrameInfo) {
	if !fi.First && !h.inMsg[dir] {
		h.t.Fatal("data outside a message")
	}
	if fi.Compressed && len(p) > 64<<10 {
		h.t.Fatal("a decompressed piece larger than the inflater's chunk")
	}
	h.inMsg[dir] = !eom
}

func (h *nopHandler) Finding(f *inspect.Finding) {
	if f.Err == nil || f.Error() == "" {
		h.t.Fatal("finding without an error")
	}
}

// FuzzFlow feeds arbitrary bytes to both directions of flows with and
// without permessage-deflate, and to a midstream flow, cut where the input
// says: nothing may panic or hang.
func FuzzFlow(f *testing.F) {
	c := deflate.NewCompressor(deflate.Flow{}, 1)
	z := c.Finish(c.Compress(nil, bytes.Repeat([]byte("abc"), 100)))
	seed := append(frame(0, false, wire.RSV1, wire.OpText, z[:len(z)/2]), frame(0, true, 0, wire.OpPing, []byte("x"))...)
	seed = append(seed, frame(0, true, 0, wire.OpContinuation, z[len(z)/2:])...)
	f.Add(seed, frame(1, true, 0, wire.OpClose, []byte{3, 232, 'o', 'k'}), uint8(3), uint8(0))
	f.Add(frame(0, true, 0, 3, nil), []byte{0x82, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, uint8(1), uint8(1))
	f.Add([]byte{0xc1, 0x85, 1, 2, 3, 4, 0xff, 0xff, 0xff, 0xff, 0xff}, []byte{0xc1, 0x03, 0x02, 0x00, 0x00}, uint8(0), uint8(2))
	f.Fuzz(runOne)
}

func runOne(t *testing.T, c2s, s2c []byte, step, mode uint8) {
	h := &nopHandler{t: t}
	var fl *inspect.Flow
	var err error
	switch mode % 3 {
	case 0:
		req, resp := heads(t, "")
		fl, err = inspect.NewFlowBytes(req, resp, h)
	case 1:
		req, resp := heads(t, "permessage-deflate; client_max_window_bits=9; server_no_context_takeover")
		fl, err = inspect.NewFlowBytes(req, resp, h)
	default:
		fl = inspect.NewMidstreamFlow(nil, h)
	}
	if err != nil {
		t.Fatal(err)
	}
	n := int(step%16) + 1
	for i := 0; i < max(len(c2s), len(s2c)); i += n {
		if i < len(c2s) {
			fl.Feed(inspect.ClientToServer, c2s[i:min(i+n, len(c2s))], false, time.Time{})
		}
		if i == n && step&0x80 != 0 {
			fl.Gap(inspect.ServerToClient, int64(step&0x3f), time.Time{})
		}
		if i < len(s2c) {
			fl.Feed(inspect.ServerToClient, s2c[i:min(i+n, len(s2c))], false, time.Time{})
		}
	}
	fl.Close(time.Time{})
}
